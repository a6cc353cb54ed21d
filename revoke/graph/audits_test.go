package graph

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

func eventIDs(es []revoke.DirectoryEvent) []string {
	var ids []string
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

func aliceAudit(id string, at time.Time, activity string) fakegraph.DirectoryAudit {
	return fakegraph.DirectoryAudit{ID: id, ActivityDateTime: at, ActivityDisplayName: activity, Category: "UserManagement",
		InitiatedBy:     fakegraph.AuditInitiator{User: &fakegraph.AuditUser{ID: "x", UserPrincipalName: "attacker@contoso.com", IPAddress: "198.51.100.9"}},
		TargetResources: []fakegraph.AuditTarget{{ID: aliceID, Type: "User", UserPrincipalName: "alice@contoso.com"}}}
}

func TestDirectoryAudits(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	// since falls 700 ms into a second: Graph is asked from the start of
	// that second (ge; the log takes no gt), the client drops the rest.
	since := time.Date(2026, 11, 28, 10, 0, 0, 700e6, time.UTC)
	at := func(d time.Duration) time.Time { return since.Add(d) }
	consent := aliceAudit("consent", at(time.Minute), "Consent to application")
	consent.Result = "failure"
	consent.InitiatedBy = fakegraph.AuditInitiator{App: &fakegraph.AuditApp{AppID: "app-1", DisplayName: "Mail Helper"}}
	g.AddDirectoryAudits(
		aliceAudit("old", at(-time.Hour), "Update user"),
		aliceAudit("same-second", at(-400*time.Millisecond), "Update user"),
		aliceAudit("mfa", at(10*time.Second), "User registered security info"),
		consent,
		fakegraph.DirectoryAudit{ID: "other user", ActivityDateTime: at(20 * time.Second),
			TargetResources: []fakegraph.AuditTarget{{ID: syncID}}},
	)
	got, err := c.DirectoryAudits(context.Background(), aliceID, since, 5)
	want := []revoke.DirectoryEvent{
		{ID: "consent", At: at(time.Minute), Activity: "Consent to application", Category: "UserManagement",
			Result: "failure", By: "Mail Helper", ByApp: true},
		{ID: "mfa", At: at(10 * time.Second), Activity: "User registered security info", Category: "UserManagement",
			Result: "success", By: "attacker@contoso.com", IP: "198.51.100.9"},
	}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %+v %v\nwant %+v", got, err, want)
	}
	r := g.Requests()[0]
	if f := r.Query.Get("$filter"); f != "targetResources/any(t:t/id eq '"+aliceID+"') and activityDateTime ge 2026-11-28T10:00:00Z" ||
		r.Query.Get("$top") != "5" || len(r.Query) != 2 {
		t.Errorf("query %v", r.Query)
	}
	all, err := c.DirectoryAudits(context.Background(), aliceID, time.Time{}, 0)
	if err != nil || !slices.Equal(eventIDs(all), []string{"consent"}) {
		t.Errorf("top 0 is 1: %v %v", eventIDs(all), err)
	}
}

func TestDirectoryAuditsQuotesTheUserID(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	g.AddDirectoryAudits(fakegraph.DirectoryAudit{ID: "x", TargetResources: []fakegraph.AuditTarget{{ID: "o'brien"}}},
		aliceAudit("y", time.Time{}, "Update user"))
	got, err := c.DirectoryAudits(context.Background(), "o'brien", time.Time{}, 10)
	if err != nil || !slices.Equal(eventIDs(got), []string{"x"}) {
		t.Fatalf("%v %v", eventIDs(got), err)
	}
	got, err = c.DirectoryAudits(context.Background(), "x') or true or ('", time.Time{}, 10)
	if err != nil || len(got) != 0 {
		t.Errorf("injection: %v %v", eventIDs(got), err)
	}
}

// TestDirectoryAuditsPaging: Graph's pages may be shorter than $top; the
// client follows them until it has top events, and no further.
func TestDirectoryAuditsPaging(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{PageSize: 2})
	since := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	for i := range 6 {
		g.AddDirectoryAudits(aliceAudit(string(rune('a'+i)), since.Add(time.Duration(i)*time.Minute), "Update user"))
	}
	got, err := c.DirectoryAudits(context.Background(), aliceID, since, 3)
	if err != nil || !slices.Equal(eventIDs(got), []string{"f", "e", "d"}) || len(g.Requests()) != 2 {
		t.Fatalf("%v %v after %d requests", eventIDs(got), err, len(g.Requests()))
	}
	got, err = c.DirectoryAudits(context.Background(), aliceID, since, 2000)
	if err != nil || len(got) != 6 || g.Requests()[2].Query.Get("$top") != "999" {
		t.Errorf("%v %v, $top %q", eventIDs(got), err, g.Requests()[2].Query.Get("$top"))
	}
}

func TestDirectoryAuditsErrors(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	ctx := context.Background()
	const op, perm = "read the directory audit log", "AuditLog.Read.All"
	g.Inject(fakegraph.Fault{PathSuffix: "/auditLogs/directoryAudits", Status: 404, Times: 1})
	_, err := c.DirectoryAudits(ctx, aliceID, time.Time{}, 5)
	wantError(t, err, revoke.KindNotFound, op, perm)

	// A token without the permission, refused by a fake that takes any
	// token and reads its roles, as Graph refuses it.
	open := fakegraph.New(fakegraph.Options{ReportsWindow: -1})
	defer open.Close()
	other, err := New(Config{BaseURL: open.URL(), Token: fakegraph.AppToken("User.Read.All", "Directory.Read.All"), Retry: fastRetry(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.DirectoryAudits(ctx, aliceID, time.Time{}, 5)
	if e := wantError(t, err, revoke.KindForbidden, op, perm); e.Code != "Authentication_MSGraphPermissionMissing" {
		t.Errorf("code %q", e.Code)
	}
}

// TestDirectoryAuditsShareReportsBudget: the audit log is read under the
// same budget as sign-ins and methods: callers of all three at once draw
// no 429 from a fake holding Graph's 5 requests per window.
func TestDirectoryAuditsShareReportsBudget(t *testing.T) {
	t.Parallel()
	g, c := containFake(t, fakegraph.Options{ReportsWindow: 100 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make(chan error, 9)
	for i := range 9 {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = c.DirectoryAudits(context.Background(), aliceID, time.Time{}, 5)
			case 1:
				_, err = c.SignIns(context.Background(), aliceID, time.Time{})
			default:
				_, err = c.AuthMethods(context.Background(), aliceID)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := g.ReportsThrottled(); n != 0 {
		t.Errorf("%d requests throttled", n)
	}
}
