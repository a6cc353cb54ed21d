package main

import (
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakeexchange"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestForwarding: an attacker's Outlook on the web forwarding is on the
// card, cleared at the click through Exchange's admin endpoint (the real
// client against the wire fake), and the record keeps where it went; the
// Exchange token is in no message or log.
func TestForwarding(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.sb.Exchange.SetForwarding("alice@contoso.com", fakeexchange.Forwarding{SmtpAddress: "loot@evil.example", DeliverToMailboxAndForward: true})
	card := e.request(uRequester, "alice --forwarding")
	e.waitFor("the card to show the forwarding", func(*fakeslack.Server) bool {
		return strings.Contains(blocksOf(e.current(card)), "Mailbox forwarding to clear: forwards to loot@evil.example (keeps a copy)")
	})
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	if m, _ := e.sb.Exchange.Mailbox("alice@contoso.com"); m.Forwarding.SmtpAddress != "" || m.Forwarding.DeliverToMailboxAndForward {
		t.Fatalf("forwarding left: %+v", m.Forwarding)
	}
	e.waitThread(card, "Mailbox forwarding cleared: it forwards to loot@evil.example (keeps a copy).")
	if !strings.Contains(strings.Join(e.auditLines("*outcome*"), "\n"), "loot@evil.example") {
		t.Error("the audit record does not keep what was cleared")
	}
	if all := e.everything() + e.logs.String(); strings.Contains(all, sandboxExchangeToken) {
		t.Fatal("the Exchange token reached a message or a log")
	}
}

// TestForwardingRefused: an app without Exchange's directory role gets the
// missing role in words, on the card and at the click; a 403 of NUL bytes
// and a throttled Exchange are said, not crashed on.
func TestForwardingRefused(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.sb.Exchange.SetDirectoryRole("")
	card := e.request(uRequester, "alice --forwarding")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "failed")
	th := e.waitThread(card, "Clearing mailbox forwarding failed:")
	if !strings.Contains(th, "Exchange Administrator") {
		t.Errorf("the thread does not name the missing role:\n%s", th)
	}

	e.sb.Exchange.SetDirectoryRole(fakeexchange.RoleExchangeAdmin)
	e.sb.Exchange.Inject(fakeexchange.Fault{Cmdlet: "Get-Mailbox", Status: 403, NUL: true, Times: 100})
	card = e.request(uRequester, "alice --forwarding")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "failed")
	e.waitThread(card, "Clearing mailbox forwarding failed:")

	e.sb.Exchange.ClearFaults()
	// Exchange's Retry-After is honoured, four times: 4 s, then it gives up.
	e.sb.Exchange.Inject(fakeexchange.Fault{Cmdlet: "Set-CASMailbox", Status: 429, RetryAfter: "1", Times: 100})
	card = e.request(uRequester, "alice --protocols")
	e.click(uRequester, card, "revoke_confirm")
	e.waitWithin(30*time.Second, "the throttled action's end", func(*fakeslack.Server) bool {
		return strings.Contains(e.thread(card), "Turning off mail protocols failed: Exchange Online kept throttling revokebot (429) and it gave up.")
	})
}

// TestProtocolsAndRelease: the card says which of alice's protocols are on
// (SMTP AUTH off already, by an administrator), the click turns the rest
// off, and the approved release turns exactly those back on, leaving SMTP
// AUTH off.
func TestProtocolsAndRelease(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	off := true
	e.sb.Exchange.SetCAS("alice@contoso.com", fakeexchange.CAS{PopEnabled: true, ImapEnabled: true, EwsEnabled: true,
		ActiveSyncEnabled: true, SmtpClientAuthenticationDisabled: &off})
	card := e.request(uRequester, "alice --protocols")
	e.waitFor("the card to list the protocols", func(*fakeslack.Server) bool {
		return strings.Contains(blocksOf(e.current(card)), "Mail protocols to turn off: POP, IMAP, EWS, ActiveSync.")
	})
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	if m, _ := e.sb.Exchange.Mailbox("alice@contoso.com"); m.CAS.PopEnabled || m.CAS.ImapEnabled || m.CAS.EwsEnabled || m.CAS.ActiveSyncEnabled {
		t.Fatalf("protocols left on: %+v", m.CAS)
	}
	e.waitThread(card, "Turned off POP, IMAP, EWS, ActiveSync; a release turns exactly these back on.")

	rel := e.request(uRequester, "release alice")
	e.waitFor("the release card to name the protocols", func(*fakeslack.Server) bool {
		return strings.Contains(blocksOf(e.current(rel)), "Mail protocols revokebot turned off, to turn back on: POP, IMAP, EWS, ActiveSync.")
	})
	e.click(uApprover, rel, "revoke_approve")
	e.waitAudit(e.requestID(rel), "succeeded")
	m, _ := e.sb.Exchange.Mailbox("alice@contoso.com")
	if !m.CAS.PopEnabled || !m.CAS.ImapEnabled || !m.CAS.EwsEnabled || !m.CAS.ActiveSyncEnabled {
		t.Fatalf("the release left protocols off: %+v", m.CAS)
	}
	if d := m.CAS.SmtpClientAuthenticationDisabled; d == nil || !*d {
		t.Fatalf("the release turned on SMTP AUTH, which revokebot never turned off: %v", d)
	}
	e.waitThread(rel, "Turned POP, IMAP, EWS, ActiveSync back on, as they were before revokebot turned them off.")
}

// TestHiddenRules: with Exchange, --mailbox also finds a hidden rule (made
// over MAPI; neither Outlook nor Graph shows it), marks it hidden on the
// card and in the report, and disables it; a visible one goes through
// Graph as before.
func TestHiddenRules(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.sb.Exchange.AddRule("alice@contoso.com", fakeexchange.Rule{Name: "  ", Enabled: true, Hidden: true, ForwardTo: []string{"cfo-mail@evil.example"}})
	e.sb.Exchange.AddRule("alice@contoso.com", fakeexchange.Rule{Name: "newsletters", Enabled: true, MoveToFolder: "News"})
	card := e.request(uRequester, "alice --mailbox")
	e.waitFor("the card to show the hidden rule", func(*fakeslack.Server) bool {
		b := blocksOf(e.current(card))
		return strings.Contains(b, "Hidden inbox rules to disable (1; Outlook and Graph do not show them)") && strings.Contains(b, "cfo-mail@evil.example")
	})
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	for _, r := range e.sb.Exchange.Rules("alice@contoso.com") {
		if r.Hidden && r.Enabled {
			t.Fatalf("the hidden rule is still on: %+v", r)
		}
		if !r.Hidden && !r.Enabled {
			t.Fatalf("a harmless rule was disabled: %+v", r)
		}
	}
	e.waitThread(card, "Disabled 1 hidden inbox rule", "(hidden; `")
}
