package graph

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

const (
	aliceID = "11111111-1111-4111-8111-111111111111"
	syncID  = "33333333-3333-4333-8333-333333333333"
)

// testReportsWindow shrinks the reports budget's 10 s, keeping its 5
// requests, in the fake and the client alike.
const testReportsWindow = 50 * time.Millisecond

// containFake is a tenant of one cloud user and one synchronised user.
func containFake(t *testing.T, opts fakegraph.Options) (*fakegraph.Server, *Client) {
	t.Helper()
	opts.Token = testToken
	if opts.RiskWindow == 0 {
		opts.RiskWindow = 50 * time.Millisecond // as the client's interval below
	}
	if opts.ReportsWindow == 0 {
		opts.ReportsWindow = testReportsWindow // as the client's below
	}
	g := fakegraph.New(opts)
	t.Cleanup(g.Close)
	g.AddUsers(
		fakegraph.User{ID: aliceID, UserPrincipalName: "alice@contoso.com", AccountEnabled: true},
		fakegraph.User{ID: syncID, UserPrincipalName: "synced@contoso.com", AccountEnabled: true, OnPremisesSyncEnabled: true},
	)
	c, err := New(Config{BaseURL: g.URL(), Token: testToken, Retry: fastRetry(2), CompromisedInterval: 50 * time.Millisecond,
		ReportsWindow: opts.ReportsWindow})
	if err != nil {
		t.Fatal(err)
	}
	return g, c
}

// wantError checks a failure's kind and that it names what the bot was
// doing and the permission a deployer would have to grant.
func wantError(t *testing.T, err error, kind revoke.ErrorKind, op, permission string) *revoke.Error {
	t.Helper()
	var e *revoke.Error
	if !errors.As(err, &e) || e.Kind != kind || e.Op != op || e.Permission != permission {
		t.Fatalf("got %#v (%v), want kind %d, op %q, permission %q", e, err, kind, op, permission)
	}
	return e
}

func TestDisableUser(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	ctx := context.Background()
	res, err := c.DisableUser(ctx, aliceID)
	if err != nil || res.At.IsZero() {
		t.Fatalf("disable: %+v %v", res, err)
	}
	if u, _ := g.User(aliceID); u.AccountEnabled {
		t.Fatal("still enabled")
	}
	// The body carries accountEnabled and nothing else that could change
	// the user (the SDK adds its type annotation).
	log := g.Requests()
	var body map[string]any
	if last := log[len(log)-1]; last.Method != "PATCH" || last.Path != "/v1.0/users/"+aliceID || json.Unmarshal(last.Body, &body) != nil {
		t.Fatalf("request %s %s %s", last.Method, last.Path, last.Body)
	}
	delete(body, "@odata.type")
	if len(body) != 1 || body["accountEnabled"] != false {
		t.Errorf("body %v", body)
	}

	_, err = c.DisableUser(ctx, "99999999-9999-4999-8999-999999999999")
	wantError(t, err, revoke.KindNotFound, "disable sign-in", "User.EnableDisableAccount.All")

	_, err = c.DisableUser(ctx, syncID)
	e := wantError(t, err, revoke.KindSynced, "disable sign-in", "User.EnableDisableAccount.All")
	if e.Status != 400 || e.Attempts != 1 {
		t.Errorf("synced: status %d after %d attempts", e.Status, e.Attempts)
	}
	if u, _ := g.User(syncID); !u.AccountEnabled {
		t.Error("the synced user was changed")
	}

	g.Inject(fakegraph.Fault{Method: "PATCH", Status: 403})
	_, err = c.DisableUser(ctx, aliceID)
	if e := wantError(t, err, revoke.KindForbidden, "disable sign-in", "User.EnableDisableAccount.All"); e.Code != "Authorization_RequestDenied" {
		t.Errorf("code %q", e.Code)
	}
}

func TestDisableUserRetriesThrottledWrite(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	g.Inject(fakegraph.Fault{Method: "PATCH", Status: 429, RetryAfter: "0.01", Times: 1})
	if _, err := c.DisableUser(context.Background(), aliceID); err != nil {
		t.Fatal(err)
	}
	log := g.Requests()
	if len(log) != 2 || string(log[0].Body) != string(log[1].Body) || log[1].Status != 204 {
		t.Fatalf("retry resent %q after %q", log[1].Body, log[0].Body)
	}
	for _, r := range log {
		if r.Header.Get("Content-Encoding") != "" {
			t.Errorf("compressed PATCH body: %v", r.Header)
		}
	}
	if u, _ := g.User(aliceID); u.AccountEnabled {
		t.Error("still enabled after the retry")
	}
}

func TestReadBack(t *testing.T) {
	clock := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	g, c := containFake(t, fakegraph.Options{Now: func() time.Time { return clock }})
	ctx := context.Background()
	p, err := c.ReadBack(ctx, aliceID)
	if err != nil || !p.AccountEnabled || !p.SessionsValidFrom.IsZero() {
		t.Fatalf("before: %+v %v", p, err)
	}
	if _, err := c.DisableUser(ctx, aliceID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RevokeSessions(ctx, aliceID); err != nil {
		t.Fatal(err)
	}
	p, err = c.ReadBack(ctx, aliceID)
	if err != nil || p.AccountEnabled || !p.SessionsValidFrom.Equal(clock) {
		t.Fatalf("after: %+v %v", p, err)
	}
	if q := g.Requests()[len(g.Requests())-1].Query.Get("$select"); q != "accountEnabled,signInSessionsValidFromDateTime,lastPasswordChangeDateTime,onPremisesSyncEnabled" {
		t.Errorf("$select %q", q)
	}

	_, err = c.ReadBack(ctx, "99999999-9999-4999-8999-999999999999")
	wantError(t, err, revoke.KindNotFound, "read the user back", "User.Read.All")
	g.Inject(fakegraph.Fault{Method: "GET", Status: 403})
	_, err = c.ReadBack(ctx, aliceID)
	wantError(t, err, revoke.KindForbidden, "read the user back", "User.Read.All")
}
