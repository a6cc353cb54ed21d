package graph

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

// alertsFake is a fake Graph and a client whose token holds perms.
func alertsFake(t *testing.T, now time.Time, perms ...string) (*fakegraph.Server, *Client) {
	t.Helper()
	token := fakegraph.AppToken(perms...)
	g := fakegraph.New(fakegraph.Options{Token: token, RiskWindow: 50 * time.Millisecond, Now: func() time.Time { return now }})
	t.Cleanup(g.Close)
	g.AddUsers(fakegraph.User{ID: aliceID, UserPrincipalName: "alice@contoso.com", DisplayName: "Alice", AccountEnabled: true})
	c, err := New(Config{BaseURL: g.URL(), Token: token, Retry: fastRetry(2), CompromisedInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return g, c
}

// allIncidents gathers the pages Incidents hands over, and counts them.
func allIncidents(ctx context.Context, c *Client, since time.Time, sevs []string) ([]revoke.Incident, int, error) {
	var all []revoke.Incident
	pages := 0
	err := c.Incidents(ctx, since, sevs, func(p []revoke.Incident) { all = append(all, p...); pages++ })
	return all, pages, err
}

// TestIncidents: the incidents updated since, with their alerts' users,
// handed over a page of 50 at a time, the severity filtered by Graph when one is asked
// for and here when several are; attack disruption is told by its title.
func TestIncidents(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	g, c := alertsFake(t, t0, "SecurityIncident.Read.All")
	for i := range 60 {
		g.AddIncidents(fakegraph.Incident{DisplayName: "Mass download", Severity: "high", LastUpdateDateTime: t0.Add(time.Duration(i) * time.Second)})
	}
	g.AddIncidents(
		fakegraph.Incident{ID: "disrupt", DisplayName: "BEC financial fraud (attack disruption)", Severity: "high", LastUpdateDateTime: t0.Add(time.Hour),
			Alerts: []fakegraph.IncidentAlert{{ID: "da1", Title: "Suspicious inbox forwarding", Severity: "high",
				Users: []fakegraph.UserAccount{{UserPrincipalName: "alice@contoso.com", AzureADUserID: aliceID, AccountName: "alice"}, {AccountName: "svc-local"}}}}},
		fakegraph.Incident{ID: "medium", DisplayName: "Unfamiliar sign-in", Severity: "medium", LastUpdateDateTime: t0.Add(time.Hour)},
		fakegraph.Incident{ID: "old", DisplayName: "Old", Severity: "high", LastUpdateDateTime: t0.Add(-time.Hour)},
	)
	ctx := context.Background()
	got, pages, err := allIncidents(ctx, c, t0, []string{"high"})
	if err != nil || len(got) != 61 || pages != 2 || got[0].ID != "disrupt" || !got[0].Disruption() || got[1].Disruption() {
		t.Fatalf("%d incidents in %d pages, first %+v, %v", len(got), pages, got[0], err)
	}
	if u := got[0].Alerts[0].Users; len(u) != 2 || u[0] != (revoke.EvidenceUser{UPN: "alice@contoso.com", ObjectID: aliceID, Account: "alice"}) || u[1].UPN != "" {
		t.Errorf("evidence users %+v", u)
	}
	first := g.Requests()[0]
	if first.Query.Get("$expand") != "alerts" || first.Query.Get("$top") != "50" || first.Query.Get("$count") != "true" ||
		first.Query.Get("$filter") != "lastUpdateDateTime ge 2026-12-01T09:00:00Z and severity eq 'high'" {
		t.Errorf("query %v", first.Query)
	}
	got, _, err = allIncidents(ctx, c, t0.Add(30*time.Minute), []string{"medium", "high"})
	if err != nil || len(got) != 2 {
		t.Fatalf("medium and high: %+v %v", got, err)
	}
}

// TestIncidentsShiftedWhileRead: an incident lowered out of the filter
// between two pages moves every later one up a place, over the page
// boundary; the count Graph gives with each page changes, and the read
// ends with an error rather than skip one.
func TestIncidentsShiftedWhileRead(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	g, c := alertsFake(t, t0.Add(time.Hour), "SecurityIncident.Read.All")
	for i := range 120 {
		g.AddIncidents(fakegraph.Incident{ID: fmt.Sprintf("i%03d", i), DisplayName: "Mass download", Severity: "high", LastUpdateDateTime: t0.Add(time.Duration(i) * time.Second)})
	}
	var once sync.Once
	g.OnRequest(func(r fakegraph.Request) {
		if r.Query.Get("$skip") == "50" {
			once.Do(func() { g.UpdateIncident("i110", func(inc *fakegraph.Incident) { inc.Severity = "medium" }) })
		}
	})
	got, pages, err := allIncidents(context.Background(), c, t0, []string{"high"})
	if err == nil || !strings.Contains(err.Error(), "changed while they were read (120, then 119)") || pages != 1 || len(got) != 50 {
		t.Fatalf("%d incidents in %d pages, %v; want the first page and an error", len(got), pages, err)
	}
}

// TestIncidentsNeedPermission: without SecurityIncident.Read.All the read
// is refused naming it; a comment names the write permission.
func TestIncidentsNeedPermission(t *testing.T) {
	g, c := alertsFake(t, time.Now(), "User.Read.All")
	g.AddIncidents(fakegraph.Incident{ID: "1", Severity: "high"})
	_, _, err := allIncidents(context.Background(), c, time.Now().Add(-time.Hour), nil)
	wantError(t, err, revoke.KindForbidden, opIncidents, "SecurityIncident.Read.All")
	err = c.CommentIncident(context.Background(), "1", "revokebot: contained")
	wantError(t, err, revoke.KindForbidden, opCommentIncident, "SecurityIncident.ReadWrite.All")
}

// TestCommentIncident: the comment reaches the incident; an empty ID is
// refused before any request.
func TestCommentIncident(t *testing.T) {
	g, c := alertsFake(t, time.Now(), "SecurityIncident.ReadWrite.All")
	g.AddIncidents(fakegraph.Incident{ID: "42", Severity: "high"})
	if err := c.CommentIncident(context.Background(), "42", "revokebot rb-1: sessions revoked for alice@contoso.com by @riley"); err != nil {
		t.Fatal(err)
	}
	if cs := g.IncidentComments("42"); len(cs) != 1 || !strings.HasPrefix(cs[0].Comment, "revokebot rb-1") {
		t.Fatalf("comments %+v", cs)
	}
	if err := c.CommentIncident(context.Background(), " ", "x"); err == nil {
		t.Fatal("an empty incident ID was sent")
	}
}

// TestRiskyUsers: the users at risk at a level since a time; a dismissed
// one is not.
func TestRiskyUsers(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	g, c := alertsFake(t, now, "IdentityRiskyUser.Read.All", "IdentityRiskyUser.ReadWrite.All")
	g.AddUsers(fakegraph.User{ID: syncID, UserPrincipalName: "bob@contoso.com", AccountEnabled: true})
	g.SetRisk(aliceID, "high")
	g.SetRisk(syncID, "high")
	if _, err := c.DismissRisk(context.Background(), syncID); err != nil {
		t.Fatal(err)
	}
	var got []revoke.RiskyUser
	err := c.RiskyUsers(context.Background(), now.Add(-time.Minute), []string{"high"}, func(p []revoke.RiskyUser) { got = append(got, p...) })
	if err != nil || len(got) != 1 || got[0].ID != aliceID || got[0].UPN != "alice@contoso.com" || got[0].State != "atRisk" || !got[0].Updated.Equal(now) {
		t.Fatalf("%+v %v", got, err)
	}
	if f := g.Requests()[len(g.Requests())-1].Query.Get("$filter"); f != "riskLastUpdatedDateTime ge 2026-12-01T08:59:00Z and riskLevel eq 'high'" {
		t.Errorf("filter %q", f)
	}
}
