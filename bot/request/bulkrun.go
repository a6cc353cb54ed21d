package request

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/revokebot/revokebot/revoke/bulk"
	"github.com/revokebot/revokebot/store"
)

// bulkRuns tracks the /revoke all jobs this replica runs. They live outside
// the worker pool: a job runs for hours, not for jobTimeout.
type bulkRuns struct {
	mu      sync.Mutex
	ctx     context.Context // nil until Run starts, and after shutdown
	cancel  context.CancelFunc
	running map[string]bool
	wg      sync.WaitGroup
}

func newBulkRuns() *bulkRuns { return &bulkRuns{running: map[string]bool{}} }

func (r *bulkRuns) open(parent context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ctx, r.cancel = context.WithCancel(parent)
}

// start runs fn for job id unless this replica already runs it or is
// shutting down.
func (r *bulkRuns) start(id string, fn func(ctx context.Context)) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx == nil || r.ctx.Err() != nil || r.running[id] {
		return false
	}
	r.running[id] = true
	ctx := r.ctx
	r.wg.Go(func() {
		defer func() {
			r.mu.Lock()
			delete(r.running, id)
			r.mu.Unlock()
		}()
		fn(ctx)
	})
	return true
}

// busy reports whether this replica runs id now.
func (r *bulkRuns) busy(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[id]
}

// mark notes id as running on this replica until the returned func is
// called: work done in line (a request's steps after its actions) that a
// sweep must not start a second time meanwhile.
func (r *bulkRuns) mark(id string) func() {
	r.mu.Lock()
	r.running[id] = true
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		delete(r.running, id)
		r.mu.Unlock()
	}
}

func (r *bulkRuns) shutdown() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
	}
}

func (r *bulkRuns) wait() { r.wg.Wait() }

// replicaName tells replicas apart in job leases: the host (a pod's name),
// the process and a random part, so two processes never share a lease.
func replicaName() string {
	host, _ := os.Hostname()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// startBulk runs an approved /revoke all, whose checkpoint the approval
// created in the same write.
func (b *bulkRunner) startBulk(req store.Request) {
	b.runs.start(req.ID, func(ctx context.Context) { b.runBulk(ctx, req) })
}

// resumeBulk picks up running /revoke all jobs that no live replica holds:
// after a restart, or when the replica running one died. It runs at start
// and with every sweep (tendRunning).
func (b *bulkRunner) resumeBulk(ctx context.Context, running []store.Request) {
	now := b.now()
	for _, r := range running {
		if r.Kind != store.KindAll {
			continue
		}
		job, err := b.store.Job(ctx, r.ID)
		if errors.Is(err, store.ErrNotFound) {
			// Approved, but the replica died before it recorded the job.
			if err := b.store.CreateJob(ctx, r.ID, now); err != nil && !errors.Is(err, store.ErrDuplicate) {
				continue
			}
		} else if err != nil || (job.Owner != "" && job.Owner != b.cfg.Replica && job.LeaseUntil.After(now)) {
			continue
		}
		b.runs.start(r.ID, func(ctx context.Context) { b.runBulk(ctx, r) })
	}
}

// runBulk runs one job on this replica until it ends, is stopped, or this
// replica shuts down or loses the lease.
func (b *bulkRunner) runBulk(ctx context.Context, req store.Request) {
	log := b.log.With("request_id", req.ID, "target", "all")
	if why := b.forged(ctx, req); why != "" {
		b.tell.tampered(ctx, req, "before running its job", why)
		return
	}
	before, err := b.store.Job(ctx, req.ID)
	if err != nil {
		log.Error("could not read the job", "error", err)
		return
	}
	now := b.now()
	lease := b.cfg.Bulk.Lease
	if lease <= 0 {
		lease = 30 * time.Second
	}
	job, err := b.store.ClaimJob(ctx, req.ID, b.cfg.Replica, now, now.Add(lease))
	if err != nil {
		return // another replica holds it, or the store is away: the next sweep tries again
	}
	// A job is resumed when it was started before, whoever reaches it first
	// now: the approving click or a sweep.
	resumed := false
	trail, err := b.store.AuditTrail(ctx, req.ID)
	for _, rec := range trail {
		resumed = resumed || rec.Event.Event == string(EvStarted)
	}
	if err != nil {
		log.Warn("could not read the job's audit trail", "error", err)
	}
	ra := b.policy.RevokeAll
	log.Info("bulk job claimed", "replica", b.cfg.Replica, "resumed", resumed)
	if resumed {
		c, _ := b.store.JobCounts(ctx, req.ID)
		how := "after a restart"
		if before.Owner != "" && before.Owner != b.cfg.Replica {
			how = "after the replica running it stopped renewing its lease"
		}
		b.tell.auditOrSay(ctx, req, EvResumed, systemActor, fmt.Sprintf("Resumed from its checkpoint on replica `%s` %s: %s revoked and %s failed so far; %s still to do.",
			Escape(b.cfg.Replica), how, count(c.Revoked), count(c.Failed), count(c.Pending)))
	} else {
		b.tell.auditOrSay(ctx, req, EvStarted, systemActor, fmt.Sprintf("Listing the tenant and revoking every eligible user at up to %s writes per %s.",
			count(ra.Writes), duration(ra.Per)))
	}
	progressTS := job.ProgressTS
	started := job.CreatedAt
	show := func(p progress) {
		p.RequestID, p.Elapsed = req.ID, b.now().Sub(started)
		progressTS = b.showProgress(ctx, req, progressTS, p)
	}
	show(progress{Running: true})

	priv := &privileged{b: b, req: req}
	res, err := bulk.Run(ctx, bulk.Config{
		RequestID: req.ID, Owner: b.cfg.Replica, Store: b.store,
		Lister: b.cfg.Lister, Revoker: b.cfg.BulkRevoker,
		Skip: b.skipReason, Guard: b.protectedGuard(ctx), Describe: describeShort, First: b.firstUsers(req), Held: b.heldUsers(req),
		Writes: ra.Writes, Per: ra.Per, Workers: ra.Concurrency,
		Lease: lease, Flush: b.cfg.Bulk.Flush, Poll: b.cfg.Bulk.Poll, ProgressEvery: b.cfg.Bulk.ProgressEvery,
		OnProgress: func(p bulk.Progress) {
			b.bulkMetrics(p.Counts)
			left, total := priv.left(ctx)
			show(progress{Counts: p.Counts, Listed: p.Listed, Rate: p.Rate, Running: true, PrivilegedLeft: left, Privileged: total})
		},
		Now: b.now, Log: b.log,
	})
	b.finishBulk(ctx, req, priv, res, err, func(final string) {
		show(progress{Counts: res.Counts, Listed: res.Listed, Final: final})
	}, started)
}

// finishBulk records how a run ended and tells the thread.
func (b *bulkRunner) finishBulk(ctx context.Context, req store.Request, priv *privileged, res bulk.Result, runErr error, final func(string), started time.Time) {
	log := b.log.With("request_id", req.ID, "target", "all")
	// Shutdown may have ended ctx: the end of the job is still written.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var le *bulk.ListError
	switch {
	case errors.Is(runErr, bulk.ErrLeaseLost):
		log.Warn("another replica took over the job; this one stopped")
		return
	case errors.Is(runErr, bulk.ErrInterrupted):
		b.postQuiet(ctx, req.Channel, req.RootTS, ":pause_button: revokebot is restarting; the job resumes from its checkpoint "+
			fmt.Sprintf("(%s revoked so far, %s to do).", count(res.Counts.Revoked), count(res.Counts.Pending)))
		final("Paused for a restart; resumes from its checkpoint.")
		return
	case errors.As(runErr, &le):
		detail := "The job could not list the tenant's users, so it ended: " + describe(le.Err)
		if res.Counts.Revoked > 0 {
			detail += fmt.Sprintf(" %s users were revoked before that.", count(res.Counts.Revoked))
		}
		b.exec.fail(ctx, req, detail)
		final(":x: Ended: the tenant could not be listed.")
		return
	case runErr != nil:
		log.Error("the job ended with an error; it resumes from its checkpoint with the next sweep", "error", runErr)
		return
	}

	s := summary{Counts: res.Counts, Elapsed: b.now().Sub(started), StopBy: res.StopBy, StopAt: res.StopAt, Listed: res.Listed}
	s.Privileged = priv.get(ctx).Count
	s.Failed, _ = b.store.UsersWith(ctx, req.ID, []store.Outcome{store.OutcomeFailed}, 0, inlineFailures)
	listed := []store.Outcome{store.OutcomeFailed}
	if res.Stopped {
		listed = append(listed, store.OutcomePending)
	}
	attach := res.Counts.Failed > inlineFailures || (res.Stopped && res.Counts.Failed+res.Counts.Pending > 0)
	if attach {
		s.Attached = attachmentName(req)
	}
	text := renderSummary(s)
	to, event := store.StateSucceeded, EvSucceeded
	switch {
	case res.Stopped:
		to, event = store.StateStopped, EvStopped
	case res.Counts.Failed > 0:
		to, event = store.StateFailed, EvFailed
	}
	// Record, then tell: the end of the job and its summary are durable
	// before the progress message or the file says anything.
	if _, ok := b.exec.finish(ctx, req, to, event, firstLine(text), text); !ok {
		return
	}
	if err := b.store.ReleaseJob(ctx, req.ID, b.cfg.Replica); err != nil {
		log.Warn("could not release the finished job", "error", err)
	}
	b.bulkMetrics(res.Counts)
	final(firstLine(text))
	if attach && !b.attachUsers(ctx, req, listed) {
		b.postQuiet(ctx, req.Channel, req.RootTS, ":warning: revokebot could not attach the list of users not revoked; its log says why.")
	}
}

// inlineFailures is how many failed users the summary lists in the thread;
// the rest are in the attached file.
const inlineFailures = 20

func (b *bulkRunner) bulkMetrics(c store.Counts) {
	b.m.BulkUsers("done", c.Revoked)
	b.m.BulkUsers("failed", c.Failed)
	b.m.BulkUsers("skipped", skippedTotal(c.Skipped))
	b.m.BulkUsers("remaining", c.Pending)
}
