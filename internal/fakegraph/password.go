package fakegraph

import (
	"net/http"
	"strings"
	"unicode"
)

// Directory role template ids that decide whether the app may reset a
// password (SetAppDirectoryRoles).
const (
	// RoleUserAdministrator may reset the passwords of users who hold no
	// directory role.
	RoleUserAdministrator = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	// RolePrivilegedAuthenticationAdministrator may reset anyone's password.
	RolePrivilegedAuthenticationAdministrator = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
	// RoleGlobalAdministrator may do anything a directory role allows,
	// resetting any password included.
	RoleGlobalAdministrator = "62e90394-69f5-4237-9190-012177145e10"
)

// Graph's answers to a refused password reset. msgPasswordComplexity is
// Graph's text for a password the tenant's policy refuses, which clients
// match on (code Request_BadRequest). For a federated user Graph's own
// text was not found: the user resource documents only that
// passwordProfile "cannot be used for federated users"
// (https://learn.microsoft.com/graph/api/resources/user, passwordProfile).
// Azure AD's clients answered Request_BadRequest (Set-AzureADUserPassword)
// and "You cannot reset a password for a federated user."
// (Set-MsolUserPassword), as a public post, "Update the Azure AD password
// of a federated user", records; the fake answers that code with that text.
const (
	msgPasswordComplexity = "The specified password does not comply with password complexity requirements. Please provide a different password."
	msgFederatedPassword  = "You cannot reset a password for a federated user."
)

// passwordChange is a PATCH's passwordProfile. The password is kept only
// while the request is handled, never stored.
type passwordChange struct {
	password    *string // nil when only the flags change
	forceChange bool    // forceChangePasswordNextSignIn or ...WithMfa; absent is false, as Graph defaults them
}

// SetAppDirectoryRoles sets the directory roles (template ids, e.g.
// RoleUserAdministrator) the app's own service principal holds, replacing
// any set before. An app-only password reset needs User Administrator (or
// better) besides its permission; the fake starts with none, as a new app
// registration does.
func (s *Server) SetAppDirectoryRoles(roles ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cs.appRoles = make(map[string]bool, len(roles))
	for _, r := range roles {
		s.cs.appRoles[strings.ToLower(r)] = true
	}
}

// OnPasswordSet calls fn with each password the fake accepts, as it is
// accepted: the one place a test can learn a password the bot generated,
// to look for it where it must never be. fn runs under the server's lock
// and must not call the server.
func (s *Server) OnPasswordSet(fn func(userID, password string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cs.onPassword = fn
}

// PasswordResets returns how many PATCHes set a new password for the user
// whose id or userPrincipalName is key. The fake never keeps the password.
func (s *Server) PasswordResets(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.userKey(key)
	if !ok {
		return 0
	}
	return s.cs.resets[id]
}

// ForceChange reports whether the last accepted passwordProfile of the
// user whose id or userPrincipalName is key requires a new password at the
// next sign-in.
func (s *Server) ForceChange(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.userKey(key)
	return ok && s.cs.forceChange[id]
}

// parsePasswordProfile reads a PATCH's passwordProfile value, refusing
// what is not a passwordProfile object.
func parsePasswordProfile(v any) (*passwordChange, response, bool) {
	invalid := graphError(http.StatusBadRequest, "Request_BadRequest",
		"Invalid value specified for property 'passwordProfile' of resource 'User'.")
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid, false
	}
	pc := &passwordChange{}
	for name, fv := range obj {
		switch strings.ToLower(name) {
		case "@odata.type":
			if fv != "#microsoft.graph.passwordProfile" {
				return nil, graphError(http.StatusBadRequest, "Request_BadRequest", "Invalid property '"+name+"'."), false
			}
		case "password":
			p, ok := fv.(string)
			if !ok {
				return nil, invalid, false
			}
			pc.password = &p
		case "forcechangepasswordnextsignin", "forcechangepasswordnextsigninwithmfa":
			b, ok := fv.(bool)
			if !ok && fv != nil {
				return nil, invalid, false
			}
			pc.forceChange = pc.forceChange || b
		default:
			return nil, graphError(http.StatusBadRequest, "Request_BadRequest", "Invalid property '"+name+"'."), false
		}
	}
	return pc, response{}, true
}

// checkPasswordChange applies the reset's rules in this order: the app's
// roles against the target's, a federated user, a synced one, then the
// password policy. s.mu must be held.
func (s *Server) checkPasswordChange(u *User, pc *passwordChange) (response, bool) {
	roles := s.cs.appRoles
	privileged := roles[RolePrivilegedAuthenticationAdministrator] || roles[RoleGlobalAdministrator]
	if !privileged && (!roles[RoleUserAdministrator] || s.holdsDirectoryRole(u)) {
		return graphError(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."), false
	}
	if u.Federated {
		return graphError(http.StatusBadRequest, "Request_BadRequest", msgFederatedPassword), false
	}
	if u.OnPremisesSyncEnabled {
		// Without password writeback the password is mastered on-premises
		// like every other synced property.
		return graphError(http.StatusBadRequest, "Request_BadRequest", msgOnPremisesMastered), false
	}
	if pc.password != nil && !meetsPasswordPolicy(*pc.password) {
		return graphError(http.StatusBadRequest, "Request_BadRequest", msgPasswordComplexity), false
	}
	return response{}, true
}

// recordPasswordChange notes an accepted change, and the remediation it
// is in Identity Protection: an admin-set password remediates the user's
// risk (riskDetail adminGeneratedTemporaryPassword). s.mu must be held.
func (s *Server) recordPasswordChange(u *User, pc *passwordChange) {
	id := strings.ToLower(u.ID)
	if s.cs.resets == nil {
		s.cs.resets = make(map[string]int)
		s.cs.forceChange = make(map[string]bool)
	}
	s.cs.forceChange[id] = pc.forceChange
	if pc.password == nil {
		return
	}
	s.cs.resets[id]++
	u.LastPasswordChange = s.opts.Now().UTC()
	if s.cs.onPassword != nil {
		s.cs.onPassword(u.ID, *pc.password)
	}
	if r := s.cs.risk[id]; r != nil && (r.state == "atRisk" || r.state == "confirmedCompromised") {
		s.setRisk(id, "none", "remediated", "adminGeneratedTemporaryPassword")
	}
}

// meetsPasswordPolicy applies Entra's default policy
// (https://learn.microsoft.com/entra/identity/authentication/concept-password-ban-bad-combined-policy):
// 8 to 256 characters from printable ASCII (space included), at least
// three of lower case, upper case, digits and symbols. The banned-password
// list is not modelled.
func meetsPasswordPolicy(p string) bool {
	if len(p) < 8 || len(p) > 256 {
		return false
	}
	var lower, upper, digit, symbol bool
	for _, r := range p {
		switch {
		case r < ' ' || r > '~':
			return false
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			symbol = true
		}
	}
	n := 0
	for _, b := range []bool{lower, upper, digit, symbol} {
		if b {
			n++
		}
	}
	return n >= 3
}

// holdsDirectoryRole reports whether u holds an active directory role,
// directly or through a group (transitively); eligible PIM roles do not
// count until activated. s.mu must be held.
func (s *Server) holdsDirectoryRole(u *User) bool {
	for _, a := range s.roleAssignments {
		if strings.EqualFold(a.PrincipalID, u.ID) {
			return true
		}
		if g := s.groups[strings.ToLower(a.PrincipalID)]; g != nil {
			for _, m := range s.transitiveUsers(g) {
				if m == u {
					return true
				}
			}
		}
	}
	return false
}
