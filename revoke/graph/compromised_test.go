package graph

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

func TestConfirmCompromised(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	ctx := context.Background()
	res, err := c.ConfirmCompromised(ctx, aliceID)
	if err != nil || res.At.IsZero() || !g.Compromised(aliceID) || g.Compromised(syncID) {
		t.Fatalf("confirm: %+v %v", res, err)
	}
	if body := string(g.Requests()[0].Body); body != `{"userIds":["`+aliceID+`"]}` {
		t.Errorf("body %s", body)
	}
	_, err = c.ConfirmCompromised(ctx, "99999999-9999-4999-8999-999999999999")
	wantError(t, err, revoke.KindBadRequest, "confirm compromised", "IdentityRiskyUser.ReadWrite.All")

	g.Inject(fakegraph.Fault{PathSuffix: "/confirmCompromised", Status: 403})
	_, err = c.ConfirmCompromised(ctx, syncID)
	wantError(t, err, revoke.KindForbidden, "confirm compromised", "IdentityRiskyUser.ReadWrite.All")
}

func TestConfirmCompromisedWithoutP2(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{NoP2: true})
	_, err := c.ConfirmCompromised(context.Background(), aliceID)
	e := wantError(t, err, revoke.KindUnlicensed, "confirm compromised", "IdentityRiskyUser.ReadWrite.All")
	if e.Status != 403 || e.Attempts != 1 || g.Compromised(aliceID) {
		t.Errorf("status %d after %d attempts", e.Status, e.Attempts)
	}
}

// TestConfirmCompromisedSpacing: the fake refuses a second call within its
// window, so calls the client failed to space would show as 429s (and, with
// one attempt allowed, as errors). Arrival times come from the fake's log.
func TestConfirmCompromisedSpacing(t *testing.T) {
	const interval = 80 * time.Millisecond
	g := fakegraph.New(fakegraph.Options{Token: "tok", CompromisedWindow: interval})
	t.Cleanup(g.Close)
	for _, id := range []string{"a", "b", "c", "d"} {
		g.AddUser(fakegraph.User{ID: id})
	}
	c, err := New(Config{BaseURL: g.URL(), Token: "tok", Retry: fastRetry(1), CompromisedInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// In a row, and through a copy made by Once, which shares the pacing.
	if _, err := c.ConfirmCompromised(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Once().ConfirmCompromised(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	// And concurrently.
	var wg sync.WaitGroup
	for _, id := range []string{"c", "d"} {
		wg.Go(func() {
			if _, err := c.ConfirmCompromised(ctx, id); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var at []time.Time
	for _, r := range g.Requests() {
		if r.Status != 204 {
			t.Errorf("%s answered %d", r.Path, r.Status)
		}
		at = append(at, r.At)
	}
	if len(at) != 4 {
		t.Fatalf("%d requests", len(at))
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < interval {
			t.Errorf("call %d arrived %v after the previous one, want at least %v", i+1, gap, interval)
		}
	}
}

func TestPacer(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	clock := start
	var waits []time.Duration
	p := newPacer(time.Second, func() time.Time { return clock })
	p.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		clock = clock.Add(d)
		return nil
	}
	steps := []struct {
		advance  time.Duration // clock moves before the call
		callTook time.Duration
		wait     time.Duration // the pacer's sleep before the call, 0 for none
	}{
		{0, 200 * time.Millisecond, 0},                      // the first call never waits
		{0, 0, time.Second},                                 // right after: a full interval from the end of the first
		{400 * time.Millisecond, 0, 600 * time.Millisecond}, // part of the interval has passed
		{3 * time.Second, 100 * time.Millisecond, 0},        // well after
		{950 * time.Millisecond, 0, 50 * time.Millisecond},  // counted from the end of a slow call
	}
	for i, st := range steps {
		clock = clock.Add(st.advance)
		waits = nil
		called := false
		err := p.do(context.Background(), func() error { called = true; clock = clock.Add(st.callTook); return nil })
		want := []time.Duration(nil)
		if st.wait > 0 {
			want = []time.Duration{st.wait}
		}
		if err != nil || !called || len(waits) != len(want) || (len(want) == 1 && waits[0] != want[0]) {
			t.Errorf("step %d: err %v, called %v, waits %v, want %v", i, err, called, waits, want)
		}
	}
	// The call's error is returned, and a failed call still counts.
	boom := errors.New("boom")
	if err := p.do(context.Background(), func() error { return boom }); err != boom {
		t.Errorf("err %v", err)
	}
	waits = nil
	if p.do(context.Background(), func() error { return nil }); len(waits) != 1 || waits[0] != time.Second {
		t.Errorf("after a failed call: waits %v", waits)
	}
}

func TestPacerGivesUpWithTheContext(t *testing.T) {
	p := newPacer(time.Hour, time.Now)
	if err := p.do(context.Background(), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	// Waiting out the hour ends with the context, without calling.
	if err := p.do(ctx, func() error { t.Error("called"); return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for the interval: %v", err)
	}
	// So does waiting for another call's turn.
	held := make(chan struct{})
	release := make(chan struct{})
	quick := newPacer(time.Nanosecond, time.Now)
	go quick.do(context.Background(), func() error { close(held); <-release; return nil })
	<-held
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if err := quick.do(ctx2, func() error { t.Error("called"); return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for the turn: %v", err)
	}
	close(release)
	// The error a person reads names the operation, not a bare context error.
	_, c := containFake(t, fakegraph.Options{})
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, err := c.ConfirmCompromised(cctx, aliceID); err == nil || !strings.HasPrefix(err.Error(), "confirm compromised") {
		t.Errorf("cancelled: %v", err)
	}
}
