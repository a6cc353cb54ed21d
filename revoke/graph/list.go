package graph

import (
	"context"
	"errors"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/revokebot/revokebot/revoke"
)

// listFields are all a bulk job needs to decide and report: with $select a
// page of users costs one resource unit instead of two.
var listFields = []string{"id", "userPrincipalName", "mail", "userType", "accountEnabled"}

// listPageSize is Graph's largest page for /users.
const listPageSize = int32(999)

// ListUsers reads one page of the tenant's users: the first page when cursor
// is empty, else the page a previous Page.Next named. A cursor must point at
// this client's Graph: the store holds it, and the bot follows no link
// elsewhere.
func (c *Client) ListUsers(ctx context.Context, cursor string) (revoke.Page, error) {
	if cursor != "" && !strings.HasPrefix(cursor, c.base+"/users?") {
		return revoke.Page{}, &revoke.Error{Kind: revoke.KindBadRequest, Op: "list users", Permission: "User.Read.All",
			Err: errors.New("the saved listing position does not point at this Graph")}
	}
	var page models.UserCollectionResponseable
	err := c.do(ctx, "list users", "User.Read.All", func() error {
		var err error
		if cursor != "" {
			page, err = c.users().WithUrl(cursor).Get(ctx, nil)
			return err
		}
		top := listPageSize
		page, err = c.users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: listFields, Top: &top},
		})
		return err
	})
	if err != nil {
		return revoke.Page{}, err
	}
	out := revoke.Page{Users: make([]revoke.User, 0, len(page.GetValue()))}
	for _, u := range page.GetValue() {
		out.Users = append(out.Users, toUser(u))
	}
	if next := page.GetOdataNextLink(); next != nil {
		out.Next = *next
	}
	return out, nil
}
