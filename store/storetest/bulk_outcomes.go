package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

func testRecordOutcomes(t *testing.T, s store.Store) {
	newClaimedJob(t, s, "j1", "A")
	addPage(t, s, "j1", "A", users("u", 1, 6), "", true)
	at := base.Add(time.Minute)
	record(t, s, "j1", "A",
		store.BulkUser{ID: "u01", Outcome: store.OutcomeFailed, Attempts: 1, Detail: "429", At: at},
		store.BulkUser{ID: "u02", Outcome: store.OutcomeFailed, Attempts: 3, Detail: "graph: 500", At: at},
		store.BulkUser{ID: "u03", Outcome: store.OutcomeSkipped, Detail: "guest", At: at},
		store.BulkUser{ID: "u04", Outcome: store.OutcomeSkipped, Detail: "guest", At: at},
		store.BulkUser{ID: "u05", Outcome: store.OutcomeSkipped, Detail: "protected", At: at},
		// A user reported twice in one batch keeps the later report.
		store.BulkUser{ID: "u01", Outcome: store.OutcomeRevoked, Attempts: 2, Detail: "15:10:26Z", At: at.Add(time.Second)})
	c := counts(t, s, "j1")
	if c.Pending != 1 || c.Revoked != 1 || c.Failed != 1 || len(c.Skipped) != 2 ||
		c.Skipped["guest"] != 2 || c.Skipped["protected"] != 1 || c.Listed() != 6 {
		t.Errorf("JobCounts = %+v (listed %d), want 1 pending, 1 revoked, 1 failed, skipped guest 2 and protected 1", c, c.Listed())
	}
	got := usersWith(t, s, "j1", store.OutcomeFailed, store.OutcomeSkipped)
	if seqs(got) != "u02:2 u03:3 u04:4 u05:5" {
		t.Fatalf("UsersWith(failed, skipped) = %s", seqs(got))
	}
	if u := got[0]; u.UPN != "u02@contoso.com" || u.Outcome != store.OutcomeFailed || u.Attempts != 3 || u.Detail != "graph: 500" {
		t.Errorf("failed user = %+v", u)
	}
	sameTime(t, "At", got[0].At, at)
	rev := usersWith(t, s, "j1", store.OutcomeRevoked)
	if len(rev) != 1 || rev[0].ID != "u01" || rev[0].Attempts != 2 || rev[0].Detail != "15:10:26Z" {
		t.Fatalf("revoked = %+v, want u01 with the later report", rev)
	}
	sameTime(t, "At of the later report", rev[0].At, at.Add(time.Second))
	if pending := usersWith(t, s, "j1", store.OutcomePending); len(pending) != 1 || !pending[0].At.IsZero() || pending[0].Attempts != 0 {
		t.Errorf("untouched user = %+v, want pending with no time and no attempts", pending)
	}
	// A retry goes back to pending; a zero At means now.
	before := time.Now().Add(-time.Second)
	record(t, s, "j1", "A", store.BulkUser{ID: "u02", Outcome: store.OutcomePending, Attempts: 4, Detail: "retrying"})
	if got := seqs(usersWith(t, s, "j1", store.OutcomePending)); got != "u02:2 u06:6" {
		t.Errorf("pending after a retry: %s", got)
	}
	u := usersWith(t, s, "j1", store.OutcomePending)[0]
	if u.Attempts != 4 || u.At.Before(before) || u.At.After(time.Now().Add(time.Second)) || u.At.Location() != time.UTC {
		t.Errorf("retried user = %+v, want 4 attempts at about now in UTC", u)
	}
}

// testRecordOutcomesAtomic: a batch is one transaction, so a batch the store
// refuses leaves every user of it as it was.
func testRecordOutcomesAtomic(t *testing.T, s store.Store) {
	ctx := context.Background()
	newClaimedJob(t, s, "j1", "A")
	addPage(t, s, "j1", "A", users("u", 1, 3), "", true)
	newClaimedJob(t, s, "j2", "A")
	addPage(t, s, "j2", "A", users("v", 1, 1), "", true)
	for name, batch := range map[string][]store.BulkUser{
		"unknown user":  {{ID: "u01", Outcome: store.OutcomeRevoked}, {ID: "ghost", Outcome: store.OutcomeRevoked}},
		"bad outcome":   {{ID: "u01", Outcome: store.OutcomeRevoked}, {ID: "u02", Outcome: "maybe"}},
		"no outcome":    {{ID: "u01", Outcome: store.OutcomeRevoked}, {ID: "u02"}},
		"no ID":         {{ID: "u01", Outcome: store.OutcomeRevoked}, {Outcome: store.OutcomeRevoked}},
		"negative try":  {{ID: "u01", Outcome: store.OutcomeRevoked}, {ID: "u02", Outcome: store.OutcomeFailed, Attempts: -1}},
		"other job's":   {{ID: "u01", Outcome: store.OutcomeRevoked}, {ID: "v01", Outcome: store.OutcomeRevoked}},
		"unknown first": {{ID: "ghost", Outcome: store.OutcomeRevoked}, {ID: "u01", Outcome: store.OutcomeRevoked}},
	} {
		err := s.RecordOutcomes(ctx, "j1", "A", batch)
		if err == nil {
			t.Errorf("%s: RecordOutcomes accepted the batch", name)
		}
		if name == "unknown user" && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if c1, c2 := counts(t, s, "j1"), counts(t, s, "j2"); c1.Pending != 3 || c2.Pending != 1 {
		t.Errorf("after refused batches: %+v and %+v, want every user pending", c1, c2)
	}
	if err := s.AddPage(ctx, "j1", "A", []store.BulkUser{{ID: "u09", Outcome: "maybe"}}, "x", false); err == nil {
		t.Error("AddPage accepted an unknown outcome")
	}
	if err := s.AddPage(ctx, "j1", "A", []store.BulkUser{{ID: "u09"}, {UPN: "no-id@contoso.com"}}, "x", false); err == nil {
		t.Error("AddPage accepted a user without ID")
	}
	if j, c := job(t, s, "j1"), counts(t, s, "j1"); j.Cursor != "" || c.Listed() != 3 {
		t.Errorf("after refused pages: cursor %q, %d users", j.Cursor, c.Listed())
	}
}

func testRequestStop(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.RequestStop(ctx, "nope", "U1", base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stop of an unknown job: %v, want ErrNotFound", err)
	}
	newClaimedJob(t, s, "j1", "A")
	j, err := s.RequestStop(ctx, "j1", "U1", base.Add(time.Minute))
	if err != nil || j.StopBy != "U1" || j.Owner != "A" {
		t.Fatalf("first stop = %+v, %v", j, err)
	}
	sameTime(t, "StopAt", j.StopAt, base.Add(time.Minute))
	cur, err := s.RequestStop(ctx, "j1", "U2", base.Add(2*time.Minute))
	if !errors.Is(err, store.ErrConflict) || cur.StopBy != "U1" {
		t.Fatalf("second stop = %+v, %v; want ErrConflict and the first stop", cur, err)
	}
	sameTime(t, "StopAt after a second stop", cur.StopAt, base.Add(time.Minute))
	if stored := job(t, s, "j1"); stored.StopBy != "U1" || !stored.StopAt.Equal(j.StopAt) {
		t.Errorf("stored %+v", stored)
	}
	if _, err := s.RequestStop(ctx, "j1", "", base); err == nil || errors.Is(err, store.ErrConflict) {
		t.Errorf("stop by nobody: %v, want a refusal that is not a lost race", err)
	}
	// Stopping does not fence: the owner still records what it finished.
	addPage(t, s, "j1", "A", users("u", 1, 1), "", true)
}

func testSetProgressTS(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.SetProgressTS(ctx, "nope", "1.2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetProgressTS of an unknown job: %v, want ErrNotFound", err)
	}
	newJob(t, s, "j1")
	if err := s.SetProgressTS(ctx, "j1", "1710425366.000200"); err != nil {
		t.Fatal(err)
	}
	if j := job(t, s, "j1"); j.ProgressTS != "1710425366.000200" || j.Owner != "" {
		t.Errorf("after SetProgressTS: %+v", j)
	}
}

// testStoppedState: a stopped request is finished for good, like the other
// terminal states.
func testStoppedState(t *testing.T, s store.Store) {
	ctx := context.Background()
	if !store.StateStopped.Terminal() {
		t.Error("stopped is not terminal")
	}
	newJob(t, s, "j1")
	if _, err := s.Transition(ctx, "j1", store.StatePending, store.StateRunning, store.Change{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Transition(ctx, "j1", store.StateRunning, store.StateStopped, store.Change{DecidedBy: "U1", Detail: "stopped after 12 users"})
	if err != nil || got.State != store.StateStopped || got.DecidedBy != "U1" {
		t.Fatalf("running -> stopped = %+v, %v", got, err)
	}
	if _, err := s.Transition(ctx, "j1", store.StateStopped, store.StateRunning, store.Change{}); err == nil {
		t.Error("Transition out of stopped succeeded")
	}
	if stopped, err := s.InState(ctx, store.StateStopped); err != nil || len(stopped) != 1 || stopped[0].ID != "j1" {
		t.Errorf("InState(stopped) = %v, %v", ids(stopped), err)
	}
	create(t, s, store.Request{ID: "r2", Kind: store.KindAll, State: store.StateStopped})
}

// testBulkCleansText: as for requests, NUL and invalid UTF-8 are replaced
// in what is stored and in what is looked up.
func testBulkCleansText(t *testing.T, s store.Store) {
	ctx := context.Background()
	id, owner := "j\xff", "replica\x00a"
	create(t, s, store.Request{ID: id, Kind: store.KindAll})
	if err := s.CreateJob(ctx, id, base); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimJob(ctx, id, owner, base, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	addPage(t, s, id, owner, []store.BulkUser{{ID: "u\xff", UPN: "al\x00ce@contoso.com"}}, "next\x00link", false)
	record(t, s, id, owner, store.BulkUser{ID: "u\xff", Outcome: store.OutcomeSkipped, Detail: "graph: \x00\xfe"})
	if err := s.SetProgressTS(ctx, id, "1.\xff"); err != nil {
		t.Fatal(err)
	}
	j := job(t, s, id)
	if j.RequestID != "j\uFFFD" || j.Owner != "replica\uFFFDa" || j.Cursor != "next\uFFFDlink" || j.ProgressTS != "1.\uFFFD" {
		t.Errorf("stored job %+v", j)
	}
	us := usersWith(t, s, id, store.OutcomeSkipped)
	if len(us) != 1 || us[0].ID != "u\uFFFD" || us[0].UPN != "al\uFFFDce@contoso.com" || us[0].Detail != "graph: \uFFFD\uFFFD" {
		t.Errorf("stored users %+v", us)
	}
	if c := counts(t, s, id); c.Skipped["graph: \uFFFD\uFFFD"] != 1 {
		t.Errorf("counts %+v", c)
	}
	if _, err := s.RequestStop(ctx, id, "U\x001", base); err != nil {
		t.Fatal(err)
	}
	if j := job(t, s, "j\uFFFD"); j.StopBy != "U\uFFFD1" {
		t.Errorf("StopBy %q", j.StopBy)
	}
	if err := s.ReleaseJob(ctx, id, owner); err != nil || job(t, s, id).Owner != "" {
		t.Errorf("release by the uncleaned owner: %v, owner %q", err, job(t, s, id).Owner)
	}
	if err := s.CreateJob(ctx, "j\xfe", base); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("CreateJob of an ID that cleans to an existing one: %v, want ErrDuplicate", err)
	}
}
