package fakegraph

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/oauth2permissiongrants"
)

func seedGrants(s *Server) {
	s.AddServicePrincipals(ServicePrincipal{ID: "sp-mail", DisplayName: "Mail Sync Pro", AppID: "11111111-2222-3333-4444-555555555555"})
	s.AddGrants(
		Grant{ID: "g1", ClientID: "sp-mail", PrincipalID: "1", ResourceID: "sp-graph", Scope: "Mail.Read offline_access"},
		Grant{ID: "g2", ClientID: "sp-other", ConsentType: "AllPrincipals", ResourceID: "sp-graph", Scope: "User.Read"},
		Grant{ID: "g3", ClientID: "sp-other", PrincipalID: "2", ResourceID: "sp-graph", Scope: "Files.Read"},
		Grant{ID: "g4", ClientID: "sp-other", PrincipalID: "1", ResourceID: "sp-graph", Scope: "Files.ReadWrite.All"},
	)
}

// TestListGrantsSDK lists a user's grants through the SDK, one per page.
func TestListGrantsSDK(t *testing.T) {
	s := newTestServer(t, Options{})
	seedGrants(s)
	adapter := newSDKAdapter(t, s)
	b := oauth2permissiongrants.NewOauth2PermissionGrantsRequestBuilderInternal(map[string]string{}, adapter)
	filter, top := "principalId eq '1'", int32(1)
	resp, err := b.Get(context.Background(), &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetRequestConfiguration{
		QueryParameters: &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetQueryParameters{Filter: &filter, Top: &top},
	})
	var ids []string
	for pages := 0; ; pages++ {
		if err != nil || pages > 3 {
			t.Fatal(pages, err)
		}
		for _, g := range resp.GetValue() {
			ids = append(ids, *g.GetId())
			if *g.GetConsentType() != "Principal" || *g.GetPrincipalId() != "1" || *g.GetResourceId() != "sp-graph" || g.GetScope() == nil {
				t.Errorf("grant %v", *g.GetId())
			}
		}
		next := resp.GetOdataNextLink()
		if next == nil {
			break
		}
		resp, err = b.WithUrl(*next).Get(context.Background(), nil)
	}
	if len(ids) != 2 || ids[0] != "g1" || ids[1] != "g4" {
		t.Errorf("ids %v", ids)
	}
}

func TestListGrantsFilters(t *testing.T) {
	s := newTestServer(t, Options{})
	seedGrants(s)
	r := get(t, s, "/oauth2PermissionGrants", url.Values{"$filter": {"ClientId eq 'sp-other'"}})
	if v := r.body["value"].([]any); r.status != 200 || len(v) != 3 || v[0].(map[string]any)["principalId"] != nil {
		t.Errorf("by client: %d %v", r.status, r.body)
	}
	if r := get(t, s, "/oauth2PermissionGrants", nil); len(r.body["value"].([]any)) != 4 {
		t.Errorf("all: %v", r.body)
	}
	for _, f := range []string{"consentType eq 'Principal'", "principalId eq '1' and clientId eq 'x'", "startswith(scope,'Mail')"} {
		if r := get(t, s, "/oauth2PermissionGrants", url.Values{"$filter": {f}}); r.status != 400 {
			t.Errorf("%s: %d", f, r.status)
		}
	}
	if r := get(t, s, "/oauth2PermissionGrants", url.Values{"$orderby": {"scope"}}); r.status != 400 {
		t.Errorf("$orderby: %d", r.status)
	}
}

// TestDeleteGrantsWhilePaging deletes the grants of a page before fetching
// the next, as the bot does: none is skipped.
func TestDeleteGrantsWhilePaging(t *testing.T) {
	s := newTestServer(t, Options{})
	seedGrants(s)
	r := get(t, s, "/oauth2PermissionGrants", url.Values{"$filter": {"principalId eq '1'"}, "$top": {"1"}})
	first := r.body["value"].([]any)[0].(map[string]any)["id"].(string)
	if d := del(t, s, "/oauth2PermissionGrants/"+first); d.status != 204 {
		t.Fatalf("delete: %d %v", d.status, d.body)
	}
	r = do(t, s, http.MethodGet, r.body["@odata.nextLink"].(string), nil, nil)
	if v := r.body["value"].([]any); len(v) != 1 || v[0].(map[string]any)["id"] != "g4" {
		t.Errorf("next page %v", r.body)
	}
	if d := del(t, s, "/oauth2PermissionGrants/"+first); d.status != 404 || d.errorCode() != "Request_ResourceNotFound" {
		t.Errorf("again: %d %v", d.status, d.body)
	}
	if gs := s.Grants(); len(gs) != 3 || gs[0].ID != "g2" {
		t.Errorf("grants %+v", gs)
	}
}

func TestGetServicePrincipal(t *testing.T) {
	s := newTestServer(t, Options{})
	seedGrants(s)
	r := get(t, s, "/servicePrincipals/SP-MAIL", url.Values{"$select": {"displayName,appId,homepage"}})
	want := `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#servicePrincipals(displayName,appId,homepage)/$entity",` +
		`"appId":"11111111-2222-3333-4444-555555555555","displayName":"Mail Sync Pro","homepage":null,"id":"sp-mail"}`
	if got := mustJSON(t, r.body); r.status != 200 || got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if r := get(t, s, "/servicePrincipals/sp-mail", nil); r.body["displayName"] != "Mail Sync Pro" || r.body["servicePrincipalType"] != "Application" {
		t.Errorf("no $select: %v", r.body)
	}
	if r := get(t, s, "/servicePrincipals/sp-mail", url.Values{"$select": {"colour"}}); r.status != 400 {
		t.Errorf("unknown property: %d", r.status)
	}
	if r := get(t, s, "/servicePrincipals/sp-gone", nil); r.status != 404 {
		t.Errorf("unknown: %d", r.status)
	}
}

func TestAddGrantsChecksConsent(t *testing.T) {
	s := newTestServer(t, Options{})
	for _, g := range []Grant{{ConsentType: "Principal"}, {ConsentType: "AllPrincipals", PrincipalID: "1"}, {ConsentType: "Everyone"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: no panic", g)
				}
			}()
			s.AddGrants(g)
		}()
	}
	s.AddGrants(Grant{ClientID: "c", PrincipalID: "1"})
	if gs := s.Grants(); len(gs) != 1 || gs[0].ConsentType != "Principal" || len(gs[0].ID) != 43 {
		t.Errorf("%+v", gs)
	}
}
