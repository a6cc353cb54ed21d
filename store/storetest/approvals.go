package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// approvalTests are the contract of store.Quorum: N-of-M approval, each
// approval a compare-and-set that also counts.
var approvalTests = []contractTest{
	{"ApproveTwoOfThree", testApproveTwoOfThree},
	{"ApproveSameApproverTwice", testApproveSameApproverTwice},
	{"ApproveNeedOne", testApproveNeedOne},
	{"ApproveExpired", testApproveExpired},
	{"ApproveFinished", testApproveFinished},
	{"ApproveTellsAndJob", testApproveTellsAndJob},
	{"ApproveOrderAndText", testApproveOrderAndText},
	{"ApprovalsUnknown", testApprovalsUnknown},
	{"ApproveRace", testApproveRace},
	{"ApproveSameApproverRace", testApproveSameApproverRace},
	{"ApproveCancelRace", testApproveCancelRace},
}

// approvedChange is approver's approval of request id at `at` as the bot
// writes it: before the deadline, with a record, a card to redraw and an
// audit line of the approver's own key (so the tests can claim each one).
func approvedChange(id, approver string, at time.Time) store.Change {
	return store.Change{Detail: "approved", At: at, Unexpired: true,
		Audit: &store.Event{Event: "approved", RequestID: id, Actor: approver},
		Tell: []store.Tell{card(id),
			{Kind: store.DeliverAudit, Key: "audit-" + approver, RequestID: id, Channel: "C0AUDIT"}}}
}

// approverList renders approvals as their approvers, in order.
func approverList(as []store.Approval) string {
	var out []string
	for _, a := range as {
		out = append(out, a.Approver)
	}
	return strings.Join(out, " ")
}

func approvals(t *testing.T, s store.Store, id string) []store.Approval {
	t.Helper()
	as, err := s.Approvals(context.Background(), id)
	if err != nil {
		t.Fatalf("Approvals(%s): %v", id, err)
	}
	return as
}

// written sums up what Approve may write of request id: the chain's length,
// the messages waiting and the approvals, so that a refusal can be shown to
// have written nothing.
func written(t *testing.T, s store.Store, id string) string {
	t.Helper()
	n, err := s.VerifyAudit(context.Background(), nil)
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	return fmt.Sprintf("%d records, %d messages, approvals [%s]", n.Records, pending(t, s), approverList(approvals(t, s, id)))
}

// testApproveTwoOfThree: the first approval of two is recorded and keeps the
// request pending, the second runs it, and a third comes too late.
func testApproveTwoOfThree(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newRequest("r1"))
	at := base.Add(time.Minute)
	r, as, rec, err := s.Approve(ctx, "r1", "U2", 2, approvedChange("r1", "U2", at))
	if err != nil {
		t.Fatalf("first approval: %v", err)
	}
	if r.State != store.StatePending || r.DecidedBy != "" || r.Detail != "" || approverList(as) != "U2" ||
		rec.Seq != 1 || rec.Actor != "U2" || rec.Event.Event != "approved" {
		t.Errorf("first approval = %+v, %+v, %+v; want it pending and undecided, U2's approval and record 1", r, as, rec)
	}
	sameTime(t, "UpdatedAt after the first approval", r.UpdatedAt, at)
	sameTime(t, "the approval's At", as[0].At, at)
	sameTime(t, "the record's Time", rec.Time, at)
	if got := get(t, s, "r1"); got.State != store.StatePending || !got.UpdatedAt.Equal(r.UpdatedAt) {
		t.Errorf("stored after the first approval: %+v", got)
	}

	r, as, rec, err = s.Approve(ctx, "r1", "U3", 2, approvedChange("r1", "U3", at.Add(time.Second)))
	if err != nil {
		t.Fatalf("second approval: %v", err)
	}
	if r.State != store.StateRunning || r.DecidedBy != "U3" || r.Detail != "approved" || approverList(as) != "U2 U3" || rec.Seq != 2 {
		t.Errorf("second approval = %+v, %+v, %+v; want it running, decided by U3, both approvals and record 2", r, as, rec)
	}
	sameTime(t, "UpdatedAt after the second approval", r.UpdatedAt, at.Add(time.Second))
	if got := get(t, s, "r1"); got.State != store.StateRunning || got.DecidedBy != "U3" {
		t.Errorf("stored after the second approval: %+v", got)
	}

	before := written(t, s, "r1")
	cur, as, rec, err := s.Approve(ctx, "r1", "U4", 2, approvedChange("r1", "U4", at.Add(2*time.Second)))
	if !errors.Is(err, store.ErrConflict) || cur.State != store.StateRunning || cur.DecidedBy != "U3" || rec != (store.Record{}) || as != nil {
		t.Fatalf("third approval = %+v, %+v, %+v, %v; want the running request, nothing else, and ErrConflict", cur, as, rec, err)
	}
	if after := written(t, s, "r1"); after != before {
		t.Errorf("the third approval wrote: %s, then %s", before, after)
	}
	sameTime(t, "UpdatedAt after a refused approval", get(t, s, "r1").UpdatedAt, at.Add(time.Second))
	if trail, err := s.AuditTrail(ctx, "r1"); err != nil || len(trail) != 2 || trail[0].Actor != "U2" || trail[1].Actor != "U3" {
		t.Errorf("AuditTrail = %+v, %v; want U2's and U3's records", trail, err)
	}
}

// testApproveSameApproverTwice: a second click is counted once and writes nothing.
func testApproveSameApproverTwice(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newRequest("r1"))
	at := base.Add(time.Minute)
	if _, _, _, err := s.Approve(ctx, "r1", "U2", 2, approvedChange("r1", "U2", at)); err != nil {
		t.Fatal(err)
	}
	before := written(t, s, "r1")
	cur, as, rec, err := s.Approve(ctx, "r1", "U2", 2, approvedChange("r1", "U2", at.Add(time.Second)))
	if !errors.Is(err, store.ErrDuplicate) || cur.State != store.StatePending || approverList(as) != "U2" || rec != (store.Record{}) {
		t.Fatalf("second approval by U2 = %+v, %+v, %+v, %v; want the pending request, U2's one approval and ErrDuplicate", cur, as, rec, err)
	}
	sameTime(t, "the approval's At (the first click's)", as[0].At, at)
	if after := written(t, s, "r1"); after != before || after != "1 records, 2 messages, approvals [U2]" {
		t.Errorf("written after the second click: %s; want %s, as before it", after, before)
	}
	sameTime(t, "UpdatedAt (the first click's)", get(t, s, "r1").UpdatedAt, at)
}

// testApproveNeedOne: one approval is enough when one is needed (the
// two-person rule: requester and one approver), and a need below 1 means 1.
func testApproveNeedOne(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, need := range []int{1, 0, -3} {
		id := fmt.Sprint("r", need)
		create(t, s, newRequest(id))
		r, as, _, err := s.Approve(ctx, id, "U2", need, approvedChange(id, "U2", base.Add(time.Minute)))
		if err != nil || r.State != store.StateRunning || r.DecidedBy != "U2" || approverList(as) != "U2" {
			t.Errorf("need %d: %+v, %+v, %v; want it running, decided by U2", need, r, as, err)
		}
	}
	// A DecidedBy of the change's own is kept.
	create(t, s, newRequest("own"))
	c := approvedChange("own", "U2", base.Add(time.Minute))
	c.DecidedBy = "U2 for the on-call"
	if r, _, _, err := s.Approve(ctx, "own", "U2", 1, c); err != nil || r.DecidedBy != "U2 for the on-call" {
		t.Errorf("Approve with a DecidedBy = %+v, %v", r, err)
	}
}

// testApproveExpired: an approval that must land before the deadline does
// not land after it, and writes nothing.
func testApproveExpired(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := newRequest("r1")
	create(t, s, r)
	cur, as, rec, err := s.Approve(ctx, "r1", "U2", 2, approvedChange("r1", "U2", r.ExpiresAt))
	if !errors.Is(err, store.ErrConflict) || cur.State != store.StatePending || as != nil || rec != (store.Record{}) {
		t.Fatalf("approval at the deadline = %+v, %+v, %+v, %v; want the pending request and ErrConflict", cur, as, rec, err)
	}
	// A zero At is now, long after base's deadline.
	late := approvedChange("r1", "U2", time.Time{})
	if _, _, _, err := s.Approve(ctx, "r1", "U2", 2, late); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("approval now, after the deadline: %v, want ErrConflict", err)
	}
	if got := written(t, s, "r1"); got != "0 records, 0 messages, approvals []" {
		t.Errorf("refused approvals wrote %s", got)
	}
	// Without Unexpired the deadline is not asked about.
	c := approvedChange("r1", "U2", r.ExpiresAt)
	c.Unexpired = false
	if cur, _, _, err := s.Approve(ctx, "r1", "U2", 2, c); err != nil || cur.State != store.StatePending {
		t.Errorf("approval without Unexpired = %+v, %v; want it counted", cur, err)
	}
}

// testApproveFinished: a request decided otherwise, or unknown, takes no
// approval, and a bad approval is refused before anything is written.
func testApproveFinished(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, to := range []store.State{store.StateDenied, store.StateCancelled} {
		id := string(to)
		create(t, s, newRequest(id))
		if _, err := s.Transition(ctx, id, store.StatePending, to, store.Change{DecidedBy: "U3"}); err != nil {
			t.Fatal(err)
		}
		cur, as, rec, err := s.Approve(ctx, id, "U2", 2, approvedChange(id, "U2", base.Add(time.Minute)))
		if !errors.Is(err, store.ErrConflict) || cur.State != to || cur.DecidedBy != "U3" || as != nil || rec != (store.Record{}) {
			t.Errorf("approval of a %s request = %+v, %+v, %+v, %v; want it as it is and ErrConflict", to, cur, as, rec, err)
		}
	}
	if _, _, _, err := s.Approve(ctx, "nope", "U2", 2, approvedChange("nope", "U2", base)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("approval of an unknown request: %v, want ErrNotFound", err)
	}
	create(t, s, newRequest("r1"))
	for name, c := range map[string]store.Change{
		"event without a name":   {Audit: &store.Event{RequestID: "r1"}},
		"reply without a record": {Tell: []store.Tell{{Kind: store.DeliverReply, Key: "r1", RequestID: "r1"}}},
	} {
		if _, _, _, err := s.Approve(ctx, "r1", "U2", 1, c); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("approval with a %s: %v, want a refusal", name, err)
		}
	}
	if _, _, _, err := s.Approve(ctx, "r1", "", 1, store.Change{}); err == nil || errors.Is(err, store.ErrConflict) {
		t.Errorf("approval without an approver: %v, want a refusal", err)
	}
	if got := written(t, s, "r1"); got != "0 records, 0 messages, approvals []" || get(t, s, "r1").State != store.StatePending {
		t.Errorf("refused approvals wrote %s", got)
	}
}

// testApproveTellsAndJob: every counted approval writes its record and
// messages, which tell of it; the bulk job starts with the approval that
// runs the request; a refused approval writes neither.
func testApproveTellsAndJob(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := newRequest("all1")
	r.Kind, r.TriggerID = store.KindAll, ""
	create(t, s, r)
	at := base.Add(time.Minute)
	approve := func(who string, at time.Time) (store.Request, store.Record, error) {
		c := approvedChange("all1", who, at)
		c.CreateJob = true
		r, _, rec, err := s.Approve(ctx, "all1", who, 2, c)
		return r, rec, err
	}
	_, rec1, err := approve("U2", at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Job(ctx, "all1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("job after the first of two approvals: %v, want ErrNotFound", err)
	}
	if _, _, err := approve("U2", at); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("second click: %v", err)
	}
	_, rec2, err := approve("U3", at.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if j := job(t, s, "all1"); j.Owner != "" || j.Cursor != "" || j.Listed {
		t.Errorf("job made by the last approval = %+v, want a new one", j)
	}
	sameTime(t, "the job's CreatedAt", job(t, s, "all1").CreatedAt, at.Add(time.Second))
	if _, _, err := approve("U4", at.Add(2*time.Second)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("approval of a running request: %v", err)
	}
	// The card waits for its first copy to be delivered; the audit lines, one key each, come at once.
	ms := claim(t, s, "X", base, 10)
	if got := fmt.Sprint(len(ms), pending(t, s)); got != "3 4" {
		t.Fatalf("claimed, pending = %s; want 3 4 (U2's and U3's card and audit line)", got)
	}
	want := map[string]store.Record{"all1": rec1, "audit-U2": rec1, "audit-U3": rec2}
	for _, m := range ms {
		if w, ok := want[m.Key]; !ok || m.AuditSeq != w.Seq || !m.CreatedAt.Equal(w.Time) {
			t.Errorf("message %s tells of record %d at %v, want %+v", m.Key, m.AuditSeq, m.CreatedAt, w)
		}
	}
	// Without Audit the messages tell of no record.
	create(t, s, newRequest("r2"))
	_, _, rec, err := s.Approve(ctx, "r2", "U2", 2, store.Change{Tell: []store.Tell{card("r2")}})
	if err != nil || rec != (store.Record{}) {
		t.Fatalf("Approve without Audit = %+v, %v; want no record", rec, err)
	}
	if ms := claim(t, s, "W", base, 10); len(ms) != 1 || ms[0].RequestID != "r2" || ms[0].AuditSeq != 0 {
		t.Errorf("claimed %+v, want r2's card, of no record", ms)
	}
}

// testApproveOrderAndText: approvals come oldest first, ties by approver
// (replicas' clocks may disagree, so At is not the order of the writes),
// and approvers are cleaned like every other string, also when compared.
func testApproveOrderAndText(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newRequest("r1"))
	at := base.Add(time.Minute)
	for _, a := range []store.Approval{{Approver: "U9", At: at}, {Approver: "U1", At: at}, {Approver: "U5", At: at.Add(-time.Second)}} {
		if _, _, _, err := s.Approve(ctx, "r1", a.Approver, 4, store.Change{At: a.At}); err != nil {
			t.Fatal(err)
		}
	}
	as := approvals(t, s, "r1")
	if approverList(as) != "U5 U1 U9" {
		t.Errorf("Approvals = %+v, want U5, U1, U9", as)
	}
	for _, a := range as {
		if a.At.Location() != time.UTC || a.At.Nanosecond()%1000 != 0 {
			t.Errorf("approval At %v, want UTC to the microsecond", a.At)
		}
	}

	r := newRequest("r\xff")
	r.TriggerID = ""
	create(t, s, r)
	_, as, _, err := s.Approve(ctx, "r\xff", "U\x00", 2, store.Change{At: at})
	if err != nil || approverList(as) != "U\uFFFD" {
		t.Fatalf("Approve with NUL = %+v, %v", as, err)
	}
	if _, _, _, err := s.Approve(ctx, "r\uFFFD", "U\uFFFD", 2, store.Change{At: at}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("the cleaned approver again: %v, want ErrDuplicate", err)
	}
	if got := approverList(approvals(t, s, "r\xff")); got != "U\uFFFD" {
		t.Errorf("Approvals(r\\xff) = %q", got)
	}
}

func testApprovalsUnknown(t *testing.T, s store.Store) {
	create(t, s, newRequest("r1"))
	for _, id := range []string{"nope", "r1"} {
		if as, err := s.Approvals(context.Background(), id); len(as) != 0 || err != nil {
			t.Errorf("Approvals(%s) = %+v, %v; want none and no error", id, as, err)
		}
	}
}
