package graph

import (
	"context"
	"fmt"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/revokebot/revokebot/revoke"
)

// userFields are the properties a confirmation card shows, and the proxy
// addresses a release matches its requester and approvers against; nothing
// more is read.
var userFields = []string{"id", "displayName", "userPrincipalName", "mail", "userType",
	"accountEnabled", "jobTitle", "department", "proxyAddresses"}

// maxMatches bounds how many candidates an ambiguous lookup lists.
const maxMatches = 10

// Resolve finds the users a lookup matches: none, one, or several (at most
// ten). Every value reaches Graph as a quoted OData literal or a path segment
// the SDK encodes, never as filter syntax.
func (c *Client) Resolve(ctx context.Context, l revoke.Lookup) ([]revoke.User, error) {
	switch l.Kind {
	case revoke.ByObjectID:
		u, err := c.getUser(ctx, l.Value)
		if revoke.KindOf(err) == revoke.KindNotFound {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []revoke.User{u}, nil
	case revoke.ByAlias:
		return c.filter(ctx, "mailNickname eq "+revoke.ODataString(l.Value))
	default:
		v := revoke.ODataString(l.Value)
		smtp := revoke.ODataString("smtp:" + l.Value)
		return c.filter(ctx, fmt.Sprintf("userPrincipalName eq %s or mail eq %s or proxyAddresses/any(p:p eq %s)", v, v, smtp))
	}
}

func (c *Client) getUser(ctx context.Context, id string) (revoke.User, error) {
	var got models.Userable
	err := c.do(ctx, "look up user", "User.Read.All", func() error {
		var err error
		got, err = c.users().ByUserId(id).Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: userFields},
		})
		return err
	})
	if err != nil {
		return revoke.User{}, err
	}
	return toUser(got), nil
}

func (c *Client) filter(ctx context.Context, filter string) ([]revoke.User, error) {
	top := int32(maxMatches)
	var page models.UserCollectionResponseable
	err := c.do(ctx, "look up user", "User.Read.All", func() error {
		var err error
		page, err = c.users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Filter: &filter, Select: userFields, Top: &top},
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []revoke.User
	for _, u := range page.GetValue() {
		out = append(out, toUser(u))
	}
	return out, nil
}

func toUser(u models.Userable) revoke.User {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	enabled := u.GetAccountEnabled()
	return revoke.User{
		ID:             s(u.GetId()),
		DisplayName:    s(u.GetDisplayName()),
		UPN:            s(u.GetUserPrincipalName()),
		Mail:           s(u.GetMail()),
		UserType:       s(u.GetUserType()),
		AccountEnabled: enabled != nil && *enabled,
		JobTitle:       s(u.GetJobTitle()),
		Department:     s(u.GetDepartment()),
		ProxyAddresses: u.GetProxyAddresses(),
	}
}
