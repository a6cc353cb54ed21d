// Package bulk runs /revoke all: it lists the tenant page by page into a
// durable checkpoint and revokes every eligible user at Graph's throttling
// ceiling, so that a job of hours survives restarts and replica failures and
// skips nobody.
package bulk

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// Checkpoint is the part of the store a job needs.
type Checkpoint interface {
	Job(ctx context.Context, id string) (store.Job, error)
	ClaimJob(ctx context.Context, id, owner string, now, until time.Time) (store.Job, error)
	ReleaseJob(ctx context.Context, id, owner string) error
	AddPage(ctx context.Context, id, owner string, users []store.BulkUser, next string, listed bool) error
	PendingUsers(ctx context.Context, id string, after int64, limit int) ([]store.BulkUser, error)
	RecordOutcomes(ctx context.Context, id, owner string, users []store.BulkUser) error
	JobCounts(ctx context.Context, id string) (store.Counts, error)
}

// Lister reads the tenant's users one page at a time.
type Lister interface {
	ListUsers(ctx context.Context, cursor string) (revoke.Page, error)
}

// Revoker revokes one user's sessions with a single try: the engine paces
// and retries the whole tenant's writes together.
type Revoker interface {
	RevokeSessions(ctx context.Context, userID string) (revoke.Result, error)
}

// Config is one run of one job.
type Config struct {
	RequestID string
	Owner     string // this replica's name in the job's lease
	Store     Checkpoint
	Lister    Lister
	Revoker   Revoker
	// Skip says why a user is left out ("" when it is eligible).
	Skip func(revoke.User) string
	// Guard, when set, is asked again right before each revocation, with
	// the user as the checkpoint holds them: the checkpoint is the
	// database's, and a row moved back to pending there must not reach
	// an account that must never be revoked. "" lets it go.
	Guard func(store.BulkUser) string
	// Describe words a user's failure for the summary and its CSV.
	Describe func(error) string

	Writes  int           // the ceiling: Writes per Per
	Per     time.Duration //
	Workers int           // revocations in flight; default 16

	MaxAttempts  int           // tries per user for failures other than 429; default 5
	MaxThrottled int           // 429s per user before it is reported failed; default 20
	Lease        time.Duration // default 30s; renewed every Lease/3
	Flush        time.Duration // outcomes are written at least this often; default 250ms
	Poll         time.Duration // how often a stop is looked for; default 1s
	// First, when set, gives the users to revoke before the tenant is
	// listed (the holders of directory roles). It is asked once, on a job
	// that has listed nothing yet; its users take the first places of the
	// checkpoint, so they are revoked first and keep that order through a
	// restart, and the listing that finds them again revokes nobody twice.
	// An error is logged and the job goes on in listing order.
	First func(ctx context.Context) ([]revoke.User, error)
	// Held, when set, gives the First users a job recorded, to a run that
	// resumes it: the others wait for them there too. nil or none: no wait.
	Held func(ctx context.Context) []revoke.User

	// OnProgress, when set, gets the durable counts every ProgressEvery
	// (default 3s) and once at the end.
	OnProgress    func(Progress)
	ProgressEvery time.Duration

	Now func() time.Time
	Log *slog.Logger
}

// Progress is a job's state as its progress message shows it.
type Progress struct {
	Counts    store.Counts
	Listed    bool    // the whole tenant has been listed, so Pending is what remains
	Rate      float64 // revocations per second, over the last minute of this run
	Throttled int     // 429s this run has met
	Started   time.Time
	At        time.Time
}

// Result is how a run ended.
type Result struct {
	Counts    store.Counts
	Listed    bool // the whole tenant was listed
	Stopped   bool // someone pressed stop; StopBy and StopAt say who and when
	StopBy    string
	StopAt    time.Time
	Throttled int
}

// Errors a caller acts on.
var (
	// ErrLeaseLost: another replica holds the job; this one stopped touching it.
	ErrLeaseLost = errors.New("bulk: another replica holds this job")
	// ErrInterrupted: the context ended (shutdown); the checkpoint is saved
	// and the lease released, so the next start or another replica resumes.
	ErrInterrupted = errors.New("bulk: interrupted; resumes from the checkpoint")
)

// ListError is a listing of the tenant that failed for good: the job cannot
// know its users, so it ends.
type ListError struct{ Err error }

func (e *ListError) Error() string { return "list the tenant's users: " + e.Err.Error() }
func (e *ListError) Unwrap() error { return e.Err }

func (c *Config) defaults() {
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.MaxThrottled <= 0 {
		c.MaxThrottled = 20
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.Flush <= 0 {
		c.Flush = 250 * time.Millisecond
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 3 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Describe == nil {
		c.Describe = func(err error) string { return err.Error() }
	}
	if c.Skip == nil {
		c.Skip = func(revoke.User) string { return "" }
	}
}

// Preview counts what a job would do now: eligible users and skipped ones by
// reason, reading the tenant page by page so memory stays flat.
func Preview(ctx context.Context, l Lister, skip func(revoke.User) string) (eligible int, skipped map[string]int, err error) {
	skipped = map[string]int{}
	cursor := ""
	for {
		page, err := l.ListUsers(ctx, cursor)
		if err != nil {
			return 0, nil, &ListError{Err: err}
		}
		for _, u := range page.Users {
			if why := skip(u); why != "" {
				skipped[why]++
			} else {
				eligible++
			}
		}
		if page.Next == "" {
			return eligible, skipped, nil
		}
		cursor = page.Next
	}
}

// Estimate is how long revoking n users takes at the ceiling.
func Estimate(n, writes int, per time.Duration) time.Duration {
	if writes <= 0 {
		return 0
	}
	return time.Duration(float64(n) / (headroom * float64(writes)) * float64(per))
}
