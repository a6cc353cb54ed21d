package graph

import (
	"context"
	"errors"
	"strings"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/revokebot/revokebot/revoke"
)

// The reads and writes of delegated grants and the application permission
// each needs, as NOTES.md gives them.
const (
	opListGrants     = "list delegated grants"
	opDeleteGrant    = "remove a delegated grant"
	opReadApp        = "read an app's name"
	permGrantsRead   = "DelegatedPermissionGrant.ReadWrite.All" // lists them too; deleting needs it anyway
	permGrantsDelete = "DelegatedPermissionGrant.ReadWrite.All"
	permAppRead      = "Application.Read.All"
)

// appFields are all a grant shows of its client's service principal.
var appFields = []string{"displayName", "appId"}

// filterQuery and selectQuery are query parameters, tagged as the SDK's
// builders tag theirs.
type filterQuery struct {
	Filter *string `uriparametername:"%24filter"`
}

type selectQuery struct {
	Select []string `uriparametername:"%24select"`
}

// Grants lists the delegated permission grants the user gave apps
// themselves (GET /oauth2PermissionGrants?$filter=principalId eq '{id}',
// every page), consent type Principal only: a tenant-wide AllPrincipals
// grant is an admin's, not the user's to lose. Each grant names its app,
// read from the client's service principal once per client; a name that
// cannot be read (no Application.Read.All, the app gone) is left empty
// rather than failing the list. userID must be an object ID: anything
// else is refused before a request, since it goes into a filter.
func (c *Client) Grants(ctx context.Context, userID string) ([]revoke.Grant, error) {
	if !isGUID(userID) {
		return nil, refusal(opListGrants, permGrantsRead, "a user's object ID is a GUID")
	}
	filter := "principalId eq " + revoke.ODataString(userID) // quoted all the same
	l := listing{
		op: opListGrants, permission: permGrantsRead,
		template: "{+baseurl}/oauth2PermissionGrants{?%24filter}",
		query:    filterQuery{Filter: &filter},
		prefix:   "/oauth2PermissionGrants?",
	}
	var out []revoke.Grant
	err := walk(ctx, c, l, models.CreateOAuth2PermissionGrantCollectionResponseFromDiscriminatorValue,
		func(g models.OAuth2PermissionGrantable) {
			if !strings.EqualFold(str(g.GetConsentType()), "Principal") {
				return
			}
			out = append(out, revoke.Grant{
				ID: str(g.GetId()), ClientID: str(g.GetClientId()),
				ResourceID: str(g.GetResourceId()), Scope: str(g.GetScope()),
			})
		})
	if err != nil {
		return nil, err
	}
	if err := c.nameApps(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// app is what a grant shows of its client.
type app struct{ name, appID string }

// nameApps fills in each grant's client name and app ID, reading each
// client once. After a KindForbidden it reads no more: every other read
// would be refused alike. Only the context ending fails the list.
func (c *Client) nameApps(ctx context.Context, gs []revoke.Grant) error {
	apps := make(map[string]app)
	forbidden := false
	for i := range gs {
		key := strings.ToLower(gs[i].ClientID)
		a, seen := apps[key]
		if !seen && !forbidden && key != "" {
			var err error
			a, err = c.servicePrincipal(ctx, gs[i].ClientID)
			if err != nil && ctx.Err() != nil {
				return err
			}
			forbidden = revoke.KindOf(err) == revoke.KindForbidden
			apps[key] = a
		}
		gs[i].ClientName, gs[i].AppID = a.name, a.appID
	}
	return nil
}

// servicePrincipal reads a service principal's name and app ID (GET
// /servicePrincipals/{id}?$select=displayName,appId) through the adapter:
// the SDK's builder lives in msgraph-sdk-go/serviceprincipals, a package
// far too big to compile for one GET.
func (c *Client) servicePrincipal(ctx context.Context, id string) (app, error) {
	var got models.ServicePrincipalable
	err := c.do(ctx, opReadApp, permAppRead, func() error {
		info := abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abs.GET,
			"{+baseurl}/servicePrincipals/{servicePrincipal%2Did}{?%24select}",
			map[string]string{"servicePrincipal%2Did": id})
		info.AddQueryParameters(selectQuery{Select: appFields})
		info.Headers.TryAdd("Accept", "application/json")
		v, err := c.adapter.Send(ctx, info, models.CreateServicePrincipalFromDiscriminatorValue, errorMapping)
		if err != nil {
			return err
		}
		sp, ok := v.(models.ServicePrincipalable)
		if !ok {
			return errors.New("Graph answered without a service principal")
		}
		got = sp
		return nil
	})
	if err != nil {
		return app{}, err
	}
	return app{name: str(got.GetDisplayName()), appID: str(got.GetAppId())}, nil
}

// DeleteGrant removes a delegated permission grant (DELETE
// /oauth2PermissionGrants/{id}), so the app can no longer get new tokens
// for the user; tokens it already holds stay valid until they expire
// (about an hour). Pass the grant to the audit record first: Graph keeps
// nothing to restore it from.
func (c *Client) DeleteGrant(ctx context.Context, grantID string) error {
	if err := needID(opDeleteGrant, permGrantsDelete, "grant", grantID); err != nil {
		return err
	}
	return c.do(ctx, opDeleteGrant, permGrantsDelete, func() error {
		info := abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abs.DELETE,
			"{+baseurl}/oauth2PermissionGrants/{oAuth2PermissionGrant%2Did}",
			map[string]string{"oAuth2PermissionGrant%2Did": grantID})
		info.Headers.TryAdd("Accept", "application/json")
		return c.adapter.SendNoContent(ctx, info, errorMapping)
	})
}
