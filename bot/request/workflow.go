// Package request is revokebot's request lifecycle, platform-neutral: parse a
// command, authorize it, resolve its targets, decide each click, execute,
// record, then tell. It talks to the chat platform only through the small
// interfaces of ports.go and imports no chat SDK.
package request

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/signing"
	"github.com/revokebot/revokebot/store"
)

// Config is what a Workflow needs.
type Config struct {
	Policy    authz.Policy
	Store     store.Store
	Messenger Messenger
	Groups    GroupMembers
	Profiles  Profiles
	Directory Directory
	Revoker   Revoker
	// Lister and BulkRevoker serve /revoke all; without them it is refused.
	// BulkRevoker tries each call once: the bulk engine paces and retries.
	Lister      Lister
	BulkRevoker Revoker
	// Counter counts the tenant for /revoke all's card; without it the card
	// lists the tenant if that ends in seconds.
	Counter Counter
	// RoleHolders finds the privileged accounts /revoke all takes first;
	// without it the job revokes in listing order.
	RoleHolders RoleLister
	// The other containment actions; a nil one is refused with a reason.
	Disabler   Disabler
	Passwords  PasswordResetter
	Methods    MethodRemover
	Grants     GrantRemover
	Rules      RuleDisabler
	SharePoint SharePointRevoker
	// Changes reads the directory audit log for each user's recent
	// security changes on a containment card; nil: not shown.
	Changes DirectoryAuditLog
	// Forwarding reads and clears a mailbox's own forwarding (Exchange,
	// --forwarding); nil without Exchange.
	Forwarding MailboxForwarding
	// HiddenRules lists a mailbox's rules hidden ones included and
	// disables them (Exchange, --mailbox); nil without Exchange, when
	// --mailbox sees only what Graph shows.
	HiddenRules MailboxRules
	// Protocols turns a mailbox's protocols off and back on (Exchange,
	// --protocols and release); nil without Exchange.
	Protocols MailboxProtocols
	// ChatSessions finds the user's chat account and ends its sessions
	// (--slack); nil without an org admin's token.
	ChatSessions ChatSessions
	Compromiser  Compromiser
	// Enabler and Risk serve /revoke release; without Enabler it is
	// refused, without Risk a release only lets sign-in again.
	Enabler Enabler
	Risk    RiskDismisser
	// AlertSources are read for alert cards (policy alerts; nil: none);
	// IncidentComments writes an alert card's outcome back to its
	// Defender incident (nil: not written back).
	AlertSources     AlertSources
	IncidentComments IncidentCommenter
	// Prover reads users back after their actions; SignIns serves the
	// sign-in watch (policy verify). Either may be nil: no read-back, no watch.
	Prover  Prover
	SignIns SignInLog
	Bulk    BulkTuning
	// Replica names this process in leases.
	Replica string

	Log     *slog.Logger
	Now     func() time.Time
	Metrics Metrics

	Workers    int           // concurrent jobs; default 8
	QueueSize  int           // acknowledged jobs waiting for a worker, everyone's; default 1024 (16 a person)
	SweepEvery time.Duration // how often expiry is checked; default 5s
	// ReadBackWait is how long to wait before reading a user back again when
	// Graph does not show an action yet (directory replication), and a log
	// for the evidence snapshot that Graph throttled; default 2s.
	ReadBackWait time.Duration
	// OutboxLease is how long a replica holds the messages it is
	// delivering: another delivers them once it passed; default 20s, over
	// one delivery's worst case (Slack's 15 s HTTP timeout).
	OutboxLease time.Duration
	// Key signs what the bot decides: requests, the decisions that let
	// them run, approvals. It must be the key the store signs records
	// with (store.SignWith); the database never holds it.
	Key signing.Key
}

// env is what every part of the workflow shares: its configuration and the
// parts it hands work to.
type env struct {
	cfg    Config
	policy authz.Policy
	store  store.Store
	msg    Messenger
	log    *slog.Logger
	now    func() time.Time
	m      Metrics
	runs   *bulkRuns
	jobs   *fairQueue
	groups *membership
	fold   *folder
	outs   *fairQueue

	tell   *teller
	intake *intake
	decide *decider
	exec   *executor
	bulk   *bulkRunner
	watch  *watcher
	outbox *deliverer
	ring   signing.Keyring // the public half of cfg.Key
	alerts cardedCache     // the detections this replica carded lately
}

type (
	teller     struct{ *env }
	intake     struct{ *env }
	decider    struct{ *env }
	executor   struct{ *env }
	bulkRunner struct{ *env }
	watcher    struct{ *env }
)

// Workflow serves /revoke commands and button clicks.
type Workflow struct {
	*env
	workers sync.WaitGroup
	loops   sync.WaitGroup
	telling sync.WaitGroup
	stop    context.CancelFunc
	// stopTelling ends the outbox loop, so that the last flush at shutdown
	// is the only one delivering.
	stopTelling context.CancelFunc
}

type job struct {
	name   string
	person string // whose work it is, for their share of the queue
	run    func(ctx context.Context)
}

// New checks the configuration. It starts nothing.
func New(cfg Config) (*Workflow, error) {
	if cfg.Store == nil || cfg.Directory == nil || cfg.Revoker == nil || cfg.Messenger == nil || cfg.Groups == nil || cfg.Profiles == nil {
		return nil, errors.New("request: store, messenger, groups, profiles, directory and revoker are required")
	}
	if !cfg.Key.Valid() {
		return nil, errors.New("request: a signing key is required: the bot acts only on what it signed")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1024
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = 5 * time.Second
	}
	if cfg.ReadBackWait <= 0 {
		cfg.ReadBackWait = 2 * time.Second
	}
	if cfg.OutboxLease <= 0 {
		cfg.OutboxLease = 20 * time.Second
	}
	if cfg.Replica == "" {
		cfg.Replica = replicaName()
	}
	e := &env{cfg: cfg, policy: cfg.Policy, store: cfg.Store, msg: cfg.Messenger, log: cfg.Log, now: cfg.Now,
		m: cfg.Metrics, runs: newBulkRuns(), jobs: newFairQueue(cfg.QueueSize, perPersonWaiting, cfg.Workers),
		groups: newMembership(cfg.Groups, cfg.Now), fold: newFolder(), outs: newFairQueue(outsiderQueue, perPersonWaiting, outsiderWorkers),
		ring: signing.NewKeyring(cfg.Key.Public())}
	e.tell, e.intake, e.decide, e.exec, e.bulk, e.watch = &teller{e}, &intake{e}, &decider{e}, &executor{e}, &bulkRunner{e}, &watcher{e}
	e.outbox = &deliverer{env: e, kick: make(chan struct{}, 1)}
	return &Workflow{env: e}, nil
}

// Start runs the workers, resumes what the store says is running and starts
// the sweeper. Work runs on a context of its own, so that a shutdown lets it
// finish (Drain) instead of cutting it off.
func (w *Workflow) Start(ctx context.Context) {
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	w.stop = stopWork
	for range w.cfg.Workers {
		w.workers.Go(func() { w.serve(workCtx, w.jobs) })
	}
	for range outsiderWorkers {
		w.workers.Go(func() { w.serve(workCtx, w.outs) })
	}
	w.runs.open(workCtx)
	tellCtx, stopTelling := context.WithCancel(workCtx)
	w.stopTelling = stopTelling
	w.telling.Go(func() { w.outbox.run(tellCtx) })
	go w.groups.warm(workCtx, w.policyGroups())
	w.tell.announceKey(workCtx)
	w.exec.tendRunning(workCtx)
	w.loops.Go(func() { w.sweep(ctx) })
	w.loops.Go(func() { w.exec.alertLoop(ctx) })
	w.loops.Go(func() { w.tell.foldLoop(ctx) })
}

// Drain stops taking work, lets bulk jobs checkpoint and release their
// lease, and waits up to limit for running jobs before cancelling them.
// Call it once, after ctx of Start has ended and no more events come.
func (w *Workflow) Drain(limit time.Duration) {
	w.loops.Wait()
	w.jobs.close()
	w.outs.close()
	w.runs.shutdown()
	done := make(chan struct{})
	go func() { w.workers.Wait(); w.runs.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		w.log.Warn("shutdown: jobs still running after the drain timeout; cancelling them")
		w.stop()
		<-done
	}
	// Refusals counted by work that ran during the drain are recorded too;
	// then what the work recorded is told before the process goes, when
	// Slack lets it: the rest waits in the store for the next replica.
	w.tell.recordFolded(context.Background(), true)
	w.stopTelling()
	w.telling.Wait()
	w.outbox.flush(context.Background(), outboxFlush)
	w.stop()
}

// policyGroups are the user groups the policy names.
func (w *Workflow) policyGroups() []string {
	gs := append(slices.Clone(w.policy.Requesters.Groups), w.policy.Approvers.Groups...)
	slices.Sort(gs)
	return slices.Compact(gs)
}

// jobTimeout bounds one command or click, Graph retries included.
const jobTimeout = 5 * time.Minute

// serve is one worker: it runs q's jobs until q is closed and empty.
func (w *Workflow) serve(ctx context.Context, q *fairQueue) {
	for {
		j, ok := q.take()
		if !ok {
			return
		}
		w.runJob(ctx, j)
		q.done(j.person)
	}
}

func (w *Workflow) runJob(ctx context.Context, j job) {
	ctx, cancel := context.WithTimeout(ctx, jobTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("job panicked", "job", j.name, "panic", r)
		}
	}()
	j.run(ctx)
}

// Work from people the policy may not know has its own, smaller capacity,
// so that a stranger's flood never delays a responder.
const (
	outsiderWorkers = 2
	outsiderQueue   = 1024
)

// offer hands person's work to a pool without waiting, or reports that
// the pool's queue, or the person's share of it, is full (with how many of
// theirs wait).
func (w *Workflow) offer(q *fairQueue, person, name string, run func(ctx context.Context)) (offerResult, int) {
	return q.offer(person, job{name: name, run: run}, true)
}
