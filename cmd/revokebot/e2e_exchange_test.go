package main

import (
	"strings"
	"testing"

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
}
