package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

const uApprover2, uApprover3 = "U0APPROVER2", "U0APPROVER3"

// quorumPolicy needs two of three approvers.
var quorumPolicy = strings.Replace(testPolicy, "approvers:\n  users: [U0APPROVER]",
	"approvers:\n  users: [U0APPROVER, U0APPROVER2, U0APPROVER3]", 1) + "approvals_required: 2\n"

// TestQuorumTwoOfThree: the requester cannot approve, one approver twice
// counts once, the card shows who approved and how many more are needed,
// and the second approver's click runs it, once.
func TestQuorumTwoOfThree(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(quorumPolicy))
	card := e.request(uRequester, "ceo@contoso.com")
	id := e.requestID(card)
	e.click(uRequester, card, "revoke_approve")
	e.ephemeral(uRequester, "cannot approve your own request")
	e.click(uApprover, card, "revoke_approve")
	e.ephemeral(uApprover, "1 of 2")
	e.waitFor("the card to show one approval", func(*fakeslack.Server) bool {
		return strings.Contains(blocksOf(e.current(card)), "approved by <@"+uApprover+"> (1 of 2), 1 approver more needed")
	})
	e.clickValue(uApprover, card, "revoke_approve", id, true)
	e.ephemeral(uApprover, "already approved")
	if n := e.sb.Graph.Revocations(ceoID); n != 0 {
		t.Fatalf("revoked after one approval of two: %d", n)
	}
	e.click(uApprover2, e.current(card), "revoke_approve")
	e.waitAudit(id, "succeeded")
	if n := e.sb.Graph.Revocations(ceoID); n != 1 {
		t.Fatalf("revoked %d times", n)
	}
	if len(e.auditLines("*approved*", id, "(1 of 2)")) != 1 || len(e.auditLines("*approved*", id, "(2 of 2)")) != 1 {
		t.Errorf("approvals not audited as 1 of 2, 2 of 2:\n%s", strings.Join(e.auditLines(id), "\n"))
	}
}

// TestQuorumDenyAndExpiry: one deny after an approval ends the request;
// the expiry counts from the request, not from the last approval.
func TestQuorumDenyAndExpiry(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(quorumPolicy))
	card := e.request(uRequester, "ceo@contoso.com")
	id := e.requestID(card)
	e.click(uApprover, card, "revoke_approve")
	e.ephemeral(uApprover, "1 of 2")
	e.click(uApprover3, card, "revoke_deny")
	e.waitAudit(id, "denied")
	e.clickValue(uApprover2, card, "revoke_approve", id, true)
	e.ephemeral(uApprover2, "denied")

	card = e.request(uRequester, "ceo@contoso.com")
	id = e.requestID(card)
	e.clock.Advance(29 * time.Minute)
	e.click(uApprover, card, "revoke_approve")
	e.ephemeral(uApprover, "1 of 2")
	e.clock.Advance(2 * time.Minute)
	e.waitAudit(id, "expired")
	e.clickValue(uApprover2, card, "revoke_approve", id, true)
	if n := e.sb.Graph.Revocations(ceoID); n != 0 {
		t.Fatalf("revoked %d times", n)
	}
}

// TestQuorumOnTwoReplicas: two approvals arriving at once on two replicas
// sharing PostgreSQL each count once, and the request runs once.
func TestQuorumOnTwoReplicas(t *testing.T) {
	t.Parallel()
	e, _ := replicas(t, 2, withPolicy(quorumPolicy))
	for range 5 {
		card := e.request(uRequester, "ceo@contoso.com")
		id := e.requestID(card)
		before := e.sb.Graph.Revocations(ceoID)
		var wg sync.WaitGroup
		for _, who := range []string{uApprover, uApprover2, uApprover3} {
			wg.Go(func() { e.clickValue(who, card, "revoke_approve", id, true) })
		}
		wg.Wait()
		e.waitAudit(id, "succeeded")
		time.Sleep(200 * time.Millisecond)
		if n := e.sb.Graph.Revocations(ceoID) - before; n != 1 {
			t.Fatalf("three approvals at once on two replicas ran it %d times", n)
		}
		if got := len(e.auditLines("*approved*", id)); got != 2 {
			t.Errorf("%d approvals recorded, want 2 (the third came after the quorum)", got)
		}
	}
}
