package sharepoint

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

// RequiredRoles are the SharePoint application permissions session
// revocation needs.
var RequiredRoles = []string{revoke.ActionSharePoint.Permission()}

// Roles obtains a token as the client would and returns the application
// permissions in its roles claim, for `revokebot check`. The token itself is
// never returned or put in an error.
func (c *Client) Roles(ctx context.Context) ([]string, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return nil, err
	}
	return rolesOf(tok)
}

// rolesOf reads the roles claim of a JWT without verifying it: SharePoint
// verifies; this only tells a deployer what the token claims.
func rolesOf(jwt string) ([]string, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, errors.New("the SharePoint token is not a JWT, so its permissions cannot be read")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("the SharePoint token's claims are not base64url")
	}
	var claims struct {
		Roles []string `json:"roles"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, errors.New("the SharePoint token's claims are not JSON")
	}
	return claims.Roles, nil
}
