// Package bot is the Slack side of revokebot: the Socket Mode loop, command
// parsing, Block Kit rendering and button clicks. It is the only package that
// imports slack-go.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// Directory finds Entra ID users.
type Directory interface {
	Resolve(ctx context.Context, l revoke.Lookup) ([]revoke.User, error)
}

// Revoker revokes one user's sign-in sessions.
type Revoker interface {
	RevokeSessions(ctx context.Context, userID string) (revoke.Result, error)
}

// Lister reads the tenant's users one page at a time, for /revoke all.
type Lister interface {
	ListUsers(ctx context.Context, cursor string) (revoke.Page, error)
}

// Metrics counts what the bot does; metrics.Metrics implements it.
type Metrics interface {
	Command(outcome string)
	Decision(decision, outcome string)
	Revocation(outcome string)
	Reconnect()
	BulkUsers(state string, n int)
}

type noMetrics struct{}

func (noMetrics) Command(string)          {}
func (noMetrics) Decision(string, string) {}
func (noMetrics) Revocation(string)       {}
func (noMetrics) Reconnect()              {}
func (noMetrics) BulkUsers(string, int)   {}

// Config is what a Bot needs; cmd/revokebot fills it from the environment.
type Config struct {
	BotToken, AppToken string
	APIURL             string // Slack Web API base with trailing slash
	HTTPClient         *http.Client

	Policy    authz.Policy
	Store     store.Store
	Directory Directory
	Revoker   Revoker
	// Lister and BulkRevoker serve /revoke all; without them it is refused.
	// BulkRevoker tries each call once: the bulk engine paces and retries.
	Lister      Lister
	BulkRevoker Revoker
	// The other containment actions; a nil one is refused with a reason.
	Disabler    Disabler
	SharePoint  SharePointRevoker
	Compromiser Compromiser
	// Prover reads users back after their actions; SignIns serves the
	// sign-in watch (policy verify). Either may be nil: no read-back, no watch.
	Prover  Prover
	SignIns SignInLog
	Bulk    BulkTuning
	// Replica names this process in bulk jobs' leases; default host-pid-random.
	Replica string

	Log     *slog.Logger
	Now     func() time.Time
	Metrics Metrics

	Workers    int           // concurrent jobs; default 8
	QueueSize  int           // acknowledged jobs waiting for a worker; default 1024
	SweepEvery time.Duration // how often expiry is checked; default 5s
	Drain      time.Duration // how long shutdown waits for running jobs; default 30s
	// ReadBackWait is how long to wait before reading a user back again when
	// Graph does not show an action yet (directory replication); default 2s.
	ReadBackWait time.Duration
}

// Bot serves /revoke.
type Bot struct {
	cfg    Config
	policy authz.Policy
	store  store.Store
	api    *slack.Client
	sm     *socketmode.Client
	log    *slog.Logger
	now    func() time.Time
	groups *groupCache
	seen   *recent
	jobs   chan job
	bulk   *bulkRuns
	up     atomic.Bool // the Socket Mode connection is open
	once   atomic.Bool // it has been open before: a new connection is a reconnect
	m      Metrics
}

// Connected reports whether the Socket Mode connection is up, for /readyz.
func (b *Bot) Connected() bool { return b.up.Load() }

type job struct {
	name string
	run  func(ctx context.Context)
}

// New checks the configuration and builds the Slack clients. It connects to nothing.
func New(cfg Config) (*Bot, error) {
	if cfg.BotToken == "" || cfg.AppToken == "" || cfg.Store == nil || cfg.Directory == nil || cfg.Revoker == nil {
		return nil, errors.New("bot: tokens, store, directory and revoker are required")
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
	if cfg.Drain <= 0 {
		cfg.Drain = 30 * time.Second
	}
	if cfg.Replica == "" {
		cfg.Replica = replicaName()
	}
	opts := []slack.Option{slack.OptionAppLevelToken(cfg.AppToken)}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	if cfg.HTTPClient == nil {
		// slack-go's default client never times out: one stalled connection
		// would hold a worker for good.
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	opts = append(opts, slack.OptionHTTPClient(cfg.HTTPClient))
	api := slack.New(cfg.BotToken, opts...)
	b := &Bot{
		cfg: cfg, policy: cfg.Policy, store: cfg.Store, api: api,
		sm:     socketmode.New(api),
		log:    cfg.Log,
		now:    cfg.Now,
		groups: newGroupCache(api, cfg.Now),
		seen:   newRecent(10*time.Minute, cfg.Now),
		jobs:   make(chan job, cfg.QueueSize),
		bulk:   newBulkRuns(),
		m:      cfg.Metrics,
	}
	return b, nil
}

// Run serves until ctx ends, then stops taking events, lets the jobs already
// acknowledged finish (bounded by Config.Drain) and returns nil. It returns an
// error only when Slack refuses the tokens.
func (b *Bot) Run(ctx context.Context) error {
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var workers sync.WaitGroup
	for range b.cfg.Workers {
		workers.Go(func() {
			for j := range b.jobs {
				b.runJob(workCtx, j)
			}
		})
	}

	b.bulk.open(workCtx)
	b.tendRunning(workCtx)

	// The sweeper and the connection stop with ctx; Run waits for both so
	// the store outlives them.
	loopCtx, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	var loops sync.WaitGroup
	connErr := make(chan error, 1)
	loops.Go(func() { connErr <- b.connect(loopCtx) })
	loops.Go(func() { b.sweep(loopCtx) })

	var err error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err = <-connErr:
			break loop
		case evt := <-b.sm.Events:
			b.dispatch(evt)
		}
	}

	stopLoops()
	loops.Wait()
	b.up.Store(false)
	close(b.jobs)
	// Bulk jobs checkpoint and release their lease, so another replica (or
	// the next start) resumes them at once.
	b.bulk.shutdown()
	done := make(chan struct{})
	go func() { workers.Wait(); b.bulk.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(b.cfg.Drain):
		b.log.Warn("shutdown: jobs still running after the drain timeout; cancelling them")
		stopWork()
		<-done
	}
	return err
}

// connect keeps the Socket Mode connection up. slack-go reconnects by itself
// after a disconnect; when it gives up, we back off and start again, except
// when Slack refuses the tokens, which no retry mends.
func (b *Bot) connect(ctx context.Context) error {
	backoff := time.Second
	for {
		err := b.sm.RunContext(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var slackErr slack.SlackErrorResponse
		if errors.As(err, &slackErr) {
			switch slackErr.Err {
			case "invalid_auth", "not_authed", "not_allowed_token_type", "account_inactive", "token_revoked", "token_expired":
				return fmt.Errorf("slack refused the app token: %s", slackErr.Err)
			}
		}
		b.log.Warn("socket mode connection lost; reconnecting", "error", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// jobTimeout bounds one command or click, Graph retries included.
const jobTimeout = 5 * time.Minute

func (b *Bot) runJob(ctx context.Context, j job) {
	ctx, cancel := context.WithTimeout(ctx, jobTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("job panicked", "job", j.name, "panic", r)
		}
	}()
	j.run(ctx)
}

// enqueue hands acknowledged work to the pool. Only the event loop sends, so
// the room checked before the ack is still there after it.
func (b *Bot) hasRoom() bool { return len(b.jobs) < cap(b.jobs) }

func (b *Bot) enqueue(name string, run func(ctx context.Context)) {
	b.jobs <- job{name: name, run: run}
}
