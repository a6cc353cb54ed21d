package sharepoint

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakesharepoint"
	"github.com/revokebot/revokebot/revoke"
)

func TestRefusedTokenIsUnauthorizedAndNotRetried(t *testing.T) {
	f := newFake(t)
	f.AddUser("alice@contoso.com")
	s := &sleeps{}
	c := newClient(t, f.URL(), testToken+"-wrong", retryPolicy(s, 5))
	_, err := c.RevokeUserSessions(context.Background(), "alice@contoso.com")
	e := asError(t, err)
	if e.Kind != revoke.KindUnauthorized || e.Status != 401 {
		t.Errorf("kind %v status %d, want KindUnauthorized 401", e.Kind, e.Status)
	}
	if e.Message != "Invalid issuer or signature." {
		t.Errorf("message %q, want SharePoint's error_description", e.Message)
	}
	if e.Attempts != 1 || len(f.Requests()) != 1 || len(s.got()) != 0 {
		t.Errorf("attempts %d, requests %d, sleeps %v: a 401 must not be retried", e.Attempts, len(f.Requests()), s.got())
	}
	if strings.Contains(err.Error(), testToken+"-wrong") {
		t.Errorf("error text carries the token: %q", err.Error())
	}
}

func TestClientSecretTokenRefusal(t *testing.T) {
	f := newFake(t)
	f.Inject(fakesharepoint.Fault{Status: 401})
	c := newClient(t, f.URL(), testToken, retryPolicy(&sleeps{}, 3))
	_, err := c.RevokeUserSessions(context.Background(), "alice@contoso.com")
	e := asError(t, err)
	if e.Kind != revoke.KindUnauthorized || e.Message != "Unsupported app only token." {
		t.Errorf("got kind %v message %q; want KindUnauthorized with SharePoint's words", e.Kind, e.Message)
	}
}

func TestForbiddenNamesThePermission(t *testing.T) {
	f := newFake(t)
	f.AddUser("alice@contoso.com")
	f.Inject(fakesharepoint.Fault{Status: 403})
	c := newClient(t, f.URL(), testToken, retryPolicy(&sleeps{}, 5))
	_, err := c.RevokeUserSessions(context.Background(), "alice@contoso.com")
	e := asError(t, err)
	if e.Kind != revoke.KindForbidden || e.Status != 403 {
		t.Errorf("kind %v status %d, want KindForbidden 403", e.Kind, e.Status)
	}
	if e.Permission != "Sites.FullControl.All" {
		t.Errorf("permission %q, want Sites.FullControl.All", e.Permission)
	}
	if e.Code != "-2147024891, System.UnauthorizedAccessException" || !strings.HasPrefix(e.Message, "Access denied.") {
		t.Errorf("code %q message %q: SharePoint's odata.error not read", e.Code, e.Message)
	}
	if e.Op != "revoke SharePoint sessions" || e.Attempts != 1 {
		t.Errorf("op %q attempts %d", e.Op, e.Attempts)
	}
	if f.Revoked("alice@contoso.com") != 0 {
		t.Error("a forbidden call revoked")
	}
}

func TestThrottledThenSucceedsHonouringRetryAfter(t *testing.T) {
	f := newFake(t)
	f.AddUser("alice@contoso.com")
	f.Inject(fakesharepoint.Fault{Status: 429, RetryAfter: "2", Times: 1})
	s := &sleeps{}
	c := newClient(t, f.URL(), testToken, retryPolicy(s, 5))
	got, err := c.RevokeUserSessions(context.Background(), "alice@contoso.com")
	if err != nil || got != revoke.SharePointInstant {
		t.Fatalf("got %d, %v; want 4, nil", got, err)
	}
	if w := s.got(); !reflect.DeepEqual(w, []time.Duration{2 * time.Second}) {
		t.Errorf("waits %v, want [2s] from Retry-After", w)
	}
	if n := len(f.Requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if n := f.Revoked("alice@contoso.com"); n != 1 {
		t.Errorf("revoked %d times, want 1", n)
	}
}

func TestUnavailableExhaustsTheRetries(t *testing.T) {
	f := newFake(t)
	f.AddUser("alice@contoso.com")
	f.Inject(fakesharepoint.Fault{Status: 503, RetryAfter: "1"})
	s := &sleeps{}
	c := newClient(t, f.URL(), testToken, retryPolicy(s, 3))
	_, err := c.RevokeUserSessions(context.Background(), "alice@contoso.com")
	e := asError(t, err)
	if e.Kind != revoke.KindUnavailable || e.Status != 503 || e.Attempts != 3 {
		t.Errorf("kind %v status %d attempts %d, want KindUnavailable 503 3", e.Kind, e.Status, e.Attempts)
	}
	if e.RetryAfter != time.Second {
		t.Errorf("RetryAfter %v, want 1s", e.RetryAfter)
	}
	if n := len(f.Requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if w := s.got(); !reflect.DeepEqual(w, []time.Duration{time.Second, time.Second}) {
		t.Errorf("waits %v, want [1s 1s]", w)
	}
}

func TestRetryAfterBeyondMaxWaitGivesUp(t *testing.T) {
	f := newFake(t)
	f.Inject(fakesharepoint.Fault{Status: 429, RetryAfter: "120"})
	s := &sleeps{}
	c := newClient(t, f.URL(), testToken, retryPolicy(s, 5))
	_, err := c.RevokeUserSessions(context.Background(), "alice@contoso.com")
	e := asError(t, err)
	if e.Kind != revoke.KindThrottled || e.Attempts != 1 || e.RetryAfter != 2*time.Minute || len(s.got()) != 0 {
		t.Errorf("kind %v attempts %d retryAfter %v waits %v; want throttled, 1, 2m, none", e.Kind, e.Attempts, e.RetryAfter, s.got())
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	f := newFake(t)
	// A body echoing the token (a proxy, a diagnostic) is redacted.
	f.Inject(fakesharepoint.Fault{Status: 403, Code: "x", Message: "denied for Bearer " + testToken})
	c := newClient(t, f.URL(), testToken, retryPolicy(&sleeps{}, 2))
	_, err := c.RevokeUserSessions(context.Background(), "alice@contoso.com")
	if e := asError(t, err); !strings.Contains(e.Message, "[token]") {
		t.Errorf("message %q: token not replaced", e.Message)
	}

	// No answer at all: the error wraps *url.Error.
	closed := fakesharepoint.New(fakesharepoint.Options{})
	url := closed.URL()
	closed.Close()
	c = newClient(t, url, testToken, retryPolicy(&sleeps{}, 2))
	_, err = c.RevokeUserSessions(context.Background(), "alice@contoso.com")
	e := asError(t, err)
	if e.Kind != revoke.KindNetwork || e.Attempts != 2 {
		t.Errorf("kind %v attempts %d, want KindNetwork retried to 2", e.Kind, e.Attempts)
	}
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
		if strings.Contains(u.Error(), testToken) {
			t.Errorf("wrapped error carries the token: %q", u.Error())
		}
	}
}

func TestNotFoundIsNotAMissingUser(t *testing.T) {
	f := newFake(t)
	// Point the client at the right host but a wrong endpoint: the fake
	// answers SharePoint's 404 for an unknown resource.
	c := newClient(t, f.URL(), testToken, retryPolicy(&sleeps{}, 3))
	c.endpoint = f.URL() + "/_api/NoSuchThing"
	_, err := c.RevokeUserSessions(context.Background(), "alice@contoso.com")
	e := asError(t, err)
	if e.Kind != revoke.KindOther || e.Status != 404 || e.Attempts != 1 {
		t.Errorf("kind %v status %d attempts %d; a 404 is a wrong endpoint, not KindNotFound", e.Kind, e.Status, e.Attempts)
	}
	if !strings.Contains(e.Message, "Cannot find resource") {
		t.Errorf("message %q", e.Message)
	}
}

func TestOtherAnswerShapes(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		want       revoke.SharePointState
		wantErr    bool
	}{
		{"minimalmetadata", `{"odata.metadata":"https://x/_api/$metadata#SP.ApiData.SPOUserSessionRevocationResults/@Element","State":3}`, 200, 3, false},
		{"verbose entity", `{"d":{"__metadata":{"type":"Microsoft.Online.SharePoint.TenantManagement.SPOUserSessionRevocationResult"},"State":2}}`, 200, 2, false},
		{"verbose function result", `{"d":{"RevokeAllUserSessions":{"State":4}}}`, 200, 4, false},
		{"state zero", `{"State":0}`, 200, 0, false},
		{"no state", `{"odata.null":true}`, 200, 0, true},
		{"not json", `<html>sign in</html>`, 200, 0, true},
		{"redirect", ``, 302, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.status == 302 {
					w.Header().Set("Location", "https://login.microsoftonline.com/")
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer ts.Close()
			c := newClient(t, ts.URL, testToken, retryPolicy(&sleeps{}, 2))
			got, err := c.RevokeUserSessions(context.Background(), "alice@contoso.com")
			if tc.wantErr {
				if e := asError(t, err); e.Kind != revoke.KindOther || e.Attempts != 1 {
					t.Errorf("kind %v attempts %d, want KindOther once", e.Kind, e.Attempts)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}
