package graph

import (
	"context"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/revokebot/revokebot/revoke"
)

// DisableUser blocks the user's sign-in (PATCH /users/{id} with only
// accountEnabled=false). A user synchronised from an on-premises directory
// is refused with KindSynced: disable the account there.
func (c *Client) DisableUser(ctx context.Context, userID string) (revoke.Result, error) {
	err := c.do(ctx, "disable sign-in", revoke.ActionDisable.Permission(), func() error {
		// A fresh model per try: the SDK's backing store is not for sharing
		// between concurrent or repeated requests.
		u := models.NewUser()
		disabled := false
		u.SetAccountEnabled(&disabled)
		_, err := c.users().ByUserId(userID).Patch(ctx, u, nil)
		return err
	})
	if err != nil {
		return revoke.Result{}, c.explained(ctx, err, revoke.ActionDisable.Permission())
	}
	return revoke.Result{At: c.now().UTC()}, nil
}

// proofFields are the properties that show containment took hold, and the
// account's sign-in state the evidence snapshot keeps.
var proofFields = []string{"accountEnabled", "signInSessionsValidFromDateTime", "lastPasswordChangeDateTime", "onPremisesSyncEnabled"}

// ReadBack reads what Graph now says about the user's sign-in and sessions.
// An accountEnabled Graph leaves out counts as enabled, so a proof never
// claims more than Graph said.
func (c *Client) ReadBack(ctx context.Context, userID string) (revoke.Proof, error) {
	var got models.Userable
	err := c.do(ctx, "read the user back", "User.Read.All", func() error {
		var err error
		got, err = c.users().ByUserId(userID).Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: proofFields},
		})
		return err
	})
	if err != nil {
		return revoke.Proof{}, err
	}
	enabled := got.GetAccountEnabled()
	p := revoke.Proof{AccountEnabled: enabled == nil || *enabled}
	if t := got.GetSignInSessionsValidFromDateTime(); t != nil {
		p.SessionsValidFrom = t.UTC()
	}
	if t := got.GetLastPasswordChangeDateTime(); t != nil {
		p.PasswordChanged = t.UTC()
	}
	p.Synced = got.GetOnPremisesSyncEnabled() != nil && *got.GetOnPremisesSyncEnabled()
	return p, nil
}
