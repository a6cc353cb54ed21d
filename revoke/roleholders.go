package revoke

// RoleHolders are the users holding Microsoft Entra directory roles, whom a
// tenant-wide revocation takes before everyone else: an attacker holding a
// role can undo the containment of the rest.
type RoleHolders struct {
	// Users holds each user once, in the order first found: active
	// holders, then eligible ones, then members of groups holding roles.
	Users []RoleHolder
	// ServicePrincipals counts the roles held by applications: they have
	// no sign-in sessions to revoke, so they are not in Users.
	ServicePrincipals int
	// Notes say which holders Users leaves out and why; none when the
	// listing is complete.
	Notes []RoleNote
}

// RoleHolder is a user holding at least one directory role.
type RoleHolder struct {
	ID          string // object id
	UPN         string // userPrincipalName
	DisplayName string
	Roles       []RoleHold // at least one
}

// RoleHold is one way a user holds a role.
type RoleHold struct {
	// RoleID is the role definition's id; for a built-in role its
	// template id, the same in every tenant.
	RoleID string
	// Scope is the directoryScopeId: "/" for the whole tenant, else e.g.
	// "/administrativeUnits/{id}".
	Scope string
	// Eligible means the user may activate the role through Privileged
	// Identity Management whenever they like, and need not hold it now.
	Eligible bool
	// GroupID and Group name the group the role is held through; both are
	// empty for a role held directly.
	GroupID, Group string
}

// Eligible reports whether every role the user holds is only eligible.
func (h RoleHolder) Eligible() bool {
	for _, r := range h.Roles {
		if !r.Eligible {
			return false
		}
	}
	return true
}

// RoleGap names holders a listing of role holders could not read.
type RoleGap int

// The holders a RoleNote can say are missing.
const (
	GapEligible     RoleGap = iota + 1 // PIM-eligible holders
	GapGroupMembers                    // members of groups holding roles
)

// RoleNote says which holders are missing and the refusal that left them
// out. Err's Kind says why: KindUnlicensed, the tenant lacks Microsoft
// Entra ID P2; KindForbidden, the app lacks Err.Permission.
type RoleNote struct {
	Gap RoleGap
	Err *Error
}

// String words the note for a person.
func (n RoleNote) String() string {
	what := "some role holders are not listed"
	switch n.Gap {
	case GapEligible:
		what = "PIM-eligible role holders are not listed"
	case GapGroupMembers:
		what = "members of groups holding roles are not listed"
	}
	switch {
	case n.Err == nil:
		return what
	case n.Err.Kind == KindUnlicensed:
		return what + ": the tenant has no Microsoft Entra ID P2 licence"
	case n.Err.Kind == KindForbidden && n.Err.Permission != "":
		return what + ": the app lacks " + n.Err.Permission
	}
	return what + ": " + n.Err.Error()
}
