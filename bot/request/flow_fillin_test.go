package request

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// gated lists methods as methods does, but holds the first listing of the
// users in slow until open is closed: Graph's reports budget, as a card
// sees it. Later listings (the actions') go through.
type gated struct {
	*methods
	mu   *sync.Mutex
	slow map[string]bool
	open chan struct{}
}

func (g gated) AuthMethods(ctx context.Context, userID string) ([]revoke.Method, error) {
	g.mu.Lock()
	hold := g.slow[userID]
	delete(g.slow, userID)
	g.mu.Unlock()
	if hold {
		select {
		case <-g.open:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.methods.AuthMethods(ctx, userID)
}

func newGated() gated {
	return gated{methods: &methods{by: map[string][]revoke.Method{
		alice.ID: {{ID: "a1", Type: "phone", Label: "mobile ••••0123"}},
		carol.ID: {{ID: "c1", Type: "fido2", Label: "Carol's key"}},
	}}, mu: &sync.Mutex{}, slow: map[string]bool{carol.ID: true}, open: make(chan struct{})}
}

// newFillFlow is a flow whose methods are gated, with its runs open for the
// card's fill-in.
func newFillFlow(t *testing.T) (gated, *flow) {
	g := newGated()
	f := newFlow(t, func(c *Config) { c.Methods = g })
	ctx, cancel := context.WithCancel(f.ctx)
	t.Cleanup(cancel)
	f.w.runs.open(ctx)
	return g, f
}

// waitTarget waits until the stored request satisfies ok.
func (f *flow) waitTarget(id string, ok func(requestTarget) bool) requestTarget {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		t := targetsOf(f.get(id))
		if ok(t) {
			return t
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("the stored target never got there: %+v", t.Listed)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFlowCardFillsIn: a card does not wait for a listing Graph holds up:
// it is posted with what was read, says what is still being listed, and is
// redrawn with the rest as it arrives.
func TestFlowCardFillsIn(t *testing.T) {
	t.Parallel()
	g, f := newFillFlow(t)
	start := time.Now()
	f.command(uReq, chInc, "alice carol --mfa")
	if took := time.Since(start); took > listLimit/2 {
		t.Fatalf("the command took %v: the card waited for the listing", took)
	}
	r := f.newest()
	f.deliver()
	card := f.msg.everything()
	for _, want := range []string{"mobile ••••0123", "Still listing what will be removed"} {
		if !strings.Contains(card, want) {
			t.Errorf("first card lacks %q:\n%s", want, card)
		}
	}
	if strings.Contains(card, "Carol's key") {
		t.Fatal("carol's listing on the card before it was read")
	}

	close(g.open)
	f.waitTarget(r.ID, func(t requestTarget) bool { return !t.Listed[carol.ID].Pending })
	f.deliver()
	redrawn := f.msg.everything()
	if !strings.Contains(redrawn, "FIDO2 security key: Carol's key") {
		t.Errorf("the card was not filled in:\n%s", redrawn)
	}
	if got := f.get(r.ID); got.State != store.StatePending {
		t.Errorf("filling in moved the request to %s", got.State)
	}
	f.click(uReq, ActionConfirm, r)
	f.w.runs.shutdown()
	f.w.runs.wait()
	if got := f.get(r.ID).State; got != store.StateSucceeded {
		t.Errorf("state %s", got)
	}
}

// TestFlowClickBeforeFillIn: a click while the card still lists runs the
// actions, which list again; the listing that arrives later changes
// nothing, and nothing is called new since the card that the card never
// showed.
func TestFlowClickBeforeFillIn(t *testing.T) {
	t.Parallel()
	g, f := newFillFlow(t)
	f.command(uReq, chInc, "alice carol --mfa")
	r := f.newest()
	before := string(f.get(r.ID).Target)
	f.click(uReq, ActionConfirm, r)
	if got := f.get(r.ID).State; got != store.StateSucceeded {
		t.Fatalf("state %s", got)
	}
	close(g.open) // the card's listing of carol arrives after the run
	f.w.runs.shutdown()
	f.w.runs.wait()
	if got := string(f.get(r.ID).Target); got != before {
		t.Errorf("a finished request's target changed:\n%s\n%s", before, got)
	}
	f.deliver()
	th := f.msg.text(chInc)
	if !strings.Contains(th, "Carol's key") {
		t.Errorf("carol's key was not removed:\n%s", th)
	}
	if strings.Contains(th, "new since the card") {
		t.Errorf("a listing the card never showed was called new since the card:\n%s", th)
	}
}
