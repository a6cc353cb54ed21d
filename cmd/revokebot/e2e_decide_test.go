package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

// auditLines are the audit channel's lines that contain all of want.
func (e *env) auditLines(want ...string) []string {
	var out []string
	for _, m := range e.sb.Slack.Messages() {
		if m.Channel != chAudit {
			continue
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(m.Text, w)
		}
		if ok {
			out = append(out, m.Text)
		}
	}
	return out
}

// TestApproveAfterRequesterLeftPolicy: a requester taken off the policy
// while the card waits cannot have it approved; the refusal is audited.
func TestApproveAfterRequesterLeftPolicy(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "ceo@contoso.com")
	id := e.requestID(card)
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	e.start(func(c *botConfig) { c.Policy.Requesters.Users = []string{uOther} })
	e.click(uApprover, card, "revoke_approve")
	e.ephemeral(uApprover, "no longer on revokebot's list of requesters")
	e.waitAudit(id, "refused")
	if n := e.sb.Graph.Revocations(ceoID); n != 0 {
		t.Fatalf("approved for a requester who left the policy: %d revocations", n)
	}
	e.click(uApprover, card, "revoke_deny")
	e.waitAudit(id, "denied")
}

// TestConfirmAfterTargetBecameProtected: an account made protected while
// its card waits cannot be confirmed by the requester alone.
func TestConfirmAfterTargetBecameProtected(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice")
	id := e.requestID(card)
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	e.start(func(c *botConfig) { c.Policy.Protected = append(slices.Clone(c.Policy.Protected), "alice@contoso.com") })
	e.click(uRequester, card, "revoke_confirm")
	e.ephemeral(uRequester, "become protected")
	e.waitAudit(id, "refused")
	if n := e.sb.Graph.Revocations(aliceID); n != 0 {
		t.Fatalf("confirmed a protected account alone: %d revocations", n)
	}
}

// TestLateAndForeignClicksAudited: a click on a finished card and a click
// carrying a request ID into another channel are refusals: audited, and the
// stranger learns nothing about the request.
func TestLateAndForeignClicksAudited(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(strings.Replace(testPolicy, "channels: [C0INCIDENT]", "channels: [C0INCIDENT, C0RANDOM]", 1)))
	card := e.request(uRequester, "alice")
	id := e.requestID(card)
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(id, "succeeded")
	e.command(uRequester, chOther, "bob")
	e.waitFor("a card in the other channel", func(*fakeslack.Server) bool { return len(e.roots(chOther)) == 1 })

	e.clickValue(uStranger, card, "revoke_confirm", id, true)
	got := e.ephemeral(uStranger, "no longer pending")
	if strings.Contains(got.Text, "<@") {
		t.Errorf("a stranger's late click learns who decided: %s", got.Text)
	}
	e.waitFor("the late click in the audit channel", func(*fakeslack.Server) bool {
		return len(e.auditLines("*refused*", id, "<@"+uStranger+">", "that is done")) == 1
	})

	e.clickValue(uStranger, e.roots(chOther)[0], "revoke_approve", id, true)
	e.ephemeral(uStranger, "knows no such request")
	e.waitFor("the foreign click in the audit channel", func(*fakeslack.Server) bool {
		return len(e.auditLines("*refused*", "<@"+uStranger+">", "does not know")) == 1
	})
	if n := e.sb.Graph.Revocations(aliceID); n != 1 {
		t.Fatalf("%d revocations, want 1", n)
	}
	for _, m := range e.sb.Slack.Thread(card.Channel, card.TS) {
		if strings.Contains(m.Text, uStranger) {
			t.Errorf("a late or foreign click reached the thread: %s", m.Text)
		}
	}
}

// TestRevokeAllStartsWhenSlackIsSlow: with chat.update taking a second,
// the sweeper never gets to an approved job before its approving click:
// the job is created in the approval's own write, and the thread says it
// started, never that it resumed after a restart.
func TestRevokeAllStartsWhenSlackIsSlow(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(allPolicy(3000, "1s")))
	bulkTenant(e.sb.Graph, 200)
	card := e.request(uRequester, "all")
	id := e.requestID(card)
	e.sb.Slack.SetLatency(time.Second)
	e.click(uApprover, card, "revoke_approve")
	e.waitWithin(30*time.Second, "the job's end", func(*fakeslack.Server) bool { return strings.Contains(e.thread(card), "Finished in") })
	th := e.thread(card)
	if !strings.Contains(th, "Listing the tenant and revoking") || strings.Contains(th, "Resumed") {
		t.Errorf("a fresh job is not told as started:\n%s", th)
	}
	if lines := e.auditLines("*resumed*", id); len(lines) != 0 {
		t.Errorf("recorded as resumed: %v", lines)
	}
}
