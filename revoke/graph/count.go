package graph

import (
	"context"
	"errors"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/revokebot/revokebot/revoke"
)

// FilterEnabledMembers selects the accounts a tenant-wide revocation acts
// on: enabled members (guests are unaffected by revokeSignInSessions).
// Neither clause needs an advanced query, so listing with it is cheap too.
const FilterEnabledMembers = "accountEnabled eq true and userType eq 'Member'"

// CountUsers returns how many of the tenant's users match filter ("" counts
// them all) with GET /users/$count, one resource unit however large the
// tenant, where listing 100,000 users takes about a hundred pages.
//
// filter reaches Graph verbatim, not escaped: build it from constants such
// as FilterEnabledMembers, and quote any value in it with
// revoke.ODataString. Graph counts only from its eventually consistent
// index (the call always sends ConsistencyLevel: eventual), so the number
// can trail recent changes: good for sizing a job and showing progress, not
// for proving an account's state.
func (c *Client) CountUsers(ctx context.Context, filter string) (int, error) {
	const op, permission = "count users", "User.Read.All"
	var n *int32
	err := c.do(ctx, op, permission, func() error {
		// Built per try, as DisableUser builds its model, so that no
		// state is shared between tries.
		headers := abs.NewRequestHeaders()
		headers.Add("ConsistencyLevel", "eventual")
		query := &users.CountRequestBuilderGetQueryParameters{}
		if filter != "" {
			query.Filter = &filter
		}
		var err error
		n, err = c.users().Count().Get(ctx, &users.CountRequestBuilderGetRequestConfiguration{
			Headers: headers, QueryParameters: query,
		})
		return err
	})
	if err != nil {
		return 0, err
	}
	if n == nil {
		// An empty 200: the SDK has nothing to parse.
		return 0, &revoke.Error{Kind: revoke.KindOther, Op: op, Permission: permission,
			Err: errors.New("Graph answered the count with an empty body")}
	}
	return int(*n), nil
}
