package revoke

import (
	"strings"
	"time"
)

// DirectoryEvent is one entry of the directory audit log about a user
// (GET /auditLogs/directoryAudits), reduced to what a card shows.
type DirectoryEvent struct {
	ID       string
	At       time.Time // activityDateTime
	Activity string    // activityDisplayName, e.g. "User registered security info"
	Category string    // e.g. "UserManagement", "RoleManagement"
	Result   string    // success, failure, timeout; "" when Graph named none the client knows
	By       string    // who did it: initiatedBy.user's UPN, else initiatedBy.app's display name
	ByApp    bool      // By names an app (a service principal), not a person
	IP       string    // initiatedBy.user.ipAddress; Graph gives none for apps
}

// SecurityRelevant reports whether the event is one a compromised-account
// card lists: an authentication method registered or removed, a password
// changed or reset, consent given to an app, a directory role gained or
// lost. Only the activity counts; a failed attempt is still worth seeing,
// and Result says it failed.
func (e DirectoryEvent) SecurityRelevant() bool {
	return securityActivities[strings.ToLower(strings.TrimSpace(e.Activity))]
}

// securityActivities are activityDisplayName values, lower-cased (the log
// itself spells some in lower case, "user started password reset"), from
// Microsoft's "Microsoft Entra audit log categories and activities"
// (learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities):
// its Authentication Methods, Core Directory, Device Registration
// Service and Self-service password management tables.
var securityActivities = setOf(
	// Methods, registered or removed, by the user or an admin: an
	// attacker's own authenticator is the usual way to stay in.
	"User registered security info", "User registered all required security info",
	"User updated security info", "User changed default security info", "User deleted security info",
	"Admin registered security info", "Admin updated security info", "Admin deleted security info",
	"Add users strong authentication phone app detail", "Remove users strong authentication phone app detail",
	"Add FIDO2 security key", "Delete FIDO2 security key(s)",
	"Add Windows Hello for Business credential", "Delete Windows Hello for Business credential",
	"Add passwordless phone sign-in credential", "Delete passwordless phone sign-in credential",
	"Add platform credential", "Delete platform credential",
	"Create application password for user", "Delete application password for user",
	"Disable Strong Authentication",
	// Passwords, changed by the user or reset by an admin or self-service.
	"Change user password", "Reset user password", "Reset password", "Set force change user password",
	"Change password (self-service)", "Reset password (self-service)", "Reset password (by admin)",
	"Admin started password reset", "User started password change", "User started password reset",
	// Consent: a malicious app keeps its grant after every session ends.
	"Consent to application", "Add delegated permission grant", "Add app role assignment grant to user",
	// Directory roles, directly or through PIM.
	"Add member to role", "Remove member from role", "Add eligible member to role", "Remove eligible member from role",
	"Add scoped member to role", "Remove scoped member from role", "Add member to role completed (PIM activation)",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = true
	}
	return m
}
