package fakegraph

import "github.com/revokebot/revokebot/internal/faketoken"

// AppToken returns an unsigned app-only access token for the fake, shaped as
// Entra issues them (a JWT whose roles claim lists the application
// permissions granted to the app). The fake reads the roles claim to decide
// what each route allows; it checks no signature.
func AppToken(roles ...string) string {
	return faketoken.Make(faketoken.Claims{Audience: "https://graph.microsoft.com", Tenant: "fakegraph", Roles: roles, AppIDACR: "1"})
}

// tokenRoles reads the roles claim the fake acts on from a bearer token; ok
// is false when the token is not a JWT, which Graph refuses before anything
// else (401 "IDX14100: JWT is not well formed").
func tokenRoles(token string) (roles []string, ok bool) {
	c, ok := faketoken.Parse(token)
	return c.Roles, ok
}
