package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
	"github.com/revokebot/revokebot/store"
)

// TestRevokeConfirmed walks the whole single-user path: card, confirm, Graph,
// thread, card update, audit channel and durable audit log.
func TestRevokeConfirmed(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice@contoso.com")

	for _, want := range []string{"Alice Adams", "alice@contoso.com", aliceID, "Member", "Enabled", "Accountant", "Finance", "<@" + uRequester + ">"} {
		if !strings.Contains(blocksOf(card), want) {
			t.Errorf("card lacks %q: %s", want, card.Blocks)
		}
	}
	buttons := e.sb.Slack.Buttons(card)
	if len(buttons) != 2 || buttons[0].ActionID != "revoke_confirm" || buttons[0].Style != "danger" || !buttons[0].HasConfirm ||
		buttons[1].ActionID != "revoke_cancel" {
		t.Fatalf("buttons %+v", buttons)
	}
	id := e.requestID(card)
	if !strings.Contains(blocksOf(card), id) {
		t.Errorf("card does not show its request ID %s", id)
	}
	if n := e.sb.Graph.TotalRevocations(); n != 0 {
		t.Fatalf("revoked before any click: %d", n)
	}

	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(id, "succeeded")
	if n := e.sb.Graph.Revocations(aliceID); n != 1 {
		t.Fatalf("alice revoked %d times, want 1", n)
	}
	e.waitFor("the card to show the outcome", func(_ *fakeslack.Server) bool {
		c := e.current(card)
		return len(e.sb.Slack.Buttons(c)) == 0 && strings.Contains(blocksOf(c), "revoked")
	})
	e.waitThread(card, "<@"+uRequester+"> confirmed", "Revoking the sign-in sessions of alice@contoso.com", "Graph accepted it at", "Read back from Graph",
		":white_check_mark: Gone (revoke sessions)", "Evidence snapshot of 1 user completed")
	for _, ev := range []string{"requested", "confirmed", "started", "readback"} {
		e.waitAudit(id, ev)
	}

	st := openStore(t, e)
	trail, err := st.AuditTrail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, r := range trail {
		events = append(events, r.Event.Event)
		if r.Actor == "" || r.Time.IsZero() || r.Target != "alice@contoso.com ("+aliceID+")" {
			t.Errorf("incomplete audit record %+v", r)
		}
	}
	if got := strings.Join(events, ","); got != "requested,confirmed,started,snapshot,succeeded,readback,snapshot" {
		t.Errorf("audit trail %s", got)
	}
	if n, err := st.VerifyAudit(context.Background(), nil); err != nil || n.Records < 4 {
		t.Errorf("verify: %d %v", n, err)
	}
	req, _ := st.Request(context.Background(), id)
	if req.State != store.StateSucceeded || req.DecidedBy != uRequester {
		t.Errorf("stored request %+v", req)
	}
}

func openStore(t testing.TB, e *env) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), e.sb.Env["REVOKEBOT_STORE"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestAckDoesNotWaitForGraph: the ack of a slash command arrives while Graph is
// still being retried, long before the card.
func TestAckDoesNotWaitForGraph(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.sb.Graph.Inject(fakegraph.Fault{Method: "GET", Status: 503, RetryAfter: "1", Times: 2})
	ack := e.command(uRequester, chIncident, "alice@contoso.com")
	e.waitFor("the card", func(_ *fakeslack.Server) bool { return len(e.roots(chIncident)) == 1 })
	reqs := e.sb.Graph.Requests()
	last := reqs[len(reqs)-1]
	if !ack.AckedAt.Before(last.At) || last.At.Sub(reqs[0].At) < 2*time.Second {
		t.Fatalf("ack at %v, graph requests from %v to %v", ack.AckedAt, reqs[0].At, last.At)
	}
	if ack.Latency() > time.Second {
		t.Errorf("ack took %v", ack.Latency())
	}
	for _, c := range e.sb.Slack.Calls() {
		if c.At.After(ack.SentAt) && c.At.Before(ack.AckedAt) && c.Method == "chat.postMessage" {
			t.Errorf("a message was posted before the ack: %+v", c)
		}
	}
}

// TestProtectedNeedsAnotherApprover: the two-person rule on a protected account.
func TestProtectedNeedsAnotherApprover(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "ceo@contoso.com")
	buttons := e.sb.Slack.Buttons(card)
	if len(buttons) != 3 || buttons[0].ActionID != "revoke_approve" || buttons[1].ActionID != "revoke_deny" || buttons[2].ActionID != "revoke_cancel" {
		t.Fatalf("protected card buttons %+v", buttons)
	}
	id := e.requestID(card)

	e.click(uRequester, card, "revoke_approve")
	e.ephemeral(uRequester, "cannot approve your own request")
	e.clickValue(uRequester, card, "revoke_confirm", id, true)
	e.ephemeral(uRequester, "needs an approver's decision")
	e.click(uStranger, card, "revoke_approve")
	e.ephemeral(uStranger, "not on revokebot's list of approvers")
	if n := e.sb.Graph.Revocations(ceoID); n != 0 {
		t.Fatalf("revoked without approval")
	}
	e.waitFor("refusals in the thread", func(_ *fakeslack.Server) bool { return strings.Count(e.thread(card), "was refused") == 3 })

	e.click(uApprover, card, "revoke_approve")
	e.waitAudit(id, "succeeded")
	if n := e.sb.Graph.Revocations(ceoID); n != 1 {
		t.Fatalf("ceo revoked %d times", n)
	}
	e.waitThread(card, "<@"+uApprover+"> approved")
	if !strings.Contains(e.thread(card), "<@"+uApprover+"> approved") {
		t.Errorf("thread: %s", e.thread(card))
	}
}

func TestDenyAndCancel(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "ceo@contoso.com")
	e.click(uApprover, card, "revoke_deny")
	e.waitAudit(e.requestID(card), "denied")

	card2 := e.request(uRequester, "bob")
	e.click(uStranger, card2, "revoke_cancel")
	e.ephemeral(uStranger, "or an approver can cancel")
	e.click(uApprover, card2, "revoke_cancel")
	e.waitAudit(e.requestID(card2), "cancelled")
	e.waitFor("both cards without buttons", func(_ *fakeslack.Server) bool {
		return len(e.sb.Slack.Buttons(e.current(card))) == 0 && len(e.sb.Slack.Buttons(e.current(card2))) == 0
	})
	if n := e.sb.Graph.TotalRevocations(); n != 0 {
		t.Fatalf("revoked %d after deny and cancel", n)
	}
}

// TestManyClicksRunOnce: a storm of confirm clicks, duplicate deliveries and
// late clicks on a done request execute it once.
func TestManyClicksRunOnce(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice")
	id := e.requestID(card)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { e.clickValue(uRequester, card, "revoke_confirm", id, true) })
	}
	wg.Wait()
	e.waitAudit(id, "succeeded")
	e.clickValue(uRequester, card, "revoke_confirm", id, true)
	e.ephemeral(uRequester, "has finished. Nothing changed")
	e.clickValue(uRequester, card, "revoke_cancel", id, true)
	time.Sleep(200 * time.Millisecond) // let any wrongly started second run show itself
	if n := e.sb.Graph.Revocations(aliceID); n != 1 {
		t.Fatalf("alice revoked %d times, want exactly 1", n)
	}
	trail, _ := openStore(t, e).AuditTrail(context.Background(), id)
	confirmed := 0
	for _, r := range trail {
		if r.Event.Event == "confirmed" {
			confirmed++
		}
	}
	if confirmed != 1 {
		t.Fatalf("%d confirmed records", confirmed)
	}
}

// TestDuplicateCommandDelivery: Slack redelivering a slash command makes one card.
func TestDuplicateCommandDelivery(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	cmd := fakeslack.SlashCommand{UserID: uRequester, ChannelID: chIncident, Text: "alice", TriggerID: "trigger-dup-1"}
	if _, err := e.sb.Slack.SlashCommand(e.ctx, cmd); err != nil {
		t.Fatal(err)
	}
	cmd.RetryAttempt = 1
	if _, err := e.sb.Slack.SlashCommand(e.ctx, cmd); err != nil {
		t.Fatal(err)
	}
	e.waitFor("a card", func(_ *fakeslack.Server) bool { return len(e.roots(chIncident)) >= 1 })
	time.Sleep(300 * time.Millisecond)
	if n := len(e.roots(chIncident)); n != 1 {
		t.Fatalf("%d cards for one command", n)
	}
}
