// Package authz holds revokebot's policy: who may ask for a revocation, who may
// confirm, approve, deny or cancel one, and which accounts are protected. It is
// pure: callers resolve facts (such as user-group membership) and pass them in.
package authz

import (
	"strings"
	"time"
)

// Principals names people by Slack user ID and by Slack user group ID.
type Principals struct {
	Users  []string
	Groups []string
}

// Empty reports whether nobody is named.
func (p Principals) Empty() bool { return len(p.Users) == 0 && len(p.Groups) == 0 }

// RevokeAll is the policy for /revoke all.
type RevokeAll struct {
	IncludeGuests   bool
	IncludeDisabled bool
	// Writes per Per is the ceiling the bulk engine paces to: Graph's
	// documented limit for one app in one tenant unless the policy says less
	// (another app sharing the tenant's budget).
	Writes      int
	Per         time.Duration
	Concurrency int // revocations in flight at once
}

// Defaults of /revoke all: Graph allows one app 3,000 identity writes per
// 150 s in a tenant.
const (
	DefaultWrites      = 3000
	DefaultPer         = 150 * time.Second
	DefaultConcurrency = 16
)

// MinVerifyEvery is the shortest verify.every the policy file may set: each
// look queries the sign-in log, whose entries take minutes to appear anyway,
// and a watch of many users looking more often would spend Graph's read
// budget on nothing.
const MinVerifyEvery = 10 * time.Second

// Verify configures the sign-in watch after a revocation.
type Verify struct {
	For   time.Duration
	Every time.Duration
}

// Policy is the parsed policy file.
type Policy struct {
	Requesters      Principals
	Approvers       Principals // defaults to Requesters
	Channels        []string   // empty: any channel
	AuditChannel    string
	Protected       []string // UPNs, e-mail addresses or object IDs, as ParsePolicy checks
	ConfirmTimeout  time.Duration
	ApprovalTimeout time.Duration
	RevokeAll       RevokeAll
	Actions         []string
	Verify          Verify
	// ApprovalsRequired is how many different approvers, none of them the
	// requester, must approve a request that needs approval; 1 is the
	// two-person rule.
	ApprovalsRequired int
	// Alerts opens cards from Microsoft's detections; nil: off.
	Alerts *Alerts
}

// MaxApprovals bounds approvals_required.
const MaxApprovals = 20

// Quorum is how many approvals a request that needs approval waits for.
func (p Policy) Quorum() int { return max(p.ApprovalsRequired, 1) }

// Defaults applied to settings the policy file leaves out.
const (
	DefaultConfirmTimeout  = 10 * time.Minute
	DefaultApprovalTimeout = 30 * time.Minute
)

// IsProtected reports whether an account, given by its UPN, mail and object
// ID, is on the protected list. Comparison ignores case, as Entra ID does.
func (p Policy) IsProtected(ids ...string) bool {
	for _, want := range p.Protected {
		for _, id := range ids {
			if id != "" && strings.EqualFold(want, id) {
				return true
			}
		}
	}
	return false
}
