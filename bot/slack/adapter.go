// Package slack is revokebot's Slack adapter: the Socket Mode loop and its
// acks, Block Kit rendering of the workflow's neutral messages, Web API
// calls, user groups and profiles. It is the only package that imports
// slack-go; it decides nothing about requests.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/revokebot/revokebot/bot/request"
)

// Handler is the workflow as the event loop sees it: both calls must return
// at once.
type Handler interface {
	Command(request.CommandEvent) request.Ack
	Click(request.ClickEvent)
}

// Config is what an Adapter needs.
type Config struct {
	BotToken, AppToken string
	APIURL             string // Slack Web API base with trailing slash
	HTTPClient         *http.Client
	Log                *slog.Logger
	Now                func() time.Time
	// Reconnected is told of every Socket Mode connection after the first.
	Reconnected func()
}

// Adapter connects revokebot to one Slack workspace.
type Adapter struct {
	api   *goslack.Client
	sm    *socketmode.Client
	log   *slog.Logger
	seen  *recent
	recon func()
	up    atomic.Bool // the Socket Mode connection is open
	once  atomic.Bool // it has been open before: a new connection is a reconnect
}

// New builds the Slack clients. It connects to nothing.
func New(cfg Config) (*Adapter, error) {
	if cfg.BotToken == "" || cfg.AppToken == "" {
		return nil, errors.New("slack: bot and app tokens are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Reconnected == nil {
		cfg.Reconnected = func() {}
	}
	opts := []goslack.Option{goslack.OptionAppLevelToken(cfg.AppToken)}
	if cfg.APIURL != "" {
		opts = append(opts, goslack.OptionAPIURL(cfg.APIURL))
	}
	if cfg.HTTPClient == nil {
		// slack-go's default client never times out: one stalled connection
		// would hold a worker for good.
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	opts = append(opts, goslack.OptionHTTPClient(cfg.HTTPClient))
	api := goslack.New(cfg.BotToken, opts...)
	return &Adapter{api: api, sm: socketmode.New(api), log: cfg.Log, recon: cfg.Reconnected,
		seen: newRecent(10*time.Minute, cfg.Now)}, nil
}

// Connected reports whether the Socket Mode connection is up, for /readyz.
func (a *Adapter) Connected() bool { return a.up.Load() }

// Serve keeps the Socket Mode connection up and hands every event to h
// until ctx ends; it returns nil then, or an error when Slack refuses the
// tokens, which no retry mends.
func (a *Adapter) Serve(ctx context.Context, h Handler) error {
	loopCtx, stop := context.WithCancel(ctx)
	defer stop()
	connErr := make(chan error, 1)
	go func() { connErr <- a.connect(loopCtx) }()
	var err error
	connected := true // the connection loop has not returned yet
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err = <-connErr:
			// When ctx ends, the loop may return nil before ctx.Done is
			// seen here: it must not be waited for a second time.
			connected = false
			break loop
		case evt := <-a.sm.Events:
			a.dispatch(evt, h)
		}
	}
	stop()
	if connected {
		err = <-connErr
	}
	a.up.Store(false)
	return err
}

// connect keeps the Socket Mode connection up. slack-go reconnects by itself
// after a disconnect; when it gives up, we back off and start again.
func (a *Adapter) connect(ctx context.Context) error {
	backoff := time.Second
	for {
		err := a.sm.RunContext(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var slackErr goslack.SlackErrorResponse
		if errors.As(err, &slackErr) {
			switch slackErr.Err {
			case "invalid_auth", "not_authed", "not_allowed_token_type", "account_inactive", "token_revoked", "token_expired":
				return fmt.Errorf("slack refused the app token: %s", slackErr.Err)
			}
		}
		a.log.Warn("socket mode connection lost; reconnecting", "error", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}
