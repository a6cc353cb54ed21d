package sharepoint

import (
	"context"

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
	return revoke.RolesOf("SharePoint", tok)
}
