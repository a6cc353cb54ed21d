package graph

import (
	"context"
	"encoding/base64"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

// testToken holds exactly the Graph permissions revoke.Needs lists, the ones
// `revokebot check` asks for: a call needing more is refused by the fake as
// by Graph.
var testToken = fakegraph.AppToken(neededGraphPermissions()...)

func neededGraphPermissions() []string {
	var out []string
	for _, n := range revoke.Needs {
		for _, p := range n.Permissions {
			if p.Resource == revoke.GraphAppID {
				out = append(out, p.Name)
			}
		}
	}
	return out
}

func fastRetry(attempts int) revoke.Retry {
	return revoke.Retry{Attempts: attempts, Backoff: time.Millisecond, MaxWait: 10 * time.Millisecond, Sleep: revoke.SleepContext}
}

func TestCheckBaseURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://graph.microsoft.com/v1.0": true,
		"https://graph.microsoft.us/v1.0":  true,
		"http://127.0.0.1:8080/v1.0":       true,
		"http://localhost/v1.0":            true,
		"http://[::1]:9/v1.0":              true,
		"http://graph.microsoft.com/v1.0":  false,
		"http://10.0.0.1/v1.0":             false,
		"ftp://graph.microsoft.com":        false,
		"graph.microsoft.com/v1.0":         false,
		"https://u:p@graph.microsoft.com":  false,
		"https://graph.microsoft.com?x=1":  false,
	} {
		if _, err := CheckBaseURL(raw); (err == nil) != ok {
			t.Errorf("CheckBaseURL(%q): err=%v, want ok=%v", raw, err, ok)
		}
	}
}

func TestResolveAndRevokeThroughTheSDK(t *testing.T) {
	g := fakegraph.New(fakegraph.Options{Token: testToken})
	defer g.Close()
	g.AddUsers(
		fakegraph.User{ID: "11111111-1111-4111-8111-111111111111", DisplayName: "O'Brien", UserPrincipalName: "ob@contoso.com",
			Mail: "o'brien@contoso.com", MailNickname: "obrien", UserType: "Member", AccountEnabled: true, Department: "Ops"},
		fakegraph.User{ID: "22222222-2222-4222-8222-222222222222", DisplayName: "Guest", UserPrincipalName: "g_x.com#EXT#@contoso.onmicrosoft.com",
			ProxyAddresses: []string{"SMTP:guest@x.com"}, UserType: "Guest"},
	)
	c, err := New(Config{BaseURL: g.URL(), Token: testToken, Retry: fastRetry(3)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, l := range []revoke.Lookup{
		{Kind: revoke.ByAddress, Value: "o'brien@contoso.com"},
		{Kind: revoke.ByAddress, Value: "OB@contoso.com"},
		{Kind: revoke.ByAlias, Value: "obrien"},
		{Kind: revoke.ByObjectID, Value: "11111111-1111-4111-8111-111111111111"},
	} {
		us, err := c.Resolve(ctx, l)
		if err != nil || len(us) != 1 || us[0].DisplayName != "O'Brien" || !us[0].AccountEnabled || us[0].Department != "Ops" {
			t.Errorf("Resolve(%+v) = %+v, %v", l, us, err)
		}
	}
	us, err := c.Resolve(ctx, revoke.Lookup{Kind: revoke.ByAddress, Value: "guest@x.com"})
	if err != nil || len(us) != 1 || !us[0].Guest() || !slices.Equal(us[0].ProxyAddresses, []string{"SMTP:guest@x.com"}) {
		t.Errorf("guest by proxy address, with its addresses: %+v %v", us, err)
	}
	if us, err := c.Resolve(ctx, revoke.Lookup{Kind: revoke.ByObjectID, Value: "99999999-9999-4999-8999-999999999999"}); err != nil || len(us) != 0 {
		t.Errorf("unknown object ID: %+v %v", us, err)
	}
	res, err := c.RevokeSessions(ctx, "22222222-2222-4222-8222-222222222222")
	if err != nil || res.At.IsZero() || g.Revocations("22222222-2222-4222-8222-222222222222") != 1 {
		t.Fatalf("revoke: %+v %v", res, err)
	}
	for _, r := range g.Requests() {
		if r.Status == 400 {
			t.Errorf("Graph refused %s %v", r.Path, r.Query)
		}
		if r.Header.Get("Content-Encoding") != "" {
			t.Errorf("compressed request %s", r.Path)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	g := fakegraph.New(fakegraph.Options{Token: testToken})
	defer g.Close()
	g.AddUser(fakegraph.User{ID: "11111111-1111-4111-8111-111111111111", UserPrincipalName: "a@contoso.com"})
	ctx := context.Background()
	bad, _ := New(Config{BaseURL: g.URL(), Token: "wrong", Retry: fastRetry(3)})
	if _, err := bad.RevokeSessions(ctx, "11111111-1111-4111-8111-111111111111"); revoke.KindOf(err) != revoke.KindUnauthorized {
		t.Errorf("wrong token: %v", err)
	}
	c, _ := New(Config{BaseURL: g.URL(), Token: testToken, Retry: fastRetry(3)})
	if _, err := c.RevokeSessions(ctx, "99999999-9999-4999-8999-999999999999"); revoke.KindOf(err) != revoke.KindNotFound {
		t.Errorf("unknown user: %v", err)
	}
	g.Inject(fakegraph.Fault{Status: 429, RetryAfter: "0"})
	_, err := c.RevokeSessions(ctx, "11111111-1111-4111-8111-111111111111")
	var e *revoke.Error
	if revoke.KindOf(err) != revoke.KindThrottled || !asError(err, &e) || e.Attempts != 3 || e.Permission != "User.RevokeSessions.All" {
		t.Errorf("throttled: %v", err)
	}
	g.ClearFaults()

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	down, _ := New(Config{BaseURL: "http://" + addr + "/v1.0", Token: testToken, Retry: fastRetry(2)})
	_, err = down.Resolve(ctx, revoke.Lookup{Kind: revoke.ByAlias, Value: "a"})
	if revoke.KindOf(err) != revoke.KindNetwork || !asError(err, &e) || e.Attempts != 2 || e.Permission != "User.Read.All" {
		t.Errorf("unreachable Graph: %v", err)
	}
}

func asError(err error, target **revoke.Error) bool {
	e, ok := err.(*revoke.Error)
	*target = e
	return ok
}

func TestRolesOf(t *testing.T) {
	claims := base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"https://graph.microsoft.com","roles":["User.Read.All","User.RevokeSessions.All"]}`))
	roles, err := revoke.RolesOf("Graph", "eyJhbGciOiJub25lIn0."+claims+".sig")
	if err != nil || len(roles) != 2 || roles[1] != "User.RevokeSessions.All" {
		t.Fatalf("roles %v %v", roles, err)
	}
	for _, bad := range []string{"opaque-token", "a.!!!.c", "a." + base64.RawURLEncoding.EncodeToString([]byte("nope")) + ".c"} {
		if _, err := revoke.RolesOf("Graph", bad); err == nil || strings.Contains(err.Error(), bad) {
			t.Errorf("RolesOf(%q): %v", bad, err)
		}
	}
}

// TestConcurrentCalls: the bot's workers share one client.
func TestConcurrentCalls(t *testing.T) {
	g := fakegraph.New(fakegraph.Options{Token: testToken})
	defer g.Close()
	g.AddUser(fakegraph.User{ID: "11111111-1111-4111-8111-111111111111", UserPrincipalName: "a@contoso.com", MailNickname: "a"})
	c, _ := New(Config{BaseURL: g.URL(), Token: testToken, Retry: fastRetry(1)})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = c.Resolve(context.Background(), revoke.Lookup{Kind: revoke.ByAlias, Value: "a"})
			case 1:
				_, err = c.Resolve(context.Background(), revoke.Lookup{Kind: revoke.ByObjectID, Value: "11111111-1111-4111-8111-111111111111"})
			default:
				_, err = c.RevokeSessions(context.Background(), "11111111-1111-4111-8111-111111111111")
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
