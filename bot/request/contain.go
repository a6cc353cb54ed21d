package request

import (
	"encoding/json"
	"slices"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// requestTarget is what a request stores about whom it will hit and how.
// A request of an earlier version holds User only, and revoked sessions.
type requestTarget struct {
	User       revoke.User     `json:"user"`
	Users      []revoke.User   `json:"users,omitempty"`
	Actions    []revoke.Action `json:"actions,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Unresolved []string        `json:"unresolved,omitempty"` // targets not found, in words
	All        *preview        `json:"all,omitempty"`
	// Listed is what the card showed would be removed, by user ID: what
	// the actions find beyond it is reported as new since the card.
	Listed map[string]userListing `json:"listed,omitempty"`
	// Release marks a /revoke release: Actions are revoke.ReleaseOrder's.
	Release bool `json:"release,omitempty"`
}

func targetsOf(r store.Request) requestTarget {
	var t requestTarget
	_ = json.Unmarshal(r.Target, &t)
	if len(t.Users) == 0 && t.User.ID != "" {
		t.Users = []revoke.User{t.User}
	}
	if len(t.Actions) == 0 {
		t.Actions = []revoke.Action{revoke.ActionSessions}
	}
	return t
}

// plainRevoke reports whether a request is the original form: one user,
// sessions only. Its card and messages keep their words.
func (t requestTarget) plainRevoke() bool {
	return len(t.Users) == 1 && slices.Equal(t.Actions, []revoke.Action{revoke.ActionSessions})
}

// actionsFor is the set of actions a /revoke runs: the policy's defaults,
// those named on the command, and always sessions, in the order they run.
func actionsFor(policy []string, c Command) []revoke.Action {
	want := map[revoke.Action]bool{revoke.ActionSessions: true}
	for _, a := range c.Actions {
		want[a] = true
	}
	for _, a := range policy {
		want[revoke.Action(a)] = true
	}
	var out []revoke.Action
	for _, a := range revoke.Order {
		if want[a] {
			out = append(out, a)
		}
	}
	return out
}

// unavailable says why this deployment cannot run an action, or "" when it can.
func (b *executor) unavailable(a revoke.Action) string {
	switch {
	case a == revoke.ActionDisable && b.cfg.Disabler == nil:
		return "Blocking sign-in (`--disable`) is not configured in this revokebot."
	case a == revoke.ActionResetPassword && b.cfg.Passwords == nil:
		return "Resetting passwords (`--reset-password`) is not configured in this revokebot."
	case a == revoke.ActionMFA && b.cfg.Methods == nil:
		return "Removing authentication methods (`--mfa`) is not configured in this revokebot."
	case a == revoke.ActionConsents && b.cfg.Grants == nil:
		return "Removing app consents (`--consents`) is not configured in this revokebot."
	case a == revoke.ActionMailbox && b.cfg.Rules == nil:
		return "Disabling inbox rules (`--mailbox`) is not configured in this revokebot."
	case a == revoke.ActionSharePoint && b.cfg.SharePoint == nil:
		return "SharePoint session revocation (`--sharepoint`) is not configured: its operator must set `SHAREPOINT_ADMIN_URL` (and a certificate credential)."
	case a == revoke.ActionCompromised && b.cfg.Compromiser == nil:
		return "Marking users compromised (`--compromised`) is not configured in this revokebot."
	case a == revoke.ActionEnable && b.cfg.Enabler == nil:
		return "Releasing users (`/revoke release`) is not configured in this revokebot."
	case a == revoke.ActionDismissRisk && b.cfg.Risk == nil:
		return "Dismissing user risk is not configured in this revokebot."
	}
	return ""
}

// actionLine names an action on a card, in the order it runs.
func actionLine(a revoke.Action) string {
	switch a {
	case revoke.ActionDisable:
		return "Block sign-in (`accountEnabled` = false)"
	case revoke.ActionResetPassword:
		return "Reset the password to a random one nobody sees, to be changed at next sign-in, so a stolen password stops working"
	case revoke.ActionSessions:
		return "Revoke all refresh tokens and session cookies (`revokeSignInSessions`)"
	case revoke.ActionMFA:
		return "Remove every authentication method except the password (an attacker's own authenticator, phone or key among them)"
	case revoke.ActionConsents:
		return "Remove the permissions the user consented to for apps (their own delegated grants; kept in the audit log so they can be restored)"
	case revoke.ActionMailbox:
		return "Disable (not delete: evidence stays) inbox rules that forward, redirect or delete mail"
	case revoke.ActionSharePoint:
		return "End SharePoint Online and OneDrive sessions (`RevokeAllUserSessions`)"
	case revoke.ActionCompromised:
		return "Mark the user compromised in Identity Protection (`confirmCompromised`; high user risk)"
	case revoke.ActionEnable:
		return "Let sign-in again (`accountEnabled` = true)"
	case revoke.ActionDismissRisk:
		return "Dismiss the user risk in Identity Protection, where it has the user at risk (`dismiss`)"
	}
	return string(a)
}
