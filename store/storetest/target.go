package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/revokebot/revokebot/store"
)

// targetTests are the contract of SetTarget.
var targetTests = []contractTest{
	{"SetTarget", testSetTarget},
}

// testSetTarget: a pending request's target is replaced, with its card's
// redraw in the outbox in the same write; a request in another state keeps
// its target and gets no message; an unknown one is not found.
func testSetTarget(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := newRequest("r1")
	if err := s.CreateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	redraw := []store.Tell{{Kind: store.DeliverCard, Key: "r1", RequestID: "r1"}}
	if err := s.SetTarget(ctx, "r1", store.StatePending, []byte(`{"listed":1}`), redraw); err != nil {
		t.Fatal(err)
	}
	got, err := s.Request(ctx, "r1")
	if err != nil || string(got.Target) != `{"listed":1}` || got.State != store.StatePending {
		t.Fatalf("after SetTarget: %s %s %v", got.Target, got.State, err)
	}
	if n, err := s.OutboxPending(ctx); err != nil || n != 1 {
		t.Fatalf("outbox %d %v, want the redraw", n, err)
	}
	// A reply needs an audit record: refused, nothing written.
	if err := s.SetTarget(ctx, "r1", store.StatePending, []byte(`{"listed":2}`),
		[]store.Tell{{Kind: store.DeliverReply, Key: "r1", RequestID: "r1"}}); err == nil {
		t.Error("a reply without a record was accepted")
	}
	if _, err := s.Transition(ctx, "r1", store.StatePending, store.StateCancelled, store.Change{DecidedBy: "U1"}); err != nil {
		t.Fatal(err)
	}
	err = s.SetTarget(ctx, "r1", store.StatePending, []byte(`{"listed":3}`), redraw)
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("on a cancelled request: %v, want ErrConflict", err)
	}
	if got, _ := s.Request(ctx, "r1"); string(got.Target) != `{"listed":1}` {
		t.Errorf("target changed after the request ended: %s", got.Target)
	}
	if n, _ := s.OutboxPending(ctx); n != 1 {
		t.Errorf("outbox %d: a refused write told", n)
	}
	if err := s.SetTarget(ctx, "nope", store.StatePending, nil, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown request: %v", err)
	}
}
