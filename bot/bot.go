// Package bot is the facade cmd/revokebot wires: a Config of concrete
// clients in, a running bot out. The lifecycle lives in bot/request, the
// Slack side in bot/slack; this package only joins them.
package bot

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/revokebot/revokebot/bot/request"
	"github.com/revokebot/revokebot/bot/slack"
)

// Config is what a Bot needs; cmd/revokebot fills it from the environment:
// the Slack tokens, and the lifecycle's configuration, whose Messenger,
// Groups and Profiles New fills in with the Slack adapter.
type Config struct {
	BotToken, AppToken string
	APIURL             string // Slack Web API base with trailing slash
	HTTPClient         *http.Client
	Drain              time.Duration // how long shutdown waits for running jobs; default 30s
	// SlackAdminToken, an Enterprise Grid org admin's user token, enables
	// --slack; it is used for nothing else.
	SlackAdminToken string
	request.Config
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
	rc := cfg.Config
	rc.Messenger, rc.Groups, rc.Profiles = a, a, a
	if cfg.SlackAdminToken != "" {
		s, err := slack.NewSessions(slack.AdminConfig{AdminToken: cfg.SlackAdminToken, APIURL: cfg.APIURL, HTTPClient: cfg.HTTPClient})
		if err != nil {
			return nil, err
		}
		rc.ChatSessions = chatSessions{find: a, reset: s}
	}
	flow, err := request.New(rc)
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

// CheckSlackAdmin verifies SLACK_ADMIN_TOKEN, which --slack uses; see
// slack.CheckAdminToken. An unset token passes: the action is off.
func CheckSlackAdmin(ctx context.Context, token, apiURL string) CheckResult {
	return slack.CheckAdminToken(ctx, slack.AdminConfig{AdminToken: token, APIURL: apiURL})
}
