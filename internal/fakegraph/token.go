package fakegraph

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// AppToken returns an unsigned app-only access token for the fake, shaped as
// Entra issues them (a JWT whose roles claim lists the application
// permissions granted to the app). The fake reads the roles claim to decide
// what each route allows; it checks no signature.
func AppToken(roles ...string) string {
	claims, _ := json.Marshal(map[string]any{
		"aud":   "https://graph.microsoft.com",
		"tid":   "fakegraph",
		"roles": roles,
	})
	return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + base64.RawURLEncoding.EncodeToString(claims) + ".fakegraph"
}

// tokenClaims reads the claims the fake acts on from a bearer token; ok is
// false when the token is not a JWT, which Graph refuses before anything
// else (401 "IDX14100: JWT is not well formed").
func tokenClaims(token string) (tenant string, roles []string, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", nil, false
	}
	var c struct {
		Tid   string   `json:"tid"`
		Roles []string `json:"roles"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return "", nil, false
	}
	return c.Tid, c.Roles, true
}
