package bulk

import (
	"context"
	"errors"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// list reads the tenant from cursor to the end, each page recorded with the
// cursor after it in one transaction, so a resumed job reads no page twice
// and loses none.
func (r *run) list(ctx context.Context, cursor string) {
	defer func() {
		r.mu.Lock()
		r.listerDone = true
		r.mu.Unlock()
		r.poke()
	}()
	if cursor == "" && r.cfg.First != nil {
		if !r.addFirst(ctx) {
			return
		}
		cursor = FirstDone
	}
	restarted := false
	for ctx.Err() == nil {
		from := cursor
		if from == FirstDone {
			from = ""
		}
		page, err := r.listPage(ctx, from)
		if err != nil && from != "" && !restarted && revoke.KindOf(err) == revoke.KindBadRequest {
			// Graph no longer takes the saved position (skip tokens do not
			// live for ever): list again from the start. Users already in the
			// job keep their row, so nobody is counted or revoked twice.
			r.cfg.Log.Warn("saved listing position refused; listing from the start", "request_id", r.cfg.RequestID)
			cursor, restarted = FirstDone, true
			continue
		}
		if err != nil {
			if ctx.Err() == nil {
				r.cancel(&ListError{Err: err})
			}
			return
		}
		users := r.checkpointUsers(page.Users)
		last := page.Next == ""
		if err := r.cfg.Store.AddPage(ctx, r.cfg.RequestID, r.cfg.Owner, users, page.Next, last); err != nil {
			if errors.Is(err, store.ErrConflict) {
				r.cancel(ErrLeaseLost)
				return
			}
			r.cfg.Log.Warn("could not record a page of users; reading it again", "request_id", r.cfg.RequestID, "error", err)
			r.idle(ctx, time.Second)
			continue
		}
		r.poke()
		if last {
			r.mu.Lock()
			r.listed = true
			r.mu.Unlock()
			return
		}
		cursor = page.Next
	}
}

// FirstDone is the listing position of a job whose First users are in its
// checkpoint and whose tenant listing starts from the first page.
const FirstDone = "revokebot:first-done"

// addFirst puts the First users at the head of the checkpoint, with the
// position FirstDone; false when the run must end (its lease is lost, or
// it was stopped).
func (r *run) addFirst(ctx context.Context) bool {
	first, err := r.cfg.First(ctx)
	if err != nil {
		r.cfg.Log.Warn("could not read the users to revoke first; going on in listing order", "request_id", r.cfg.RequestID, "error", err)
	}
	users := r.checkpointUsers(first)
	r.holdFirst(first)
	for ctx.Err() == nil {
		err := r.cfg.Store.AddPage(ctx, r.cfg.RequestID, r.cfg.Owner, users, FirstDone, false)
		if err == nil {
			r.poke()
			return true
		}
		if errors.Is(err, store.ErrConflict) {
			r.cancel(ErrLeaseLost)
			return false
		}
		r.cfg.Log.Warn("could not record the users to revoke first; trying again", "request_id", r.cfg.RequestID, "error", err)
		r.idle(ctx, time.Second)
	}
	return false
}

// checkpointUsers are users as the checkpoint keeps them: pending, or
// skipped with the reason.
func (r *run) checkpointUsers(us []revoke.User) []store.BulkUser {
	users := make([]store.BulkUser, len(us))
	for i, u := range us {
		users[i] = store.BulkUser{ID: u.ID, UPN: u.UPN, Outcome: store.OutcomePending}
		if why := r.cfg.Skip(u); why != "" {
			users[i].Outcome, users[i].Detail = store.OutcomeSkipped, why
		}
	}
	return users
}

// listPage reads one page, waiting out throttling and outages for a few
// minutes before the listing is given up.
func (r *run) listPage(ctx context.Context, cursor string) (revoke.Page, error) {
	var page revoke.Page
	_, err := revoke.Retry{Attempts: 6, MaxWait: 2 * time.Minute, Backoff: 5 * time.Second, Sleep: revoke.SleepContext}.Do(ctx, func() revoke.Attempt {
		var err error
		page, err = r.cfg.Lister.ListUsers(ctx, cursor)
		return revoke.Attempt{Err: err, Retryable: revoke.Retryable(err), RetryAfter: revoke.RetryAfterOf(err)}
	})
	return page, err
}

// record writes outcomes in batches, at least every Flush: one transaction
// per batch keeps the store far below the pace of Graph's ceiling. A batch
// that cannot be written is kept and tried again.
func (r *run) record() {
	const batchSize = 200
	ctx := context.Background()
	tick := time.NewTicker(r.cfg.Flush)
	defer tick.Stop()
	var buf []store.BulkUser
	lost := false
	flush := func() {
		if len(buf) == 0 || lost {
			return
		}
		err := r.cfg.Store.RecordOutcomes(ctx, r.cfg.RequestID, r.cfg.Owner, buf)
		switch {
		case errors.Is(err, store.ErrConflict):
			lost = true
			r.cancel(ErrLeaseLost)
		case err != nil:
			r.cfg.Log.Warn("could not record outcomes; keeping them to try again", "request_id", r.cfg.RequestID, "users", len(buf), "error", err)
		default:
			buf = buf[:0]
		}
	}
	for {
		select {
		case u, ok := <-r.outcomes:
			if !ok {
				for tries := 0; len(buf) > 0 && !lost && tries < 20; tries++ {
					if tries > 0 {
						time.Sleep(250 * time.Millisecond)
					}
					flush()
				}
				return
			}
			buf = append(buf, u)
			if len(buf) >= batchSize {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// watch renews the lease and looks for a stop, until ctx ends.
func (r *run) watch(ctx context.Context) {
	tick := time.NewTicker(min(r.cfg.Poll, r.cfg.Lease/3))
	defer tick.Stop()
	renewed := r.cfg.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := r.cfg.Now()
		var job store.Job
		var err error
		if now.Sub(renewed) >= r.cfg.Lease/3 {
			job, err = r.cfg.Store.ClaimJob(ctx, r.cfg.RequestID, r.cfg.Owner, now, now.Add(r.cfg.Lease))
			if errors.Is(err, store.ErrConflict) {
				r.cancel(ErrLeaseLost)
				return
			}
			if err == nil {
				renewed = now
			}
		} else {
			job, err = r.cfg.Store.Job(ctx, r.cfg.RequestID)
		}
		if err != nil {
			r.cfg.Log.Warn("could not renew the job's lease or read it", "request_id", r.cfg.RequestID, "error", err)
			continue
		}
		if job.StopBy != "" && r.stop.Load() == nil {
			r.stop.Store(&job)
			r.cancel(errStopped)
		}
	}
}

// report hands the durable counts to OnProgress every ProgressEvery.
func (r *run) report(ctx context.Context) {
	if r.cfg.OnProgress == nil {
		return
	}
	tick := time.NewTicker(r.cfg.ProgressEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.progress(ctx)
		}
	}
}

// rateWindow is how far back the rate a progress message shows looks.
const rateWindow = time.Minute

type sample struct {
	at      time.Time
	revoked int
}

func (r *run) progress(ctx context.Context) {
	if r.cfg.OnProgress == nil {
		return
	}
	c, err := r.cfg.Store.JobCounts(ctx, r.cfg.RequestID)
	if err != nil {
		r.cfg.Log.Warn("could not count the job's users", "request_id", r.cfg.RequestID, "error", err)
		return
	}
	now := time.Now() // the rate is real writes per real second
	r.mu.Lock()
	listed := r.listed
	r.samples = append(r.samples, sample{now, c.Revoked + c.Failed})
	for len(r.samples) > 2 && now.Sub(r.samples[1].at) >= rateWindow {
		r.samples = r.samples[1:]
	}
	first := r.samples[0]
	r.mu.Unlock()
	rate := 0.0
	if d := now.Sub(first.at).Seconds(); d > 0 {
		rate = float64(c.Revoked+c.Failed-first.revoked) / d
	}
	r.cfg.OnProgress(Progress{Counts: c, Listed: listed, Rate: rate, Throttled: int(r.throttled.Load()), Started: r.start, At: r.cfg.Now()})
}
