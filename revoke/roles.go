package revoke

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// RolesOf reads the roles claim of a service's JWT without verifying it: the
// service verifies; this only tells a deployer what the token claims, for
// `revokebot check`. Errors name the service, never the token.
func RolesOf(service, jwt string) ([]string, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, errors.New("the " + service + " token is not a JWT, so its permissions cannot be read")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("the " + service + " token's claims are not base64url")
	}
	var claims struct {
		Roles []string `json:"roles"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, errors.New("the " + service + " token's claims are not JSON")
	}
	return claims.Roles, nil
}

// TenantOf reads the tenant ID (the tid claim) of a JWT access token,
// without checking its signature; "" when it has none or is not a JWT.
func TenantOf(jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		Tenant string `json:"tid"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Tenant
}
