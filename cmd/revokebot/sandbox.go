package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/revokebot/revokebot/bot"
	"github.com/revokebot/revokebot/internal/fakeexchange"
	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakesharepoint"
	"github.com/revokebot/revokebot/internal/fakeslack"
	"github.com/revokebot/revokebot/revoke"
)

// Sandbox credentials: they open nothing but the in-process fakes.
const (
	sandboxBotToken = "xoxb-sandbox-bot-token-0000"
	sandboxAppToken = "xapp-sandbox-app-token-0000"
)

// sandboxSharePointToken is an unsigned JWT, got as with a certificate (as
// SharePoint requires), whose roles claim holds what --sharepoint needs, so
// that `revokebot check` can be run against the sandbox.
var sandboxSharePointToken = fakesharepoint.AppToken(fakesharepoint.FullControl)

// sandboxGraphToken is an unsigned JWT whose roles claim holds every Graph
// permission revoke.Needs names, so that `revokebot check` passes against
// the sandbox and stays in step with the table.
var sandboxGraphToken = func() string {
	var roles []string
	for _, n := range revoke.Needs {
		for _, p := range n.Permissions {
			if p.Resource == revoke.GraphAppID {
				roles = append(roles, p.Name)
			}
		}
	}
	return fakegraph.AppToken(roles...)
}()

// sandboxExchangeToken holds Exchange's app role, as the README has
// deployers grant it.
var sandboxExchangeToken = fakeexchange.AppToken(revoke.PermExchangeManageAsApp.Name)

// sandbox is a fake Slack workspace and a fake Entra tenant on 127.0.0.1,
// with the environment that points revokebot at them. The demo and the
// end-to-end tests run the real bot, with its real clients, against it.
type sandbox struct {
	Slack      *fakeslack.Server
	Graph      *fakegraph.Server
	SharePoint *fakesharepoint.Server
	Exchange   *fakeexchange.Server
	Dir        string
	Env        map[string]string
	limits     graphLimits // SetGraphLimits
}

// SetGraphLimits shrinks the windows of Graph's reports and Identity
// Protection budgets in the fake and in every bot started afterwards
// alike, keeping their request counts; zero keeps a window as it is.
func (s *sandbox) SetGraphLimits(reports, risk time.Duration) {
	s.Graph.SetLimits(reports, risk)
	if reports != 0 {
		s.limits.reports = reports
	}
	if risk != 0 {
		s.limits.risk = risk
	}
}

func newSandbox(dir, policy string, slackOpts fakeslack.Options) (*sandbox, error) {
	slackOpts.BotToken, slackOpts.AppToken = sandboxBotToken, sandboxAppToken
	s := &sandbox{
		Slack:      fakeslack.New(slackOpts),
		Graph:      fakegraph.New(fakegraph.Options{Token: sandboxGraphToken}),
		SharePoint: fakesharepoint.New(fakesharepoint.Options{Token: sandboxSharePointToken}),
		// The role the README has deployers give the app for Exchange.
		Exchange: fakeexchange.New(fakeexchange.Options{Token: sandboxExchangeToken, DirectoryRole: fakeexchange.RoleExchangeAdmin}),
		Dir:      dir,
	}
	// The role the README has deployers give the app for --reset-password.
	s.Graph.SetAppDirectoryRoles(fakegraph.RoleUserAdministrator)
	policyPath := filepath.Join(dir, "revokebot.yaml")
	if err := os.WriteFile(policyPath, []byte(policy), 0o600); err != nil {
		s.Close()
		return nil, err
	}
	s.Env = map[string]string{
		"SLACK_BOT_TOKEN":         sandboxBotToken,
		"SLACK_APP_TOKEN":         sandboxAppToken,
		"SLACK_API_URL":           s.Slack.APIURL(),
		"GRAPH_BASE_URL":          s.Graph.URL(),
		"GRAPH_ACCESS_TOKEN":      sandboxGraphToken,
		"REVOKEBOT_CONFIG":        policyPath,
		"REVOKEBOT_STORE":         "sqlite:" + filepath.Join(dir, "revokebot.db"),
		"REVOKEBOT_LISTEN":        freeAddr(),
		"REVOKEBOT_LOG_FORMAT":    "json",
		"SHAREPOINT_ADMIN_URL":    s.SharePoint.URL(),
		"SHAREPOINT_ACCESS_TOKEN": sandboxSharePointToken,
		"EXCHANGE_ADMIN_URL":      s.Exchange.URL(),
		"EXCHANGE_ACCESS_TOKEN":   sandboxExchangeToken,
	}
	return s, nil
}

func (s *sandbox) getenv(name string) string { return s.Env[name] }

// Start runs revokebot against the sandbox until the returned stop is called;
// stop waits for a clean shutdown and returns the bot's error.
func (s *sandbox) Start(logs io.Writer, tune func(*bot.Config)) (stop func() error, err error) {
	cfg, err := loadConfig(s.getenv)
	if err != nil {
		return nil, err
	}
	cfg.graphLimits = s.limits
	// This bot's own connection is the first accepted from now on; a
	// connection of a bot that just died may still count as open.
	opened := s.Slack.ConnectionsOpened()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, newLogger(logs, cfg.LogFormat, cfg.secrets(s.getenv)...), tune)
	}()

	wait, cancelWait := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelWait()
	if err := s.Slack.WaitConnectionAfter(wait, opened); err != nil {
		cancel()
		return nil, fmt.Errorf("revokebot did not connect to the fake Slack: %w (%v)", err, firstErr(done))
	}
	var once sync.Once
	var stopErr error
	return func() error {
		once.Do(func() {
			cancel()
			stopErr = <-done
		})
		return stopErr
	}, nil
}

func firstErr(done chan error) error {
	select {
	case err := <-done:
		return err
	default:
		return nil
	}
}

// Close stops the fakes.
func (s *sandbox) Close() {
	s.Slack.Close()
	s.Graph.Close()
	s.SharePoint.Close()
	s.Exchange.Close()
}

// AddUsers puts users in the fake tenant, and a mailbox in Exchange for
// each that has mail.
func (s *sandbox) AddUsers(users ...fakegraph.User) {
	s.Graph.AddUsers(users...)
	for _, u := range users {
		if u.Mail != "" {
			s.Exchange.AddMailbox(u.UserPrincipalName)
		}
	}
}

// quietTune makes the bot's background loops quick enough for a short demo.
func quietTune(c *bot.Config) {
	c.SweepEvery = 200 * time.Millisecond
	c.Bulk.ProgressEvery = time.Second
	if c.Policy.Alerts != nil {
		c.Policy.Alerts.Every = 500 * time.Millisecond
	}
}

// freeAddr finds a loopback port for the health endpoints of a sandboxed bot.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer ln.Close()
	return ln.Addr().String()
}
