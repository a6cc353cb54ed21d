package revoke

import "strings"

// The resource applications whose application permissions revokebot asks for.
const (
	GraphAppID      = "00000003-0000-0000-c000-000000000000" // Microsoft Graph
	SharePointAppID = "00000003-0000-0ff1-ce00-000000000000" // Office 365 SharePoint Online
)

// Permission is an application permission (an app role of a resource
// application), named as tokens carry it in their roles claim and numbered
// as an app registration's manifest asks for it.
type Permission struct {
	Name     string
	ID       string // the app role's ID, from Microsoft's permissions reference
	Resource string // the resource application's appId
}

// String names the permission with its ID, as `revokebot check` reports a
// missing one: the ID is what a manifest or `az` command takes.
func (p Permission) String() string { return p.Name + " (" + p.ID + ")" }

// The application permissions revokebot uses, least privileged for each call.
var (
	PermUserRead             = Permission{"User.Read.All", "df021288-bdef-4463-88db-98f22de89214", GraphAppID}
	PermRevokeSessions       = Permission{"User.RevokeSessions.All", "77f3a031-c388-4f99-b373-dc68676a979e", GraphAppID}
	PermAuthMethodsWrite     = Permission{"UserAuthenticationMethod.ReadWrite.All", "50483e42-d915-4231-9639-7fdb7fd190e5", GraphAppID}
	PermGrantsWrite          = Permission{"DelegatedPermissionGrant.ReadWrite.All", "8e8e4742-1d95-4f68-9d56-6ee75648c72a", GraphAppID}
	PermAppsRead             = Permission{"Application.Read.All", "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", GraphAppID}
	PermMailboxSettingsWrite = Permission{"MailboxSettings.ReadWrite", "6931bccd-447a-43d1-b442-00a195474933", GraphAppID}
	PermPasswordProfile      = Permission{"User-PasswordProfile.ReadWrite.All", "cc117bb9-00cf-4eb8-b580-ea2a878fe8f7", GraphAppID}
	PermEnableDisable        = Permission{"User.EnableDisableAccount.All", "3011c876-62b7-4ada-afa2-506cbbecc68c", GraphAppID}
	PermRiskyUserWrite       = Permission{"IdentityRiskyUser.ReadWrite.All", "656f6061-f9fe-4807-9708-6a2e0934df76", GraphAppID}
	// Reading a user's risk is listed for the read permission alone: the
	// write permission does not read.
	PermRiskyUserRead         = Permission{"IdentityRiskyUser.Read.All", "dc5007c0-2d7d-4c42-879c-2dab87571379", GraphAppID}
	PermAuditLogRead          = Permission{"AuditLog.Read.All", "b0afded3-3588-46d8-8b3d-9842eff778da", GraphAppID}
	PermRoleAssignmentsRead   = Permission{"RoleManagement.Read.Directory", "483bed4a-2ad3-4361-a73b-c83ccdbdc53c", GraphAppID}
	PermRoleEligibilitiesRead = Permission{"RoleEligibilitySchedule.Read.Directory", "ff278e11-4a33-4d0c-83d2-d01dc58929a5", GraphAppID}
	PermGroupMembersRead      = Permission{"GroupMember.Read.All", "98830695-27a2-44f7-8c18-0c3ebc9698f6", GraphAppID}
	PermSharePointFullControl = Permission{"Sites.FullControl.All", "678536fe-1083-478a-9c59-b99265e6b0d3", SharePointAppID}
	// Alert cards read Defender XDR incidents; writing their outcome back
	// as a comment takes the write permission, which also reads.
	PermIncidentsRead  = Permission{"SecurityIncident.Read.All", "45cc0394-e837-488b-a098-1918f48d186c", GraphAppID}
	PermIncidentsWrite = Permission{"SecurityIncident.ReadWrite.All", "34bf0e97-1971-4929-b999-9e2442d941d7", GraphAppID}
)

// The directory roles some actions need on the app's service principal.
var (
	// RoleUserAdmin lets an app reset the password of a user without an
	// admin role: the permission alone is refused.
	RoleUserAdmin = DirectoryRole{"User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"}
	// RolePrivilegedAuthAdmin lets an app disable, or reset the password
	// of, a user who holds an admin role.
	RolePrivilegedAuthAdmin = DirectoryRole{"Privileged Authentication Administrator", "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"}
)

// RoleNeed is a directory role and the targets that call for it.
type RoleNeed struct {
	Role DirectoryRole
	For  string // e.g. "users who hold an admin role"
}

// DirectoryRole is an Entra built-in role the app's service principal must
// hold for some targets, beyond its application permissions.
type DirectoryRole struct {
	Name       string
	TemplateID string // the role definition's ID, the same in every tenant
}

// Need is one thing revokebot does and what it needs from Entra: the
// application permissions, and the directory role some targets call for.
// Needs is the one table the Entra app manifest, the README and `check`
// are held against.
type Need struct {
	Feature     string // an Action's name, or a feature outside the actions
	Permissions []Permission
	Roles       []RoleNeed // directory roles, and for which targets
}

// The features outside the containment actions.
const (
	FeatureResolve    = "resolve"          // find the user a target names
	FeatureWatch      = "sign-in watch"    // policy verify
	FeaturePrivileged = "privileged first" // /revoke all takes role holders first
	FeatureRelease    = "release"          // /revoke release: re-enable, dismiss risk
	// Alert cards (policy alerts): each source read, and the outcome
	// written back to a Defender incident.
	FeatureAlertsDefender  = "alerts from Defender incidents"
	FeatureAlertsRisky     = "alerts from risky users"
	FeatureAlertsWriteBack = "outcomes written back to incidents"
)

// Needs lists every feature with its permissions, in the order the
// README's table shows them.
var Needs = []Need{
	{Feature: FeatureResolve, Permissions: []Permission{PermUserRead}},
	{Feature: string(ActionDisable), Permissions: []Permission{PermEnableDisable},
		Roles: []RoleNeed{{RolePrivilegedAuthAdmin, "users who hold an admin role"}}},
	{Feature: string(ActionResetPassword), Permissions: []Permission{PermPasswordProfile},
		Roles: []RoleNeed{{RoleUserAdmin, "every user"}, {RolePrivilegedAuthAdmin, "users who hold an admin role"}}},
	{Feature: string(ActionSessions), Permissions: []Permission{PermRevokeSessions}},
	// Listing the methods for the card needs only the read permission,
	// which this one includes.
	{Feature: string(ActionMFA), Permissions: []Permission{PermAuthMethodsWrite}},
	// Listing the user's grants and deleting them (the write permission
	// lists them too), and naming their apps.
	{Feature: string(ActionConsents), Permissions: []Permission{PermGrantsWrite, PermAppsRead}},
	// Listing and disabling inbox rules; the write permission includes the read.
	{Feature: string(ActionMailbox), Permissions: []Permission{PermMailboxSettingsWrite}},
	// Exchange's admin endpoint: the app role on Exchange Online, and a
	// directory role on the app to change mailboxes.
	{Feature: string(ActionForwarding), Permissions: []Permission{PermExchangeManageAsApp},
		Roles: []RoleNeed{{RoleExchangeAdmin, "every mailbox"}}},
	{Feature: string(ActionProtocols), Permissions: []Permission{PermExchangeManageAsApp},
		Roles: []RoleNeed{{RoleExchangeAdmin, "every mailbox"}}},
	{Feature: string(ActionSharePoint), Permissions: []Permission{PermSharePointFullControl}},
	{Feature: string(ActionCompromised), Permissions: []Permission{PermRiskyUserWrite}},
	{Feature: FeatureWatch, Permissions: []Permission{PermAuditLogRead}},
	// Re-enabling takes disable's permission and role; dismissing the
	// user's risk takes compromised's, and reading it a permission of its own.
	{Feature: FeatureRelease, Permissions: []Permission{PermEnableDisable, PermRiskyUserWrite, PermRiskyUserRead},
		Roles: []RoleNeed{{RolePrivilegedAuthAdmin, "users who hold an admin role"}}},
	{Feature: FeaturePrivileged, Permissions: []Permission{PermRoleAssignmentsRead, PermRoleEligibilitiesRead, PermGroupMembersRead}},
	{Feature: FeatureAlertsDefender, Permissions: []Permission{PermIncidentsRead}},
	{Feature: FeatureAlertsRisky, Permissions: []Permission{PermRiskyUserRead}},
	{Feature: FeatureAlertsWriteBack, Permissions: []Permission{PermIncidentsWrite}},
}

// NeedOf returns the table's row for a feature.
func NeedOf(feature string) (Need, bool) {
	for _, n := range Needs {
		if n.Feature == feature {
			return n, true
		}
	}
	return Need{}, false
}

// GraphPermission looks a Graph permission up by name, for naming it with
// its ID; ok is false for a name the table does not hold.
func GraphPermission(name string) (Permission, bool) {
	for _, n := range Needs {
		for _, p := range n.Permissions {
			if p.Resource == GraphAppID && strings.EqualFold(p.Name, name) {
				return p, true
			}
		}
	}
	return Permission{}, false
}
