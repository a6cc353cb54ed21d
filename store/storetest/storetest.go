// Package storetest is the contract every store.Store backend must meet.
// A backend's test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// Run runs the contract against stores made by open. Each call of open must
// return a new, empty store and arrange for it to be closed (t.Cleanup).
// Run it with -race: the concurrency subtests are only meaningful there.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []contractTest{
		{"CreateAndGet", testCreateAndGet},
		{"Defaults", testDefaults},
		{"NotFound", testNotFound},
		{"Duplicate", testDuplicate},
		{"Invalid", testInvalid},
		{"SetRootTS", testSetRootTS},
		{"CleansText", testCleansText},
		{"Transition", testTransition},
		{"TransitionConflict", testTransitionConflict},
		{"TransitionRace", testTransitionRace},
		{"TransitionUnexpired", testTransitionUnexpired},
		{"DuePending", testDuePending},
		{"InState", testInState},
		{"AuditAppendTrailVerify", testAudit},
		{"AuditCleansText", testAuditCleansText},
		{"AuditConcurrentAppends", testAuditConcurrent},
		{"Ping", func(t *testing.T, s store.Store) {
			if err := s.Ping(context.Background()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		}},
	}
	tests = append(tests, subjectTests...)
	tests = append(tests, bulkTests...)
	tests = append(tests, transitionTests...)
	tests = append(tests, outboxTests...)
	tests = append(tests, taskTests...)
	tests = append(tests, approvalTests...)
	tests = append(tests, exportTests...)
	tests = append(tests, targetTests...)
	tests = append(tests, signatureTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, open(t)) })
	}
}

// contractTest is one subtest of the contract, run on a fresh store.
type contractTest struct {
	name string
	f    func(t *testing.T, s store.Store)
}

// base is a fixed instant with nanoseconds and a non-UTC zone, to show that
// stores return UTC to the microsecond.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

func newRequest(id string) store.Request {
	return store.Request{
		ID:            id,
		Kind:          store.KindUser,
		State:         store.StatePending,
		Requester:     "U01AAAAAAA",
		Channel:       "C01INCIDENT",
		TriggerID:     "trigger-" + id,
		NeedsApproval: true,
		Target:        json.RawMessage(`{"id":"6f1c…","upn":"alice@contoso.com", "guest":false}`),
		CreatedAt:     base,
		ExpiresAt:     base.Add(10 * time.Minute),
	}
}

func create(t *testing.T, s store.Store, r store.Request) {
	t.Helper()
	if err := s.CreateRequest(context.Background(), r); err != nil {
		t.Fatalf("CreateRequest(%s): %v", r.ID, err)
	}
}

func get(t *testing.T, s store.Store, id string) store.Request {
	t.Helper()
	r, err := s.Request(context.Background(), id)
	if err != nil {
		t.Fatalf("Request(%s): %v", id, err)
	}
	return r
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	want = want.UTC().Truncate(time.Microsecond)
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want %v in UTC", what, got, want)
	}
}

func testCreateAndGet(t *testing.T, s store.Store) {
	in := newRequest("r1")
	create(t, s, in)
	got := get(t, s, "r1")
	if got.ID != in.ID || got.Kind != in.Kind || got.State != in.State || got.Requester != in.Requester ||
		got.Channel != in.Channel || got.TriggerID != in.TriggerID || got.NeedsApproval != in.NeedsApproval ||
		got.RootTS != "" || got.DecidedBy != "" || got.Detail != "" {
		t.Errorf("Request = %+v, want %+v", got, in)
	}
	if string(got.Target) != string(in.Target) {
		t.Errorf("Target = %s, want it byte for byte: %s", got.Target, in.Target)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, in.CreatedAt)
	sameTime(t, "ExpiresAt", got.ExpiresAt, in.ExpiresAt)
	sameTime(t, "UpdatedAt", got.UpdatedAt, in.CreatedAt)
}

func testDefaults(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Second)
	create(t, s, store.Request{ID: "bare", Kind: store.KindUser, Requester: "U1"})
	got := get(t, s, "bare")
	if got.State != store.StatePending {
		t.Errorf("State = %q, want pending", got.State)
	}
	if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", got.CreatedAt)
	}
	if !got.ExpiresAt.IsZero() || got.Target != nil || got.TriggerID != "" {
		t.Errorf("ExpiresAt, Target, TriggerID = %v, %q, %q; want zero values", got.ExpiresAt, got.Target, got.TriggerID)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Request(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Request: %v, want ErrNotFound", err)
	}
	if err := s.SetRootTS(ctx, "nope", "1.2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetRootTS: %v, want ErrNotFound", err)
	}
	if _, err := s.Transition(ctx, "nope", store.StatePending, store.StateRunning, store.Change{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Transition: %v, want ErrNotFound", err)
	}
}

func testDuplicate(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newRequest("r1"))
	sameID := newRequest("r1")
	sameID.TriggerID = "other"
	if err := s.CreateRequest(ctx, sameID); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("same ID: %v, want ErrDuplicate", err)
	}
	sameTrigger := newRequest("r2")
	sameTrigger.TriggerID = "trigger-r1"
	if err := s.CreateRequest(ctx, sameTrigger); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("same TriggerID: %v, want ErrDuplicate", err)
	}
	// Requests made without a trigger (e.g. by the bot itself) must not collide.
	for _, id := range []string{"n1", "n2"} {
		r := newRequest(id)
		r.TriggerID = ""
		create(t, s, r)
	}
	if got := get(t, s, "r1"); got.TriggerID != "trigger-r1" {
		t.Errorf("the first request was changed: %+v", got)
	}
}

func testInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	for name, r := range map[string]store.Request{
		"no ID":      {Kind: store.KindUser},
		"no kind":    {ID: "x"},
		"bad state":  {ID: "x", Kind: store.KindUser, State: "maybe"},
		"bad target": {ID: "x", Kind: store.KindUser, Target: json.RawMessage(`{`)},
	} {
		if err := s.CreateRequest(ctx, r); err == nil {
			t.Errorf("%s: CreateRequest accepted %+v", name, r)
		}
	}
	create(t, s, newRequest("done"))
	if _, err := s.Transition(ctx, "done", store.StatePending, store.StateCancelled, store.Change{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctx, "done", store.StateCancelled, store.StatePending, store.Change{}); err == nil {
		t.Error("Transition out of a terminal state succeeded")
	}
	if _, err := s.Transition(ctx, "done", store.StatePending, "maybe", store.Change{}); err == nil {
		t.Error("Transition to an unknown state succeeded")
	}
}

func testSetRootTS(t *testing.T, s store.Store) {
	create(t, s, newRequest("r1"))
	if err := s.SetRootTS(context.Background(), "r1", "1710425366.000100"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "r1"); got.RootTS != "1710425366.000100" || got.State != store.StatePending {
		t.Errorf("after SetRootTS: %+v", got)
	}
}

// testCleansText: NUL and invalid UTF-8, which some databases refuse, are
// replaced in what is stored and in what is looked up, so a stray byte in an
// error detail cannot fail a transition and a key is found as it was given.
func testCleansText(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := newRequest("r\xff")
	r.Requester, r.TriggerID = "U\x001", ""
	create(t, s, r)
	got, err := s.Transition(ctx, "r\xff", store.StatePending, store.StateFailed, store.Change{Detail: "graph: \x00\xfe"})
	if err != nil {
		t.Fatalf("Transition: %v", err)
	}
	if got.ID != "r\uFFFD" || got.Requester != "U\uFFFD1" || got.Detail != "graph: \uFFFD\uFFFD" {
		t.Errorf("stored ID %q, requester %q, detail %q", got.ID, got.Requester, got.Detail)
	}
	if err := s.SetRootTS(ctx, "r\xff", "1.2"); err != nil {
		t.Errorf("SetRootTS: %v", err)
	}
}

func testTransition(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newRequest("r1"))
	at := base.Add(time.Minute)
	got, err := s.Transition(ctx, "r1", store.StatePending, store.StateRunning, store.Change{DecidedBy: "U02", Detail: "approved", At: at})
	if err != nil {
		t.Fatalf("Transition: %v", err)
	}
	if got.State != store.StateRunning || got.DecidedBy != "U02" || got.Detail != "approved" {
		t.Errorf("returned %+v", got)
	}
	sameTime(t, "UpdatedAt", got.UpdatedAt, at)
	sameTime(t, "CreatedAt", got.CreatedAt, base)
	// Empty fields keep what the decision recorded.
	got, err = s.Transition(ctx, "r1", store.StateRunning, store.StateSucceeded, store.Change{At: at.Add(time.Second)})
	if err != nil {
		t.Fatalf("Transition: %v", err)
	}
	if got.State != store.StateSucceeded || got.DecidedBy != "U02" || got.Detail != "approved" {
		t.Errorf("returned %+v", got)
	}
	stored := get(t, s, "r1")
	if stored.State != got.State || stored.DecidedBy != got.DecidedBy || !stored.UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("stored %+v, returned %+v", stored, got)
	}
}

func testTransitionConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newRequest("r1"))
	if _, err := s.Transition(ctx, "r1", store.StatePending, store.StateDenied, store.Change{DecidedBy: "U03"}); err != nil {
		t.Fatal(err)
	}
	cur, err := s.Transition(ctx, "r1", store.StatePending, store.StateRunning, store.Change{DecidedBy: "U04"})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second decision: %v, want ErrConflict", err)
	}
	if cur.ID != "r1" || cur.State != store.StateDenied || cur.DecidedBy != "U03" {
		t.Errorf("conflict returned %+v, want the current, denied request", cur)
	}
}

// testTransitionUnexpired: a decision that must land before the deadline
// does not land after it, and says so with ErrConflict.
func testTransitionUnexpired(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := newRequest("r1")
	create(t, s, r)
	late := store.Change{DecidedBy: "U04", At: r.ExpiresAt, Unexpired: true}
	cur, err := s.Transition(ctx, "r1", store.StatePending, store.StateRunning, late)
	if !errors.Is(err, store.ErrConflict) || cur.State != store.StatePending {
		t.Fatalf("decision at the deadline: %v, state %s; want ErrConflict and still pending", err, cur.State)
	}
	early := store.Change{DecidedBy: "U04", At: r.ExpiresAt.Add(-time.Microsecond), Unexpired: true}
	if cur, err := s.Transition(ctx, "r1", store.StatePending, store.StateRunning, early); err != nil || cur.State != store.StateRunning {
		t.Fatalf("decision before the deadline: %v", err)
	}
	// Expiry itself is not an unexpired decision.
	create(t, s, newRequest("r2"))
	if _, err := s.Transition(ctx, "r2", store.StatePending, store.StateExpired, store.Change{At: r.ExpiresAt}); err != nil {
		t.Fatal(err)
	}
}

// testTransitionRace is two clicks and two replicas at once: half the
// goroutines confirm, half cancel, and exactly one of all of them may win.
func testTransitionRace(t *testing.T, s store.Store) {
	const n = 50
	ctx := context.Background()
	create(t, s, newRequest("r1"))
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		winners []store.State
	)
	for i := range n {
		to := store.StateRunning
		if i%2 == 1 {
			to = store.StateCancelled
		}
		wg.Go(func() {
			<-start
			got, err := s.Transition(ctx, "r1", store.StatePending, to, store.Change{DecidedBy: fmt.Sprint("U", i)})
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, got.State)
				mu.Unlock()
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("goroutine %d: %v, want nil or ErrConflict", i, err)
			case got.State == store.StatePending:
				t.Errorf("goroutine %d lost to a request that is still pending", i)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d goroutines won the compare-and-set, want exactly 1", len(winners))
	}
	if got := get(t, s, "r1"); got.State != winners[0] {
		t.Errorf("stored state %q, winner set %q", got.State, winners[0])
	}
}

func testDuePending(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := base.Add(time.Hour)
	for _, c := range []struct {
		id      string
		expires time.Time
		state   store.State
	}{
		{"past", now.Add(-time.Minute), store.StatePending},
		{"exactly", now, store.StatePending},
		{"future", now.Add(time.Nanosecond * 1000), store.StatePending},
		{"never", time.Time{}, store.StatePending},
		{"decided", now.Add(-time.Minute), store.StateRunning},
	} {
		r := newRequest(c.id)
		r.ExpiresAt, r.State = c.expires, c.state
		create(t, s, r)
	}
	due, err := s.DuePending(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(due); fmt.Sprint(got) != "[past exactly]" {
		t.Errorf("DuePending = %v, want [past exactly]", got)
	}
}

func testInState(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i, id := range []string{"c", "a", "b"} { // created in this order, IDs not sorted
		r := newRequest(id)
		r.CreatedAt = base.Add(time.Duration(i) * time.Second)
		create(t, s, r)
	}
	if _, err := s.Transition(ctx, "a", store.StatePending, store.StateRunning, store.Change{}); err != nil {
		t.Fatal(err)
	}
	pending, err := s.InState(ctx, store.StatePending)
	if err != nil {
		t.Fatal(err)
	}
	running, err := s.InState(ctx, store.StateRunning)
	if err != nil {
		t.Fatal(err)
	}
	none, err := s.InState(ctx, store.StateFailed)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(pending), ids(running), len(none)) != "[c b] [a] 0" {
		t.Errorf("InState: pending %v, running %v, failed %d; want [c b] [a] 0", ids(pending), ids(running), len(none))
	}
}

func ids(rs []store.Request) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}
