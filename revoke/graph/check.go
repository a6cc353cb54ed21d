package graph

import (
	"context"

	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/revokebot/revokebot/revoke"
)

// RequiredRoles are the application permissions single-user revocation needs.
var RequiredRoles = []string{revoke.PermRevokeSessions.Name, revoke.PermUserRead.Name}

// Roles obtains a token as the bot would and returns the application
// permissions in its roles claim. The token itself is never returned.
func (c *Client) Roles(ctx context.Context) ([]string, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return nil, err
	}
	return revoke.RolesOf("Graph", tok)
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
