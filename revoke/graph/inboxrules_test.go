package graph

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

const (
	noMailboxID = "55555555-5555-4555-8555-555555555555"
	nobodyID    = "99999999-9999-4999-8999-999999999999"
)

func ruleFake(t *testing.T) (*fakegraph.Server, *Client) {
	t.Helper()
	g, c := containFake(t, fakegraph.Options{})
	g.AddUser(fakegraph.User{ID: noMailboxID, UserPrincipalName: "nomail@contoso.com"})
	g.SetNoMailbox(noMailboxID)
	g.AddInboxRules(aliceID,
		fakegraph.InboxRule{ID: "fwd", DisplayName: "x", IsEnabled: true, ForwardTo: []string{"mallory@evil.example"},
			ForwardAsAttachmentTo: []string{"m2@evil.example"}, Delete: true, FromContains: []string{"ceo"}},
		fakegraph.InboxRule{ID: "ro", DisplayName: "Client rule", IsEnabled: true, IsReadOnly: true, MoveToFolder: "AAMk"},
		fakegraph.InboxRule{ID: "redir", DisplayName: "Redirect", RedirectTo: []string{"r@evil.example", "s@evil.example"}, PermanentDelete: true},
		fakegraph.InboxRule{ID: "tidy", DisplayName: "Newsletters", IsEnabled: true, MoveToFolder: "AAMk", MarkAsRead: true},
	)
	return g, c
}

func TestInboxRules(t *testing.T) {
	g, c := ruleFake(t)
	rules, err := c.InboxRules(context.Background(), aliceID)
	if err != nil {
		t.Fatal(err)
	}
	want := []revoke.Rule{
		{ID: "fwd", Name: "x", Enabled: true, ForwardTo: []string{"mallory@evil.example"}, ForwardAsAttach: []string{"m2@evil.example"}, Delete: true},
		{ID: "ro", Name: "Client rule", Enabled: true, ReadOnly: true},
		{ID: "redir", Name: "Redirect", RedirectTo: []string{"r@evil.example", "s@evil.example"}, PermanentDelete: true},
		{ID: "tidy", Name: "Newsletters", Enabled: true},
	}
	if len(rules) != len(want) {
		t.Fatalf("%+v", rules)
	}
	for i, w := range want {
		r := rules[i]
		if r.ID != w.ID || r.Name != w.Name || r.Enabled != w.Enabled || r.ReadOnly != w.ReadOnly || r.Delete != w.Delete ||
			r.PermanentDelete != w.PermanentDelete || !slices.Equal(r.ForwardTo, w.ForwardTo) ||
			!slices.Equal(r.RedirectTo, w.RedirectTo) || !slices.Equal(r.ForwardAsAttach, w.ForwardAsAttach) {
			t.Errorf("rule %d: %+v, want %+v", i, r, w)
		}
	}
	if !rules[0].Suspicious() || rules[1].Suspicious() || !rules[2].Suspicious() || rules[3].Suspicious() {
		t.Error("suspicion")
	}
	if r := g.Requests()[0]; r.Path != "/v1.0/users/"+aliceID+"/mailFolders/inbox/messageRules" {
		t.Errorf("path %s", r.Path)
	}
}

func TestDisableRule(t *testing.T) {
	g, c := ruleFake(t)
	ctx := context.Background()
	if err := c.DisableRule(ctx, aliceID, "fwd"); err != nil {
		t.Fatal(err)
	}
	log := g.Requests()
	var body map[string]any
	if last := log[len(log)-1]; last.Method != "PATCH" || last.Path != "/v1.0/users/"+aliceID+"/mailFolders/inbox/messageRules/fwd" ||
		json.Unmarshal(last.Body, &body) != nil {
		t.Fatalf("request %s %s %s", last.Method, last.Path, last.Body)
	}
	delete(body, "@odata.type")
	if len(body) != 1 || body["isEnabled"] != false {
		t.Errorf("body %v", body)
	}
	if rs := g.InboxRules(aliceID); rs[0].IsEnabled || rs[0].DisplayName != "x" || !rs[1].IsEnabled {
		t.Errorf("rules %+v", rs)
	}

	// A read-only rule is Outlook's 403, like a missing permission.
	err := c.DisableRule(ctx, aliceID, "ro")
	if e := wantError(t, err, revoke.KindForbidden, "disable an inbox rule", "MailboxSettings.ReadWrite"); e.Code != "ErrorAccessDenied" || e.Attempts != 1 {
		t.Errorf("read-only: %v", err)
	}
	if !g.InboxRules(aliceID)[1].IsEnabled {
		t.Error("the read-only rule changed")
	}
	err = c.DisableRule(ctx, aliceID, "nope")
	wantError(t, err, revoke.KindNotFound, "disable an inbox rule", "MailboxSettings.ReadWrite")
	n := len(g.Requests())
	err = c.DisableRule(ctx, aliceID, "")
	wantError(t, err, revoke.KindBadRequest, "disable an inbox rule", "MailboxSettings.ReadWrite")
	if len(g.Requests()) != n {
		t.Error("an empty rule id was sent")
	}
}

func TestInboxRulesNoMailbox(t *testing.T) {
	_, c := ruleFake(t)
	ctx := context.Background()
	_, err := c.InboxRules(ctx, noMailboxID)
	if e := wantError(t, err, revoke.KindNotFound, "list inbox rules", "MailboxSettings.Read"); !IsNoMailbox(err) || e.Status != 404 {
		t.Errorf("no mailbox: %v", err)
	}
	err = c.DisableRule(ctx, noMailboxID, "fwd")
	if wantError(t, err, revoke.KindNotFound, "disable an inbox rule", "MailboxSettings.ReadWrite"); !IsNoMailbox(err) {
		t.Errorf("disable, no mailbox: %v", err)
	}
	// No such user is not the same thing.
	_, err = c.InboxRules(ctx, nobodyID)
	if wantError(t, err, revoke.KindNotFound, "list inbox rules", "MailboxSettings.Read"); IsNoMailbox(err) {
		t.Errorf("unknown user read as no mailbox: %v", err)
	}
	if IsNoMailbox(nil) {
		t.Error("nil")
	}
}

// TestInboxRulesHonourRetryAfter: Outlook's 429 (over the 4 concurrent
// requests a mailbox allows) is retried after the wait it names, not the
// client's shorter backoff.
func TestInboxRulesHonourRetryAfter(t *testing.T) {
	g := fakegraph.New(fakegraph.Options{Token: testToken})
	t.Cleanup(g.Close)
	g.AddUser(fakegraph.User{ID: aliceID, UserPrincipalName: "alice@contoso.com"})
	g.AddInboxRules(aliceID, fakegraph.InboxRule{ID: "r", DisplayName: "r", IsEnabled: true})
	c, err := New(Config{BaseURL: g.URL(), Token: testToken,
		Retry: revoke.Retry{Attempts: 3, Backoff: time.Millisecond, MaxWait: time.Second, Sleep: revoke.SleepContext}})
	if err != nil {
		t.Fatal(err)
	}
	g.Inject(fakegraph.Fault{PathSuffix: "/messageRules", Status: 429, Code: "ApplicationThrottled",
		Message: "Application is over its MailboxConcurrency limit.", RetryAfter: "0.15", Times: 1})
	rules, err := c.InboxRules(context.Background(), aliceID)
	if err != nil || len(rules) != 1 {
		t.Fatalf("%+v %v", rules, err)
	}
	log := g.Requests()
	if len(log) != 2 || log[0].Status != 429 || log[1].Status != 200 {
		t.Fatalf("%d requests", len(log))
	}
	if gap := log[1].At.Sub(log[0].At); gap < 150*time.Millisecond {
		t.Errorf("retried after %v, before the 150ms Retry-After", gap)
	}
}

// TestInboxRulesOverMailboxConcurrency: with 4 requests to the mailbox in
// flight, the fake's own 429 (Retry-After: 1) is waited out and retried.
func TestInboxRulesOverMailboxConcurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a 1 s Retry-After")
	}
	g := fakegraph.New(fakegraph.Options{Token: testToken})
	t.Cleanup(g.Close)
	g.AddUser(fakegraph.User{ID: aliceID, UserPrincipalName: "alice@contoso.com"})
	c, err := New(Config{BaseURL: g.URL(), Token: testToken,
		Retry: revoke.Retry{Attempts: 3, Backoff: time.Millisecond, MaxWait: 2 * time.Second, Sleep: revoke.SleepContext}})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var held sync.WaitGroup
	held.Add(4)
	var n atomic.Int32
	g.OnRequest(func(fakegraph.Request) {
		if n.Add(1) <= 4 {
			held.Done()
			<-release
		}
	})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := c.InboxRules(context.Background(), aliceID); err != nil {
				t.Error(err)
			}
		})
	}
	held.Wait()
	done := make(chan error, 1)
	go func() { _, err := c.InboxRules(context.Background(), aliceID); done <- err }()
	for deadline := time.Now().Add(5 * time.Second); ; {
		if log := g.Requests(); len(log) == 5 && log[4].Status == 429 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no 429 for the fifth request")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatalf("fifth: %v", err)
	}
	log := g.Requests()
	if len(log) != 6 || log[5].Status != 200 {
		t.Fatalf("%d requests", len(log))
	}
	if gap := log[5].At.Sub(log[4].At); gap < time.Second {
		t.Errorf("retried after %v, before the 1 s Retry-After", gap)
	}
}
