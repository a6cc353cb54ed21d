package graph

import (
	"context"

	"github.com/revokebot/revokebot/revoke"
)

// RevokeSessions invalidates every refresh token and session cookie of the
// user (POST /users/{id}/revokeSignInSessions). Any 2xx is success.
func (c *Client) RevokeSessions(ctx context.Context, userID string) (revoke.Result, error) {
	err := c.do(ctx, "revoke sessions", "User.RevokeSessions.All", func() error {
		_, err := c.users().ByUserId(userID).RevokeSignInSessions().PostAsRevokeSignInSessionsPostResponse(ctx, nil)
		return err
	})
	if err != nil {
		return revoke.Result{}, err
	}
	return revoke.Result{At: c.now().UTC()}, nil
}
