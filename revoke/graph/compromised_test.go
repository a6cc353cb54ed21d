package graph

import (
	"context"
	"errors"
	"fmt"
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
	g := fakegraph.New(fakegraph.Options{Token: testToken, RiskWindow: interval})
	t.Cleanup(g.Close)
	for _, id := range []string{"a", "b", "c", "d"} {
		g.AddUser(fakegraph.User{ID: id})
	}
	c, err := New(Config{BaseURL: g.URL(), Token: testToken, Retry: fastRetry(1), CompromisedInterval: interval})
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
	// c and d, called at once, may share a request.
	if len(at) != 3 && len(at) != 4 {
		t.Fatalf("%d requests", len(at))
	}
	for _, id := range []string{"a", "b", "c", "d"} {
		if !g.Compromised(id) {
			t.Errorf("%s not compromised", id)
		}
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < interval {
			t.Errorf("call %d arrived %v after the previous one, want at least %v", i+1, gap, interval)
		}
	}
}

// TestConfirmCompromisedBatches: twenty users confirmed at once go out in
// a request or two, not twenty a second apart; a user Graph refuses fails
// alone, its batch-mates still confirmed.
func TestConfirmCompromisedBatches(t *testing.T) {
	const interval = 200 * time.Millisecond
	g := fakegraph.New(fakegraph.Options{Token: testToken, RiskWindow: interval})
	t.Cleanup(g.Close)
	var ids []string
	for i := range 20 {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		ids = append(ids, id)
		g.AddUser(fakegraph.User{ID: id})
	}
	c, err := New(Config{BaseURL: g.URL(), Token: testToken, Retry: fastRetry(3), CompromisedInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	confirmAll := func(ids []string) []error {
		errs := make([]error, len(ids))
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() { _, errs[i] = c.ConfirmCompromised(context.Background(), id) })
		}
		wg.Wait()
		return errs
	}
	for i, err := range confirmAll(ids) {
		if err != nil || !g.Compromised(ids[i]) {
			t.Errorf("%s: %v, compromised %t", ids[i], err, g.Compromised(ids[i]))
		}
	}
	posts := len(g.Requests())
	// The first caller goes alone; the rest wait out its interval together.
	if posts > 3 {
		t.Errorf("%d requests for %d users", posts, len(ids))
	}

	// A user Graph does not know (deleted) among others.
	for _, id := range ids[:3] {
		g.SetRisk(id, "low")
	}
	gone := "99999999-0000-4000-8000-000000000000"
	errs := confirmAll([]string{ids[0], gone, ids[1], ids[2]})
	if errs[1] == nil || revoke.KindOf(errs[1]) != revoke.KindBadRequest {
		t.Errorf("the unknown user: %v", errs[1])
	}
	for i, j := range []int{0, 2, 3} {
		if errs[j] != nil {
			t.Errorf("%s failed with the unknown user: %v", ids[i], errs[j])
		}
		if level, state, _ := g.Risk(ids[i]); level != "high" || state != "confirmedCompromised" {
			t.Errorf("%s: risk %s %s", ids[i], level, state)
		}
	}
	for _, r := range g.Requests() {
		if r.Status == 429 {
			t.Errorf("a request landed within the window: %s", r.At)
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
	b := &riskBatch{pace: p}
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
		err := b.do(context.Background(), "u", func(context.Context, []string) error { called = true; clock = clock.Add(st.callTook); return nil })
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
	if err := b.do(context.Background(), "u", func(context.Context, []string) error { return boom }); err != boom {
		t.Errorf("err %v", err)
	}
	waits = nil
	if b.do(context.Background(), "u", func(context.Context, []string) error { return nil }); len(waits) != 1 || waits[0] != time.Second {
		t.Errorf("after a failed call: waits %v", waits)
	}
}

func TestPacerGivesUpWithTheContext(t *testing.T) {
	p := &riskBatch{pace: newPacer(time.Hour, time.Now)}
	if err := p.do(context.Background(), "u", func(context.Context, []string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	// Waiting out the hour ends with the context, without calling.
	if err := p.do(ctx, "v", func(context.Context, []string) error { t.Error("called"); return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for the interval: %v", err)
	}
	// So does waiting for another call's turn.
	held := make(chan struct{})
	release := make(chan struct{})
	quick := &riskBatch{pace: newPacer(time.Nanosecond, time.Now)}
	go quick.do(context.Background(), "u", func(context.Context, []string) error { close(held); <-release; return nil })
	<-held
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if err := quick.do(ctx2, "v", func(context.Context, []string) error { t.Error("called"); return nil }); !errors.Is(err, context.DeadlineExceeded) {
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

// TestConfirmCompromisedUnlicensedBatch: a refusal that speaks for the
// tenant (no Entra ID P2) answers every user of the batch at once, rather
// than sending each alone a second apart.
func TestConfirmCompromisedUnlicensedBatch(t *testing.T) {
	g := fakegraph.New(fakegraph.Options{Token: testToken, NoP2: true, RiskWindow: 100 * time.Millisecond})
	t.Cleanup(g.Close)
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		g.AddUser(fakegraph.User{ID: ids[i]})
	}
	c, err := New(Config{BaseURL: g.URL(), Token: testToken, Retry: fastRetry(1), CompromisedInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			if _, err := c.ConfirmCompromised(context.Background(), id); revoke.KindOf(err) != revoke.KindUnlicensed {
				t.Errorf("%s: %v", id, err)
			}
		})
	}
	wg.Wait()
	if n := len(g.Requests()); n > 3 {
		t.Errorf("%d requests for %d users refused for the tenant", n, len(ids))
	}
}
