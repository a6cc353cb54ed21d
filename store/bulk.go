package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// KindAll is a /revoke all request: every eligible user of the tenant, run as
// a bulk job with a checkpoint.
const KindAll Kind = "all"

// StateStopped ends a running request that a person stopped before it
// finished (only bulk jobs can be stopped).
const StateStopped State = "stopped"

// Outcome is where one user of a bulk job is.
type Outcome string

// The outcomes of a bulk job's user. Pending users are still to be revoked
// (or retried); skipped ones were listed but are not eligible (Detail says
// why: guest, disabled, protected).
const (
	OutcomePending Outcome = "pending"
	OutcomeRevoked Outcome = "revoked"
	OutcomeFailed  Outcome = "failed"
	OutcomeSkipped Outcome = "skipped"
)

// BulkUser is one user of a bulk job.
type BulkUser struct {
	Seq      int64 // order of first listing within the job, assigned by the store, from 1
	ID       string
	UPN      string
	Outcome  Outcome
	Attempts int    // tries so far, 429s included
	Detail   string // why it failed or was skipped; when it was revoked
	At       time.Time
}

// Job is the durable state of a bulk job beside its request: how far the
// listing of the tenant got, who runs it, and whether someone stopped it.
type Job struct {
	RequestID string
	// Cursor is the next page of the listing to read (Graph's
	// @odata.nextLink); empty with Listed false means the first page.
	Cursor string
	Listed bool // the whole tenant has been listed

	// Owner holds the job's lease until LeaseUntil; only the owner may
	// write its progress.
	Owner      string
	LeaseUntil time.Time

	StopBy     string // Slack user ID of who pressed stop; empty while not stopped
	StopAt     time.Time
	ProgressTS string // ts of the progress message in the request's thread
	CreatedAt  time.Time
}

// Counts sums a bulk job's users by outcome, and the skipped ones by reason.
type Counts struct {
	Pending, Revoked, Failed int
	Skipped                  map[string]int // Detail of the skipped users -> how many
}

// Listed is how many users the listing has found so far, skipped included.
func (c Counts) Listed() int {
	n := c.Pending + c.Revoked + c.Failed
	for _, k := range c.Skipped {
		n += k
	}
	return n
}

// Bulk is the checkpoint of /revoke all jobs. Every write of progress names
// the lease owner and fails with ErrConflict when the lease has passed to
// someone else, so a replica that lost its job cannot overwrite the new
// owner's work. The fence checks the owner, not the time: a lease that ran
// out but was not taken over is still the owner's, and only ClaimJob moves it.
type Bulk interface {
	// CreateJob starts the checkpoint of request id; ErrDuplicate when it
	// exists, ErrNotFound when request id does not. A zero at means now.
	CreateJob(ctx context.Context, id string, at time.Time) error
	// Job returns the job of request id, or ErrNotFound.
	Job(ctx context.Context, id string) (Job, error)
	// ClaimJob gives owner the lease until `until` when the job has no owner,
	// its lease ended at or before now, or owner already holds it (a
	// heartbeat), in one atomic compare-and-set, and returns the job after it.
	// Otherwise it returns the current job and ErrConflict; ErrNotFound for an
	// unknown job. owner must not be empty and until must be after now (a
	// zero now means the store's clock).
	ClaimJob(ctx context.Context, id, owner string, now, until time.Time) (Job, error)
	// ReleaseJob ends owner's lease at once, so another replica can take the
	// job over without waiting; a no-op when owner does not hold it (or the
	// job does not exist).
	ReleaseJob(ctx context.Context, id, owner string) error
	// AddPage records one page of the listing in one transaction: users not
	// yet in the job are added with the next Seq numbers, in page order, with
	// the Outcome (empty means pending), Attempts, Detail and At given (so the
	// listing can mark ineligible users skipped as it finds them); users
	// already in it keep their row, so a page read twice changes nothing. The
	// cursor moves to next (listed marks the end of the listing). ErrConflict
	// when owner does not hold the lease, ErrNotFound for an unknown job.
	AddPage(ctx context.Context, id, owner string, users []BulkUser, next string, listed bool) error
	// PendingUsers lists up to limit pending users with Seq > after, by Seq.
	// An unknown job has none.
	PendingUsers(ctx context.Context, id string, after int64, limit int) ([]BulkUser, error)
	// RecordOutcomes stores the Outcome, Attempts, Detail and At of users
	// (matched by ID; a zero At means now) in one transaction. ErrConflict
	// when owner does not hold the lease; ErrNotFound, changing nothing, when
	// one of the users is not in the job.
	RecordOutcomes(ctx context.Context, id, owner string, users []BulkUser) error
	// JobCounts sums the job's users by outcome; ErrNotFound for an unknown job.
	JobCounts(ctx context.Context, id string) (Counts, error)
	// UsersWith lists up to limit users with one of the outcomes and Seq > after, by Seq.
	// An unknown job has none.
	UsersWith(ctx context.Context, id string, outcomes []Outcome, after int64, limit int) ([]BulkUser, error)
	// RequestStop records that `by` stopped the job (a zero at means now);
	// the first stop wins, and a later one returns the job and ErrConflict.
	// ErrNotFound for an unknown job.
	RequestStop(ctx context.Context, id, by string, at time.Time) (Job, error)
	// SetProgressTS records the ts of the job's progress message; ErrNotFound
	// for an unknown job.
	SetProgressTS(ctx context.Context, id, ts string) error
}

func (o Outcome) valid() bool {
	switch o {
	case OutcomePending, OutcomeRevoked, OutcomeFailed, OutcomeSkipped:
		return true
	}
	return false
}

// cleanUser normalises one user the way prepareRequest does a request, so
// both backends store, and match on, exactly the same values.
func cleanUser(u BulkUser) (BulkUser, error) {
	u.ID, u.UPN, u.Detail = cleanText(u.ID), cleanText(u.UPN), cleanText(u.Detail)
	u.Outcome = Outcome(cleanText(string(u.Outcome)))
	u.Seq, u.At = 0, utc(u.At)
	switch {
	case u.ID == "":
		return u, errors.New("store: bulk user without ID")
	case !u.Outcome.valid():
		return u, fmt.Errorf("store: bulk user %q: unknown outcome %q", u.ID, u.Outcome)
	case u.Attempts < 0 || u.Attempts > 1<<31-1:
		return u, fmt.Errorf("store: bulk user %q: %d attempts", u.ID, u.Attempts)
	}
	return u, nil
}

// preparePage cleans a page for AddPage. A user listed twice in one page
// keeps its first place: Seq is the order of first listing.
func preparePage(users []BulkUser) ([]BulkUser, error) {
	out := make([]BulkUser, 0, len(users))
	seen := make(map[string]bool, len(users))
	for _, u := range users {
		if u.Outcome == "" {
			u.Outcome = OutcomePending
		}
		u, err := cleanUser(u)
		if err != nil {
			return nil, err
		}
		if !seen[u.ID] {
			seen[u.ID] = true
			out = append(out, u)
		}
	}
	return out, nil
}

// prepareOutcomes cleans a batch for RecordOutcomes. A user reported twice
// keeps the later report, as two updates in order would.
func prepareOutcomes(users []BulkUser, now func() time.Time) ([]BulkUser, error) {
	out := make([]BulkUser, 0, len(users))
	at := make(map[string]int, len(users))
	for _, u := range users {
		if u.Outcome == "" {
			return nil, fmt.Errorf("store: bulk user %q without outcome", u.ID)
		}
		u, err := cleanUser(u)
		if err != nil {
			return nil, err
		}
		if u.At.IsZero() {
			u.At = utc(now())
		}
		if i, ok := at[u.ID]; ok {
			out[i] = u
			continue
		}
		at[u.ID] = len(out)
		out = append(out, u)
	}
	return out, nil
}

// prepareClaim cleans and checks the arguments of ClaimJob (what is "job")
// and ClaimTask ("task"): an empty owner would match every unowned one in
// the fence, and a lease ending before it starts is a caller's bug that
// would otherwise look like a lost claim.
func prepareClaim(what, id, owner string, now, until time.Time, clock func() time.Time) (string, string, time.Time, time.Time, error) {
	id, owner = cleanText(id), cleanText(owner)
	if now = utc(now); now.IsZero() {
		now = utc(clock())
	}
	until = utc(until)
	switch {
	case owner == "":
		return id, owner, now, until, fmt.Errorf("store: claim %s %q without an owner", what, id)
	case !until.After(now):
		return id, owner, now, until, fmt.Errorf("store: claim %s %q: lease until %s is not after %s", what, id, until, now)
	}
	return id, owner, now, until, nil
}

// prepareOutcomeFilter cleans UsersWith's arguments; ok is false when the
// answer is empty without asking the database. Each outcome appears once,
// because the backends read one range of the outcome index per outcome and
// a repeated one would list its users twice.
func prepareOutcomeFilter(id string, outcomes []Outcome, limit int) (string, []string, bool, error) {
	id = cleanText(id)
	if limit < 0 {
		return id, nil, false, fmt.Errorf("store: users of job %q: negative limit %d", id, limit)
	}
	out := make([]string, 0, len(outcomes))
	for _, o := range outcomes {
		if o := cleanText(string(o)); !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return id, out, limit > 0 && len(out) > 0, nil
}

// newCounts starts with a non-nil map, so callers may range and index it
// without checking.
func newCounts() Counts { return Counts{Skipped: map[string]int{}} }

// addCount adds one row of a backend's count query: kind 1 is a count by
// outcome, kind 2 a count of skipped users by Detail.
func (c *Counts) addCount(kind int, key string, n int) {
	switch {
	case kind == 2:
		c.Skipped[key] += n
	case Outcome(key) == OutcomePending:
		c.Pending += n
	case Outcome(key) == OutcomeRevoked:
		c.Revoked += n
	case Outcome(key) == OutcomeFailed:
		c.Failed += n
	}
}

// countsQuery is JobCounts in one statement, so the counts come from one
// snapshot, with the job's own row (kind 0) to tell an unknown job from an
// empty one. Only skipped users are read for their Detail, through the
// outcome index (%[2]s: SQLite, lacking statistics, would rather scan the
// whole job by its primary key). The backend fills in its placeholder as
// %[1]s. The cost still grows with the job: about 50-100 ms for 100,000
// users, so progress messages should not count after every batch.
const countsQuery = `SELECT 0, '', 0 FROM bulk_jobs WHERE request_id = %[1]s
	UNION ALL
	SELECT 1, outcome, count(*) FROM bulk_users WHERE request_id = %[1]s AND outcome <> 'skipped' GROUP BY outcome
	UNION ALL
	SELECT 2, detail, count(*) FROM bulk_users %[2]s WHERE request_id = %[1]s AND outcome = 'skipped' GROUP BY detail`

const (
	jobColumns      = `request_id, cursor, listed, owner, lease_until, stop_by, stop_at, progress_ts, created_at`
	bulkUserColumns = `seq, user_id, upn, outcome, attempts, detail, at`
)

// claimConflict explains a lost claim with the job as it is now.
func claimConflict(cur Job) error {
	return fmt.Errorf("job %q is held by %q until %s: %w",
		cur.RequestID, cur.Owner, cur.LeaseUntil.Format(time.RFC3339Nano), ErrConflict)
}

// fenceConflict explains a progress write refused because owner does not
// hold the lease (holder does; empty when nobody does).
func fenceConflict(id, owner, holder string) error {
	return fmt.Errorf("job %q: %q does not hold the lease (%q does): %w", id, owner, holder, ErrConflict)
}

// bulkError prefixes the errors of a bulk write like the rest of the
// package: those a caller acts on (ErrNotFound, ErrConflict) already say
// what happened and carry the package name in the sentinel.
func bulkError(what, id string, err error) error {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		return err
	}
	return fmt.Errorf("store: %s %q: %w", what, id, err)
}
