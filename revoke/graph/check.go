package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// RequiredRoles are the application permissions single-user revocation needs.
var RequiredRoles = []string{"User.RevokeSessions.All", "User.Read.All"}

// Roles obtains a token as the bot would and returns the application
// permissions in its roles claim. The token itself is never returned.
func (c *Client) Roles(ctx context.Context) ([]string, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return nil, err
	}
	return rolesOf(tok)
}

// rolesOf reads the roles claim of a JWT without verifying it: Graph
// verifies; this only tells a deployer what the token claims.
func rolesOf(jwt string) ([]string, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, errors.New("the Graph token is not a JWT, so its permissions cannot be read")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("the Graph token's claims are not base64url")
	}
	var claims struct {
		Roles []string `json:"roles"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, errors.New("the Graph token's claims are not JSON")
	}
	return claims.Roles, nil
}

// CheckRead makes one small read (GET /users?$top=1&$select=id) to prove the
// token is accepted. It changes nothing.
func (c *Client) CheckRead(ctx context.Context) error {
	top := int32(1)
	return c.do(ctx, "read users", "User.Read.All", func() error {
		_, err := c.users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: []string{"id"}, Top: &top},
		})
		return err
	})
}
