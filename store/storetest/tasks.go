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

// taskTests are the contract of store.Tasks; as for bulk jobs, lease times
// are injected and the fence must not depend on the clock.
var taskTests = []contractTest{
	{"TaskCreate", testTaskCreate},
	{"TaskClaim", testTaskClaim},
	{"TaskFencing", testTaskFencing},
	{"TaskSeal", testTaskSeal},
	{"OpenTasks", testOpenTasks},
	{"TaskClaimRace", testTaskClaimRace},
}

func newTask(t *testing.T, s store.Store, id, kind string, at time.Time) {
	t.Helper()
	err := s.CreateTask(context.Background(), store.Task{ID: id, Kind: kind, RequestID: "r1",
		State: json.RawMessage(`{"since": "15:09"}`), CreatedAt: at})
	if err != nil {
		t.Fatalf("CreateTask(%s): %v", id, err)
	}
}

func task(t *testing.T, s store.Store, id string) store.Task {
	t.Helper()
	tk, err := s.Task(context.Background(), id)
	if err != nil {
		t.Fatalf("Task(%s): %v", id, err)
	}
	return tk
}

func testTaskCreate(t *testing.T, s store.Store) {
	ctx := context.Background()
	newTask(t, s, "watch:r\xff1", "watch", base)
	got := task(t, s, "watch:r\uFFFD1")
	if got.ID != "watch:r\uFFFD1" || got.Kind != "watch" || got.RequestID != "r1" || got.Owner != "" ||
		!got.LeaseUntil.IsZero() || got.Done {
		t.Errorf("new task = %+v", got)
	}
	if string(got.State) != `{"since": "15:09"}` {
		t.Errorf("State = %s, want it byte for byte", got.State)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, base)
	sameTime(t, "UpdatedAt", got.UpdatedAt, base)
	if err := s.CreateTask(ctx, store.Task{ID: "watch:r\xfe1", Kind: "other"}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("CreateTask of a known ID: %v, want ErrDuplicate", err)
	}
	if _, err := s.Task(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Task of an unknown ID: %v, want ErrNotFound", err)
	}
	before := time.Now().Add(-time.Second)
	if err := s.CreateTask(ctx, store.Task{ID: "bare", Kind: "watch"}); err != nil {
		t.Fatal(err)
	}
	bare := task(t, s, "bare")
	if bare.State != nil || bare.CreatedAt.Before(before) || bare.CreatedAt.Location() != time.UTC || !bare.UpdatedAt.Equal(bare.CreatedAt) {
		t.Errorf("bare task = %+v, want no state and created about now in UTC", bare)
	}
	for name, tk := range map[string]store.Task{
		"no ID":     {Kind: "watch"},
		"no kind":   {ID: "x"},
		"bad state": {ID: "x", Kind: "watch", State: json.RawMessage(`{`)},
		"an owner":  {ID: "x", Kind: "watch", Owner: "A"},
		"a lease":   {ID: "x", Kind: "watch", LeaseUntil: base},
	} {
		if err := s.CreateTask(ctx, tk); err == nil || errors.Is(err, store.ErrDuplicate) {
			t.Errorf("CreateTask with %s: %v, want a refusal", name, err)
		}
	}
}

func testTaskClaim(t *testing.T, s store.Store) {
	ctx := context.Background()
	newTask(t, s, "t1", "watch", base)
	tk, err := s.ClaimTask(ctx, "t1", "A", base, base.Add(time.Minute))
	if err != nil || tk.Owner != "A" {
		t.Fatalf("first claim = %+v, %v", tk, err)
	}
	sameTime(t, "LeaseUntil", tk.LeaseUntil, base.Add(time.Minute))
	if tk, err = s.ClaimTask(ctx, "t1", "A", base.Add(30*time.Second), base.Add(90*time.Second)); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	sameTime(t, "LeaseUntil after the heartbeat", tk.LeaseUntil, base.Add(90*time.Second))
	cur, err := s.ClaimTask(ctx, "t1", "B", base.Add(89*time.Second), base.Add(3*time.Minute))
	if !errors.Is(err, store.ErrConflict) || cur.Owner != "A" {
		t.Fatalf("claim during A's lease = %+v, %v; want ErrConflict and A's task", cur, err)
	}
	if tk, err = s.ClaimTask(ctx, "t1", "B", base.Add(90*time.Second), base.Add(150*time.Second)); err != nil || tk.Owner != "B" {
		t.Fatalf("claim at the end of A's lease = %+v, %v", tk, err)
	}
	if err := s.ReleaseTask(ctx, "t1", "A"); err != nil || task(t, s, "t1").Owner != "B" {
		t.Errorf("release by A, who lost the lease: %v, owner %q", err, task(t, s, "t1").Owner)
	}
	if err := s.ReleaseTask(ctx, "t1", "B"); err != nil {
		t.Fatal(err)
	}
	if tk := task(t, s, "t1"); tk.Owner != "" || !tk.LeaseUntil.IsZero() {
		t.Errorf("after release: %+v", tk)
	}
	if tk, err = s.ClaimTask(ctx, "t1", "C", base.Add(100*time.Second), base.Add(200*time.Second)); err != nil || tk.Owner != "C" {
		t.Fatalf("claim after release = %+v, %v", tk, err)
	}
	if !task(t, s, "t1").UpdatedAt.Equal(task(t, s, "t1").CreatedAt) {
		t.Error("claims changed UpdatedAt")
	}
	if _, err := s.ClaimTask(ctx, "nope", "A", base, base.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("claim of an unknown task: %v, want ErrNotFound", err)
	}
	if err := s.ReleaseTask(ctx, "nope", "A"); err != nil {
		t.Errorf("release of an unknown task: %v, want a no-op", err)
	}
	if err := s.ReleaseTask(ctx, "t1", ""); err != nil || task(t, s, "t1").Owner != "C" {
		t.Errorf("release by nobody: %v", err)
	}
	for name, c := range map[string]struct {
		owner      string
		now, until time.Time
	}{"empty owner": {"", base, base.Add(time.Hour)}, "lease ends at now": {"C", base, base}} {
		if _, err := s.ClaimTask(ctx, "t1", c.owner, c.now, c.until); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("claim with %s: %v, want a refusal that is not a lost race", name, err)
		}
	}
}

func testTaskFencing(t *testing.T, s store.Store) {
	ctx := context.Background()
	newTask(t, s, "t1", "watch", base)
	if err := s.SaveTask(ctx, "t1", "A", json.RawMessage(`{"n":1}`), false); !errors.Is(err, store.ErrConflict) {
		t.Errorf("save of an unclaimed task: %v, want ErrConflict", err)
	}
	if _, err := s.ClaimTask(ctx, "t1", "A", base, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A's lease is long over by the wall clock: that alone fences nothing.
	before := time.Now().Add(-time.Second)
	if err := s.SaveTask(ctx, "t1", "A", json.RawMessage(`{"n":1}`), false); err != nil {
		t.Fatal(err)
	}
	tk := task(t, s, "t1")
	if string(tk.State) != `{"n":1}` || tk.Owner != "A" || tk.Done || tk.UpdatedAt.Before(before) || tk.UpdatedAt.Location() != time.UTC {
		t.Errorf("after a save: %+v", tk)
	}
	sameTime(t, "CreatedAt after a save", tk.CreatedAt, base)
	if err := s.SaveTask(ctx, "t1", "A", nil, false); err != nil || string(task(t, s, "t1").State) != `{"n":1}` {
		t.Errorf("a save without state: %v, state %s; want the state kept", err, task(t, s, "t1").State)
	}
	if err := s.SaveTask(ctx, "t1", "A", json.RawMessage(`{`), false); err == nil {
		t.Error("SaveTask accepted a state that is not JSON")
	}
	if _, err := s.ClaimTask(ctx, "t1", "B", base.Add(time.Minute), base.Add(2*time.Minute)); err != nil {
		t.Fatalf("takeover: %v", err)
	}
	if err := s.SaveTask(ctx, "t1", "A", json.RawMessage(`{"n":2}`), true); !errors.Is(err, store.ErrConflict) {
		t.Errorf("save by the old owner: %v, want ErrConflict", err)
	}
	if err := s.SaveTask(ctx, "t1", "", json.RawMessage(`{"n":2}`), true); !errors.Is(err, store.ErrConflict) {
		t.Errorf("save by nobody: %v, want ErrConflict", err)
	}
	if tk := task(t, s, "t1"); string(tk.State) != `{"n":1}` || tk.Done || tk.Owner != "B" {
		t.Errorf("refused saves changed the task: %+v", tk)
	}
	if err := s.SaveTask(ctx, "t1", "B", json.RawMessage(`{"n":3}`), true); err != nil {
		t.Fatal(err)
	}
	if tk := task(t, s, "t1"); string(tk.State) != `{"n":3}` || !tk.Done || tk.Owner != "" || !tk.LeaseUntil.IsZero() {
		t.Errorf("after the last save: %+v, want it done and released", tk)
	}
	// A done task is done for good.
	if cur, err := s.ClaimTask(ctx, "t1", "C", base.Add(time.Hour), base.Add(2*time.Hour)); !errors.Is(err, store.ErrConflict) || !cur.Done {
		t.Errorf("claim of a done task = %+v, %v; want it and ErrConflict", cur, err)
	}
	if err := s.SaveTask(ctx, "t1", "B", nil, false); !errors.Is(err, store.ErrConflict) {
		t.Errorf("save of a done task: %v, want ErrConflict", err)
	}
	if err := s.SaveTask(ctx, "nope", "A", nil, false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("save of an unknown task: %v, want ErrNotFound", err)
	}
}

func testOpenTasks(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i, id := range []string{"w-c", "w-a", "w-b"} { // created in this order, IDs not sorted
		newTask(t, s, id, "watch", base.Add(time.Duration(i)*time.Second))
	}
	newTask(t, s, "w-0", "watch", base.Add(time.Second)) // the same time as w-a: ID breaks the tie
	newTask(t, s, "o-1", "other", base)
	if _, err := s.ClaimTask(ctx, "w-b", "A", base, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimTask(ctx, "w-c", "A", base, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTask(ctx, "w-c", "A", nil, true); err != nil {
		t.Fatal(err)
	}
	open, err := s.OpenTasks(ctx, "watch")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range open {
		got = append(got, tk.ID)
	}
	if fmt.Sprint(got) != "[w-0 w-a w-b]" {
		t.Errorf("OpenTasks(watch) = %v, want [w-0 w-a w-b] (held ones included, done ones not)", got)
	}
	if open[2].Owner != "A" {
		t.Errorf("open held task = %+v", open[2])
	}
	if other, err := s.OpenTasks(ctx, "other"); err != nil || len(other) != 1 || other[0].ID != "o-1" {
		t.Errorf("OpenTasks(other) = %+v, %v", other, err)
	}
	if none, err := s.OpenTasks(ctx, "nope"); err != nil || len(none) != 0 {
		t.Errorf("OpenTasks of an unknown kind = %+v, %v; want none", none, err)
	}
}

// testTaskClaimRace is replicas resuming the same task at once.
func testTaskClaimRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	newTask(t, s, "t1", "watch", base)
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		winners []string
	)
	for i := range 10 {
		owner := fmt.Sprint("replica-", i)
		wg.Go(func() {
			<-start
			tk, err := s.ClaimTask(ctx, "t1", owner, base, base.Add(time.Minute))
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, tk.Owner)
				mu.Unlock()
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("%s: %v", owner, err)
			case tk.Owner == owner || tk.Owner == "":
				t.Errorf("%s lost the claim to %q", owner, tk.Owner)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 || task(t, s, "t1").Owner != winners[0] {
		t.Errorf("winners %v, stored owner %q; want exactly one", winners, task(t, s, "t1").Owner)
	}
}

// testTaskSeal: SealTask keeps the state, ends the task and appends its
// record with the record's messages, all or nothing: fenced out, it
// appends nothing and tells nobody.
func testTaskSeal(t *testing.T, s store.Store) {
	ctx := context.Background()
	newTask(t, s, "t1", "snapshot", base)
	e := store.Event{Time: base, Event: "snapshot", RequestID: "r1", Actor: "revokebot", Detail: "sealed"}
	tell := store.Tell{Kind: store.DeliverAudit, Key: "audit", RequestID: "r1", Channel: "C1"}
	if _, err := s.SealTask(ctx, "t1", "A", json.RawMessage(`{"n":1}`), e, tell); !errors.Is(err, store.ErrConflict) {
		t.Errorf("seal of an unclaimed task: %v, want ErrConflict", err)
	}
	if _, err := s.ClaimTask(ctx, "t1", "A", base, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimTask(ctx, "t1", "B", base.Add(time.Minute), base.Add(2*time.Minute)); err != nil {
		t.Fatalf("takeover: %v", err)
	}
	if _, err := s.SealTask(ctx, "t1", "A", json.RawMessage(`{"n":1}`), e, tell); !errors.Is(err, store.ErrConflict) {
		t.Errorf("seal by the old owner: %v, want ErrConflict", err)
	}
	if _, err := s.SealTask(ctx, "nope", "B", nil, e, tell); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("seal of an unknown task: %v, want ErrNotFound", err)
	}
	if _, err := s.SealTask(ctx, "t1", "B", json.RawMessage(`{`), e, tell); err == nil {
		t.Error("SealTask accepted a state that is not JSON")
	}
	trail, err := s.AuditTrail(ctx, "r1")
	if n, _ := s.OutboxPending(ctx); err != nil || len(trail) != 0 || n != 0 {
		t.Fatalf("refused seals wrote %d records (%v) and %d messages", len(trail), err, n)
	}
	if tk := task(t, s, "t1"); string(tk.State) != `{"since": "15:09"}` || tk.Done {
		t.Fatalf("refused seals changed the task: %+v", tk)
	}
	rec, err := s.SealTask(ctx, "t1", "B", json.RawMessage(`{"n":2}`), e, tell)
	if err != nil || rec.Seq == 0 || rec.Detail != "sealed" {
		t.Fatalf("SealTask = %+v, %v", rec, err)
	}
	if tk := task(t, s, "t1"); string(tk.State) != `{"n":2}` || !tk.Done || tk.Owner != "" || !tk.LeaseUntil.IsZero() {
		t.Errorf("after the seal: %+v, want its state, done and released", tk)
	}
	trail, err = s.AuditTrail(ctx, "r1")
	if n, _ := s.OutboxPending(ctx); err != nil || len(trail) != 1 || trail[0].Seq != rec.Seq || n != 1 {
		t.Errorf("after the seal: trail %+v (%v), %d messages; want its record and message", trail, err, n)
	}
	if _, err := s.SealTask(ctx, "t1", "B", nil, e, tell); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second seal: %v, want ErrConflict", err)
	}
}
