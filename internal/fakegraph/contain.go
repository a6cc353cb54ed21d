package fakegraph

import (
	"net/http"
	"strings"
)

// containState is what the containment steps beyond disabling and revoking
// act on: a user's authentication methods, inbox rules and delegated
// grants, the app's directory roles that a password reset needs, and
// Identity Protection's view of each user. The maps are made on first use,
// are keyed by lower-cased user object id and are guarded by Server.mu.
//
// Permissions: each endpoint checks the token's roles claim against the
// permissions Microsoft lists for it (permissions.go); the password reset
// also checks the app's directory roles (password.go).
type containState struct {
	authMethods map[string][]*AuthMethod // users seeded or changed; others hold only the password
	rules       map[string][]*InboxRule
	nextRule    int64
	noMailbox   map[string]bool
	inFlight    map[string]int // mailbox key (mailbox.go) -> requests in flight
	grants      []*grantRecord // insertion order, which is the paging order
	nextGrant   int64
	appRoles    map[string]bool // lower-cased role template ids the app holds
	onPassword  func(userID, password string)
	resets      map[string]int
	forceChange map[string]bool
	risk        map[string]*riskRecord
}

// containRoutes are the endpoints of the files named in containState,
// joined to routes by routes.go.
func containRoutes() []route {
	rs := []route{
		// Graph documents no query options for the listing and refuses
		// them; nil options make checkOptions refuse every $ option.
		{http.MethodGet, "users/{id}/authentication/methods", nil, (*Server).listAuthMethods},
		// The password method can be read but not deleted: declaring its
		// GET makes a DELETE there the router's 405, which is what OData
		// routing answers for a method the entity set does not support.
		{http.MethodGet, "users/{id}/authentication/passwordMethods/{methodId}", nil, (*Server).getPasswordMethod},
		{http.MethodGet, "users/{id}/mailFolders/inbox/messageRules", []string{"$top", "$skiptoken"}, (*Server).listInboxRules},
		{http.MethodPatch, "users/{id}/mailFolders/inbox/messageRules/{ruleId}", nil, (*Server).patchInboxRule},
		{http.MethodGet, "oauth2PermissionGrants", []string{"$filter", "$top", "$skiptoken"}, (*Server).listGrants},
		{http.MethodDelete, "oauth2PermissionGrants/{id}", nil, (*Server).deleteGrant},
		{http.MethodGet, "servicePrincipals/{id}", []string{"$select"}, (*Server).getServicePrincipal},
		{http.MethodPost, "identityProtection/riskyUsers/dismiss", nil, (*Server).dismissRisk},
		{http.MethodGet, "identityProtection/riskyUsers/{id}", nil, (*Server).getRiskyUser},
	}
	for _, t := range authMethodTypes {
		if t.name == "password" {
			continue
		}
		typ := t.name
		rs = append(rs, route{http.MethodDelete, "users/{id}/authentication/" + t.segment + "/{methodId}", nil,
			func(s *Server, c *call) response { return s.deleteAuthMethod(c, typ) }})
	}
	return rs
}

// mustUserKey returns the lower-cased object id of the user whose id or
// userPrincipalName is key, panicking when there is none: a test that
// seeds state for nobody proves nothing. s.mu must be held.
func (s *Server) mustUserKey(key, what string) string {
	u := s.lookup(key)
	if u == nil {
		panic("fakegraph: no user " + key + " to " + what)
	}
	return strings.ToLower(u.ID)
}

// userKey is mustUserKey for inspection methods, which answer the zero
// value for an unknown user; ok is false then. s.mu must be held.
func (s *Server) userKey(key string) (string, bool) {
	u := s.lookup(key)
	if u == nil {
		return "", false
	}
	return strings.ToLower(u.ID), true
}
