package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

// TestCountUsers counts a 10,000-user synthetic tenant through the SDK's
// Users().Count(), as a bulk job sizes itself, while listing it is slow.
func TestCountUsers(t *testing.T) {
	tenant := fakegraph.Tenant(10000, 9)
	all, enabled, enabledMembers := len(tenant), 0, 0
	for _, u := range tenant {
		if u.AccountEnabled {
			enabled++
			if u.UserType == "Member" {
				enabledMembers++
			}
		}
	}
	g := fakegraph.New(fakegraph.Options{Token: testToken})
	t.Cleanup(g.Close)
	g.AddUsers(tenant...)
	// A page of the listing would take this long; the count must not.
	g.SetListDelay(5 * time.Second)
	c, err := New(Config{BaseURL: g.URL(), Token: testToken, Retry: fastRetry(2)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{"", all},
		{"accountEnabled eq true", enabled},
		{FilterEnabledMembers, enabledMembers},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n, err := c.CountUsers(ctx, tc.filter)
		cancel()
		if err != nil || n != tc.want {
			t.Errorf("CountUsers(%q) = %d, %v; want %d", tc.filter, n, err, tc.want)
		}
	}
	if enabledMembers == enabled || enabled == all {
		t.Fatalf("the tenant does not tell the filters apart: %d %d %d", all, enabled, enabledMembers)
	}
	for i, r := range g.Requests() {
		wantFilter := []string{"", "accountEnabled eq true", FilterEnabledMembers}[i]
		if r.Method != "GET" || r.Path != "/v1.0/users/$count" || r.Header.Get("ConsistencyLevel") != "eventual" ||
			r.Query.Get("$filter") != wantFilter || len(r.Query) > 1 || r.Status != 200 {
			t.Errorf("request %d: %s %s %v ConsistencyLevel %q, answered %d", i, r.Method, r.Path, r.Query,
				r.Header.Get("ConsistencyLevel"), r.Status)
		}
	}
}

func TestCountUsersErrors(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	ctx := context.Background()
	const op, permission = "count users", "User.Read.All"

	g.Inject(fakegraph.Fault{PathSuffix: "/users/$count", Status: 403, Times: 1})
	_, err := c.CountUsers(ctx, "")
	wantError(t, err, revoke.KindForbidden, op, permission)

	// A filter the service refuses is not retried.
	_, err = c.CountUsers(ctx, "nickname eq 'x'")
	if e := wantError(t, err, revoke.KindBadRequest, op, permission); e.Attempts != 1 || e.Status != 400 {
		t.Errorf("bad filter: status %d after %d attempts", e.Status, e.Attempts)
	}

	// Throttling is retried like every read.
	g.Inject(fakegraph.Fault{PathSuffix: "/users/$count", Status: 429, RetryAfter: "0.01", Times: 1})
	if n, err := c.CountUsers(ctx, ""); err != nil || n != 2 {
		t.Errorf("after a 429: %d %v", n, err)
	}
	g.Inject(fakegraph.Fault{PathSuffix: "/users/$count", Status: 503})
	_, err = c.CountUsers(ctx, "")
	if e := wantError(t, err, revoke.KindUnavailable, op, permission); e.Attempts != 2 {
		t.Errorf("unavailable: %d attempts", e.Attempts)
	}
}

// TestCountUsersOddAnswers: a 200 the client cannot read as a count is an
// error, not a zero.
func TestCountUsersOddAnswers(t *testing.T) {
	for body, ct := range map[string]string{"many": "text/plain", "": "text/plain", "3000000000": "text/plain; charset=utf-8"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			_, _ = w.Write([]byte(body))
		}))
		c, err := New(Config{BaseURL: srv.URL + "/v1.0", Token: testToken, Retry: fastRetry(1)})
		if err != nil {
			t.Fatal(err)
		}
		n, err := c.CountUsers(context.Background(), "")
		if revoke.KindOf(err) != revoke.KindOther || n != 0 {
			t.Errorf("body %q: %d %v", body, n, err)
		}
		srv.Close()
	}
}
