package fakeexchange

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestForwardingOverTheWire(t *testing.T) {
	s := newServer(t, Options{})
	s.AddMailbox("bob@contoso.com")
	s.SetForwarding("alice", Forwarding{SmtpAddress: "x@evil.example", DeliverToMailboxAndForward: true})
	_, raw := run(t, s, "Get-Mailbox", map[string]any{"Identity": "alice@contoso.com"})
	v := values(t, raw)[0]
	if v["ForwardingSmtpAddress"] != "smtp:x@evil.example" || v["ForwardingAddress"] != nil || v["DeliverToMailboxAndForward"] != true {
		t.Errorf("read %v", v)
	}
	// An admin's forwarding names a recipient of the tenant.
	if st, raw := run(t, s, "Set-Mailbox", map[string]any{"Identity": "alice", "ForwardingAddress": "bob@contoso.com"}); st != 200 {
		t.Fatalf("%d %s", st, raw)
	}
	if m, _ := s.Mailbox("alice"); m.Forwarding.Address != "bob" || m.Forwarding.SmtpAddress == "" {
		t.Errorf("after ForwardingAddress: %+v", m.Forwarding)
	}
	if st, _ := run(t, s, "Set-Mailbox", map[string]any{"Identity": "alice", "ForwardingAddress": "nobody"}); st != 404 {
		t.Errorf("unknown recipient: %d", st)
	}
	if st, _ := run(t, s, "Set-Mailbox", map[string]any{"Identity": "alice", "ForwardingSmtpAddress": "not an address"}); st != 400 {
		t.Errorf("bad address: %d", st)
	}
	st, raw := run(t, s, "Set-Mailbox", map[string]any{"Identity": "alice",
		"ForwardingSmtpAddress": nil, "ForwardingAddress": nil, "DeliverToMailboxAndForward": false})
	if m, _ := s.Mailbox("alice"); st != 200 || m.Forwarding != (Forwarding{}) {
		t.Errorf("clear: %d %s, left %+v", st, raw, m.Forwarding)
	}
}

func TestProtocolsOverTheWire(t *testing.T) {
	s := newServer(t, Options{})
	_, raw := run(t, s, "Get-CASMailbox", map[string]any{"Identity": "alice"})
	v := values(t, raw)[0]
	if v["PopEnabled"] != true || v["EwsEnabled"] != true || v["SmtpClientAuthenticationDisabled"] != nil {
		t.Errorf("defaults %v: every protocol on, SMTP AUTH blank", v)
	}
	st, raw := run(t, s, "Set-CASMailbox", map[string]any{"Identity": "alice", "PopEnabled": false, "ImapEnabled": false,
		"EwsEnabled": false, "ActiveSyncEnabled": false, "SmtpClientAuthenticationDisabled": true})
	m, _ := s.Mailbox("alice")
	if c := m.CAS; st != 200 || c.PopEnabled || c.ImapEnabled || c.EwsEnabled || c.ActiveSyncEnabled ||
		c.SmtpClientAuthenticationDisabled == nil || !*c.SmtpClientAuthenticationDisabled {
		t.Errorf("off: %d %s %+v", st, raw, c)
	}
	// null puts SMTP AUTH back under the organisation's setting: a 200 that
	// does not turn it off.
	run(t, s, "Set-CASMailbox", map[string]any{"Identity": "alice", "SmtpClientAuthenticationDisabled": nil})
	if m, _ := s.Mailbox("alice"); m.CAS.SmtpClientAuthenticationDisabled != nil {
		t.Errorf("null left %v", *m.CAS.SmtpClientAuthenticationDisabled)
	}
}

func TestInboxRulesHiddenOnlyWhenAsked(t *testing.T) {
	s := newServer(t, Options{})
	visible, _ := s.AddRule("alice", Rule{Name: "fwd", Enabled: true, ForwardTo: []string{"x@evil.example"}})
	hidden, _ := s.AddRule("alice", Rule{Name: "hide", Enabled: true, Hidden: true, DeleteMessage: true})
	list := func(hiddenToo bool) []map[string]any {
		t.Helper()
		st, raw := run(t, s, "Get-InboxRule", map[string]any{"Mailbox": "alice@contoso.com", "IncludeHidden": hiddenToo})
		if st != 200 {
			t.Fatalf("%d %s", st, raw)
		}
		return values(t, raw)
	}
	if got := list(false); len(got) != 1 || got[0]["Identity"] != visible {
		t.Errorf("without IncludeHidden: %v", got)
	}
	got := list(true)
	if len(got) != 2 || got[1]["Identity"] != hidden || got[1]["DeleteMessage"] != true {
		t.Fatalf("with IncludeHidden: %v", got)
	}
	if fwd := got[0]["ForwardTo"].([]any); len(fwd) != 1 || fwd[0] != `"x@evil.example" [SMTP:x@evil.example]` {
		t.Errorf("ForwardTo %v", got[0]["ForwardTo"])
	}
	if got[1]["ForwardTo"] != nil {
		t.Errorf("empty ForwardTo %v, want null", got[1]["ForwardTo"])
	}
	// RuleIdentity is a 64-bit number on the wire: precise only as text.
	var exact struct {
		Value []struct{ RuleIdentity json.Number } `json:"value"`
	}
	_, raw := run(t, s, "Get-InboxRule", map[string]any{"Mailbox": "alice", "IncludeHidden": true})
	if err := json.Unmarshal(raw, &exact); err != nil || !strings.HasSuffix(hidden, `\`+exact.Value[1].RuleIdentity.String()) {
		t.Errorf("RuleIdentity %v in %s", err, raw)
	}
	// A hidden rule is disabled like any other; the Identity as listed works.
	if st, raw := run(t, s, "Disable-InboxRule", map[string]any{"Identity": hidden, "Confirm": false}); st != 200 {
		t.Fatalf("disable: %d %s", st, raw)
	}
	if r := s.Rules("alice"); r[1].Enabled || !r[0].Enabled {
		t.Errorf("after disable: %+v", r)
	}
	id := strings.SplitN(visible, `\`, 2)[1]
	if st, _ := run(t, s, "Disable-InboxRule", map[string]any{"Identity": id}); st != 400 {
		t.Errorf("a bare rule ID without Mailbox: %d, want 400", st)
	}
	if st, _ := run(t, s, "Disable-InboxRule", map[string]any{"Identity": id, "Mailbox": "alice"}); st != 200 {
		t.Errorf("rule ID with Mailbox: %d", st)
	}
	if st, _ := run(t, s, "Disable-InboxRule", map[string]any{"Identity": `alice\1`}); st != 404 {
		t.Errorf("unknown rule: %d", st)
	}
	if st, _ := run(t, s, "Get-InboxRule", map[string]any{"Mailbox": "alice", "Identity": hidden}); st != 404 {
		t.Errorf("one hidden rule without IncludeHidden: %d, want 404", st)
	}
}

func TestEnumValuesArePrefixMatched(t *testing.T) {
	s := newServer(t, Options{})
	s.AddMailbox("shared@contoso.com")
	s.Update("shared", func(m *Mailbox) { m.RecipientTypeDetails = "SharedMailbox" })
	names := func(v any) (int, []string) {
		st, raw := run(t, s, "Get-Mailbox", map[string]any{"RecipientTypeDetails": v})
		if st != 200 {
			return st, []string{string(raw)}
		}
		var out []string
		for _, m := range values(t, raw) {
			out = append(out, m["Alias"].(string))
		}
		return st, out
	}
	if st, got := names("Shared"); st != 200 || strings.Join(got, ",") != "shared" {
		t.Errorf("Shared: %d %v, want the shared mailbox (prefix match)", st, got)
	}
	if st, got := names([]string{"user", "SharedMailbox"}); st != 200 || len(got) != 2 {
		t.Errorf("user,SharedMailbox: %d %v", st, got)
	}
	// "Room" names RoomMailbox only, so a plausible wrong value answers 200
	// with nothing: the hazard NOTES warns of.
	if st, got := names("Room"); st != 200 || len(got) != 0 {
		t.Errorf("Room: %d %v", st, got)
	}
	for _, bad := range []string{"Linked", "Nope"} {
		if st, got := names(bad); st != 400 || !strings.Contains(got[0], "UserMailbox") {
			t.Errorf("%s: %d %v, want 400 listing the members", bad, st, got)
		}
	}
}

func TestListsPageWithNextLink(t *testing.T) {
	s := newServer(t, Options{PageSize: 3})
	for i := range 4 {
		s.AddMailbox("user" + strconv.Itoa(i) + "@contoso.com")
		s.AddRule("alice", Rule{Name: "r" + strconv.Itoa(i)})
	}
	for _, tc := range []struct {
		name, prefer string
		params       map[string]any
		want, pages  int
	}{
		{"Get-Mailbox", "-", nil, 5, 2},
		{"Get-InboxRule", "odata.maxpagesize=2", map[string]any{"Mailbox": "alice"}, 4, 2},
		{"Get-InboxRule", "odata.maxpagesize = 1;odata.continue-on-error", map[string]any{"Mailbox": "alice"}, 4, 4},
	} {
		body := cmd(tc.name, tc.params)
		url, n, pages := "", 0, 0
		for {
			resp, raw := do(t, s, call{url: url, prefer: tc.prefer, body: body})
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", tc.name, resp.StatusCode, raw)
			}
			var b listBody
			_ = json.Unmarshal(raw, &b)
			n, pages = n+len(b.Value), pages+1
			if b.Next == "" {
				break
			}
			if !strings.HasPrefix(b.Next, s.invokeURL()+"?") {
				t.Fatalf("next link %q", b.Next)
			}
			url = b.Next
		}
		if n != tc.want || pages != tc.pages {
			t.Errorf("%s %q: %d values in %d pages, want %d in %d", tc.name, tc.prefer, n, pages, tc.want, tc.pages)
		}
	}
	if resp, _ := do(t, s, call{url: s.invokeURL() + "?$skiptoken=99", body: cmd("Get-Mailbox", nil)}); resp.StatusCode != 400 {
		t.Errorf("bad skip token: %d", resp.StatusCode)
	}
}

func TestThrottleAnswers429WithRetryAfter(t *testing.T) {
	s := newServer(t, Options{Budget: 2, Window: time.Hour})
	get := map[string]any{"Identity": "alice"}
	for i := range 2 {
		if st, _ := run(t, s, "Get-Mailbox", get); st != 200 {
			t.Fatalf("call %d: %d", i, st)
		}
	}
	resp, _ := do(t, s, call{body: cmd("Get-Mailbox", get)})
	ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != 429 || ra < 3590 || ra > 3600 || s.Throttled() != 1 {
		t.Errorf("%d Retry-After %q throttled %d", resp.StatusCode, resp.Header.Get("Retry-After"), s.Throttled())
	}
}

func TestFaults(t *testing.T) {
	s := newServer(t, Options{})
	s.Inject(Fault{Cmdlet: "Set-CASMailbox", NoOp: true, Times: 1})
	s.Inject(Fault{Cmdlet: "get-casmailbox", Status: 503, RetryAfter: "2", Times: 1})
	s.Inject(Fault{Cmdlet: "Get-Mailbox", Status: 403, NUL: true, Times: 1})
	if st, _ := run(t, s, "Set-CASMailbox", map[string]any{"Identity": "alice", "PopEnabled": false}); st != 200 {
		t.Errorf("no-op: %d", st)
	}
	if m, _ := s.Mailbox("alice"); !m.CAS.PopEnabled {
		t.Error("a no-op fault applied the write")
	}
	if resp, _ := do(t, s, call{body: cmd("Get-CASMailbox", map[string]any{"Identity": "alice"})}); resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("503: %d %v", resp.StatusCode, resp.Header)
	}
	if st, raw := run(t, s, "Get-Mailbox", map[string]any{"Identity": "alice"}); st != 403 || !allNUL(raw) {
		t.Errorf("NUL 403: %d", st)
	}
	if st, _ := run(t, s, "Get-CASMailbox", map[string]any{"Identity": "alice"}); st != 200 {
		t.Errorf("after the faults: %d", st)
	}
	if n := s.Calls("get-casmailbox"); n != 2 {
		t.Errorf("Calls = %d, want 2", n)
	}
}

func TestIdentityNamesOneMailbox(t *testing.T) {
	s := newServer(t, Options{})
	s.AddMailbox("alice@fabrikam.com") // the same alias in another domain
	s.Update("alice@contoso.com", func(m *Mailbox) { m.DisplayName = "Alice Example" })
	for _, c := range []struct {
		identity, want string
		status         int
	}{
		{"alice@contoso.com", "alice@contoso.com", 200},
		{"ALICE@FABRIKAM.COM", "alice@fabrikam.com", 200},
		{"alice", "ManagementObjectAmbiguousException", 400},
		{"Alice Example", "ManagementObjectNotFoundException", 404},
	} {
		for _, name := range []string{"Get-Mailbox", "Set-CASMailbox", "Get-InboxRule"} {
			params := map[string]any{"Identity": c.identity}
			if name == "Get-InboxRule" {
				params = map[string]any{"Mailbox": c.identity}
			}
			st, raw := run(t, s, name, params)
			// Only Get-Mailbox answers with the mailbox; every refusal names its exception.
			shows := c.status != 200 || name == "Get-Mailbox"
			if st != c.status || shows && !strings.Contains(string(raw), c.want) {
				t.Errorf("%s %q: %d %s, want %d with %q", name, c.identity, st, raw, c.status, c.want)
			}
		}
	}
	if m, _ := s.Mailbox("alice@fabrikam.com"); !m.CAS.PopEnabled {
		t.Error("a refused call changed a mailbox")
	}
}
