// Package bot is the facade cmd/revokebot wires: a Config of concrete
// clients in, a running bot out. The lifecycle lives in bot/request, the
// Slack side in bot/slack; this package only joins them.
package bot

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/bot/request"
	"github.com/revokebot/revokebot/bot/slack"
	"github.com/revokebot/revokebot/signing"
	"github.com/revokebot/revokebot/store"
)

// The clients a bot is built from; see bot/request for each.
type (
	Directory         = request.Directory
	Revoker           = request.Revoker
	Lister            = request.Lister
	Disabler          = request.Disabler
	PasswordResetter  = request.PasswordResetter
	MethodRemover     = request.MethodRemover
	GrantRemover      = request.GrantRemover
	RuleDisabler      = request.RuleDisabler
	SharePointRevoker = request.SharePointRevoker
	Compromiser       = request.Compromiser
	Enabler           = request.Enabler
	RiskDismisser     = request.RiskDismisser
	Prover            = request.Prover
	SignInLog         = request.SignInLog
	Metrics           = request.Metrics
	BulkTuning        = request.BulkTuning
)

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
	// Counter counts the tenant for /revoke all's card (Graph's $count).
	Counter request.Counter
	// RoleHolders finds the privileged accounts /revoke all takes first.
	RoleHolders request.RoleLister
	// The other containment actions; a nil one is refused with a reason.
	Disabler    Disabler
	Passwords   PasswordResetter
	Methods     MethodRemover
	Grants      GrantRemover
	Rules       RuleDisabler
	SharePoint  SharePointRevoker
	Compromiser Compromiser
	// Enabler and Risk serve /revoke release; without Enabler it is
	// refused, without Risk a release only lets sign-in again.
	Enabler Enabler
	Risk    RiskDismisser
	// Prover reads users back after their actions; SignIns serves the
	// sign-in watch (policy verify). Either may be nil: no read-back, no watch.
	Prover  Prover
	SignIns SignInLog
	Bulk    BulkTuning
	// Replica names this process in leases; default host-pid-random.
	Replica string

	Log     *slog.Logger
	Now     func() time.Time
	Metrics Metrics

	Workers    int           // concurrent jobs; default 8
	QueueSize  int           // acknowledged jobs waiting for a worker; default 1024
	SweepEvery time.Duration // how often expiry is checked; default 5s
	Drain      time.Duration // how long shutdown waits for running jobs; default 30s
	// OutboxLease is how long a replica holds the messages it is
	// delivering; default 20s.
	OutboxLease time.Duration
	// ReadBackWait is how long to wait before reading a user back again when
	// Graph does not show an action yet (directory replication); default 2s.
	ReadBackWait time.Duration
	// Key signs the bot's decisions; the store must sign its audit records
	// with the same key (store.SignWith).
	Key signing.Key
}

// Bot serves /revoke.
type Bot struct {
	slack *slack.Adapter
	flow  *request.Workflow
	drain time.Duration
}

// New checks the configuration and builds the Slack clients. It connects to nothing.
func New(cfg Config) (*Bot, error) {
	if cfg.BotToken == "" || cfg.AppToken == "" || cfg.Store == nil || cfg.Directory == nil || cfg.Revoker == nil {
		return nil, errors.New("bot: tokens, store, directory and revoker are required")
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 30 * time.Second
	}
	var reconnected func()
	if cfg.Metrics != nil {
		reconnected = cfg.Metrics.Reconnect
	}
	a, err := slack.New(slack.Config{BotToken: cfg.BotToken, AppToken: cfg.AppToken, APIURL: cfg.APIURL,
		HTTPClient: cfg.HTTPClient, Log: cfg.Log, Now: cfg.Now, Reconnected: reconnected})
	if err != nil {
		return nil, err
	}
	flow, err := request.New(request.Config{
		Policy: cfg.Policy, Store: cfg.Store, Messenger: a, Groups: a, Profiles: a,
		Directory: cfg.Directory, Revoker: cfg.Revoker, Lister: cfg.Lister, BulkRevoker: cfg.BulkRevoker, Counter: cfg.Counter, RoleHolders: cfg.RoleHolders,
		Disabler: cfg.Disabler, Passwords: cfg.Passwords, Methods: cfg.Methods, Grants: cfg.Grants, Rules: cfg.Rules, SharePoint: cfg.SharePoint, Compromiser: cfg.Compromiser,
		Enabler: cfg.Enabler, Risk: cfg.Risk, Prover: cfg.Prover, SignIns: cfg.SignIns, Bulk: cfg.Bulk, Replica: cfg.Replica,
		Log: cfg.Log, Now: cfg.Now, Metrics: cfg.Metrics,
		Workers: cfg.Workers, QueueSize: cfg.QueueSize, SweepEvery: cfg.SweepEvery, ReadBackWait: cfg.ReadBackWait,
		OutboxLease: cfg.OutboxLease, Key: cfg.Key,
	})
	if err != nil {
		return nil, err
	}
	return &Bot{slack: a, flow: flow, drain: cfg.Drain}, nil
}

// Connected reports whether the Socket Mode connection is up, for /readyz.
func (b *Bot) Connected() bool { return b.slack.Connected() }

// Run serves until ctx ends, then stops taking events, lets the work already
// acknowledged finish (bounded by Config.Drain) and returns nil. It returns
// an error only when Slack refuses the tokens.
func (b *Bot) Run(ctx context.Context) error {
	loopCtx, stop := context.WithCancel(ctx)
	defer stop()
	b.flow.Start(loopCtx)
	err := b.slack.Serve(loopCtx, b.flow)
	stop()
	b.flow.Drain(b.drain)
	return err
}

// Slack's side of `revokebot check`.
type (
	CheckResult = slack.CheckResult
	SlackCheck  = slack.SlackCheck
)

// CheckSlack verifies the Slack tokens, scopes and channels; see slack.CheckSlack.
func CheckSlack(ctx context.Context, c SlackCheck) []CheckResult { return slack.CheckSlack(ctx, c) }
