package slack

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

func lookupWorld(t *testing.T, change func(*fakeslack.Options)) (*fakeslack.Server, *Adapter) {
	t.Helper()
	fs := adminWorld(t, change)
	a, err := New(Config{BotToken: testBotToken, AppToken: "xapp-t", APIURL: fs.APIURL()})
	if err != nil {
		t.Fatal(err)
	}
	return fs, a
}

func TestUserByEmail(t *testing.T) {
	t.Parallel()
	fs, a := lookupWorld(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	id, name, found, err := a.UserByEmail(ctx, " alice@contoso.com ")
	if err != nil || !found || id != "W1" || name != "alice" {
		t.Errorf("UserByEmail = %q %q %v %v", id, name, found, err)
	}
	if _, _, found, err := a.UserByEmail(ctx, "nobody@contoso.com"); found || err != nil {
		t.Errorf("unknown address: found %v, %v", found, err)
	}
	if _, _, found, err := a.UserByEmail(ctx, ""); found || err != nil {
		t.Errorf("no address: found %v, %v", found, err)
	}

	// A Slack that matched case exactly would miss an UPN as Entra keeps
	// it: the miss is asked again in lower case.
	fs.FailNext(lookupMethod, "users_not_found", 1, 0)
	before := len(fs.Calls())
	id, _, found, err = a.UserByEmail(ctx, "Alice@Contoso.com")
	if err != nil || !found || id != "W1" {
		t.Errorf("mixed case = %q %v %v", id, found, err)
	}
	var asked []string
	for _, c := range fs.Calls()[before:] {
		asked = append(asked, c.Params.Get("email"))
	}
	if !slices.Equal(asked, []string{"Alice@Contoso.com", "alice@contoso.com"}) {
		t.Errorf("asked %q", asked)
	}
}

func TestUserByEmailErrors(t *testing.T) {
	t.Parallel()
	noEmail := func(o *fakeslack.Options) {
		o.Scopes = slices.DeleteFunc(fakeslack.ManifestScopes(), func(s string) bool { return s == "users:read.email" })
	}
	for _, tc := range []struct {
		name   string
		change func(*fakeslack.Options)
		script func(*fakeslack.Server)
		kind   ErrorKind
		scope  string
	}{
		{name: "missing scope", change: noEmail, kind: KindMissingScope, scope: "users:read.email"},
		{name: "rate limited", kind: KindRateLimited,
			script: func(s *fakeslack.Server) { s.FailNext(lookupMethod, "ratelimited", 1, 60) }},
		{name: "outage", kind: KindUnavailable, script: func(s *fakeslack.Server) { s.StartOutage(fakeslack.Outage{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs, a := lookupWorld(t, tc.change)
			if tc.script != nil {
				tc.script(fs)
			}
			_, _, found, err := a.UserByEmail(context.Background(), "alice@contoso.com")
			ce, ok := errors.AsType[*CallError](err)
			if found || !ok || ce.Kind != tc.kind || ce.Scope != tc.scope || ce.Method != lookupMethod {
				t.Errorf("found %v, %#v; want kind %v scope %q", found, err, tc.kind, tc.scope)
			}
			noSecret(t, err)
		})
	}
}
