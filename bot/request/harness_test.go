package request

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/signing"
	"github.com/revokebot/revokebot/store"
)

// The workflow's tests drive it without any chat platform: a recording
// messenger, the SQLite store in a temporary directory and small fakes of
// the interfaces the workflow declares.

// posted is one message the messenger was given.
type posted struct {
	Channel, ThreadTS, TS string
	Msg                   Message
	Update                bool
}

// recorder is a Messenger that keeps what it was told; fail makes it
// refuse like a Slack outage.
type recorder struct {
	mu       sync.Mutex
	n        int
	posts    []posted
	privates []string
	uploads  []File
	fail     error
}

func (r *recorder) failWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

func (r *recorder) Post(_ context.Context, channel, threadTS string, m Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return "", r.fail
	}
	r.n++
	ts := fmt.Sprintf("1700000000.%06d", r.n)
	r.posts = append(r.posts, posted{Channel: channel, ThreadTS: threadTS, TS: ts, Msg: m})
	return ts, nil
}

func (r *recorder) Update(_ context.Context, channel, ts string, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.posts = append(r.posts, posted{Channel: channel, TS: ts, Msg: m, Update: true})
	return nil
}

func (r *recorder) Private(_ context.Context, to Recipient, text string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.privates = append(r.privates, to.User+": "+text)
	return nil
}

func (r *recorder) Upload(_ context.Context, _, _ string, f File) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.uploads = append(r.uploads, f)
	return nil
}

// text is everything posted to channel (thread replies included) or
// answered privately, for assertions.
func (r *recorder) text(channel string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var sb strings.Builder
	for _, p := range r.posts {
		if p.Channel == channel && !p.Update {
			sb.WriteString(p.Msg.Text + "\n")
		}
	}
	return sb.String()
}

// everything is every message, card, edit, private answer and upload, with
// their blocks, for looking for what must never be there.
func (r *recorder) everything() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var sb strings.Builder
	for _, p := range r.posts {
		fmt.Fprintf(&sb, "%+v\n", p)
	}
	for _, p := range r.privates {
		sb.WriteString(p + "\n")
	}
	for _, u := range r.uploads {
		fmt.Fprintf(&sb, "%+v\n", u)
	}
	return sb.String()
}

func (r *recorder) private(user string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var sb strings.Builder
	for _, p := range r.privates {
		if strings.HasPrefix(p, user+": ") {
			sb.WriteString(p + "\n")
		}
	}
	return sb.String()
}

// directory is a tenant of a few users, resolved by address, ID or alias.
type directory struct{ users []revoke.User }

func (d directory) Resolve(_ context.Context, l revoke.Lookup) ([]revoke.User, error) {
	var out []revoke.User
	for _, u := range d.users {
		switch {
		case l.Kind == revoke.ByObjectID && u.ID == l.Value,
			l.Kind == revoke.ByAddress && strings.EqualFold(u.UPN, l.Value),
			l.Kind == revoke.ByAlias && strings.EqualFold(strings.Split(u.UPN, "@")[0], l.Value):
			out = append(out, u)
		}
	}
	return out, nil
}

// actor is a fake of one Graph write: it counts calls and fails the first
// failN of them with err.
type actor struct {
	mu    sync.Mutex
	calls []string
	err   error
	failN int
	at    time.Time
}

func (a *actor) do(id string) (revoke.Result, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, id)
	if a.err != nil && (a.failN == 0 || len(a.calls) <= a.failN) {
		return revoke.Result{}, a.err
	}
	return revoke.Result{At: a.at}, nil
}

func (a *actor) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.calls)
}

type revoker struct{ *actor }

func (r revoker) RevokeSessions(_ context.Context, id string) (revoke.Result, error) { return r.do(id) }

type disabler struct{ *actor }

func (d disabler) DisableUser(_ context.Context, id string) (revoke.Result, error) { return d.do(id) }

type compromiser struct{ *actor }

func (c compromiser) ConfirmCompromised(_ context.Context, id string) (revoke.Result, error) {
	return c.do(id)
}

type sharepoint struct{ state revoke.SharePointState }

func (s sharepoint) RevokeUserSessions(context.Context, string) (revoke.SharePointState, error) {
	return s.state, nil
}

// groups is a user-group listing; err makes it fail, calls counts lookups.
type groups struct {
	mu      sync.Mutex
	members map[string][]string
	err     error
	calls   int
	onCall  func()
}

func (g *groups) Members(_ context.Context, group string) ([]string, error) {
	g.mu.Lock()
	g.calls++
	hook, err, m := g.onCall, g.err, g.members[group]
	g.mu.Unlock()
	if hook != nil {
		hook()
	}
	return m, err
}

type profiles map[string]string

func (p profiles) Email(_ context.Context, id string) (string, error) {
	if e, ok := p[id]; ok {
		return e, nil
	}
	return "", &SendError{Code: "user_not_found"}
}

// fakeClock is the injected time, moved by tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

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

// flow is a workflow under test with its fakes.
type flow struct {
	t       testing.TB
	w       *Workflow
	st      store.Store
	dbPath  string // the SQLite file behind st
	msg     *recorder
	groups  *groups
	revoker *actor
	disable *actor
	comp    *actor
	clock   *fakeClock
	ctx     context.Context
}

const (
	chInc    = "CINC"
	chAudit  = "CAUDIT"
	uReq     = "UREQ"
	uApp     = "UAPP"
	uGroupie = "UGRP"
	uStr     = "USTR"
)

var (
	carol = revoke.User{ID: "33333333-3333-4333-8333-333333333333", DisplayName: "Carol", UPN: "carol@contoso.com", UserType: "Member", AccountEnabled: true}
	boss  = revoke.User{ID: "44444444-4444-4444-8444-444444444444", DisplayName: "Boss", UPN: "boss@contoso.com", UserType: "Member", AccountEnabled: true}
)

func testPolicy() authz.Policy {
	return authz.Policy{
		Requesters:      authz.Principals{Users: []string{uReq}, Groups: []string{"SRESP"}},
		Approvers:       authz.Principals{Users: []string{uApp}},
		Channels:        []string{chInc},
		AuditChannel:    chAudit,
		Protected:       []string{"boss@contoso.com"},
		ConfirmTimeout:  10 * time.Minute,
		ApprovalTimeout: 30 * time.Minute,
		RevokeAll:       authz.RevokeAll{Writes: 1000, Per: time.Second, Concurrency: 4},
	}
}

// newFlow builds a workflow on a fresh SQLite store; tune adjusts its
// configuration before it is built.
func newFlow(t testing.TB, tune func(*Config)) *flow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	dbPath := filepath.Join(t.TempDir(), "revokebot.db")
	key := testKey(t)
	st, err := store.Open(ctx, "sqlite:"+dbPath, store.SignWith(key))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	f := &flow{t: t, st: st, dbPath: dbPath, msg: &recorder{}, ctx: ctx, clock: &fakeClock{now: now},
		groups:  &groups{members: map[string][]string{"SRESP": {uGroupie}}},
		revoker: &actor{at: now}, disable: &actor{at: now}, comp: &actor{at: now}}
	cfg := Config{
		Policy: testPolicy(), Store: &flaky{Store: st, failTo: map[store.State]int{}}, Messenger: f.msg, Groups: f.groups,
		Profiles:  profiles{"UALICE": "alice@contoso.com", uReq: "rita@contoso.com", uApp: "abe@contoso.com", uGroupie: "gus@contoso.com"},
		Directory: directory{users: []revoke.User{alice, mallory, carol, boss}},
		Revoker:   revoker{f.revoker}, Disabler: disabler{f.disable}, Compromiser: compromiser{f.comp},
		SharePoint: sharepoint{state: revoke.SharePointInstant},
		Now:        f.clock.Now, Replica: "test-replica", ReadBackWait: time.Millisecond, Key: key,
	}
	if tune != nil {
		tune(&cfg)
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.w = w
	return f
}

// flaky is the store with writes that can be made to fail.
type flaky struct {
	store.Store
	mu         sync.Mutex
	failTo     map[store.State]int // how many Decide calls to a state fail
	failAppend int
	failSeal   int // how many SealTask calls fail
	loseSeal   int // how many SealTask calls are kept, and answered with an error
}

var errStoreDown = errors.New("store: disk on fire")

func (s *flaky) Decide(ctx context.Context, id string, from, to store.State, c store.Change) (store.Request, store.Record, error) {
	s.mu.Lock()
	fail := s.failTo[to] > 0
	if fail {
		s.failTo[to]--
	}
	s.mu.Unlock()
	if fail {
		return store.Request{}, store.Record{}, errStoreDown
	}
	return s.Store.Decide(ctx, id, from, to, c)
}

func (s *flaky) AppendAudit(ctx context.Context, e store.Event, tell ...store.Tell) (store.Record, error) {
	if s.fails(&s.failAppend) {
		return store.Record{}, errStoreDown
	}
	return s.Store.AppendAudit(ctx, e, tell...)
}

func (s *flaky) SealTask(ctx context.Context, id, owner string, state json.RawMessage, e store.Event, tell ...store.Tell) (store.Record, error) {
	if s.fails(&s.failSeal) {
		return store.Record{}, errStoreDown
	}
	rec, err := s.Store.SealTask(ctx, id, owner, state, e, tell...)
	if err == nil && s.fails(&s.loseSeal) {
		return store.Record{}, errStoreDown // committed; the answer was lost
	}
	return rec, err
}

// fails counts down one of the failures asked for; true while any is left.
func (s *flaky) fails(n *int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *n <= 0 {
		return false
	}
	*n--
	return true
}

func (f *flow) flaky() *flaky { return f.w.store.(*flaky) }

// command runs a command's work synchronously, as a worker would.
func (f *flow) command(user, channel, text string) {
	f.t.Helper()
	cmd := CommandEvent{User: user, Channel: channel, Text: text, TriggerID: fmt.Sprintf("trig-%d", time.Now().UnixNano())}
	parsed := Parse(text)
	switch parsed.Kind {
	case CmdStatus:
		f.w.intake.handleStatus(f.ctx, cmd, parsed)
	case CmdHistory:
		f.w.intake.handleHistory(f.ctx, cmd, parsed)
	case CmdAll:
		f.w.intake.handleAll(f.ctx, cmd, parsed)
	case CmdRevoke:
		f.w.intake.handleRevoke(f.ctx, cmd, parsed)
	case CmdRelease:
		f.w.intake.handleRelease(f.ctx, cmd, parsed)
	default:
		f.t.Fatalf("%q is not a command with work", text)
	}
}

// newest is the newest request of the first state, in lifecycle order,
// that has any.
func (f *flow) newest() store.Request {
	f.t.Helper()
	for _, s := range []store.State{store.StatePending, store.StateRunning, store.StateSucceeded, store.StateFailed,
		store.StateCancelled, store.StateDenied, store.StateExpired, store.StateStopped} {
		rs, err := f.st.InState(f.ctx, s)
		if err != nil {
			f.t.Fatal(err)
		}
		if len(rs) > 0 {
			return rs[len(rs)-1]
		}
	}
	f.t.Fatal("no request")
	return store.Request{}
}

func (f *flow) get(id string) store.Request {
	f.t.Helper()
	r, err := f.st.Request(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *flow) click(user, action string, r store.Request) {
	f.w.decide.handleClick(f.ctx, ClickEvent{Action: action, RequestID: r.ID, Actor: user, Channel: r.Channel, MessageTS: r.RootTS})
}

// events are a request's audit events, in order.
func (f *flow) events(id string) string {
	f.t.Helper()
	trail, err := f.st.AuditTrail(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, r := range trail {
		out = append(out, r.Event.Event)
	}
	return strings.Join(out, ",")
}

// deliver empties the outbox as the deliverer would.
func (f *flow) deliver() {
	f.t.Helper()
	for range 100 {
		if f.w.outbox.deliverDue(f.ctx) == 0 {
			return
		}
	}
	f.t.Fatal("the outbox does not empty")
}

func (f *flow) pending() int {
	f.t.Helper()
	n, err := f.st.OutboxPending(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// testKey is a fresh signing key: the bot and its store sign with it.
func testKey(t testing.TB) signing.Key {
	t.Helper()
	k, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
