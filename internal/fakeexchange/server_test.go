package fakeexchange

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/faketoken"
)

const tenant = "contoso.onmicrosoft.com"

var adminToken = AppToken(ManageAsApp)

func newServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Tenant == "" {
		opts.Tenant = tenant
	}
	if opts.DirectoryRole == "" {
		opts.DirectoryRole = RoleExchangeAdmin
	}
	s := New(opts)
	t.Cleanup(s.Close)
	s.AddMailbox("alice@contoso.com")
	return s
}

// call is one raw request; a zero field sends the usual value, "-" none.
type call struct {
	url, token, anchor, prefer, body string
}

func (s *Server) invokeURL() string { return s.URL() + "/adminapi/beta/" + tenant + "/InvokeCommand" }

func do(t *testing.T, s *Server, c call) (*http.Response, []byte) {
	t.Helper()
	if c.url == "" {
		c.url = s.invokeURL()
	}
	req, err := http.NewRequest(http.MethodPost, c.url, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	set := func(k, v, def string) {
		switch v {
		case "-":
		case "":
			req.Header.Set(k, def)
		default:
			req.Header.Set(k, v)
		}
	}
	set("Authorization", c.token, "Bearer "+adminToken)
	set("X-AnchorMailbox", c.anchor, "UPN:alice@contoso.com")
	if c.prefer != "" && c.prefer != "-" {
		req.Header.Set("Prefer", c.prefer)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

// cmd encodes a CmdletInput body.
func cmd(name string, params map[string]any) string {
	b, _ := json.Marshal(map[string]any{"CmdletInput": map[string]any{"CmdletName": name, "Parameters": params}})
	return string(b)
}

// run invokes a cmdlet with the admin token and returns status and body.
func run(t *testing.T, s *Server, name string, params map[string]any) (int, []byte) {
	t.Helper()
	resp, raw := do(t, s, call{body: cmd(name, params)})
	return resp.StatusCode, raw
}

// values decodes a successful answer's value.
func values(t *testing.T, raw []byte) []map[string]any {
	t.Helper()
	var b struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("not a value body: %s", raw)
	}
	return b.Value
}

// errorOf decodes an error body.
func errorOf(t *testing.T, raw []byte) errBody {
	t.Helper()
	var b errBody
	if err := json.Unmarshal(raw, &b); err != nil || b.Error.Message == "" {
		t.Fatalf("not an error body: %q", raw)
	}
	return b
}

func allNUL(b []byte) bool { return len(b) > 0 && len(bytes.Trim(b, "\x00")) == 0 }

func TestGrantsDecide401Or403(t *testing.T) {
	s := newServer(t, Options{})
	s.SetDirectoryRole("") // the app role alone
	get := cmd("Get-Mailbox", map[string]any{"Identity": "alice@contoso.com"})
	for _, tc := range []struct{ name, token string }{
		{"no token", "-"},
		{"not a JWT", "Bearer abc"},
		{"for Graph", "Bearer " + faketoken.Make(faketoken.Claims{Audience: "https://graph.microsoft.com", Roles: []string{ManageAsApp}})},
		{"a look-alike role", "Bearer " + AppToken("Exchange.ManageAsAppV2")},
	} {
		resp, raw := do(t, s, call{token: tc.token, body: get})
		if resp.StatusCode != 401 || len(raw) != 0 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s: %d %q %v, want 401, empty body, a challenge", tc.name, resp.StatusCode, raw, resp.Header)
		}
	}
	// The app role without a directory role: 403 with a NUL body.
	if resp, raw := do(t, s, call{body: get}); resp.StatusCode != 403 || !allNUL(raw) {
		t.Errorf("app role only: %d %q, want 403 NUL bytes", resp.StatusCode, raw[:min(len(raw), 16)])
	}
	set := map[string]any{"Identity": "alice@contoso.com", "DeliverToMailboxAndForward": false}
	s.SetDirectoryRole(RoleSecurityReader)
	if st, _ := run(t, s, "Get-Mailbox", map[string]any{"Identity": "alice@contoso.com"}); st != 200 {
		t.Errorf("Security Reader reading: %d", st)
	}
	if st, raw := run(t, s, "Set-Mailbox", set); st != 403 || !allNUL(raw) {
		t.Errorf("Security Reader writing: %d, want 403 NUL", st)
	}
	s.SetDirectoryRole(RoleExchangeAdmin)
	if st, raw := run(t, s, "Set-Mailbox", set); st != 200 {
		t.Errorf("Exchange Administrator writing: %d %s", st, raw)
	}
}

func TestUnknownCmdletIsANULForbidden(t *testing.T) {
	s := newServer(t, Options{})
	st, raw := run(t, s, "Remove-Mailbox", map[string]any{"Identity": "alice@contoso.com"})
	if st != 403 || !allNUL(raw) {
		t.Errorf("%d %q, want 403 and NUL bytes", st, raw[:min(len(raw), 16)])
	}
	if _, ok := s.Mailbox("alice@contoso.com"); !ok {
		t.Error("the mailbox went away")
	}
}

func TestRequestShape(t *testing.T) {
	s := newServer(t, Options{})
	get := cmd("Get-Mailbox", map[string]any{"Identity": "alice"})
	if resp, raw := do(t, s, call{anchor: "-", body: get}); resp.StatusCode != 400 || !strings.Contains(string(raw), "X-AnchorMailbox") {
		t.Errorf("no anchor: %d %s", resp.StatusCode, raw)
	}
	if resp, _ := do(t, s, call{url: s.URL() + "/adminapi/beta/fabrikam.onmicrosoft.com/InvokeCommand", body: get}); resp.StatusCode != 404 {
		t.Errorf("another tenant: %d, want 404", resp.StatusCode)
	}
	if resp, raw := do(t, s, call{body: `{"CmdletInput":{}}`}); resp.StatusCode != 400 || errorOf(t, raw).Error.Message != "Invalid Operation" {
		t.Errorf("no cmdlet name: %d %s", resp.StatusCode, raw)
	}
	req, _ := http.NewRequest(http.MethodGet, s.invokeURL(), nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 405 {
		t.Errorf("GET: %v %v", resp, err)
	}
	// Cmdlet and parameter names are case-insensitive, as in PowerShell.
	st, raw := run(t, s, "get-casmailbox", map[string]any{"identity": "ALICE@contoso.com"})
	if st != 200 || len(values(t, raw)) != 1 {
		t.Errorf("lower-case names: %d %s", st, raw)
	}
}

func TestParameterErrorsAreBuried(t *testing.T) {
	s := newServer(t, Options{})
	st, raw := run(t, s, "Set-CASMailbox", map[string]any{"Identity": "alice", "PopEnable": false})
	b := errorOf(t, raw)
	in := b.Error.InnerError
	if st != 400 || b.Error.Message != "Invalid Operation" || in == nil || in.Internal == nil ||
		in.Internal.Type != ambiguousType || !strings.HasPrefix(in.Internal.Message, "Parameter set cannot be resolved") {
		t.Errorf("unknown parameter: %d %s", st, raw)
	}
	for _, v := range []any{"false", "False", nil} {
		st, raw := run(t, s, "Set-CASMailbox", map[string]any{"Identity": "alice", "PopEnabled": v})
		if st != 400 || !strings.Contains(errorOf(t, raw).Error.InnerError.Internal.Message, "PopEnabled") {
			t.Errorf("PopEnabled=%#v: %d %s, want 400 naming the parameter", v, st, raw)
		}
	}
	if m, _ := s.Mailbox("alice"); !m.CAS.PopEnabled {
		t.Error("a refused call changed POP")
	}
	if st, _ := run(t, s, "Set-CASMailbox", map[string]any{"Identity": "alice", "PopEnabled": 0}); st != 200 {
		t.Errorf("PopEnabled=0: %d, want 200 (numbers bind)", st)
	}
	if st, raw := run(t, s, "Set-Mailbox", map[string]any{}); st != 400 || !strings.Contains(string(raw), "missing mandatory parameters: Identity") {
		t.Errorf("no Identity: %d %s", st, raw)
	}
}

func TestNotFoundShape(t *testing.T) {
	s := newServer(t, Options{})
	st, raw := run(t, s, "Get-Mailbox", map[string]any{"Identity": "nobody@contoso.com"})
	b := errorOf(t, raw)
	if st != 404 || b.Error.Code != "NotFound" || len(b.Error.Details) != 1 {
		t.Fatalf("%d %s", st, raw)
	}
	want := "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found"
	if !strings.HasPrefix(b.Error.Details[0].Message, want) {
		t.Errorf("details %q", b.Error.Details[0].Message)
	}
	if m := b.Error.InnerError.Internal.Message; !strings.HasPrefix(m, "Exception of type") {
		t.Errorf("internalexception %q: the not-found answer keeps its text in details", m)
	}
}
