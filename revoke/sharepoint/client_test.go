package sharepoint

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/revokebot/revokebot/internal/fakesharepoint"
	"github.com/revokebot/revokebot/revoke"
)

// testToken may revoke sessions; the leak tests look for it everywhere.
var testToken = fakesharepoint.AppToken(fakesharepoint.FullControl)

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

func newFake(t *testing.T) *fakesharepoint.Server {
	t.Helper()
	f := fakesharepoint.New(fakesharepoint.Options{Token: testToken})
	t.Cleanup(f.Close)
	return f
}

func newClient(t *testing.T, adminURL, token string, r revoke.Retry) *Client {
	t.Helper()
	c, err := New(Config{AdminURL: adminURL, Token: token, Retry: r})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func asError(t *testing.T, err error) *revoke.Error {
	t.Helper()
	var e *revoke.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *revoke.Error", err, err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Fatalf("error text carries the token: %q", err.Error())
	}
	return e
}

func TestRevokeUserSessionsReturnsSharePointsState(t *testing.T) {
	f := newFake(t)
	f.AddUser("alice@contoso.com")
	f.AddUser("bob@contoso.com")
	f.SetState("bob@contoso.com", fakesharepoint.StateNonInstantaneousSuccess)
	f.AddUser("carol@contoso.com")
	f.SetState("carol@contoso.com", fakesharepoint.StateFailure)
	f.SetState("dave@contoso.com", 9)
	c := newClient(t, f.URL(), testToken, retryPolicy(&sleeps{}, 3))

	for _, tc := range []struct {
		upn  string
		want revoke.SharePointState
	}{
		{"alice@contoso.com", revoke.SharePointInstant},
		{"bob@contoso.com", revoke.SharePointWithinHour},
		{"carol@contoso.com", revoke.SharePointFailure}, // an answer, not a Go error
		{"nobody@contoso.com", revoke.SharePointUserNotFound},
		{"dave@contoso.com", revoke.SharePointState(9)}, // unknown states pass through
	} {
		got, err := c.RevokeUserSessions(context.Background(), tc.upn)
		if err != nil {
			t.Errorf("%s: unexpected error %v", tc.upn, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: state %d (%v), want %d (%v)", tc.upn, got, got, tc.want, tc.want)
		}
	}
	if n := f.Revoked("alice@contoso.com"); n != 1 {
		t.Errorf("fake counted %d revocations of alice, want 1", n)
	}
	if n := f.Revoked("carol@contoso.com"); n != 0 {
		t.Errorf("fake counted %d revocations of carol (Failure), want 0", n)
	}

	f.SetFeatureDisabled(true)
	got, err := c.RevokeUserSessions(context.Background(), "alice@contoso.com")
	if err != nil || got != revoke.SharePointFeatureDisabled {
		t.Errorf("feature disabled: got %d, %v; want %d, nil", got, err, revoke.SharePointFeatureDisabled)
	}
}

func TestRequestOnTheWire(t *testing.T) {
	f := newFake(t)
	f.AddUser("alice@contoso.com")
	c := newClient(t, f.URL()+"/", testToken, retryPolicy(&sleeps{}, 1))
	if _, err := c.RevokeUserSessions(context.Background(), "alice@contoso.com"); err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	checks := map[string][2]string{
		"method":        {r.Method, "POST"},
		"path":          {r.Path, RevokePath},
		"Authorization": {r.Header.Get("Authorization"), "Bearer " + testToken},
		"Accept":        {r.Header.Get("Accept"), "application/json;odata=nometadata"},
		"Content-Type":  {r.Header.Get("Content-Type"), "application/json;charset=utf-8"},
		"body":          {string(r.Body), `{"userName":"alice@contoso.com"}`},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if r.Header.Get("X-RequestDigest") != "" {
		t.Error("a bearer-token request needs no X-RequestDigest")
	}
}

func TestUserNameIsDataNotSyntax(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.URL(), testToken, retryPolicy(&sleeps{}, 1))
	for _, upn := range []string{
		`o'brien"quote@contoso.com`,
		"zoë.ñúñez@contoso.com",
		`back\slash</script>@contoso.com`,
		`x","userName":"evil@contoso.com`,
		"tab\there\nline@contoso.com",
	} {
		f.AddUser(upn)
		got, err := c.RevokeUserSessions(context.Background(), upn)
		if err != nil || got != revoke.SharePointInstant {
			t.Errorf("%q: got %d, %v; want 4, nil", upn, got, err)
			continue
		}
		reqs := f.Requests()
		var body map[string]string
		if err := json.Unmarshal(reqs[len(reqs)-1].Body, &body); err != nil {
			t.Errorf("%q: body is not JSON: %v", upn, err)
			continue
		}
		if len(body) != 1 || body["userName"] != upn {
			t.Errorf("%q: body decodes to %q", upn, body)
		}
		if n := f.Revoked(upn); n != 1 {
			t.Errorf("%q: fake revoked it %d times, want 1", upn, n)
		}
	}
	if n := f.Revoked("evil@contoso.com"); n != 0 {
		t.Errorf("an injected user name was revoked %d times", n)
	}
}

func TestEmptyUserNameSendsNothing(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.URL(), testToken, retryPolicy(&sleeps{}, 1))
	_, err := c.RevokeUserSessions(context.Background(), "  ")
	if e := asError(t, err); e.Kind != revoke.KindBadRequest {
		t.Errorf("kind %v, want KindBadRequest", e.Kind)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests sent for an empty user name", n)
	}
}

func TestCheckAdminURL(t *testing.T) {
	const exampleURL = "https://contoso-admin.sharepoint.com"
	for _, tc := range []struct {
		raw string
		ok  bool
	}{
		{"https://contoso-admin.sharepoint.com", true},
		{"https://contoso-admin.sharepoint.com/", true},
		{"https://contoso-admin.sharepoint.us", true},
		{"http://127.0.0.1:8080", true},
		{"http://localhost:9000", true},
		{"http://[::1]:9000", true},
		{"http://contoso-admin.sharepoint.com", false},
		{"http://10.0.0.5", false},
		{"ftp://contoso-admin.sharepoint.com", false},
		{"contoso-admin.sharepoint.com", false},
		{"", false},
		{"https://", false},
		{"https://:443", false},
		{"https://admin:hunter2@contoso-admin.sharepoint.com", false},
		{"https://contoso-admin.sharepoint.com/sites/x", false},
		{"https://contoso-admin.sharepoint.com?x=1", false},
		{"https://contoso-admin.sharepoint.com/?", false},
		{"https://contoso-admin.sharepoint.com#frag", false},
		{"https://contoso admin.sharepoint.com", false},
	} {
		_, err := CheckAdminURL(tc.raw)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok=%v", tc.raw, err, tc.ok)
			continue
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "SHAREPOINT_ADMIN_URL: ") {
				t.Errorf("%q: error %q does not name SHAREPOINT_ADMIN_URL", tc.raw, err)
			}
			// The messages quote a fixed example URL; anything else of the
			// input must not reappear.
			echoed := tc.raw != "" && !strings.Contains(exampleURL, tc.raw) && strings.Contains(err.Error(), tc.raw)
			if echoed || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%q: error %q echoes the URL", tc.raw, err)
			}
		}
	}
	if _, err := New(Config{AdminURL: "http://contoso-admin.sharepoint.com", Token: testToken}); err == nil {
		t.Error("New accepted plain http to a remote host")
	}
	_, err := New(Config{AdminURL: "https://contoso-admin.sharepoint.com"})
	if err == nil || !strings.Contains(err.Error(), "SHAREPOINT_ACCESS_TOKEN") {
		t.Errorf("New without token or credential: %v", err)
	}
}

// fakeCred is an azcore.TokenCredential that records the scopes asked for.
type fakeCred struct {
	mu     sync.Mutex
	token  string
	err    error
	scopes [][]string
}

func (c *fakeCred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, o.Scopes)
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	return azcore.AccessToken{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestCredentialIsAskedForTheAdminHostScope(t *testing.T) {
	f := newFake(t)
	f.AddUser("alice@contoso.com")
	cred := &fakeCred{token: testToken}
	c, err := New(Config{AdminURL: f.URL() + "/", Credential: cred, Retry: retryPolicy(&sleeps{}, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.RevokeUserSessions(context.Background(), "alice@contoso.com"); err != nil || got != revoke.SharePointInstant {
		t.Fatalf("got %d, %v", got, err)
	}
	want := [][]string{{f.URL() + "/.default"}}
	if !reflect.DeepEqual(cred.scopes, want) {
		t.Errorf("scopes %v, want %v", cred.scopes, want)
	}

	cred = &fakeCred{token: testToken}
	c, err = New(Config{AdminURL: "https://contoso-admin.sharepoint.com/", Credential: cred})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Roles(context.Background())
	if want := [][]string{{"https://contoso-admin.sharepoint.com/.default"}}; !reflect.DeepEqual(cred.scopes, want) {
		t.Errorf("scopes %v, want %v", cred.scopes, want)
	}
}

func TestCredentialFailureIsNotRetried(t *testing.T) {
	f := newFake(t)
	cred := &fakeCred{err: errors.New("ClientCertificateCredential: no certificate")}
	s := &sleeps{}
	c, err := New(Config{AdminURL: f.URL(), Credential: cred, Retry: retryPolicy(s, 5)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RevokeUserSessions(context.Background(), "alice@contoso.com")
	e := asError(t, err)
	if e.Kind != revoke.KindOther || e.Attempts != 1 || len(f.Requests()) != 0 {
		t.Errorf("kind %v attempts %d requests %d", e.Kind, e.Attempts, len(f.Requests()))
	}
	if !strings.Contains(err.Error(), "get a SharePoint token") {
		t.Errorf("error %q does not say the token could not be had", err)
	}
}

func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".c2lnbmF0dXJl"
}

func TestRoles(t *testing.T) {
	tok := jwt(`{"aud":"https://contoso-admin.sharepoint.com","appidacr":"2","roles":["Sites.FullControl.All","User.Read.All"]}`)
	c := newClient(t, "https://contoso-admin.sharepoint.com", tok, revoke.Retry{})
	roles, err := c.Roles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Sites.FullControl.All", "User.Read.All"}; !reflect.DeepEqual(roles, want) {
		t.Errorf("roles %v, want %v", roles, want)
	}
	if !reflect.DeepEqual(RequiredRoles, []string{"Sites.FullControl.All"}) {
		t.Errorf("RequiredRoles %v", RequiredRoles)
	}

	const opaque = "tok-9f3a-DO-NOT-LEAK"
	for _, bad := range []string{opaque, "a." + opaque + ".c", jwt("not json")} {
		c := newClient(t, "https://contoso-admin.sharepoint.com", bad, revoke.Retry{})
		_, err := c.Roles(context.Background())
		if err == nil {
			t.Errorf("%q: no error", bad)
			continue
		}
		if strings.Contains(err.Error(), opaque) {
			t.Errorf("error %q carries the token", err)
		}
	}
}
