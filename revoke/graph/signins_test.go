package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

func signInIDs(ins []revoke.SignIn) []string {
	var ids []string
	for _, in := range ins {
		ids = append(ids, in.ID)
	}
	return ids
}

func TestSignIns(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	// since falls 700 ms into a second: Graph is asked from the start of
	// that second, and the client drops what came before since itself.
	since := time.Date(2026, 11, 28, 10, 0, 0, 700e6, time.UTC)
	at := func(d time.Duration) time.Time { return since.Add(d) }
	g.AddSignIns(
		fakegraph.SignIn{ID: "old", UserID: aliceID, CreatedDateTime: at(-time.Minute)},
		fakegraph.SignIn{ID: "same-second", UserID: aliceID, CreatedDateTime: at(-400 * time.Millisecond)},
		fakegraph.SignIn{ID: "ok", UserID: aliceID, CreatedDateTime: at(10 * time.Second), IPAddress: "203.0.113.7", AppDisplayName: "Outlook"},
		fakegraph.SignIn{ID: "failed", UserID: aliceID, CreatedDateTime: at(time.Minute), ErrorCode: 50126, IPAddress: "198.51.100.9"},
		fakegraph.SignIn{ID: "other user", UserID: syncID, CreatedDateTime: at(20 * time.Second)},
	)
	got, err := c.SignIns(context.Background(), aliceID, since)
	want := []revoke.SignIn{
		{ID: "failed", At: at(time.Minute), IP: "198.51.100.9", Success: false},
		{ID: "ok", At: at(10 * time.Second), IP: "203.0.113.7", App: "Outlook", Success: true},
	}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %+v %v\nwant %+v", got, err, want)
	}
	r := g.Requests()[0]
	if f := r.Query.Get("$filter"); f != "userId eq '"+aliceID+"' and createdDateTime ge 2026-11-28T10:00:00Z" || len(r.Query) != 1 {
		t.Errorf("query %v", r.Query)
	}
	all, err := c.SignIns(context.Background(), aliceID, time.Time{})
	if err != nil || !slices.Equal(signInIDs(all), []string{"failed", "ok", "same-second", "old"}) {
		t.Errorf("without since: %v %v", signInIDs(all), err)
	}
}

func TestSignInsQuotesTheUserID(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	g.AddSignIns(fakegraph.SignIn{ID: "x", UserID: "o'brien"}, fakegraph.SignIn{ID: "y", UserID: aliceID})
	got, err := c.SignIns(context.Background(), "o'brien", time.Time{})
	if err != nil || !slices.Equal(signInIDs(got), []string{"x"}) {
		t.Fatalf("%v %v", signInIDs(got), err)
	}
	got, err = c.SignIns(context.Background(), "x' or userId ne 'x", time.Time{})
	if err != nil || len(got) != 0 {
		t.Errorf("injection: %v %v", signInIDs(got), err)
	}
}

func TestSignInsPaging(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{PageSize: 2})
	since := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	var want []string
	for i := range 5 {
		id := string(rune('a' + i))
		g.AddSignIn(fakegraph.SignIn{ID: id, UserID: aliceID, CreatedDateTime: since.Add(time.Duration(i) * time.Minute)})
		want = append([]string{id}, want...)
	}
	got, err := c.SignIns(context.Background(), aliceID, since)
	if err != nil || !slices.Equal(signInIDs(got), want) || len(g.Requests()) != 3 {
		t.Fatalf("%v %v after %d requests", signInIDs(got), err, len(g.Requests()))
	}
	for _, r := range g.Requests() {
		if r.Status != 200 || r.Query.Get("$filter") == "" {
			t.Errorf("%v answered %d", r.Query, r.Status)
		}
	}
}

func TestSignInsStopsAfterTenPages(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{PageSize: 1})
	since := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	for i := range 12 {
		g.AddSignIn(fakegraph.SignIn{ID: string(rune('a' + i)), UserID: aliceID, CreatedDateTime: since.Add(time.Duration(i) * time.Second)})
	}
	got, err := c.SignIns(context.Background(), aliceID, since)
	if err != nil || len(got) != 10 || got[0].ID != "l" || got[9].ID != "c" || len(g.Requests()) != 10 {
		t.Fatalf("%v %v after %d requests", signInIDs(got), err, len(g.Requests()))
	}
}

func TestSignInsErrors(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	ctx := context.Background()
	g.Inject(fakegraph.Fault{PathSuffix: "/auditLogs/signIns", Status: 403, Times: 1})
	_, err := c.SignIns(ctx, aliceID, time.Time{})
	wantError(t, err, revoke.KindForbidden, "read sign-ins", "AuditLog.Read.All")
	// A tenant without Entra ID P1/P2 has no sign-in log to read.
	g.Inject(fakegraph.Fault{PathSuffix: "/auditLogs/signIns", Status: 403, Times: 1,
		Code: "Authentication_RequestFromNonPremiumTenantOrB2CTenant", Message: "Neither tenant is B2C or tenant doesn't have premium license"})
	_, err = c.SignIns(ctx, aliceID, time.Time{})
	wantError(t, err, revoke.KindUnlicensed, "read sign-ins", "AuditLog.Read.All")
}

// TestSignInsFollowsOnlyThisGraph: Graph may spell its own next links in
// another case ("signins"), which is followed; a page whose next link
// leaves this Graph ends the listing with an error, not a request elsewhere.
func TestSignInsFollowsOnlyThisGraph(t *testing.T) {
	var paths []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		next := srv.URL + "/v1.0/auditlogs/signins?$skiptoken=p2"
		if len(paths) > 1 {
			next = "https://elsewhere.example/v1.0/auditLogs/signIns?$skiptoken=p3"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"value":           []any{map[string]any{"id": "1", "createdDateTime": "2026-11-28T10:00:00Z"}},
			"@odata.nextLink": next,
		})
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL + "/v1.0", Token: testToken, Retry: fastRetry(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SignIns(context.Background(), aliceID, time.Time{})
	wantError(t, err, revoke.KindOther, "read sign-ins", "AuditLog.Read.All")
	if !slices.Equal(paths, []string{"/v1.0/auditLogs/signIns", "/v1.0/auditlogs/signins"}) {
		t.Errorf("requested %v", paths)
	}
}
