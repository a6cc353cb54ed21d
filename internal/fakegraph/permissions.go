package fakegraph

import (
	"net/http"
	"slices"
	"strings"
)

// routePermissions are the application permissions Graph accepts for each
// route the fake serves, least privileged first, as Microsoft's permissions
// reference lists them: microsoft-graph-devx-content,
// permissions/new/permissions.json (pathSets with schemeKeys
// "Application"), which the v1.0 API reference pages render as their
// "Permissions" tables. A request whose token holds none of them gets 403
// Authorization_RequestDenied, as from Graph; a route missing from this
// table is refused to every token, so a new route cannot go unchecked
// (TestEveryRouteHasPermissions).
//
// Keys are a route's method and pattern. PATCH users/{id} is checked by the
// properties it changes (patchPermissions).
var routePermissions = map[string][]string{
	// Listing and reading users: User.Read.All is the least for app-only
	// (the v1.0 "List users" page); User.ReadBasic.All, which
	// permissions.json also names, serves only basic properties and the
	// bot selects others.
	"GET users":        userRead,
	"GET users/$count": userRead,
	"GET users/{id}":   userRead,
	"PATCH users/{id}": nil, // by property: patchPermissions
	"POST users/{id}/revokeSignInSessions": {
		"User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All"},

	// Identity Protection: the actions need the write permission; reading
	// a user's risk is listed for IdentityRiskyUser.Read.All alone ("higher
	// privileged: not available"), so the write permission does not read.
	"POST identityProtection/riskyUsers/confirmCompromised": {"IdentityRiskyUser.ReadWrite.All"},
	"POST identityProtection/riskyUsers/dismiss":            {"IdentityRiskyUser.ReadWrite.All"},
	"GET identityProtection/riskyUsers/{id}":                {"IdentityRiskyUser.Read.All"},
	"GET identityProtection/riskyUsers":                     {"IdentityRiskyUser.Read.All"},

	// Defender XDR incidents: reading takes SecurityIncident.Read.All
	// (least) or SecurityIncident.ReadWrite.All; a comment only the
	// latter (permissions.json, "/security/incidents" and
	// "/security/incidents/{id}/comments").
	"GET security/incidents":                {"SecurityIncident.Read.All", "SecurityIncident.ReadWrite.All"},
	"POST security/incidents/{id}/comments": {"SecurityIncident.ReadWrite.All"},

	// The audit logs: AuditLog.Read.All is the least, and the only one,
	// for application use. permissions.json also lists Directory.Read.All
	// for directoryAudits, and the rendered pages "AuditLog.Read.All and
	// Directory.Read.All": it was added as a workaround for Graph's licence
	// checks (microsoft-graph-docs PR #13633), and Graph refuses it alone
	// with 403 "Calling principal does not have required MSGraph
	// permissions AuditLog.Read.All" (microsoft-graph-docs issue #13632,
	// microsoft-graph-docs-contrib issue #8997).
	"GET auditLogs/signIns":         {"AuditLog.Read.All"},
	"GET auditLogs/directoryAudits": {"AuditLog.Read.All"},

	"GET roleManagement/directory/roleAssignments": {
		"RoleManagement.Read.Directory", "RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory",
		"Directory.Read.All", "Directory.ReadWrite.All"},
	"GET roleManagement/directory/roleEligibilitySchedules": {
		"RoleEligibilitySchedule.Read.Directory", "RoleManagement.Read.Directory", "RoleManagement.Read.All",
		"RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.ReadWrite.Directory"},
	"GET groups/{id}/transitiveMembers/microsoft.graph.user": groupMembersRead,
	"GET groups/{id}/transitiveMembers/graph.user":           groupMembersRead,

	"GET users/{id}/authentication/methods": methodsRead,
	"GET users/{id}/authentication/passwordMethods/{methodId}": {
		"UserAuthMethod-Password.Read.All", "UserAuthMethod-Password.ReadWrite.All",
		"UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"},
	// Each method type's delete also takes that type's own permission.
	"DELETE users/{id}/authentication/emailMethods/{methodId}":                   methodWrite("Email"),
	"DELETE users/{id}/authentication/externalAuthenticationMethods/{methodId}":  methodWrite("External"),
	"DELETE users/{id}/authentication/fido2Methods/{methodId}":                   methodWrite("Passkey"),
	"DELETE users/{id}/authentication/microsoftAuthenticatorMethods/{methodId}":  methodWrite("MicrosoftAuthApp"),
	"DELETE users/{id}/authentication/phoneMethods/{methodId}":                   methodWrite("Phone"),
	"DELETE users/{id}/authentication/platformCredentialMethods/{methodId}":      methodWrite("PlatformCred"),
	"DELETE users/{id}/authentication/softwareOathMethods/{methodId}":            methodWrite("SoftwareOATH"),
	"DELETE users/{id}/authentication/temporaryAccessPassMethods/{methodId}":     methodWrite("TAP"),
	"DELETE users/{id}/authentication/windowsHelloForBusinessMethods/{methodId}": methodWrite("WindowsHello"),

	"GET users/{id}/mailFolders/inbox/messageRules":            {"MailboxSettings.Read", "MailboxSettings.ReadWrite"},
	"PATCH users/{id}/mailFolders/inbox/messageRules/{ruleId}": {"MailboxSettings.ReadWrite"},

	// A user's own grants: Directory.Read.All is the least, but
	// DelegatedPermissionGrant.ReadWrite.All, which deleting them needs
	// anyway, lists them too.
	"GET oauth2PermissionGrants": {
		"Directory.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"},
	"DELETE oauth2PermissionGrants/{id}": {"DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"},
	"GET servicePrincipals/{id}": {
		"Application.Read.All", "Application.ReadWrite.OwnedBy", "Application.ReadWrite.All",
		"Directory.Read.All", "Directory.ReadWrite.All"},

	// $batch needs nothing of its own: each item is checked as if sent alone.
	"POST $batch": {},
}

var (
	userRead = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	// groupMembersRead: permissions.json names GroupMember.ReadBasic.All
	// the least (its app role is Azure AD Graph's), the v1.0 page
	// GroupMember.Read.All; both are accepted.
	groupMembersRead = []string{"GroupMember.ReadBasic.All", "GroupMember.Read.All", "Group.ReadBasic.All", "Group.Read.All",
		"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	methodsRead = []string{"UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"}
)

// methodWrite is what deleting a method of one type takes: the type's own
// permission (UserAuthMethod-Phone.ReadWrite.All…) or the general one.
func methodWrite(kind string) []string {
	return []string{"UserAuthMethod-" + kind + ".ReadWrite.All", "UserAuthenticationMethod.ReadWrite.All"}
}

// patchPermissions are what a PATCH /users/{id} needs for one property:
// enabling or disabling has a permission of its own, and so has the
// password profile; anything else takes User.ReadWrite.All.
func patchPermissions(property string) []string {
	switch property {
	case "accountEnabled":
		return []string{"User.EnableDisableAccount.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
	case "passwordProfile":
		return []string{"User-PasswordProfile.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
	}
	return []string{"User.ReadWrite.All", "Directory.ReadWrite.All"}
}

// permissionsFor returns the table's row for a route.
func permissionsFor(rt route) ([]string, bool) {
	p, ok := routePermissions[rt.method+" "+rt.pattern]
	return p, ok
}

// authorize refuses a call whose token holds none of the permissions the
// route accepts, before the handler reads anything.
func (c *call) authorize(rt route) (response, bool) {
	accepted, known := permissionsFor(rt)
	if !known {
		return c.forbidden(), false
	}
	if len(accepted) == 0 { // $batch, and PATCH users/{id} checked by property
		return response{}, true
	}
	return c.authorizeAny(accepted)
}

// authorizeAny is authorize for a handler that knows the permissions only
// once it has read the body (PATCH users/{id}).
func (c *call) authorizeAny(accepted []string) (response, bool) {
	for _, r := range c.roles {
		if slices.ContainsFunc(accepted, func(a string) bool { return strings.EqualFold(a, r) }) {
			return response{}, true
		}
	}
	return c.forbidden(), false
}

// forbidden is the answer to a token without the permission, in the shape
// of the service behind the route: Outlook's (mail folders and their
// rules) is Exchange's ErrorAccessDenied, the audit logs' names the
// permission they miss (the issues cited at routePermissions), the
// directory's is Authorization_RequestDenied.
func (c *call) forbidden() response {
	if len(c.segs) > 2 && strings.EqualFold(c.segs[0], "users") && strings.EqualFold(c.segs[2], "mailFolders") {
		return accessDenied()
	}
	if len(c.segs) > 0 && strings.EqualFold(c.segs[0], "auditLogs") {
		return graphError(http.StatusForbidden, "Authentication_MSGraphPermissionMissing",
			"Calling principal does not have required MSGraph permissions AuditLog.Read.All")
	}
	return graphError(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}

// accessDenied is Exchange's refusal, as Outlook's Graph endpoints pass it on.
func accessDenied() response {
	return graphError(http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
}
