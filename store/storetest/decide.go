package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// testAuditTells: the messages written with a record tell of it.
func testAuditTells(t *testing.T, s store.Store) {
	ctx := context.Background()
	rec, err := s.AppendAudit(ctx, store.Event{Time: base, Event: "requested", RequestID: "r1", Actor: "U1"},
		store.Tell{Kind: store.DeliverReply, Key: "r1", RequestID: "r1"},
		store.Tell{Kind: store.DeliverAudit, Key: "audit", RequestID: "r1", Channel: "C0AUDIT"})
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := s.AppendAudit(ctx, store.Event{Time: base, Event: "refused", Actor: "U2"}); err != nil || plain.Seq != rec.Seq+1 {
		t.Fatalf("AppendAudit without tells = %+v, %v", plain, err)
	}
	ms := claim(t, s, "X", base, 10)
	if len(ms) != 2 || pending(t, s) != 2 {
		t.Fatalf("claimed %d of %d messages, want the 2 tells", len(ms), pending(t, s))
	}
	if m := ms[0]; m.Kind != store.DeliverReply || m.Key != "r1" || m.RequestID != "r1" || m.Channel != "" {
		t.Errorf("reply = %+v", m)
	}
	if m := ms[1]; m.Kind != store.DeliverAudit || m.Key != "audit" || m.Channel != "C0AUDIT" {
		t.Errorf("audit line = %+v", m)
	}
	for _, m := range ms {
		if m.AuditSeq != rec.Seq {
			t.Errorf("message %d tells of record %d, want %d", m.Seq, m.AuditSeq, rec.Seq)
		}
		sameTime(t, "CreatedAt", m.CreatedAt, base)
	}
	got, err := s.AuditRecord(ctx, ms[0].AuditSeq)
	if err != nil || !sameRecord(got, rec) {
		t.Errorf("AuditRecord(%d) = %+v, %v; want %+v", ms[0].AuditSeq, got, err, rec)
	}
	if _, err := s.AuditRecord(ctx, rec.Seq+2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AuditRecord past the end: %v, want ErrNotFound", err)
	}
	if n, err := s.VerifyAudit(ctx, nil); n.Records != 2 || err != nil {
		t.Errorf("VerifyAudit = %d, %v; want 2, nil", n, err)
	}
}

// testDecideTells: a decision's record and messages are written when its
// compare-and-set wins, and neither when it loses.
func testDecideTells(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newRequest("r1"))
	at := base.Add(time.Minute)
	tells := []store.Tell{
		{Kind: store.DeliverCard, Key: "r1", RequestID: "r1"},
		{Kind: store.DeliverReply, Key: "r1", RequestID: "r1"},
		{Kind: store.DeliverAudit, Key: "audit", RequestID: "r1", Channel: "C0AUDIT"},
	}
	c := store.Change{DecidedBy: "U2", At: at,
		Audit: &store.Event{Event: "approved", RequestID: "r1", Actor: "U2", Detail: "\x00ok"}, Tell: tells}
	r, rec, err := s.Decide(ctx, "r1", store.StatePending, store.StateRunning, c)
	if err != nil {
		t.Fatalf("Decide: %v", err)
	}
	if r.State != store.StateRunning || r.DecidedBy != "U2" || rec.Seq != 1 || rec.Event.Event != "approved" || rec.Detail != "\uFFFDok" {
		t.Errorf("Decide = %+v, %+v", r, rec)
	}
	sameTime(t, "the record's Time (zero: the change's At)", rec.Time, at)
	if trail, err := s.AuditTrail(ctx, "r1"); err != nil || len(trail) != 1 || !sameRecord(trail[0], rec) {
		t.Errorf("AuditTrail = %+v, %v; want the decision's record", trail, err)
	}
	ms := claim(t, s, "X", base, 10)
	if got := fmt.Sprint(len(ms), pending(t, s)); got != "2 3" {
		t.Fatalf("claimed, pending = %s; want 2 3 (the card and the audit line; the reply waits for the card)", got)
	}
	if ms[0].Kind != store.DeliverCard || ms[1].Kind != store.DeliverAudit {
		t.Errorf("claimed %s and %s", ms[0].Kind, ms[1].Kind)
	}
	for _, m := range ms {
		if m.AuditSeq != rec.Seq {
			t.Errorf("message %d tells of record %d, want %d", m.Seq, m.AuditSeq, rec.Seq)
		}
		sameTime(t, "CreatedAt", m.CreatedAt, at)
	}

	// A lost compare-and-set writes neither record nor message.
	lost := c
	lost.Audit = &store.Event{Event: "cancelled", RequestID: "r1", Actor: "U3"}
	cur, none, err := s.Decide(ctx, "r1", store.StatePending, store.StateCancelled, lost)
	if !errors.Is(err, store.ErrConflict) || cur.State != store.StateRunning || none != (store.Record{}) {
		t.Fatalf("lost Decide = %+v, %+v, %v; want the running request, no record and ErrConflict", cur, none, err)
	}
	if _, err := s.Transition(ctx, "r1", store.StatePending, store.StateCancelled, lost); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("lost Transition: %v", err)
	}
	if n, err := s.VerifyAudit(ctx, nil); n.Records != 1 || err != nil {
		t.Errorf("VerifyAudit after lost decisions = %d, %v; want 1, nil", n, err)
	}
	if n := pending(t, s); n != 3 {
		t.Errorf("OutboxPending after lost decisions = %d, want 3", n)
	}

	// Transition writes them too; without Audit the messages tell of no record.
	done := store.Change{At: at.Add(time.Second), Audit: &store.Event{Event: "succeeded", RequestID: "r1", Actor: "U2"}}
	if _, err := s.Transition(ctx, "r1", store.StateRunning, store.StateSucceeded, done); err != nil {
		t.Fatal(err)
	}
	if trail, err := s.AuditTrail(ctx, "r1"); err != nil || len(trail) != 2 || trail[1].Event.Event != "succeeded" {
		t.Errorf("AuditTrail after Transition with Audit = %+v, %v", trail, err)
	}
	create(t, s, newRequest("r2"))
	_, rec, err = s.Decide(ctx, "r2", store.StatePending, store.StateExpired, store.Change{Tell: []store.Tell{card("r2")}})
	if err != nil || rec != (store.Record{}) {
		t.Fatalf("Decide without Audit = %+v, %v; want no record", rec, err)
	}
	if ms := claim(t, s, "W", base, 10); len(ms) != 1 || ms[0].RequestID != "r2" || ms[0].AuditSeq != 0 {
		t.Errorf("claimed %+v, want r2's card, of no record", ms)
	}
	// What no record can tell of, or no store can keep, is refused before anything is written.
	for name, c := range map[string]store.Change{
		"reply without a record": {Tell: []store.Tell{{Kind: store.DeliverReply, Key: "r3", RequestID: "r3"}}},
		"event without a name":   {Audit: &store.Event{RequestID: "r3"}},
	} {
		create(t, s, newRequest("r3-"+name))
		if _, _, err := s.Decide(ctx, "r3-"+name, store.StatePending, store.StateRunning, c); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("Decide with a %s: %v, want a refusal", name, err)
		}
		if got := get(t, s, "r3-"+name); got.State != store.StatePending {
			t.Errorf("a refused Decide with a %s moved the request to %s", name, got.State)
		}
	}
}

// testDecideCreateJob: the bulk job starts with the decision that runs it.
func testDecideCreateJob(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{"all1", "all2", "all3"} {
		r := newRequest(id)
		r.Kind, r.TriggerID = store.KindAll, ""
		create(t, s, r)
	}
	at := base.Add(time.Minute)
	if _, _, err := s.Decide(ctx, "all1", store.StatePending, store.StateRunning, store.Change{At: at, CreateJob: true}); err != nil {
		t.Fatal(err)
	}
	if j := job(t, s, "all1"); j.Owner != "" || j.Cursor != "" || j.Listed {
		t.Errorf("job made by Decide = %+v, want a new one", j)
	}
	sameTime(t, "the job's CreatedAt", job(t, s, "all1").CreatedAt, at)
	// A job that exists already is kept as it is.
	if err := s.CreateJob(ctx, "all2", base); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimJob(ctx, "all2", "A", base, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Decide(ctx, "all2", store.StatePending, store.StateRunning, store.Change{At: at, CreateJob: true}); err != nil {
		t.Fatalf("Decide with CreateJob of an existing job: %v", err)
	}
	if j := job(t, s, "all2"); j.Owner != "A" || !j.CreatedAt.Equal(base.UTC().Truncate(time.Microsecond)) {
		t.Errorf("existing job after Decide = %+v, want it unchanged", j)
	}
	// A lost compare-and-set starts no job.
	if _, err := s.Transition(ctx, "all3", store.StatePending, store.StateDenied, store.Change{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Decide(ctx, "all3", store.StatePending, store.StateRunning, store.Change{CreateJob: true}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("lost Decide: %v", err)
	}
	if _, err := s.Job(ctx, "all3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("job of a lost decision: %v, want ErrNotFound", err)
	}
}
