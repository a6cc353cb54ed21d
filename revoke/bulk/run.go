package bulk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// errStopped ends a run whose job someone stopped.
var errStopped = errors.New("bulk: stopped")

// item is a user on its way through the engine, with the failures this run
// has counted for it.
type item struct {
	store.BulkUser
	throttles, fails int
	first            bool // one of the users to revoke before all others
}

type run struct {
	cfg    Config
	pacer  *Pacer
	cancel context.CancelCauseFunc
	start  time.Time

	work     chan *item
	outcomes chan store.BulkUser

	mu          sync.Mutex
	retries     []*item
	outstanding int // users dispatched or waiting for a retry
	listed      bool
	listerDone  bool
	wake        chan struct{} // something the dispatcher waits for changed
	// first are the job's First users (lower-case IDs), and firstOpen how
	// many of them were taken from the checkpoint and have no outcome yet:
	// they lead the checkpoint, and no other user is sent to Graph while
	// one of them is open.
	first     map[string]bool
	firstOpen int

	samples []sample // revocations done over time, for the rate

	throttled atomic.Int64
	stop      atomic.Pointer[store.Job]
}

// Run claims the job's lease and works until every user is done, someone
// stops it, the lease is lost or ctx ends. In-flight revocations finish and
// every outcome is written before Run returns; on ctx's end the lease is
// released so another replica can resume at once.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg.defaults()
	if cfg.Writes <= 0 || cfg.Per <= 0 {
		return Result{}, errors.New("bulk: no write ceiling configured")
	}
	now := cfg.Now()
	job, err := cfg.Store.ClaimJob(ctx, cfg.RequestID, cfg.Owner, now, now.Add(cfg.Lease))
	if errors.Is(err, store.ErrConflict) {
		return Result{}, ErrLeaseLost
	}
	if err != nil {
		return Result{}, fmt.Errorf("claim the job: %w", err)
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &run{
		cfg: cfg, pacer: NewPacer(cfg.Writes, cfg.Per), cancel: cancel, start: now,
		work: make(chan *item), outcomes: make(chan store.BulkUser, 4*cfg.Workers),
		listed: job.Listed, listerDone: job.Listed, wake: make(chan struct{}, 1),
	}
	if job.StopBy != "" {
		r.stop.Store(&job)
		cancel(errStopped)
	}
	if job.Cursor != "" && cfg.Held != nil {
		r.holdFirst(cfg.Held(ctx))
	}
	if c, err := cfg.Store.JobCounts(ctx, cfg.RequestID); err == nil {
		r.samples = []sample{{time.Now(), c.Revoked + c.Failed}}
	}

	var bg, workers, recorder sync.WaitGroup
	bgCtx, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	bg.Go(func() { r.watch(bgCtx) })
	bg.Go(func() { r.report(bgCtx) })
	if !job.Listed {
		bg.Go(func() { r.list(runCtx, job.Cursor) })
	}
	recorder.Go(func() { r.record() })
	for range cfg.Workers {
		workers.Go(func() { r.revoke(ctx) })
	}

	r.dispatch(runCtx)
	close(r.work)
	workers.Wait()
	close(r.outcomes)
	recorder.Wait()
	stopBG()
	bg.Wait()

	r.mu.Lock()
	res := Result{Throttled: int(r.throttled.Load()), Listed: r.listed}
	r.mu.Unlock()
	cause := context.Cause(runCtx)
	// A fresh context: the last counts and the release must happen even
	// when ctx ended.
	tail, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	if errors.Is(cause, ErrLeaseLost) {
		return res, ErrLeaseLost
	}
	res.Counts, err = cfg.Store.JobCounts(tail, cfg.RequestID)
	if err != nil {
		return res, fmt.Errorf("count the job's users: %w", err)
	}
	r.progress(tail)
	var le *ListError
	switch {
	case errors.Is(cause, errStopped):
		j := r.stop.Load()
		res.Stopped, res.StopBy, res.StopAt = true, j.StopBy, j.StopAt
		return res, nil
	case errors.As(cause, &le):
		return res, cause
	case ctx.Err() != nil:
		if err := cfg.Store.ReleaseJob(tail, cfg.RequestID, cfg.Owner); err != nil {
			cfg.Log.Warn("could not release the job's lease", "request_id", cfg.RequestID, "error", err)
		}
		return res, ErrInterrupted
	}
	return res, nil
}

// dispatch hands users to the workers at the pacer's slots: retries first,
// then pending users in listing order, until nothing is left or the run ends.
func (r *run) dispatch(ctx context.Context) {
	var batch []store.BulkUser
	after := int64(0)
	for ctx.Err() == nil {
		it := r.takeRetry()
		// Whether the listing was complete is read before the store is
		// asked for pending users: a last page recorded between the query
		// and the check would otherwise end the job with its users pending.
		complete := false
		if it == nil && len(batch) == 0 {
			complete = r.listingComplete()
			var err error
			batch, err = r.cfg.Store.PendingUsers(ctx, r.cfg.RequestID, after, 512)
			if err != nil {
				r.cfg.Log.Warn("could not read pending users; retrying", "request_id", r.cfg.RequestID, "error", err)
				r.idle(ctx, time.Second)
				continue
			}
			if len(batch) > 0 {
				after = batch[len(batch)-1].Seq
			}
		}
		if it == nil && len(batch) > 0 {
			first := r.isFirst(batch[0].ID)
			if !first && r.firstUnsettled() {
				// The privileged go first, done and not just sent: with
				// several workers, a later user could otherwise reach
				// Graph before the last of them.
				r.idle(ctx, r.cfg.Flush)
				continue
			}
			it = &item{BulkUser: batch[0], first: first}
			batch = batch[1:]
			if first {
				r.mu.Lock()
				r.firstOpen++
				r.mu.Unlock()
			}
		}
		if it == nil {
			if complete && r.settled() {
				return
			}
			r.idle(ctx, r.cfg.Flush)
			continue
		}
		// A user not sent after all stays pending in the store for whoever
		// resumes the job.
		if !sleepUntil(ctx, r.pacer.Slot(time.Now())) {
			return
		}
		r.mu.Lock()
		r.outstanding++
		r.mu.Unlock()
		select {
		case r.work <- it:
		case <-ctx.Done():
			r.done(nil) // not sent: it stays pending for whoever resumes
			return
		}
	}
}

// listingComplete reports whether the whole tenant is in the checkpoint.
func (r *run) listingComplete() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.listerDone && r.listed
}

// settled reports whether no user is in flight or waiting for a retry.
func (r *run) settled() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.outstanding == 0 && len(r.retries) == 0
}

func (r *run) takeRetry() *item {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.retries) == 0 {
		return nil
	}
	it := r.retries[0]
	r.retries = r.retries[1:]
	r.outstanding-- // counted again when it is dispatched
	return it
}

// done marks one dispatched user as settled, with its outcome.
func (r *run) done(it *item) {
	r.mu.Lock()
	r.outstanding--
	if it != nil && it.first {
		r.firstOpen--
	}
	r.mu.Unlock()
	r.poke()
}

// isFirst reports whether user id is one of the job's First users.
func (r *run) isFirst(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first[strings.ToLower(id)]
}

// firstUnsettled reports whether a First user taken from the checkpoint
// has no outcome yet.
func (r *run) firstUnsettled() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstOpen > 0
}

// holdFirst makes users the First users other users wait for.
func (r *run) holdFirst(users []revoke.User) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.first = map[string]bool{}
	for _, u := range users {
		r.first[strings.ToLower(u.ID)] = true
	}
}

func (r *run) retry(it *item) {
	r.mu.Lock()
	r.retries = append(r.retries, it)
	r.mu.Unlock()
	r.poke()
}

func (r *run) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *run) idle(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-r.wake:
	case <-t.C:
	}
}

// revoke is one worker: it revokes the users handed to it and classifies
// each answer as done, failed, or worth another try.
func (r *run) revoke(parent context.Context) {
	for it := range r.work {
		// An in-flight revocation finishes even when the run is stopped or
		// shut down, so its outcome is known and written.
		if r.cfg.Guard != nil {
			if why := r.cfg.Guard(it.BulkUser); why != "" {
				it.Outcome, it.Detail, it.At = store.OutcomeSkipped, why, r.cfg.Now()
				r.outcomes <- it.BulkUser
				r.done(it)
				continue
			}
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 30*time.Second)
		res, err := r.cfg.Revoker.RevokeSessions(ctx, it.ID)
		cancel()
		it.Attempts++
		now := r.cfg.Now()
		// Pacing follows Graph's clock, the real one, whatever Now says.
		wall := time.Now()
		switch {
		case err == nil:
			it.Outcome, it.Detail, it.At = store.OutcomeRevoked, "", res.At
		case revoke.KindOf(err) == revoke.KindThrottled:
			r.throttled.Add(1)
			r.pacer.Throttled(wall, revoke.RetryAfterOf(err))
			if it.throttles++; it.throttles < r.cfg.MaxThrottled {
				r.retry(it)
				continue
			}
			it.Outcome, it.Detail, it.At = store.OutcomeFailed, r.cfg.Describe(err), now
		case revoke.Retryable(err):
			wait := revoke.RetryAfterOf(err)
			if wait <= 0 {
				wait = time.Duration(1<<min(it.fails, 5)) * time.Second
			}
			r.pacer.Pause(wall, wait)
			if it.fails++; it.fails < r.cfg.MaxAttempts {
				r.retry(it)
				continue
			}
			it.Outcome, it.Detail, it.At = store.OutcomeFailed, r.cfg.Describe(err), now
		default:
			it.Outcome, it.Detail, it.At = store.OutcomeFailed, r.cfg.Describe(err), now
		}
		r.outcomes <- it.BulkUser
		r.done(it)
	}
}

// sleepUntil waits for t on the real clock.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
