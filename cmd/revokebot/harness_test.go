package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/bot"
	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
	"github.com/revokebot/revokebot/signing"
)

// The cast of the end-to-end tests.
const (
	chIncident = "C0INCIDENT"
	chAudit    = "C0AUDIT"
	chOther    = "C0RANDOM"
	uRequester = "U0REQ"
	uOther     = "U0OTHERREQ"
	uGroupie   = "U0GROUPIE"
	uApprover  = "U0APPROVER"
	uStranger  = "U0STRANGER"
	gResponder = "S0RESPOND"

	aliceID    = "11111111-1111-4111-8111-111111111111"
	bobID      = "22222222-2222-4222-8222-222222222222"
	guestID    = "33333333-3333-4333-8333-333333333333"
	ceoID      = "44444444-4444-4444-8444-444444444444"
	evilID     = "55555555-5555-4555-8555-555555555555"
	obrienID   = "66666666-6666-4666-8666-666666666666"
	twin1ID    = "77777777-7777-4777-8777-777777777771"
	twin2ID    = "77777777-7777-4777-8777-777777777772"
	guestUPN   = "gina_fabrikam.com#EXT#@contoso.onmicrosoft.com"
	testPolicy = `requesters:
  users: [U0REQ, U0OTHERREQ]
  groups: [S0RESPOND]
approvers:
  users: [U0APPROVER]
channels: [C0INCIDENT]
audit_channel: C0AUDIT
protected: [ceo@contoso.com]
confirm_timeout: 10m
approval_timeout: 30m
`
)

func tenant() []fakegraph.User {
	return []fakegraph.User{
		{ID: aliceID, DisplayName: "Alice Adams", UserPrincipalName: "alice@contoso.com", Mail: "alice@contoso.com",
			MailNickname: "alice", ProxyAddresses: []string{"SMTP:alice@contoso.com", "smtp:a.adams@contoso.com"},
			UserType: "Member", AccountEnabled: true, JobTitle: "Accountant", Department: "Finance"},
		{ID: bobID, DisplayName: "Bob Brown", UserPrincipalName: "bob@contoso.com", Mail: "bob@contoso.com",
			MailNickname: "bob", UserType: "Member", AccountEnabled: false, JobTitle: "Engineer", Department: "R&D"},
		{ID: guestID, DisplayName: "Gina Guest", UserPrincipalName: guestUPN, Mail: "gina@fabrikam.com",
			MailNickname: "gina_fabrikam.com#EXT#", UserType: "Guest", AccountEnabled: true},
		{ID: ceoID, DisplayName: "Cleo CEO", UserPrincipalName: "ceo@contoso.com", Mail: "ceo@contoso.com",
			MailNickname: "ceo", UserType: "Member", AccountEnabled: true, JobTitle: "Chief Executive"},
		{ID: evilID, DisplayName: "<!channel> please click <https://evil.example|here>", UserPrincipalName: "eve@contoso.com",
			Mail: "eve@contoso.com", MailNickname: "eve", UserType: "Member", AccountEnabled: true, JobTitle: "<@U0APPROVER>"},
		{ID: obrienID, DisplayName: "Owen O'Brien", UserPrincipalName: "obrien@contoso.com", Mail: "o'brien@contoso.com",
			MailNickname: "o'brien", UserType: "Member", AccountEnabled: true},
		{ID: twin1ID, DisplayName: "Sam Smith (Sales)", UserPrincipalName: "sam.smith@contoso.com", Mail: "sales@contoso.com",
			MailNickname: "sam", UserType: "Member", AccountEnabled: true},
		{ID: twin2ID, DisplayName: "Sam Smith (Support)", UserPrincipalName: "sam.smith2@contoso.com", Mail: "support@contoso.com",
			MailNickname: "sam", UserType: "Member", AccountEnabled: true},
	}
}

// syncBuffer collects the bot's log lines from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeClock is the bot's injected time, moved by tests to expire cards and caches.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now().UTC()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one running revokebot against a sandbox.
type env struct {
	t testing.TB
	// watchEvery, when set, replaces the policy's verify.every (whose floor
	// is 10 s) in every bot this env starts, children included.
	watchEvery time.Duration
	// alertsEvery, when set, replaces the policy's alerts.every (whose
	// floor is 30 s) in the same way.
	alertsEvery time.Duration
	sb          *sandbox
	logs        *syncBuffer
	clock       *fakeClock
	stop        func() error
	ctx         context.Context
}

type envOption func(*envOptions)

type envOptions struct {
	store  string
	policy string
	dir    string
	tune   func(*bot.Config)
	watch  time.Duration
	alerts time.Duration
	health bool
	limits [2]time.Duration // reports, risk: sandbox.SetGraphLimits
	slack  func(*fakeslack.Options)
}

// withSlack changes the fake Slack's options, and the bot's environment
// with them (withSlackAdmin).
func withSlack(f func(*fakeslack.Options)) envOption { return func(o *envOptions) { o.slack = f } }

// slackAdminToken is the Enterprise Grid org admin's token of withSlackAdmin.
const slackAdminToken = "xoxp-sandbox-org-admin"

// withSlackAdmin makes the workspace part of an Enterprise Grid org whose
// admin's token the bot holds (SLACK_ADMIN_TOKEN), for --slack.
func withSlackAdmin() envOption {
	return withSlack(func(o *fakeslack.Options) {
		o.EnterpriseID, o.Admin = "E0CONTOSO", fakeslack.AdminOptions{Token: slackAdminToken}
	})
}

func withPolicy(p string) envOption { return func(o *envOptions) { o.policy = p } }

// withWatchEvery makes the sign-in watch look every d: faster than the
// policy file may say, so the watch tests take seconds.
func withWatchEvery(d time.Duration) envOption { return func(o *envOptions) { o.watch = d } }

func withStore(url string) envOption { return func(o *envOptions) { o.store = url } }

// withHealthAddr keeps the sandbox's fixed REVOKEBOT_LISTEN address, for a
// test that calls the health endpoints. Other tests listen on port 0: the
// tests run in parallel, and a port freeAddr found free may be taken by
// another test's connection before a (re)started bot binds it.
func withHealthAddr() envOption { return func(o *envOptions) { o.health = true } }

// withGraphLimits shrinks the windows of Graph's reports budget (5 requests
// per 10 s) and Identity Protection's (1 request a second), in the fake and
// in every bot this env starts in-process, for a test about something else
// that would otherwise wait out Graph's windows on the wall clock. The
// budgets themselves are tested at their own pace (e2e_limits_test.go).
func withGraphLimits(reports, risk time.Duration) envOption {
	return func(o *envOptions) { o.limits = [2]time.Duration{reports, risk} }
}

func withTune(f func(*botConfig)) envOption { return func(o *envOptions) { o.tune = f } }

type botConfig = bot.Config

// quickBudget is the window withGraphLimits gives Graph's budgets in tests
// that are not about them: 5 reports requests and 1 Identity Protection
// request per 250 ms.
const quickBudget = 250 * time.Millisecond

// anyPort is REVOKEBOT_LISTEN for a bot whose health endpoints no test calls.
const anyPort = "127.0.0.1:0"

func startEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	o := envOptions{policy: testPolicy, dir: t.TempDir()}
	for _, f := range opts {
		f(&o)
	}
	sopts := fakeslack.Options{
		Users: []fakeslack.User{
			{ID: uRequester, Name: "rita", Email: "rita@contoso.com"},
			{ID: uOther, Name: "otto", Email: "otto@contoso.com"},
			{ID: uGroupie, Name: "gus", Email: "gus@contoso.com"},
			{ID: uApprover, Name: "abe", Email: "abe@contoso.com"},
			{ID: uApprover2, Name: "abby", Email: "abby@contoso.com"},
			{ID: uApprover3, Name: "april", Email: "april@contoso.com"},
			{ID: uStranger, Name: "stan", Email: "stan@contoso.com"},
			{ID: "U0ALICE", Name: "alice", Email: "alice@contoso.com"},
			{ID: "U0NOMAIL", Name: "nomail"},
		},
		Groups: map[string][]string{gResponder: {uGroupie}},
	}
	if o.slack != nil {
		o.slack(&sopts)
	}
	sb, err := newSandbox(o.dir, o.policy, sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	if sopts.Admin.Token != "" {
		sb.Env["SLACK_ADMIN_TOKEN"] = sopts.Admin.Token
	}
	sb.AddUsers(tenant()...)
	if o.store != "" {
		sb.Env["REVOKEBOT_STORE"] = o.store
	}
	if strings.HasPrefix(o.store, "postgres") {
		// PostgreSQL has no default key: every replica gets this one.
		path := filepath.Join(o.dir, "signing.key")
		if _, err := signing.Create(path); err != nil {
			t.Fatal(err)
		}
		sb.Env["REVOKEBOT_SIGNING_KEY_FILE"] = path
	}
	if !o.health {
		sb.Env["REVOKEBOT_LISTEN"] = anyPort
	}
	if o.limits != [2]time.Duration{} {
		sb.SetGraphLimits(o.limits[0], o.limits[1])
	}
	e := &env{t: t, sb: sb, logs: &syncBuffer{}, clock: newFakeClock(), watchEvery: o.watch, alertsEvery: o.alerts}
	if o.watch > 0 {
		sb.Env[childWatchEvery] = o.watch.String()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	e.ctx = ctx
	e.start(o.tune)
	if strings.Contains(o.policy, "audit_channel:") {
		// A first start announces the signing key in the audit channel;
		// tests begin once it has, so that what they count is their own.
		e.waitFor("the signing key's announcement", func(s *fakeslack.Server) bool {
			for _, m := range s.Messages() {
				if strings.Contains(m.Text, ":key: *key*") {
					return true
				}
			}
			return false
		})
	}
	return e
}

// start runs (or re-runs, after stop) the bot on the same sandbox and store.
func (e *env) start(tune func(*bot.Config)) {
	e.t.Helper()
	stop, err := e.sb.Start(e.logs, e.tuned(tune))
	if err != nil {
		e.t.Fatal(err)
	}
	stopped := false
	e.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		return stop()
	}
	e.t.Cleanup(func() {
		if err := e.stop(); err != nil {
			e.t.Errorf("bot stopped with an error: %v", err)
		}
	})
}

// tuned gives a bot the test's clock and quick sweeps, then tune's changes.
func (e *env) tuned(tune func(*bot.Config)) func(*bot.Config) {
	return func(c *bot.Config) {
		c.Now = e.clock.Now
		// Quick enough that a test waits little for an expiry or a resume;
		// each sweep reads the store, which is most of an idle bot's CPU.
		c.SweepEvery = 60 * time.Millisecond
		if e.watchEvery > 0 {
			c.Policy.Verify.Every = e.watchEvery
		}
		if e.alertsEvery > 0 && c.Policy.Alerts != nil {
			c.Policy.Alerts.Every = e.alertsEvery
		}
		if tune != nil {
			tune(c)
		}
	}
}

func (e *env) command(user, channel, text string) fakeslack.Ack {
	e.t.Helper()
	ack, err := e.sb.Slack.SlashCommand(e.ctx, fakeslack.SlashCommand{UserID: user, ChannelID: channel, Text: text})
	if err != nil {
		e.t.Fatalf("/revoke %s: %v", text, err)
	}
	return ack
}

// roots lists the bot's top-level messages in a channel.
func (e *env) roots(channel string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range e.sb.Slack.Messages() {
		if m.Channel == channel && m.ThreadTS == "" && !m.Ephemeral {
			out = append(out, m)
		}
	}
	return out
}

// request runs /revoke as user in the incident channel and returns the card.
func (e *env) request(user, text string) fakeslack.Message {
	e.t.Helper()
	before := len(e.roots(chIncident))
	e.command(user, chIncident, text)
	e.waitFor("a card for /revoke "+text, func(s *fakeslack.Server) bool { return len(e.roots(chIncident)) > before })
	roots := e.roots(chIncident)
	return roots[len(roots)-1]
}

func (e *env) requestID(card fakeslack.Message) string {
	for _, b := range e.sb.Slack.Buttons(card) {
		return b.Value
	}
	e.t.Fatalf("card %s has no buttons", card.TS)
	return ""
}

func (e *env) click(user string, card fakeslack.Message, action string) {
	e.t.Helper()
	e.clickValue(user, card, action, e.requestID(card), false)
}

func (e *env) clickValue(user string, card fakeslack.Message, action, value string, stale bool) {
	e.t.Helper()
	if _, err := e.sb.Slack.Click(e.ctx, fakeslack.Click{UserID: user, ChannelID: card.Channel, MessageTS: card.TS,
		ActionID: action, Value: value, Stale: stale}); err != nil {
		e.t.Fatalf("click %s: %v", action, err)
	}
}

func (e *env) waitFor(what string, cond func(*fakeslack.Server) bool) {
	e.t.Helper()
	e.waitWithin(15*time.Second, what, cond)
}

func (e *env) waitWithin(d time.Duration, what string, cond func(*fakeslack.Server) bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), d)
	defer cancel()
	if err := e.sb.Slack.WaitFor(ctx, cond); err != nil {
		e.t.Fatalf("waiting for %s: %v\nbot log:\n%s", what, err, e.logs.String())
	}
}

// waitAudit waits for the audit channel to report event for a request.
func (e *env) waitAudit(requestID, event string) fakeslack.Message {
	e.t.Helper()
	var got fakeslack.Message
	e.waitFor("audit event "+event+" of "+requestID, func(s *fakeslack.Server) bool {
		for _, m := range s.Messages() {
			if m.Channel == chAudit && strings.Contains(m.Text, "*"+event+"*") && strings.Contains(m.Text, requestID) {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// ephemeral waits for a message only user sees that contains want.
func (e *env) ephemeral(user, want string) fakeslack.Message {
	e.t.Helper()
	var got fakeslack.Message
	e.waitFor("a reply to "+user+" containing "+want, func(s *fakeslack.Server) bool {
		for _, m := range s.Ephemerals(user) {
			if strings.Contains(m.Text, want) {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// thread returns the replies under a card, as text.
func (e *env) thread(card fakeslack.Message) string {
	var sb strings.Builder
	for _, m := range e.sb.Slack.Thread(card.Channel, card.TS) {
		sb.WriteString(m.Text + "\n")
	}
	return sb.String()
}

// current returns the card as it is now, after any chat.update.
func (e *env) current(card fakeslack.Message) fakeslack.Message {
	m, ok := e.sb.Slack.Message(card.Channel, card.TS)
	if !ok {
		e.t.Fatalf("card %s vanished", card.TS)
	}
	return m
}

// listed waits until the card's listing is in and returns its blocks: a
// card is posted after listQuick at most, saying "Still listing", and
// filled in when its reads end (later on a busy machine).
func (e *env) listed(card fakeslack.Message) string {
	e.t.Helper()
	var blocks string
	e.waitFor("the card's listing", func(*fakeslack.Server) bool {
		blocks = blocksOf(e.current(card))
		return !strings.Contains(blocks, "Still listing")
	})
	return blocks
}

// everything is all text the fake workspace received: messages, blocks, ephemerals.
func (e *env) everything() string {
	var sb strings.Builder
	for _, m := range e.sb.Slack.Messages() {
		sb.WriteString(m.Text + "\n" + blocksOf(m) + "\n")
	}
	return sb.String()
}

func fakeslackOptions() fakeslack.Options { return fakeslack.Options{} }

func writeFile(path, body string) error { return os.WriteFile(path, []byte(body), 0o600) }

// blocksOf is a message's Block Kit JSON as Slack would read it: without
// encoding/json's \u003c escapes, so that a test looking for "<!channel>"
// sees one if it is there.
func blocksOf(m fakeslack.Message) string {
	if len(m.Blocks) == 0 {
		return ""
	}
	var v any
	if err := json.Unmarshal(m.Blocks, &v); err != nil {
		return string(m.Blocks)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return buf.String()
}

// waitThread waits until the replies under card contain every one of want
// (the outbox tells the thread a moment after the audit log has it), and
// returns the thread.
func (e *env) waitThread(card fakeslack.Message, want ...string) string {
	e.t.Helper()
	var th string
	e.waitFor("the thread to say "+strings.Join(want, ", "), func(*fakeslack.Server) bool {
		th = e.thread(card)
		for _, w := range want {
			if !strings.Contains(th, w) {
				return false
			}
		}
		return true
	})
	return th
}
