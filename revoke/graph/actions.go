package graph

import (
	"slices"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

// graphActions are the containment actions this package carries out, in
// revoke.Order; sharepoint goes through SharePoint's own API.
var graphActions = []revoke.Action{revoke.ActionDisable, revoke.ActionResetPassword, revoke.ActionSessions, revoke.ActionMFA, revoke.ActionConsents, revoke.ActionMailbox, revoke.ActionCompromised}

// ActionRoles returns the application permissions an action needs when
// Graph carries it out: its own permission and User.Read.All to resolve the
// user. It returns nil for an action Graph does not handle.
func ActionRoles(a revoke.Action) []string {
	if !slices.Contains(graphActions, a) {
		return nil
	}
	n, _ := revoke.NeedOf(string(a))
	var out []string
	for _, p := range n.Permissions {
		out = append(out, p.Name)
	}
	return append(out, revoke.PermUserRead.Name)
}

// WatchRoles are the application permissions reading a user's sign-ins
// after the actions needs (the verify watch).
func WatchRoles() []string { return []string{revoke.PermAuditLogRead.Name} }

// impliedBy lists the broader permissions Graph also accepts in place of a
// least-privileged one, so a deployer who granted those is not told an
// action is impossible. confirmCompromised and the sign-in log accept
// nothing broader.
var impliedBy = map[string][]string{
	"User.Read.All":                 {"User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"},
	"User.EnableDisableAccount.All": {"User.ReadWrite.All", "Directory.ReadWrite.All"},
	"User.RevokeSessions.All":       {"User.ReadWrite.All", "Directory.ReadWrite.All"},
	"SecurityIncident.Read.All":     {"SecurityIncident.ReadWrite.All"},
}

// CanDo reports, for each action Graph carries out, whether a token with
// these roles holds every permission the action needs.
func CanDo(roles []string) map[revoke.Action]bool {
	out := make(map[revoke.Action]bool, len(graphActions))
	for _, a := range graphActions {
		out[a] = holdsAll(roles, ActionRoles(a))
	}
	return out
}

// CanWatch reports whether a token with these roles can read sign-ins.
func CanWatch(roles []string) bool { return holdsAll(roles, WatchRoles()) }

// CanDoWith reports whether a token with these roles holds one permission,
// or a broader one Graph accepts in its place.
func CanDoWith(roles []string, permission string) bool { return holds(roles, permission) }

func holdsAll(roles, needed []string) bool {
	for _, n := range needed {
		if !holds(roles, n) {
			return false
		}
	}
	return true
}

// holds compares case-insensitively: permission names are unique without case.
func holds(roles []string, permission string) bool {
	for _, r := range roles {
		if strings.EqualFold(r, permission) {
			return true
		}
		for _, broader := range impliedBy[permission] {
			if strings.EqualFold(r, broader) {
				return true
			}
		}
	}
	return false
}
