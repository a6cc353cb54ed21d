package graph

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

// lagClock stamps the fake's revocations, so a proof can be compared.
var lagClock = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// containAlice disables alice and revokes her sessions through the client.
func containAlice(t *testing.T, c *Client) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.DisableUser(ctx, aliceID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RevokeSessions(ctx, aliceID); err != nil {
		t.Fatal(err)
	}
}

// wantReadBack reads alice back and checks whether it shows containment.
func wantReadBack(t *testing.T, c *Client, contained bool) {
	t.Helper()
	p, err := c.ReadBack(context.Background(), aliceID)
	want := revoke.Proof{AccountEnabled: true}
	if contained {
		want = revoke.Proof{AccountEnabled: false, SessionsValidFrom: lagClock}
	}
	if err != nil || p != want {
		t.Fatalf("ReadBack = %+v, %v; want %+v", p, err, want)
	}
}

// TestReadBackLags: right after the writes, a read-back that hits a replica
// which has not seen them shows the old state; once the lag is over, the
// new one. The writes themselves landed at once.
func TestReadBackLags(t *testing.T) {
	fake := func(t *testing.T) (*fakegraph.Server, *Client) {
		return containFake(t, fakegraph.Options{Now: func() time.Time { return lagClock }})
	}
	t.Run("for the next reads", func(t *testing.T) {
		g, c := fake(t)
		containAlice(t, c)
		g.LagReads(aliceID, 2)
		wantReadBack(t, c, false)
		wantReadBack(t, c, false)
		wantReadBack(t, c, true)
		if u, _ := g.User(aliceID); u.AccountEnabled || g.Revocations(aliceID) != 1 {
			t.Errorf("the writes did not land: %+v, %d revocations", u, g.Revocations(aliceID))
		}
	})
	t.Run("for a while", func(t *testing.T) {
		g, c := fake(t)
		const lag = 300 * time.Millisecond
		start := time.Now()
		g.LagReadsFor(aliceID, lag)
		containAlice(t, c)
		wantReadBack(t, c, false)
		if time.Since(start) >= lag {
			t.Skip("machine too slow to read within the lag")
		}
		time.Sleep(time.Until(start.Add(lag + 50*time.Millisecond)))
		wantReadBack(t, c, true)
	})
	t.Run("until told otherwise", func(t *testing.T) {
		g, c := fake(t)
		g.LagAllReads(true)
		containAlice(t, c)
		for range 3 {
			wantReadBack(t, c, false)
		}
		g.LagAllReads(false)
		wantReadBack(t, c, true)
	})
}

// TestReadBackRetriesThrottledRead: a read answered 429 with Retry-After is
// retried after the wait Graph asked for, up to Retry.MaxWait.
func TestReadBackRetriesThrottledRead(t *testing.T) {
	g, _ := containFake(t, fakegraph.Options{Now: func() time.Time { return lagClock }})
	var mu sync.Mutex
	var waits []time.Duration
	recorded := revoke.Retry{Attempts: 5, MaxWait: 30 * time.Second, Backoff: time.Millisecond,
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			waits = append(waits, d)
			return nil
		}}
	c, err := New(Config{BaseURL: g.URL(), Token: testToken, Retry: recorded})
	if err != nil {
		t.Fatal(err)
	}
	containAlice(t, c)
	g.Inject(fakegraph.Fault{Method: "GET", PathSuffix: "/users/" + aliceID, Status: 429, RetryAfter: "10", Times: 2})
	wantReadBack(t, c, true)
	if len(waits) != 2 || waits[0] != 10*time.Second || waits[1] != 10*time.Second {
		t.Errorf("waits %v, want two of 10s", waits)
	}

	// On the wall clock, with a wait short enough for a test.
	wall, err := New(Config{BaseURL: g.URL(), Token: testToken,
		Retry: revoke.Retry{Attempts: 3, MaxWait: 30 * time.Second, Backoff: time.Millisecond, Sleep: revoke.SleepContext}})
	if err != nil {
		t.Fatal(err)
	}
	const ra = 250 * time.Millisecond
	g.Inject(fakegraph.Fault{Method: "GET", PathSuffix: "/users/" + aliceID, Status: 429, RetryAfter: "0.25", Times: 1})
	before := len(g.Requests())
	wantReadBack(t, wall, true)
	log := g.Requests()[before:]
	if len(log) != 2 || log[0].Status != 429 || log[1].Status != 200 {
		t.Fatalf("%d requests", len(log))
	}
	if gap := log[1].At.Sub(log[0].At); gap < ra {
		t.Errorf("retried %v after the 429, before its Retry-After of %v", gap, ra)
	}

	// A Retry-After beyond MaxWait ends the retries at once: the caller
	// learns how long Graph asked for.
	capped, err := New(Config{BaseURL: g.URL(), Token: testToken,
		Retry: revoke.Retry{Attempts: 5, MaxWait: 5 * time.Second, Backoff: time.Millisecond, Sleep: revoke.SleepContext}})
	if err != nil {
		t.Fatal(err)
	}
	g.Inject(fakegraph.Fault{Method: "GET", PathSuffix: "/users/" + aliceID, Status: 429, RetryAfter: "10", Times: 1})
	start := time.Now()
	_, err = capped.ReadBack(context.Background(), aliceID)
	e := wantError(t, err, revoke.KindThrottled, "read the user back", "User.Read.All")
	if e.Attempts != 1 || e.RetryAfter != 10*time.Second || time.Since(start) > 5*time.Second {
		t.Errorf("capped: %d attempts, Retry-After %v, after %v", e.Attempts, e.RetryAfter, time.Since(start))
	}
}
