package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

const (
	bobID    = "22222222-2222-4222-8222-222222222222"
	spMail   = "aaaaaaaa-0000-4000-8000-000000000001"
	spFiles  = "aaaaaaaa-0000-4000-8000-000000000002"
	spGone   = "aaaaaaaa-0000-4000-8000-000000000003"
	spGraph  = "aaaaaaaa-0000-4000-8000-0000000000ff"
	mailApp  = "11111111-2222-3333-4444-555555555555"
	filesApp = "66666666-7777-4888-9999-000000000000"
)

// grantFake has five grants of alice's over three pages of two, three
// clients (one without a service principal), and grants that are not hers.
func grantFake(t *testing.T) (*fakegraph.Server, *Client) {
	t.Helper()
	g, c := containFake(t, fakegraph.Options{PageSize: 2})
	g.AddServicePrincipals(
		fakegraph.ServicePrincipal{ID: spMail, DisplayName: "Mail Sync Pro", AppID: mailApp},
		fakegraph.ServicePrincipal{ID: spFiles, DisplayName: "Files Helper", AppID: filesApp},
	)
	g.AddGrants(
		fakegraph.Grant{ID: "g1", ClientID: spMail, PrincipalID: aliceID, ResourceID: spGraph, Scope: "Mail.Read offline_access"},
		fakegraph.Grant{ID: "tenant", ClientID: spMail, ConsentType: "AllPrincipals", ResourceID: spGraph, Scope: "User.Read"},
		fakegraph.Grant{ID: "g2", ClientID: spFiles, PrincipalID: aliceID, ResourceID: spGraph, Scope: "Files.Read"},
		fakegraph.Grant{ID: "bob", ClientID: spMail, PrincipalID: bobID, ResourceID: spGraph, Scope: "Mail.Read"},
		fakegraph.Grant{ID: "g3", ClientID: spMail, PrincipalID: aliceID, ResourceID: spFiles, Scope: "Files.Read"},
		fakegraph.Grant{ID: "g4", ClientID: spGone, PrincipalID: aliceID, ResourceID: spGraph, Scope: "Mail.Send"},
		fakegraph.Grant{ID: "g5", ClientID: spFiles, PrincipalID: aliceID, ResourceID: spGraph, Scope: "Files.ReadWrite.All"},
	)
	return g, c
}

func TestGrants(t *testing.T) {
	g, c := grantFake(t)
	gs, err := c.Grants(context.Background(), aliceID)
	if err != nil {
		t.Fatal(err)
	}
	want := []revoke.Grant{
		{ID: "g1", ClientID: spMail, ClientName: "Mail Sync Pro", AppID: mailApp, ResourceID: spGraph, Scope: "Mail.Read offline_access"},
		{ID: "g2", ClientID: spFiles, ClientName: "Files Helper", AppID: filesApp, ResourceID: spGraph, Scope: "Files.Read"},
		{ID: "g3", ClientID: spMail, ClientName: "Mail Sync Pro", AppID: mailApp, ResourceID: spFiles, Scope: "Files.Read"},
		{ID: "g4", ClientID: spGone, ResourceID: spGraph, Scope: "Mail.Send"}, // no name to read
		{ID: "g5", ClientID: spFiles, ClientName: "Files Helper", AppID: filesApp, ResourceID: spGraph, Scope: "Files.ReadWrite.All"},
	}
	if len(gs) != len(want) {
		t.Fatalf("%d grants: %+v", len(gs), gs)
	}
	for i := range want {
		if gs[i] != want[i] {
			t.Errorf("grant %d: %+v, want %+v", i, gs[i], want[i])
		}
	}
	pages, names := 0, map[string]int{}
	for _, r := range g.Requests() {
		switch {
		case r.Path == "/v1.0/oauth2PermissionGrants":
			pages++
			if f := r.Query.Get("$filter"); f != "principalId eq '"+aliceID+"'" {
				t.Errorf("$filter %q", f)
			}
		case strings.HasPrefix(r.Path, "/v1.0/servicePrincipals/"):
			names[r.Path]++
			if s := r.Query.Get("$select"); s != "displayName,appId" {
				t.Errorf("$select %q", s)
			}
		default:
			t.Errorf("request %s %s", r.Method, r.Path)
		}
	}
	if pages != 3 || len(names) != 3 {
		t.Errorf("%d pages, names read %v", pages, names)
	}
	for p, n := range names {
		if n != 1 {
			t.Errorf("%s read %d times", p, n)
		}
	}
}

func TestGrantsRefusals(t *testing.T) {
	g, c := grantFake(t)
	ctx := context.Background()
	for _, id := range []string{"o'brien", aliceID[:35] + "'", "alice@contoso.com", "{" + aliceID + "}", ""} {
		_, err := c.Grants(ctx, id)
		wantError(t, err, revoke.KindBadRequest, "list delegated grants", "DelegatedPermissionGrant.ReadWrite.All")
	}
	if n := len(g.Requests()); n != 0 {
		t.Fatalf("%d requests for ids that are not object IDs", n)
	}
	g.Inject(fakegraph.Fault{PathSuffix: "/oauth2PermissionGrants", Status: 403})
	_, err := c.Grants(ctx, aliceID)
	wantError(t, err, revoke.KindForbidden, "list delegated grants", "DelegatedPermissionGrant.ReadWrite.All")
	g.ClearFaults()

	// Without Application.Read.All the grants come without names, after
	// one refused read.
	g.Inject(fakegraph.Fault{Method: "GET", PathSuffix: "/" + spMail, Status: 403})
	before := len(g.Requests())
	gs, err := c.Grants(ctx, aliceID)
	if err != nil || len(gs) != 5 {
		t.Fatalf("%+v %v", gs, err)
	}
	for _, gr := range gs {
		if gr.ClientName != "" || gr.AppID != "" {
			t.Errorf("named after a refusal: %+v", gr)
		}
	}
	reads := 0
	for _, r := range g.Requests()[before:] {
		if strings.HasPrefix(r.Path, "/v1.0/servicePrincipals/") {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("%d reads after a 403", reads)
	}
}

func TestDeleteGrant(t *testing.T) {
	g, c := grantFake(t)
	ctx := context.Background()
	if err := c.DeleteGrant(ctx, "g3"); err != nil {
		t.Fatal(err)
	}
	for _, gr := range g.Grants() {
		if gr.ID == "g3" {
			t.Error("still there")
		}
	}
	err := c.DeleteGrant(ctx, "g3")
	wantError(t, err, revoke.KindNotFound, "remove a delegated grant", "DelegatedPermissionGrant.ReadWrite.All")
	n := len(g.Requests())
	err = c.DeleteGrant(ctx, " ")
	wantError(t, err, revoke.KindBadRequest, "remove a delegated grant", "DelegatedPermissionGrant.ReadWrite.All")
	if len(g.Requests()) != n {
		t.Error("an empty grant id was sent")
	}
	g.Inject(fakegraph.Fault{Method: "DELETE", Status: 403})
	err = c.DeleteGrant(ctx, "g1")
	wantError(t, err, revoke.KindForbidden, "remove a delegated grant", "DelegatedPermissionGrant.ReadWrite.All")
}

// TestGrantsKeepPrincipalOnly: the fake cannot serve an AllPrincipals grant
// under a principalId filter (Graph gives those no principalId), so a
// server of one page checks the client drops one all the same.
func TestGrantsKeepPrincipalOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/v1.0/servicePrincipals/") {
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"error":{"code":"Request_ResourceNotFound","message":"gone"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"value":[` +
			`{"id":"a","clientId":"c","consentType":"AllPrincipals","principalId":"` + aliceID + `","resourceId":"r","scope":"User.Read"},` +
			`{"id":"p","clientId":"c","consentType":"Principal","principalId":"` + aliceID + `","resourceId":"r","scope":"Mail.Read"}]}`))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL + "/v1.0", Token: testToken, Retry: fastRetry(1)})
	if err != nil {
		t.Fatal(err)
	}
	gs, err := c.Grants(context.Background(), aliceID)
	if err != nil || len(gs) != 1 || gs[0].ID != "p" || gs[0].ClientName != "" {
		t.Errorf("%+v %v", gs, err)
	}
}
