package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

const (
	testAdminToken = "xoxp-admin-secret-1234"
	// testBotToken has no xoxb- prefix, so that NewSessions lets it through
	// to Slack, which must refuse it by itself.
	testBotToken = "bot-secret-5678"
	testOrg      = "E0ORG"
)

// The workflow's ports are declared in bot/request, which cannot name this
// package's types: these shapes must be satisfiable with plain values.
var (
	_ interface {
		Reset(context.Context, string) error
	} = (*Sessions)(nil)
	_ interface {
		UserByEmail(context.Context, string) (string, string, bool, error)
	} = (*Adapter)(nil)
)

// adminWorld is a fake Enterprise Grid org with an admin token, a user W1,
// a primary owner W0OWNER and a bot B1; change adjusts its options.
func adminWorld(t *testing.T, change func(*fakeslack.Options)) *fakeslack.Server {
	t.Helper()
	opts := fakeslack.Options{BotToken: testBotToken, AppToken: "xapp-t", EnterpriseID: testOrg, PrimaryOwner: "W0OWNER",
		Admin: fakeslack.AdminOptions{Token: testAdminToken},
		Users: []fakeslack.User{{ID: "W1", Name: "alice", Email: "alice@contoso.com"}, {ID: "W0OWNER", Name: "owner"}}}
	if change != nil {
		change(&opts)
	}
	s := fakeslack.New(opts)
	t.Cleanup(s.Close)
	return s
}

// noSecret fails when any rendering of vs shows a token.
func noSecret(t *testing.T, vs ...any) {
	t.Helper()
	var logged bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	for _, v := range vs {
		log.Info("x", "v", v)
		text := fmt.Sprintf("%v %+v %#v %s", v, v, v, v) + logged.String()
		for _, tok := range []string{testAdminToken, testBotToken} {
			if strings.Contains(text, tok) {
				t.Errorf("token shown: %s", text)
			}
		}
	}
}

// TestReset: each answer of admin.users.session.reset becomes its kind,
// and the session reset happens only with the admin token.
func TestReset(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*fakeslack.Options)
		token  string
		script func(*fakeslack.Server)
		user   string
		kind   ErrorKind // when err
		ok     bool
		scope  string
		resets int
		calls  int
	}{
		{name: "reset", user: "W1", ok: true, resets: 1, calls: 1},
		{name: "bot token", token: testBotToken, user: "W1", kind: KindNotAdmin, calls: 1},
		{name: "not an admin any more", user: "W1", kind: KindNotAdmin, calls: 1,
			script: func(s *fakeslack.Server) { s.FailNext(resetMethod, "not_an_admin", 1, 0) }},
		{name: "revoked", token: "xoxp-revoked", user: "W1", kind: KindInvalidToken, calls: 1},
		{name: "missing scope", change: func(o *fakeslack.Options) { o.Admin.Scopes = []string{"users:read"} },
			user: "W1", kind: KindMissingScope, scope: adminScope, calls: 1},
		{name: "not Enterprise Grid", change: func(o *fakeslack.Options) { o.EnterpriseID = "" }, user: "W1", kind: KindNotGrid, calls: 1},
		{name: "primary owner", user: "W0OWNER", kind: KindPrimaryOwner, calls: 1},
		{name: "unknown user", user: "W404", kind: KindUserNotFound, calls: 1},
		{name: "rate limited once", user: "W1", ok: true, resets: 1, calls: 2,
			script: func(s *fakeslack.Server) { s.FailNext(resetMethod, "ratelimited", 1, 0) }},
		{name: "rate limited twice", user: "W1", kind: KindRateLimited, calls: 2,
			script: func(s *fakeslack.Server) { s.FailNext(resetMethod, "ratelimited", 2, 0) }},
		{name: "asked to wait long", user: "W1", kind: KindRateLimited, calls: 1,
			script: func(s *fakeslack.Server) { s.FailNext(resetMethod, "ratelimited", 1, 120) }},
		{name: "outage", user: "W1", kind: KindUnavailable, calls: 1,
			script: func(s *fakeslack.Server) { s.StartOutage(fakeslack.Outage{}) }},
		{name: "internal error", user: "W1", kind: KindUnavailable, calls: 1,
			script: func(s *fakeslack.Server) { s.FailNext(resetMethod, "internal_error", 1, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs := adminWorld(t, tc.change)
			if tc.script != nil {
				tc.script(fs)
			}
			token := tc.token
			if token == "" {
				token = testAdminToken
			}
			s, err := NewSessions(AdminConfig{AdminToken: token, APIURL: fs.APIURL()})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = s.Reset(ctx, tc.user)
			var ce *CallError
			switch {
			case tc.ok && err != nil:
				t.Errorf("Reset: %v", err)
			case !tc.ok && (!errors.As(err, &ce) || ce.Kind != tc.kind || ce.Scope != tc.scope || ce.Method != resetMethod):
				t.Errorf("Reset: %#v, want kind %v scope %q", err, tc.kind, tc.scope)
			}
			if ce != nil && ce.Temporary() != (tc.kind == KindRateLimited || tc.kind == KindUnavailable) {
				t.Errorf("Temporary() = %v for %v", ce.Temporary(), ce.Kind)
			}
			if tc.name == "asked to wait long" && ce.RetryAfter != 120*time.Second {
				t.Errorf("RetryAfter = %v", ce.RetryAfter)
			}
			if got := len(fs.SessionResets(tc.user)); got != tc.resets {
				t.Errorf("%d resets, want %d", got, tc.resets)
			}
			if got := len(fs.Calls()); got != tc.calls {
				t.Errorf("%d calls, want %d", got, tc.calls)
			}
			noSecret(t, err, s)
		})
	}
}

// TestResetUnreachable: no Slack at all, and a caller that gave up, are
// Slack unavailable; the context's end stays visible to errors.Is.
func TestResetUnreachable(t *testing.T) {
	fs := adminWorld(t, nil)
	url := fs.APIURL()
	fs.Close()
	s, _ := NewSessions(AdminConfig{AdminToken: testAdminToken, APIURL: url})
	err := s.Reset(context.Background(), "W1")
	if ce, ok := errors.AsType[*CallError](err); !ok || ce.Kind != KindUnavailable {
		t.Errorf("closed server: %#v", err)
	}
	noSecret(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = s.Reset(ctx, "W1")
	if ce, ok := errors.AsType[*CallError](err); !ok || ce.Kind != KindUnavailable || !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %#v", err)
	}
}

// TestNewSessionsRefuses: no token, or the bot's or app's, is refused
// before Slack is asked, in words without the token.
func TestNewSessionsRefuses(t *testing.T) {
	for _, tok := range []string{"", "xoxb-bot-secret-5678", "xapp-app-secret-5678"} {
		s, err := NewSessions(AdminConfig{AdminToken: tok})
		if err == nil || s != nil {
			t.Errorf("%q accepted", tok)
			continue
		}
		if tok != "" && strings.Contains(err.Error(), tok) {
			t.Errorf("error shows the token: %v", err)
		}
	}
}
