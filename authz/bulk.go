package authz

// Account is what /revoke all needs to know about a directory user to decide
// whether to revoke it.
type Account struct {
	ID, UPN, Mail string
	Guest         bool
	Enabled       bool
}

// Reasons an account is left out of /revoke all. They are stored with the
// job and counted on its card, so they stay short and stable.
const (
	SkipProtected = "protected"
	SkipGuest     = "guest"
	SkipDisabled  = "disabled"
)

// SkipReason says why /revoke all leaves an account alone, or "" when it is
// eligible. Protected accounts are never touched; guests and disabled
// accounts only when the policy includes them.
func (p Policy) SkipReason(a Account) string {
	switch {
	case p.IsProtected(a.UPN, a.Mail, a.ID):
		return SkipProtected
	case a.Guest && !p.RevokeAll.IncludeGuests:
		return SkipGuest
	case !a.Enabled && !p.RevokeAll.IncludeDisabled:
		return SkipDisabled
	}
	return ""
}

// MayStop decides whether actor may stop a running /revoke all: its
// requester or any approver.
func (p Policy) MayStop(requester string, a Actor) (string, bool) {
	if a.UserID == requester || p.IsApprover(a) {
		return "", true
	}
	return "only the person who asked for it or an approver can stop this job.", false
}
