package request

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// dayLog is a sign-in log holding, for every user, a sign-in two hours
// before the flow's click and one after it; stall makes its first read
// wait until its context ends, as a read cut short by a restart.
type dayLog struct {
	mu      sync.Mutex
	stall   bool
	stalled chan struct{} // closed when the stalled read begins
	reads   int
}

var clickTime = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func (l *dayLog) SignIns(ctx context.Context, _ string, since time.Time) ([]revoke.SignIn, error) {
	l.mu.Lock()
	l.reads++
	stall := l.stall && l.reads == 1
	l.mu.Unlock()
	if stall {
		close(l.stalled)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	ins := []revoke.SignIn{{ID: "after", At: clickTime.Add(time.Minute), IP: "192.0.2.200", Success: true},
		{ID: "before", At: clickTime.Add(-2 * time.Hour), IP: "198.51.100.7", App: "Outlook", Success: true}}
	if !since.Equal(clickTime.Add(-signInsBefore)) {
		return nil, &revoke.Error{Kind: revoke.KindOther, Op: "read sign-ins", Status: 400}
	}
	return ins, nil
}

// stateProver reads every user back as enabled, sessions valid since a
// day before the click.
type stateProver struct{}

func (stateProver) ReadBack(context.Context, string) (revoke.Proof, error) {
	return revoke.Proof{AccountEnabled: true, SessionsValidFrom: clickTime.Add(-24 * time.Hour), PasswordChanged: clickTime.Add(-90 * 24 * time.Hour)}, nil
}

func snapshotFlow(t *testing.T, log *dayLog) *flow {
	registered := revoke.DirectoryEvent{ID: "ev1", At: clickTime.Add(-2 * time.Hour), Activity: "User registered security info", By: "alice@contoso.com", IP: "198.51.100.7"}
	return newFlow(t, func(c *Config) {
		c.SignIns, c.Prover = log, stateProver{}
		c.Changes = auditLog{by: map[string][]revoke.DirectoryEvent{alice.ID: {registered}}}
	})
}

// disableAlice runs "/revoke alice --disable" to its end, background
// work and all, as a replica would.
func (f *flow) disableAlice() store.Request {
	f.t.Helper()
	ctx, cancel := context.WithCancel(f.ctx)
	f.t.Cleanup(cancel)
	f.w.runs.open(ctx)
	f.command(uReq, chInc, "alice --disable")
	r := f.newest()
	f.click(uReq, ActionConfirm, r)
	f.w.runs.wait()
	return r
}

// sealedSnapshot is request id's stored snapshot, the digests its records
// sealed, and whether its task is done.
func (f *flow) sealedSnapshot(id string) (snapshot, []byte, []string, bool) {
	f.t.Helper()
	task, err := f.st.Task(f.ctx, SnapshotID(id))
	if err != nil {
		f.t.Fatal(err)
	}
	seals, err := f.w.exec.seals(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	var s snapshot
	if err := json.Unmarshal(task.State, &s); err != nil {
		f.t.Fatal(err)
	}
	return s, task.State, seals, task.Done
}

// TestFlowSnapshotLogs: after the actions, the snapshot gains the
// sign-ins of the day and the directory events of the week before the
// click (nothing after it) and is sealed again; the complete document is
// the one attached, and its digest is the last seal.
func TestFlowSnapshotLogs(t *testing.T) {
	t.Parallel()
	f := snapshotFlow(t, &dayLog{})
	r := f.disableAlice()
	if got := f.events(r.ID); got != "requested,confirmed,started,snapshot,outcome,succeeded,readback,snapshot" {
		t.Fatalf("events %s", got)
	}
	s, raw, seals, done := f.sealedSnapshot(r.ID)
	if !done || len(seals) != 2 || seals[1] != digestOf(raw) || s.Logs != logsRead {
		t.Fatalf("done %v, seals %v, digest %s, logs %q", done, seals, digestOf(raw), s.Logs)
	}
	a := s.Users[0]
	if len(a.SignIns) != 1 || a.SignIns[0].IP != "198.51.100.7" || len(a.DirectoryEvents) != 1 || a.SignInState == nil || !a.SignInState.AccountEnabled {
		t.Fatalf("alice's snapshot: %+v", a)
	}
	if a.NotRead["directory_roles"] == "" {
		t.Errorf("roles not read without saying why: %v", a.NotRead)
	}
	f.msg.mu.Lock()
	uploads := f.msg.uploads
	f.msg.mu.Unlock()
	if len(uploads) != 1 || uploads[0].Size != len(raw) || uploads[0].Name != "snapshot-"+r.ID+".json" {
		t.Fatalf("uploads %+v", uploads)
	}

	// The watch's alarms hold an IP against the sign-ins before the click,
	// as far as the snapshot is the one sealed.
	if got := f.w.seenBefore(f.ctx, r.ID, alice.ID, "198.51.100.7"); !strings.Contains(got, "not new: 1 successful sign-in") {
		t.Errorf("a known IP: %q", got)
	}
	if got := f.w.seenBefore(f.ctx, r.ID, alice.ID, "192.0.2.99"); !strings.Contains(got, "A *new* IP") {
		t.Errorf("a new IP: %q", got)
	}
	f.attack(`UPDATE tasks SET state = CAST(replace(CAST(state AS TEXT), '198.51.100.7', '192.0.2.99') AS BLOB) WHERE id = 'snapshot:` + r.ID + `'`)
	if got := f.w.seenBefore(f.ctx, r.ID, alice.ID, "192.0.2.99"); got != "" {
		t.Errorf("a changed snapshot is believed: %q", got)
	}
}

// TestFlowSnapshotRestart: a replica that stops while it reads the logs
// leaves the first part sealed and the task open; the next start reads
// them and seals the whole.
func TestFlowSnapshotRestart(t *testing.T) {
	t.Parallel()
	log := &dayLog{stall: true, stalled: make(chan struct{})}
	f := snapshotFlow(t, log)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	f.w.runs.open(ctx)
	f.command(uReq, chInc, "alice --disable")
	r := f.newest()
	f.click(uReq, ActionConfirm, r)
	<-log.stalled
	f.w.runs.shutdown() // the stop, while the first read waits
	f.w.runs.wait()
	if _, _, seals, done := f.sealedSnapshot(r.ID); done || len(seals) != 1 {
		t.Fatalf("after the stop: done %v, %d seals", done, len(seals))
	}

	cfg := f.w.cfg
	cfg.Replica = "next-replica"
	next, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	next.runs.open(ctx)
	next.exec.tendRunning(f.ctx)
	next.runs.wait()
	s, raw, seals, done := f.sealedSnapshot(r.ID)
	if !done || len(seals) != 2 || seals[1] != digestOf(raw) || len(s.Users[0].SignIns) != 1 {
		t.Fatalf("after the restart: done %v, seals %v, sign-ins %v", done, seals, s.Users[0].SignIns)
	}
}

// TestFlowSnapshotSealRefused: when the store will not take the whole
// snapshot's seal, it has no record (so nobody is told of it) and the
// first part stays open and sealed; the next sweep reads the logs again and seals them.
func TestFlowSnapshotSealRefused(t *testing.T) {
	t.Parallel()
	f := snapshotFlow(t, &dayLog{})
	f.flaky().failSeal = 3 // every try of the first reading
	r := f.disableAlice()
	if _, _, seals, done := f.sealedSnapshot(r.ID); done || len(seals) != 1 {
		t.Fatalf("after a refused seal: done %v, %d seals", done, len(seals))
	}
	f.w.exec.resumeSnapshots(f.ctx)
	f.w.runs.wait()
	if s, raw, seals, done := f.sealedSnapshot(r.ID); !done || len(seals) != 2 || seals[1] != digestOf(raw) || len(s.Users[0].SignIns) != 1 {
		t.Fatalf("after the sweep: done %v, seals %v", done, seals)
	}
}

// TestFlowSnapshotSealAnswerLost: the store keeps the seal but its answer
// is lost; tried again, it is refused as done, and the document kept is
// this one: it is attached, and sealed once.
func TestFlowSnapshotSealAnswerLost(t *testing.T) {
	t.Parallel()
	f := snapshotFlow(t, &dayLog{})
	f.flaky().loseSeal = 1
	r := f.disableAlice()
	_, raw, seals, done := f.sealedSnapshot(r.ID)
	if !done || len(seals) != 2 || seals[1] != digestOf(raw) {
		t.Fatalf("done %v, seals %v", done, seals)
	}
	f.msg.mu.Lock()
	uploads := f.msg.uploads
	f.msg.mu.Unlock()
	if len(uploads) != 1 || uploads[0].Size != len(raw) {
		t.Fatalf("uploads %+v: the sealed snapshot was not attached", uploads)
	}
}

// TestFlowSnapshotTampered: a first part changed in the database before
// the logs are read is not built on: it is said, and not sealed again.
func TestFlowSnapshotTampered(t *testing.T) {
	t.Parallel()
	f := snapshotFlow(t, &dayLog{})
	f.command(uReq, chInc, "alice --disable")
	r := f.newest()
	f.click(uReq, ActionConfirm, r) // no background work: the logs wait for a sweep
	f.attack(`UPDATE tasks SET state = CAST(replace(CAST(state AS TEXT), '198.51.100.7', '10.0.0.1') AS BLOB) WHERE id = 'snapshot:` + r.ID + `'`)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	f.w.runs.open(ctx)
	f.w.exec.resumeSnapshots(f.ctx)
	f.w.runs.wait()
	ev := f.events(r.ID)
	if !strings.HasSuffix(ev, "tampered") || strings.Count(ev, "snapshot") != 1 {
		t.Fatalf("events %s", ev)
	}
	if _, _, _, done := f.sealedSnapshot(r.ID); !done {
		t.Fatal("a tampered snapshot is still open")
	}
	if r := f.get(r.ID); r.State != store.StateSucceeded {
		t.Errorf("the request is %s: a changed snapshot does not undo what was done", r.State)
	}
}
