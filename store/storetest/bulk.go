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

// bulkTests are the contract of store.Bulk. Lease times are injected and
// lie in the past of the wall clock on purpose: the fence checks the owner,
// never the time, so nothing here may depend on the clock.
var bulkTests = []contractTest{
	{"JobCreate", testJobCreate},
	{"JobClaim", testJobClaim},
	{"JobFencing", testJobFencing},
	{"AddPageIdempotent", testAddPageIdempotent},
	{"PendingUsersPaging", testPendingUsersPaging},
	{"RecordOutcomes", testRecordOutcomes},
	{"RecordOutcomesAtomic", testRecordOutcomesAtomic},
	{"RequestStop", testRequestStop},
	{"SetProgressTS", testSetProgressTS},
	{"StoppedState", testStoppedState},
	{"BulkCleansText", testBulkCleansText},
	{"ClaimRace", testClaimRace},
	{"StopRace", testStopRace},
	{"TakeoverDuringPages", testTakeoverDuringPages},
}

var allOutcomes = []store.Outcome{store.OutcomePending, store.OutcomeRevoked, store.OutcomeFailed, store.OutcomeSkipped}

// newJob creates a /revoke all request and its job, created at base.
func newJob(t *testing.T, s store.Store, id string) {
	t.Helper()
	r := newRequest(id)
	r.Kind, r.TriggerID = store.KindAll, ""
	create(t, s, r)
	if err := s.CreateJob(context.Background(), id, base); err != nil {
		t.Fatalf("CreateJob(%s): %v", id, err)
	}
}

// newClaimedJob is newJob with owner holding the lease from base for a minute.
func newClaimedJob(t *testing.T, s store.Store, id, owner string) {
	t.Helper()
	newJob(t, s, id)
	if _, err := s.ClaimJob(context.Background(), id, owner, base, base.Add(time.Minute)); err != nil {
		t.Fatalf("ClaimJob(%s, %s): %v", id, owner, err)
	}
}

func job(t *testing.T, s store.Store, id string) store.Job {
	t.Helper()
	j, err := s.Job(context.Background(), id)
	if err != nil {
		t.Fatalf("Job(%s): %v", id, err)
	}
	return j
}

func counts(t *testing.T, s store.Store, id string) store.Counts {
	t.Helper()
	c, err := s.JobCounts(context.Background(), id)
	if err != nil {
		t.Fatalf("JobCounts(%s): %v", id, err)
	}
	if c.Skipped == nil {
		t.Errorf("JobCounts(%s).Skipped is nil, want a map", id)
	}
	return c
}

// users makes users prefix+from … prefix+to, pending, each with a UPN.
func users(prefix string, from, to int) []store.BulkUser {
	var out []store.BulkUser
	for i := from; i <= to; i++ {
		id := fmt.Sprintf("%s%02d", prefix, i)
		out = append(out, store.BulkUser{ID: id, UPN: id + "@contoso.com"})
	}
	return out
}

func addPage(t *testing.T, s store.Store, id, owner string, us []store.BulkUser, next string, listed bool) {
	t.Helper()
	if err := s.AddPage(context.Background(), id, owner, us, next, listed); err != nil {
		t.Fatalf("AddPage(%s, %s, %d users): %v", id, owner, len(us), err)
	}
}

func record(t *testing.T, s store.Store, id, owner string, us ...store.BulkUser) {
	t.Helper()
	if err := s.RecordOutcomes(context.Background(), id, owner, us); err != nil {
		t.Fatalf("RecordOutcomes(%s, %s): %v", id, owner, err)
	}
}

func usersWith(t *testing.T, s store.Store, id string, outcomes ...store.Outcome) []store.BulkUser {
	t.Helper()
	// More than any test's job holds: a read cut short at exactly a
	// test's count (20 pages of 50) once failed TakeoverDuringPages when
	// the takeover came after the old owner's last page (1,050 users).
	us, err := s.UsersWith(context.Background(), id, outcomes, 0, 10000)
	if err != nil {
		t.Fatalf("UsersWith(%s, %v): %v", id, outcomes, err)
	}
	return us
}

// seqs renders users as "ID:Seq ...", what most assertions compare.
func seqs(us []store.BulkUser) string {
	var b strings.Builder
	for i, u := range us {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%d", u.ID, u.Seq)
	}
	return b.String()
}

func testJobCreate(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.CreateJob(ctx, "nope", base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateJob without its request: %v, want ErrNotFound", err)
	}
	newJob(t, s, "j1")
	if err := s.CreateJob(ctx, "j1", base.Add(time.Hour)); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("CreateJob twice: %v, want ErrDuplicate", err)
	}
	j := job(t, s, "j1")
	if j.RequestID != "j1" || j.Cursor != "" || j.Listed || j.Owner != "" || !j.LeaseUntil.IsZero() ||
		j.StopBy != "" || !j.StopAt.IsZero() || j.ProgressTS != "" {
		t.Errorf("new job = %+v, want an empty one", j)
	}
	sameTime(t, "CreatedAt", j.CreatedAt, base)
	if c := counts(t, s, "j1"); c.Pending+c.Revoked+c.Failed+c.Listed() != 0 || len(c.Skipped) != 0 {
		t.Errorf("counts of a new job = %+v, want zero", c)
	}
	for name, f := range map[string]func() error{
		"Job":       func() error { _, err := s.Job(ctx, "nope"); return err },
		"JobCounts": func() error { _, err := s.JobCounts(ctx, "nope"); return err },
	} {
		if err := f(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s of an unknown job: %v, want ErrNotFound", name, err)
		}
	}
	create(t, s, store.Request{ID: "j2", Kind: store.KindAll})
	before := time.Now().Add(-time.Second)
	if err := s.CreateJob(ctx, "j2", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if at := job(t, s, "j2").CreatedAt; at.Before(before) || at.After(time.Now().Add(time.Second)) || at.Location() != time.UTC {
		t.Errorf("CreatedAt of a zero time = %v, want about now in UTC", at)
	}
}

func testJobClaim(t *testing.T, s store.Store) {
	ctx := context.Background()
	newJob(t, s, "j1")
	j, err := s.ClaimJob(ctx, "j1", "A", base, base.Add(time.Minute))
	if err != nil || j.Owner != "A" {
		t.Fatalf("first claim = %+v, %v; want A to hold it", j, err)
	}
	sameTime(t, "LeaseUntil", j.LeaseUntil, base.Add(time.Minute))
	if stored := job(t, s, "j1"); stored.Owner != "A" || !stored.LeaseUntil.Equal(j.LeaseUntil) {
		t.Errorf("stored %+v, claim returned %+v", stored, j)
	}
	// A heartbeat is a claim by the holder: it extends the lease.
	if j, err = s.ClaimJob(ctx, "j1", "A", base.Add(30*time.Second), base.Add(90*time.Second)); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	sameTime(t, "LeaseUntil after the heartbeat", j.LeaseUntil, base.Add(90*time.Second))
	cur, err := s.ClaimJob(ctx, "j1", "B", base.Add(89*time.Second), base.Add(3*time.Minute))
	if !errors.Is(err, store.ErrConflict) || cur.Owner != "A" {
		t.Fatalf("claim during A's lease = %+v, %v; want ErrConflict and A's job", cur, err)
	}
	sameTime(t, "LeaseUntil after a lost claim", cur.LeaseUntil, base.Add(90*time.Second))
	// A lease that ends at now has ended.
	if j, err = s.ClaimJob(ctx, "j1", "B", base.Add(90*time.Second), base.Add(150*time.Second)); err != nil || j.Owner != "B" {
		t.Fatalf("claim at the end of A's lease = %+v, %v; want B to take over", j, err)
	}
	if err := s.ReleaseJob(ctx, "j1", "A"); err != nil {
		t.Fatal(err)
	}
	if j := job(t, s, "j1"); j.Owner != "B" {
		t.Errorf("a release by A, who lost the lease, changed the owner to %q", j.Owner)
	}
	if err := s.ReleaseJob(ctx, "j1", "B"); err != nil {
		t.Fatal(err)
	}
	if j := job(t, s, "j1"); j.Owner != "" || !j.LeaseUntil.IsZero() {
		t.Errorf("after release: owner %q until %v, want none", j.Owner, j.LeaseUntil)
	}
	// Released means free at once, even before the old lease would have ended.
	if j, err = s.ClaimJob(ctx, "j1", "C", base.Add(100*time.Second), base.Add(200*time.Second)); err != nil || j.Owner != "C" {
		t.Fatalf("claim after release = %+v, %v", j, err)
	}
	if _, err := s.ClaimJob(ctx, "nope", "A", base, base.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("claim of an unknown job: %v, want ErrNotFound", err)
	}
	if err := s.ReleaseJob(ctx, "nope", "A"); err != nil {
		t.Errorf("release of an unknown job: %v, want a no-op", err)
	}
	if err := s.ReleaseJob(ctx, "j1", ""); err != nil || job(t, s, "j1").Owner != "C" {
		t.Errorf("release by nobody: %v, owner %q; want a no-op", err, job(t, s, "j1").Owner)
	}
	for name, c := range map[string]struct {
		owner      string
		now, until time.Time
	}{"empty owner": {"", base, base.Add(time.Hour)}, "lease ends at now": {"C", base, base}} {
		if _, err := s.ClaimJob(ctx, "j1", c.owner, c.now, c.until); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("claim with %s: %v, want a refusal that is not a lost race", name, err)
		}
	}
}

func testJobFencing(t *testing.T, s store.Store) {
	ctx := context.Background()
	newClaimedJob(t, s, "j1", "A")
	if err := s.AddPage(ctx, "j1", "B", users("u", 1, 3), "p2", false); !errors.Is(err, store.ErrConflict) {
		t.Errorf("AddPage by a non-owner: %v, want ErrConflict", err)
	}
	if j, c := job(t, s, "j1"), counts(t, s, "j1"); j.Cursor != "" || c.Listed() != 0 {
		t.Errorf("a refused AddPage changed the job: cursor %q, %d users", j.Cursor, c.Listed())
	}
	// A's lease (until base+1m) is long over by the wall clock: that alone fences nothing.
	addPage(t, s, "j1", "A", users("u", 1, 3), "p2", false)
	revoked := store.BulkUser{ID: "u01", Outcome: store.OutcomeRevoked, Attempts: 1, At: base}
	if err := s.RecordOutcomes(ctx, "j1", "B", []store.BulkUser{revoked}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("RecordOutcomes by a non-owner: %v, want ErrConflict", err)
	}
	if _, err := s.ClaimJob(ctx, "j1", "B", base.Add(time.Minute), base.Add(2*time.Minute)); err != nil {
		t.Fatalf("takeover: %v", err)
	}
	if err := s.AddPage(ctx, "j1", "A", users("u", 4, 6), "p3", true); !errors.Is(err, store.ErrConflict) {
		t.Errorf("AddPage by the old owner: %v, want ErrConflict", err)
	}
	if err := s.RecordOutcomes(ctx, "j1", "A", []store.BulkUser{revoked}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("RecordOutcomes by the old owner: %v, want ErrConflict", err)
	}
	if err := s.ReleaseJob(ctx, "j1", "B"); err != nil {
		t.Fatal(err)
	}
	// Nobody holds the job now, and an empty owner must not pass for nobody.
	if err := s.AddPage(ctx, "j1", "", users("u", 4, 6), "p3", true); !errors.Is(err, store.ErrConflict) {
		t.Errorf("AddPage by an empty owner of a released job: %v, want ErrConflict", err)
	}
	if err := s.RecordOutcomes(ctx, "j1", "", []store.BulkUser{revoked}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("RecordOutcomes by an empty owner of a released job: %v, want ErrConflict", err)
	}
	j, c := job(t, s, "j1"), counts(t, s, "j1")
	if j.Cursor != "p2" || j.Listed || c.Pending != 3 || c.Listed() != 3 {
		t.Errorf("after refused writes: cursor %q, listed %v, counts %+v; want p2, false, 3 pending", j.Cursor, j.Listed, c)
	}
	if err := s.AddPage(ctx, "nope", "A", users("u", 1, 1), "", true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddPage to an unknown job: %v, want ErrNotFound", err)
	}
	if err := s.RecordOutcomes(ctx, "nope", "A", []store.BulkUser{revoked}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordOutcomes of an unknown job: %v, want ErrNotFound", err)
	}
}

func testAddPageIdempotent(t *testing.T, s store.Store) {
	newClaimedJob(t, s, "j1", "A")
	page1 := users("u", 1, 3)
	page1[1].Outcome, page1[1].Detail = store.OutcomeSkipped, "guest"
	addPage(t, s, "j1", "A", page1, "p2", false)
	if got := seqs(usersWith(t, s, "j1", allOutcomes...)); got != "u01:1 u02:2 u03:3" {
		t.Errorf("after page 1: %s", got)
	}
	if j := job(t, s, "j1"); j.Cursor != "p2" || j.Listed {
		t.Errorf("after page 1: cursor %q, listed %v", j.Cursor, j.Listed)
	}
	addPage(t, s, "j1", "A", page1, "p2", false) // the same page read again
	if got := seqs(usersWith(t, s, "j1", allOutcomes...)); got != "u01:1 u02:2 u03:3" {
		t.Errorf("after page 1 twice: %s", got)
	}
	// A page that overlaps the last one, with a user listed twice in it.
	page2 := append(users("u", 3, 5), store.BulkUser{ID: "u04", UPN: "second@contoso.com"})
	page2[0].UPN = "renamed@contoso.com"
	addPage(t, s, "j1", "A", page2, "", true)
	all := usersWith(t, s, "j1", allOutcomes...)
	if got := seqs(all); got != "u01:1 u02:2 u03:3 u04:4 u05:5" {
		t.Errorf("after page 2: %s, want the new users numbered on", got)
	}
	if all[2].UPN != "u03@contoso.com" || all[3].UPN != "u04@contoso.com" {
		t.Errorf("UPNs %q, %q; want the first listing's", all[2].UPN, all[3].UPN)
	}
	if all[1].Outcome != store.OutcomeSkipped || all[1].Detail != "guest" || all[0].Outcome != store.OutcomePending {
		t.Errorf("outcomes given to AddPage: %+v, %+v", all[0], all[1])
	}
	if j := job(t, s, "j1"); j.Cursor != "" || !j.Listed {
		t.Errorf("after the last page: cursor %q, listed %v", j.Cursor, j.Listed)
	}
	// A user already handled keeps its outcome when listed again, and a
	// later new user still gets the next number: seq skips nothing.
	record(t, s, "j1", "A", store.BulkUser{ID: "u01", Outcome: store.OutcomeRevoked, Attempts: 1, At: base})
	addPage(t, s, "j1", "A", users("u", 1, 6), "again", false)
	if got := seqs(usersWith(t, s, "j1", store.OutcomeRevoked)); got != "u01:1" {
		t.Errorf("revoked after relisting: %s", got)
	}
	if got := seqs(usersWith(t, s, "j1", store.OutcomePending)); got != "u03:3 u04:4 u05:5 u06:6" {
		t.Errorf("pending after relisting: %s", got)
	}
	addPage(t, s, "j1", "A", nil, "empty", false)
	if j, c := job(t, s, "j1"), counts(t, s, "j1"); j.Cursor != "empty" || c.Listed() != 6 {
		t.Errorf("after an empty page: cursor %q, %d users", j.Cursor, c.Listed())
	}
}

func testPendingUsersPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	newClaimedJob(t, s, "j1", "A")
	first := users("u", 1, 6)
	first[4].Outcome, first[4].Detail = store.OutcomeSkipped, "disabled"
	addPage(t, s, "j1", "A", first, "p2", false)
	addPage(t, s, "j1", "A", users("u", 7, 10), "", true)
	record(t, s, "j1", "A",
		store.BulkUser{ID: "u03", Outcome: store.OutcomeRevoked, At: base},
		store.BulkUser{ID: "u07", Outcome: store.OutcomeFailed, Detail: "403", At: base})
	var pages []string
	after := int64(0)
	for range 10 {
		page, err := s.PendingUsers(ctx, "j1", after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		pages = append(pages, seqs(page))
		after = page[len(page)-1].Seq
	}
	if got := strings.Join(pages, " | "); got != "u01:1 u02:2 u04:4 | u06:6 u08:8 u09:9 | u10:10" {
		t.Errorf("PendingUsers pages: %s", got)
	}
	for name, f := range map[string]func() ([]store.BulkUser, error){
		"past the end": func() ([]store.BulkUser, error) { return s.PendingUsers(ctx, "j1", 10, 3) },
		"limit 0":      func() ([]store.BulkUser, error) { return s.PendingUsers(ctx, "j1", 0, 0) },
		"unknown job":  func() ([]store.BulkUser, error) { return s.PendingUsers(ctx, "nope", 0, 3) },
		"no outcomes":  func() ([]store.BulkUser, error) { return s.UsersWith(ctx, "j1", nil, 0, 3) },
	} {
		if us, err := f(); err != nil || len(us) != 0 {
			t.Errorf("%s: %s, %v; want none", name, seqs(us), err)
		}
	}
	if got := seqs(usersWith(t, s, "j1", store.OutcomeFailed, store.OutcomeRevoked, store.OutcomeFailed)); got != "u03:3 u07:7" {
		t.Errorf("UsersWith(failed, revoked, failed) = %s", got)
	}
	// Several outcomes are merged by Seq before the limit applies.
	page, err := s.UsersWith(ctx, "j1", []store.Outcome{store.OutcomeSkipped, store.OutcomePending, store.OutcomeRevoked}, 2, 3)
	if err != nil || seqs(page) != "u03:3 u04:4 u05:5" {
		t.Errorf("UsersWith(skipped, pending, revoked) after 2, limit 3 = %s, %v", seqs(page), err)
	}
	if _, err := s.PendingUsers(ctx, "j1", 0, -1); err == nil {
		t.Error("PendingUsers accepted a negative limit")
	}
}
