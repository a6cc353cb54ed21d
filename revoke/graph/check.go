package graph

import (
	"context"
	"errors"

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

// explained gives a 403 its missing piece, which Graph's answer does not
// say: the permission when the token's roles claim lacks it, else a
// directory role. Other errors, and a token whose roles cannot be read,
// are returned as they are.
func (c *Client) explained(ctx context.Context, err error, permission string) error {
	var e *revoke.Error
	if !errors.As(err, &e) || e.Kind != revoke.KindForbidden {
		return err
	}
	roles, rerr := c.Roles(context.WithoutCancel(ctx))
	if rerr != nil {
		return err
	}
	out := *e
	out.Lacks = revoke.LacksPermission
	if CanDoWith(roles, permission) {
		out.Lacks = revoke.LacksRole
	}
	return &out
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
