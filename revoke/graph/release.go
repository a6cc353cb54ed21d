package graph

import (
	"context"

	"github.com/microsoftgraph/msgraph-sdk-go/identityprotection"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/revokebot/revokebot/revoke"
)

// The steps that undo a containment, once the user is safe again.
const (
	opEnableUser  = "enable sign-in"
	opDismissRisk = "dismiss risk"
	opReadRisk    = "read user risk"
)

// EnableUser lets the user sign in again (PATCH /users/{id} with only
// accountEnabled=true), the same permission as DisableUser. Entra lets them
// in at once, but Exchange Online can take 35 to 40 minutes and SharePoint
// and Teams about 15 to follow. A user synchronised from an on-premises
// directory is refused with KindSynced: enable the account there.
func (c *Client) EnableUser(ctx context.Context, userID string) (revoke.Result, error) {
	perm := revoke.ActionDisable.Permission()
	if err := needID(opEnableUser, perm, "user", userID); err != nil {
		return revoke.Result{}, err
	}
	err := c.do(ctx, opEnableUser, perm, func() error {
		u := models.NewUser() // a fresh model per try, as in DisableUser
		enabled := true
		u.SetAccountEnabled(&enabled)
		_, err := c.users().ByUserId(userID).Patch(ctx, u, nil)
		return err
	})
	if err != nil {
		return revoke.Result{}, c.explained(ctx, err, perm)
	}
	return revoke.Result{At: c.now().UTC()}, nil
}

// DismissRisk tells Identity Protection the user's risk is dealt with
// (POST /identityProtection/riskyUsers/dismiss), undoing
// ConfirmCompromised so that risk-based Conditional Access lets them in.
// It shares confirmCompromised's limit of 1 request/s per tenant, so it is
// paced with it, retries included; without Entra ID P2 it is KindUnlicensed.
func (c *Client) DismissRisk(ctx context.Context, userID string) (revoke.Result, error) {
	perm := revoke.ActionCompromised.Permission()
	if err := needID(opDismissRisk, perm, "user", userID); err != nil {
		return revoke.Result{}, err
	}
	err := c.do(ctx, opDismissRisk, perm, func() error {
		return c.dismissals.do(ctx, userID, func(ctx context.Context, ids []string) error {
			body := identityprotection.NewRiskyUsersDismissPostRequestBody()
			body.SetUserIds(ids)
			return c.riskyUsers().Dismiss().Post(ctx, body, nil)
		})
	})
	if err != nil {
		return revoke.Result{}, err
	}
	return revoke.Result{At: c.now().UTC()}, nil
}

// UserRisk reads the user's risk level and state as Identity Protection
// has them (GET /identityProtection/riskyUsers/{id}): Graph's words, e.g.
// "high", "confirmedCompromised". A user Identity Protection has never
// seen at risk is not found there, which is level "none" with no state.
// It needs IdentityRiskyUser.Read.All: Microsoft's permissions reference
// lists no other permission for the read, the write one included.
func (c *Client) UserRisk(ctx context.Context, userID string) (level, state string, err error) {
	perm := revoke.PermRiskyUserRead.Name
	if err := needID(opReadRisk, perm, "user", userID); err != nil {
		return "", "", err
	}
	var got models.RiskyUserable
	err = c.do(ctx, opReadRisk, perm, func() error {
		var err error
		got, err = c.riskyUsers().ByRiskyUserId(userID).Get(ctx, nil)
		return err
	})
	if revoke.KindOf(err) == revoke.KindNotFound {
		return "none", "", nil
	}
	if err != nil {
		return "", "", err
	}
	if l := got.GetRiskLevel(); l != nil {
		level = l.String()
	}
	if s := got.GetRiskState(); s != nil {
		state = s.String()
	}
	return level, state, nil
}
