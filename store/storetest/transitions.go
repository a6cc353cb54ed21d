package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/revokebot/revokebot/store"
)

// transitionTests are the contract of the state machine (store.Transitions).
var transitionTests = []contractTest{
	{"TransitionTable", testTransitionTable},
	{"IllegalBeforeTheDatabase", testIllegalBeforeTheDatabase},
}

// allStates is every state a request can be in.
var allStates = []store.State{
	store.StatePending, store.StateRunning, store.StateSucceeded, store.StateFailed,
	store.StateCancelled, store.StateDenied, store.StateExpired, store.StateStopped,
}

// wantLegal is the state machine written out again, so that a change of the
// table has to be made twice on purpose.
var wantLegal = map[[2]store.State]bool{
	{store.StatePending, store.StateRunning}:   true,
	{store.StatePending, store.StateCancelled}: true,
	{store.StatePending, store.StateDenied}:    true,
	{store.StatePending, store.StateExpired}:   true,
	{store.StatePending, store.StateFailed}:    true,
	{store.StateRunning, store.StateSucceeded}: true,
	{store.StateRunning, store.StateFailed}:    true,
	{store.StateRunning, store.StateStopped}:   true,
}

// testTransitionTable tries every ordered pair of states on a request that
// is in the first: the legal ones move it, every other one is refused with
// ErrIllegal and leaves it where it was.
func testTransitionTable(t *testing.T, s store.Store) {
	ctx := context.Background()
	if len(store.Transitions) != len(wantLegal) {
		t.Errorf("store.Transitions has %d edges, want %d", len(store.Transitions), len(wantLegal))
	}
	for _, from := range allStates {
		out := 0
		for _, to := range allStates {
			legal := wantLegal[[2]store.State{from, to}]
			if store.Legal(from, to) != legal {
				t.Errorf("Legal(%s, %s) = %v, want %v", from, to, !legal, legal)
			}
			if legal {
				out++
			}
			id := fmt.Sprintf("%s-%s", from, to)
			r := newRequest(id)
			r.State, r.TriggerID = from, ""
			create(t, s, r)
			got, err := s.Transition(ctx, id, from, to, store.Change{DecidedBy: "U1", Detail: "tried"})
			switch {
			case legal && err != nil:
				t.Errorf("%s -> %s: %v, want it to succeed", from, to, err)
			case legal && got.State != to:
				t.Errorf("%s -> %s returned state %s", from, to, got.State)
			case !legal && !errors.Is(err, store.ErrIllegal):
				t.Errorf("%s -> %s: %v, want ErrIllegal", from, to, err)
			case !legal && errors.Is(err, store.ErrConflict):
				t.Errorf("%s -> %s: %v is also a lost race; an illegal move is not one", from, to, err)
			}
			want := from
			if legal {
				want = to
			}
			if stored := get(t, s, id); stored.State != want || (!legal && stored.Detail != "") {
				t.Errorf("%s -> %s: stored state %s, detail %q; want %s", from, to, stored.State, stored.Detail, want)
			}
		}
		if from.Terminal() != (out == 0) {
			t.Errorf("%s: Terminal() = %v with %d legal moves out of it", from, from.Terminal(), out)
		}
	}
	for _, bad := range [][2]store.State{{"maybe", store.StateRunning}, {store.StatePending, "maybe"}, {"", store.StateRunning}} {
		if store.Legal(bad[0], bad[1]) {
			t.Errorf("Legal(%q, %q) = true", bad[0], bad[1])
		}
		if _, err := s.Transition(ctx, "pending-running", bad[0], bad[1], store.Change{}); !errors.Is(err, store.ErrIllegal) {
			t.Errorf("%q -> %q: %v, want ErrIllegal", bad[0], bad[1], err)
		}
	}
}

// testIllegalBeforeTheDatabase: an illegal move is refused before the
// store looks for the request, so it is ErrIllegal even for one that does
// not exist, and a Decide with it writes nothing of what it carries.
func testIllegalBeforeTheDatabase(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Transition(ctx, "nope", store.StatePending, store.StateSucceeded, store.Change{}); !errors.Is(err, store.ErrIllegal) {
		t.Errorf("illegal move of an unknown request: %v, want ErrIllegal", err)
	}
	create(t, s, newRequest("r1"))
	c := store.Change{
		Audit:     &store.Event{Event: "succeeded", RequestID: "r1", Actor: "U1"},
		Tell:      []store.Tell{{Kind: store.DeliverReply, Key: "r1", RequestID: "r1"}},
		CreateJob: true,
	}
	r, rec, err := s.Decide(ctx, "r1", store.StatePending, store.StateSucceeded, c)
	if !errors.Is(err, store.ErrIllegal) || rec.Seq != 0 || r.ID != "" {
		t.Errorf("Decide pending -> succeeded = %+v, %+v, %v; want nothing and ErrIllegal", r, rec, err)
	}
	if got := get(t, s, "r1"); got.State != store.StatePending {
		t.Errorf("state after an illegal Decide: %s", got.State)
	}
	if n, err := s.VerifyAudit(ctx, nil); n.Records != 0 || err != nil {
		t.Errorf("audit after an illegal Decide: %d records, %v; want none", n, err)
	}
	if n := pending(t, s); n != 0 {
		t.Errorf("outbox after an illegal Decide: %d messages, want none", n)
	}
	if _, err := s.Job(ctx, "r1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("job after an illegal Decide: %v, want ErrNotFound", err)
	}
}
