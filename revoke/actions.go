package revoke

import (
	"fmt"
	"strings"
	"time"
)

// Action is one containment step a /revoke <target> request takes on a user.
type Action string

// The actions of the SPEC, named as in the policy file's `actions` key.
const (
	ActionDisable       Action = "disable"        // block sign-in (PATCH accountEnabled=false)
	ActionResetPassword Action = "reset-password" // a random password nobody sees, changed at next sign-in
	ActionSessions      Action = "sessions"       // revokeSignInSessions
	ActionMFA           Action = "mfa"            // remove every authentication method but the password
	ActionConsents      Action = "consents"       // remove the delegated grants the user gave apps
	ActionMailbox       Action = "mailbox"        // disable inbox rules that forward, redirect or delete
	ActionForwarding    Action = "forwarding"     // Exchange: clear the mailbox's own forwarding
	ActionProtocols     Action = "protocols"      // Exchange: turn off POP, IMAP, EWS, ActiveSync, SMTP AUTH
	ActionSharePoint    Action = "sharepoint"     // SharePoint Online's RevokeAllUserSessions
	ActionSlack         Action = "slack"          // Slack's admin.users.session.reset of the user's Slack account
	ActionCompromised   Action = "compromised"    // Identity Protection's confirmCompromised
)

// Order is the order actions run in for each user: sign-in is blocked and
// the stolen password made useless before sessions end, so the attacker
// cannot sign straight back in.
var Order = []Action{ActionDisable, ActionResetPassword, ActionSessions, ActionMFA, ActionConsents, ActionMailbox, ActionForwarding,
	ActionProtocols, ActionSharePoint, ActionSlack, ActionCompromised}

// The steps of a release, which undo disable and compromised. They are not
// containment actions: no flag or policy `actions:` name takes them.
const (
	ActionEnable      Action = "enable"       // let sign-in again (PATCH accountEnabled=true)
	ActionDismissRisk Action = "dismiss-risk" // Identity Protection's dismiss, where the user is at risk
	// ActionRestoreProtocols turns back on the mail protocols revokebot
	// turned off (ActionProtocols), exactly those.
	ActionRestoreProtocols Action = "restore-protocols"
)

// ReleaseOrder is the order a release runs its steps in for each user.
var ReleaseOrder = []Action{ActionEnable, ActionDismissRisk, ActionRestoreProtocols}

// ParseAction reads an action's name as the policy file writes it.
func ParseAction(s string) (Action, error) {
	for _, a := range Order {
		if string(a) == s {
			return a, nil
		}
	}
	known := make([]string, len(Order))
	for i, a := range Order {
		known[i] = string(a)
	}
	return "", fmt.Errorf("unknown action %q (known: %s)", s, strings.Join(known, ", "))
}

// Permission is the application permission an action needs, beyond
// User.Read.All to resolve the user (Needs says which).
func (a Action) Permission() string {
	if n, ok := NeedOf(string(a)); ok && len(n.Permissions) > 0 {
		return n.Permissions[0].Name
	}
	return ""
}

// Proof is a user read back after the actions: what Graph now says.
type Proof struct {
	AccountEnabled bool
	// SessionsValidFrom is signInSessionsValidFromDateTime: tokens issued
	// before it are refused. Zero when Graph returned null.
	SessionsValidFrom time.Time
	// PasswordChanged is lastPasswordChangeDateTime; zero when Graph
	// returned null. Synced is onPremisesSyncEnabled: the account is
	// mastered on premises, where its password and enablement live.
	PasswordChanged time.Time
	Synced          bool
}

// SignIn is one entry of a user's sign-in log (auditLogs/signIns).
type SignIn struct {
	ID      string
	At      time.Time // createdDateTime
	IP      string    // ipAddress
	App     string    // appDisplayName
	Success bool      // status.errorCode == 0
}

// SharePointState is SharePoint Online's answer to RevokeAllUserSessions.
type SharePointState int

// The states SharePoint answers, with its numbering.
const (
	SharePointFeatureDisabled SharePointState = 0
	SharePointUserNotFound    SharePointState = 1
	SharePointFailure         SharePointState = 2
	SharePointWithinHour      SharePointState = 3 // NonInstantaneousSuccess
	SharePointInstant         SharePointState = 4 // InstantaneousSuccess
)

// Succeeded reports whether SharePoint accepted the revocation.
func (s SharePointState) Succeeded() bool {
	return s == SharePointWithinHour || s == SharePointInstant
}

// String words the state for a responder.
func (s SharePointState) String() string {
	switch s {
	case SharePointFeatureDisabled:
		return "the feature is disabled in this tenant"
	case SharePointUserNotFound:
		return "SharePoint does not know this user"
	case SharePointFailure:
		return "SharePoint reported a failure"
	case SharePointWithinHour:
		return "sessions end within an hour"
	case SharePointInstant:
		return "sessions ended at once"
	}
	return fmt.Sprintf("unknown state %d", int(s))
}
