package exchange

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakeexchange"
	"github.com/revokebot/revokebot/revoke"
)

func TestAReaderMayNotWrite(t *testing.T) {
	f := newFake(t, fakeexchange.Options{DirectoryRole: fakeexchange.RoleSecurityReader})
	f.SetForwarding(alice, fakeexchange.Forwarding{SmtpAddress: "x@evil.example"})
	c := newClient(t, f, testToken, retryPolicy(&sleeps{}, 3))
	before, err := c.ClearForwarding(context.Background(), alice)
	e := asError(t, err)
	if e.Kind != revoke.KindForbidden || e.Lacks != revoke.LacksRole || e.Attempts != 1 || e.Permission != "Exchange.ManageAsApp" ||
		e.Message != "Exchange refused Set-Mailbox: the app's service principal needs the Entra role Exchange Administrator (Security Reader only reads)" {
		t.Errorf("kind %v lacks %q attempts %d message %q", e.Kind, e.Lacks, e.Attempts, e.Message)
	}
	if before.SMTPAddress != "x@evil.example" {
		t.Errorf("the forwarding read before the refusal is lost: %+v", before)
	}
}

func TestNULBodiesAndBuriedText(t *testing.T) {
	f := newFake(t, fakeexchange.Options{})
	c := newClient(t, f, testToken, retryPolicy(&sleeps{}, 3))
	ctx := context.Background()
	f.Inject(fakeexchange.Fault{Cmdlet: "Get-CASMailbox", Status: 403, NUL: true, Times: 1})
	e := asError(t, func() error { _, err := c.Protocols(ctx, alice); return err }())
	if e.Kind != revoke.KindForbidden || strings.ContainsRune(e.Error(), 0) || !strings.Contains(e.Message, "Get-CASMailbox") {
		t.Errorf("NUL 403: %q kind %v", e.Error(), e.Kind)
	}
	// Not found: the text is in details, after its type.
	_, err := c.Forwarding(ctx, "nobody@contoso.com")
	e = asError(t, err)
	if e.Kind != revoke.KindNotFound || e.Status != 404 || !strings.HasSuffix(e.Code, ".ManagementObjectNotFoundException") ||
		!strings.HasPrefix(e.Message, "The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found") {
		t.Errorf("not found: kind %v code %q message %q", e.Kind, e.Code, e.Message)
	}
	// An unknown parameter: the text is in innererror.internalexception.
	_, err = c.invoke(ctx, call{op: "test", cmdlet: "Set-CASMailbox", mailbox: alice, params: map[string]any{"Identity": alice, "PopEnable": false}})
	e = asError(t, err)
	if e.Kind != revoke.KindBadRequest || e.Code != "System.Management.Automation.AmbiguousParameterSetException" ||
		!strings.HasPrefix(e.Message, "Parameter set cannot be resolved") || e.Attempts != 1 {
		t.Errorf("unknown parameter: kind %v code %q message %q", e.Kind, e.Code, e.Message)
	}
}

func TestThrottledThenSucceeding(t *testing.T) {
	f := newFake(t, fakeexchange.Options{})
	f.Inject(fakeexchange.Fault{Status: 429, RetryAfter: "2", Times: 1})
	f.Inject(fakeexchange.Fault{Status: 503, Times: 1})
	s := &sleeps{}
	c := newClient(t, f, testToken, retryPolicy(s, 5))
	if _, err := c.Protocols(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	if w := s.got(); !reflect.DeepEqual(w, []time.Duration{2 * time.Second, time.Second}) {
		t.Errorf("waits %v, want [2s] from Retry-After then the 1s backoff", w)
	}
	if n := f.Calls("Get-CASMailbox"); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
}

func TestTheServicesBudgetEndsTheRetries(t *testing.T) {
	f := newFake(t, fakeexchange.Options{Budget: 1, Window: time.Minute})
	s := &sleeps{}
	c := newClient(t, f, testToken, retryPolicy(s, 5))
	ctx := context.Background()
	if err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
	e := asError(t, c.Check(ctx))
	// Retry-After is about a minute, beyond MaxWait: one try, no wait.
	if e.Kind != revoke.KindThrottled || e.Attempts != 1 || e.RetryAfter < 59*time.Second || len(s.got()) != 0 || f.Throttled() != 1 {
		t.Errorf("kind %v attempts %d retryAfter %v waits %v", e.Kind, e.Attempts, e.RetryAfter, s.got())
	}
	f.Inject(fakeexchange.Fault{Status: 504, RetryAfter: "1"})
	c2 := newClient(t, f, testToken, retryPolicy(s, 3))
	e = asError(t, c2.Check(ctx))
	if e.Kind != revoke.KindUnavailable || e.Attempts != 3 {
		t.Errorf("504: kind %v attempts %d", e.Kind, e.Attempts)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	f := newFake(t, fakeexchange.Options{})
	f.Inject(fakeexchange.Fault{Status: 400, Message: "bad request from Bearer " + testToken})
	c := newClient(t, f, testToken, retryPolicy(&sleeps{}, 2))
	_, err := c.Forwarding(context.Background(), alice)
	if e := asError(t, err); !strings.Contains(e.Message, "[token]") {
		t.Errorf("message %q: token not replaced", e.Message)
	}
	closed := fakeexchange.New(fakeexchange.Options{})
	url := closed.URL()
	closed.Close()
	c, err = New(Config{BaseURL: url, Tenant: tenant, Token: testToken, Retry: retryPolicy(&sleeps{}, 2)})
	if err != nil {
		t.Fatal(err)
	}
	e := asError(t, c.Check(context.Background()))
	if e.Kind != revoke.KindNetwork || e.Attempts != 2 {
		t.Errorf("kind %v attempts %d, want KindNetwork retried", e.Kind, e.Attempts)
	}
}

func TestNextLinkElsewhereIsNotFollowed(t *testing.T) {
	var calls int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		_, _ = w.Write([]byte(`{"value":[{"Identity":"a\\1","Enabled":true}],"@odata.nextLink":"https://evil.example/adminapi/beta/` + tenant + `/InvokeCommand?$skiptoken=1"}`))
	}))
	defer ts.Close()
	c, err := New(Config{BaseURL: ts.URL, Tenant: tenant, Token: testToken, Retry: retryPolicy(&sleeps{}, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.InboxRules(context.Background(), alice)
	if e := asError(t, err); !strings.Contains(e.Message, "next-page link") || calls != 1 {
		t.Errorf("%v after %d calls", err, calls)
	}
}

func TestMissingPropertiesAreNotFalse(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"value":[{"Identity":"alice","PopEnabled":true,"ImapEnabled":true,"ActiveSyncEnabled":true,"SmtpClientAuthenticationDisabled":null}]}`))
	}))
	defer ts.Close()
	c, err := New(Config{BaseURL: ts.URL, Tenant: tenant, Token: testToken, Retry: retryPolicy(&sleeps{}, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Protocols(context.Background(), alice)
	if e := asError(t, err); !strings.Contains(e.Message, "lacks EwsEnabled") {
		t.Errorf("%v", err)
	}
}

func TestParseError(t *testing.T) {
	for _, tc := range []struct{ name, body, code, message string }{
		{"NUL bytes", strings.Repeat("\x00", 64), "", ""},
		{"empty", "", "", ""},
		{"html", "<html>nope</html>", "", ""},
		{"internalexception", `{"error":{"code":"BadRequest","message":"Invalid Operation","innererror":{"message":"Invalid Operation","type":"X","internalexception":{"message":"Useful.","type":"A.B"}}}}`, "A.B", "Useful."},
		{"CIPP's casing", `{"error":{"message":"Invalid Operation","innerError":{"internalException":{"message":"Useful.","type":"A.B"}}}}`, "A.B", "Useful."},
		{"details first", `{"error":{"message":"Error executing cmdlet","details":[{"message":"Ex1|Some.Type|Text."}],"innererror":{"internalexception":{"message":"Exception of type 'X' was thrown."}}}}`, "Some.Type", "Text."},
		{"details without an id", `{"error":{"message":"Invalid Operation","details":[{"message":"|Some.Type|Text."}]}}`, "Some.Type", "Text."},
		{"details with a pipe in the text", `{"error":{"message":"Invalid Operation","details":[{"message":"a | b"}]}}`, "", "a | b"},
		{"only generic", `{"error":{"message":"Invalid Operation"}}`, "", "Invalid Operation"},
		{"error.message useful", `{"error":{"code":"NotFound","message":"No permissions were found for the user:bob","innererror":{"message":"No permissions were found for the user:bob"}}}`, "", "No permissions were found for the user:bob"},
	} {
		code, msg := parseError([]byte(tc.body))
		if code != tc.code || msg != tc.message {
			t.Errorf("%s: (%q, %q), want (%q, %q)", tc.name, code, msg, tc.code, tc.message)
		}
	}
}

func TestOtherAnswerShapes(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		kind       revoke.ErrorKind
		ok         bool
	}{
		{"a write's 204", ``, 204, 0, true},
		{"200 without a body", ``, 200, 0, true},
		{"not JSON", `<html>sign in</html>`, 200, revoke.KindOther, false},
		{"a redirect", ``, 302, revoke.KindOther, false},
		{"a 500", `{"error":{"message":"Invalid Operation"}}`, 500, revoke.KindOther, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls int
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if tc.status == 302 {
					w.Header().Set("Location", "https://login.microsoftonline.com/")
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer ts.Close()
			c, err := New(Config{BaseURL: ts.URL, Tenant: tenant, Token: testToken, Retry: retryPolicy(&sleeps{}, 2)})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Check(context.Background())
			if tc.ok {
				if err != nil {
					t.Errorf("%v", err)
				}
				return
			}
			if e := asError(t, err); e.Kind != tc.kind || e.Attempts != 1 || calls != 1 {
				t.Errorf("kind %v attempts %d calls %d", e.Kind, e.Attempts, calls)
			}
		})
	}
}
