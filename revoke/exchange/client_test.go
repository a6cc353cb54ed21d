package exchange

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/revokebot/revokebot/internal/fakeexchange"
	"github.com/revokebot/revokebot/revoke"
)

const (
	tenant = "contoso.onmicrosoft.com"
	alice  = "alice@contoso.com"
)

// testToken may run every cmdlet; the leak checks look for it everywhere.
var testToken = fakeexchange.AppToken(fakeexchange.ManageAsApp)

// sleeps records the waits revoke.Retry asks for instead of waiting.
type sleeps struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ds = append(s.ds, d)
	return nil
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

func retryPolicy(s *sleeps, attempts int) revoke.Retry {
	return revoke.Retry{Attempts: attempts, MaxWait: 30 * time.Second, Backoff: time.Second, Sleep: s.sleep}
}

// newFake starts a fake where the app is an Exchange Administrator and
// alice has a mailbox.
func newFake(t *testing.T, opts fakeexchange.Options) *fakeexchange.Server {
	t.Helper()
	opts.Tenant = tenant
	if opts.DirectoryRole == "" {
		opts.DirectoryRole = fakeexchange.RoleExchangeAdmin
	}
	f := fakeexchange.New(opts)
	t.Cleanup(f.Close)
	f.AddMailbox(alice)
	return f
}

func newClient(t *testing.T, f *fakeexchange.Server, token string, r revoke.Retry) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: f.URL(), Tenant: tenant, Token: token, Retry: r})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// asError checks err is a *revoke.Error that carries the token nowhere.
func asError(t *testing.T, err error) *revoke.Error {
	t.Helper()
	var e *revoke.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *revoke.Error", err, err)
	}
	for u := error(e); u != nil; u = errors.Unwrap(u) {
		if strings.Contains(u.Error(), testToken) {
			t.Fatalf("error text carries the token: %q", u.Error())
		}
	}
	return e
}

func TestNewRefusesUnsafeConfig(t *testing.T) {
	for _, tc := range []struct{ name, url, tenant, token string }{
		{"http elsewhere", "http://outlook.office365.com", tenant, "t"},
		{"a path", "https://outlook.office365.com/adminapi", tenant, "t"},
		{"userinfo", "https://u:secret@outlook.office365.com", tenant, "t"},
		{"no tenant", "https://outlook.office365.com", "", "t"},
		{"a tenant with a slash", "https://outlook.office365.com", "a/b", "t"},
		{"no token", "https://outlook.office365.com", tenant, ""},
	} {
		_, err := New(Config{BaseURL: tc.url, Tenant: tc.tenant, Token: tc.token})
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error repeats the URL: %v", tc.name, err)
		}
	}
	if _, err := New(Config{BaseURL: "https://outlook.office365.com/", Tenant: tenant, Token: "t"}); err != nil {
		t.Errorf("the real endpoint: %v", err)
	}
}

// credential is an azcore.TokenCredential that records the scopes asked for.
type credential struct {
	mu     sync.Mutex
	scopes []string
}

func (c *credential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, o.Scopes...)
	return azcore.AccessToken{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestCredentialAsksForExchangesScope(t *testing.T) {
	f := newFake(t, fakeexchange.Options{})
	cred := &credential{}
	var statuses []int
	c, err := New(Config{BaseURL: f.URL(), Tenant: tenant, Credential: cred,
		Observe: func(_ time.Duration, status int) { statuses = append(statuses, status) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(cred.scopes) == 0 || cred.scopes[0] != "https://outlook.office365.com/.default" {
		t.Errorf("scopes %v", cred.scopes)
	}
	if len(statuses) != 1 || statuses[0] != 200 {
		t.Errorf("observed %v, want [200]", statuses)
	}
	roles, err := c.Roles(context.Background())
	if err != nil || len(roles) != 1 || roles[0] != fakeexchange.ManageAsApp {
		t.Errorf("Roles: %v %v", roles, err)
	}
}

func TestRequestsCarryTheWire(t *testing.T) {
	f := newFake(t, fakeexchange.Options{})
	c := newClient(t, f, testToken, retryPolicy(&sleeps{}, 1))
	f.SetForwarding(alice, fakeexchange.Forwarding{SmtpAddress: "x@evil.example"})
	if _, err := c.ClearForwarding(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	if err := c.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want get, set, get, check", len(reqs))
	}
	set := reqs[1]
	if set.Path != "/adminapi/beta/"+tenant+"/InvokeCommand" || set.Cmdlet != "Set-Mailbox" {
		t.Errorf("request %s %s", set.Path, set.Cmdlet)
	}
	p := set.Parameters
	if v, ok := p["ForwardingSmtpAddress"]; !ok || v != nil || p["DeliverToMailboxAndForward"] != false {
		t.Errorf("Set-Mailbox parameters %v: want nulls and $false", p)
	}
	if h := set.Header; h.Get("X-AnchorMailbox") != "UPN:"+alice || h.Get("Authorization") != "Bearer "+testToken ||
		h.Get("Prefer") != "odata.maxpagesize=1000" {
		t.Errorf("headers %v", h)
	}
	if a := reqs[3].Header.Get("X-AnchorMailbox"); a != "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@"+tenant {
		t.Errorf("check's anchor %q", a)
	}
}

func TestCheckTellsTheGrantsApart(t *testing.T) {
	f := newFake(t, fakeexchange.Options{})
	ctx := context.Background()
	noAppRole := newClient(t, f, fakeexchange.AppToken("Exchange.ManageAsAppV2"), retryPolicy(&sleeps{}, 3))
	e := asError(t, noAppRole.Check(ctx))
	if e.Kind != revoke.KindUnauthorized || e.Lacks != revoke.LacksPermission || e.Attempts != 1 ||
		!strings.Contains(e.Message, "Exchange.ManageAsApp (dc50a0fb-09a3-484d-be87-e023b12c6440)") ||
		!strings.Contains(e.Message, "valid role claim") {
		t.Errorf("no app role: %v kind %v lacks %q", e, e.Kind, e.Lacks)
	}
	c := newClient(t, f, testToken, retryPolicy(&sleeps{}, 3))
	f.SetDirectoryRole("")
	e = asError(t, c.Check(ctx))
	if e.Kind != revoke.KindForbidden || e.Lacks != revoke.LacksRole || e.Status != 403 ||
		!strings.Contains(e.Message, "Exchange Administrator") || strings.ContainsRune(e.Message, 0) {
		t.Errorf("no directory role: %v kind %v lacks %q", e, e.Kind, e.Lacks)
	}
	f.SetDirectoryRole(fakeexchange.RoleSecurityReader)
	if err := c.Check(ctx); err != nil {
		t.Errorf("Security Reader: %v", err)
	}
}
