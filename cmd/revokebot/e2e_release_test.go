package main

import (
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestRelease: a user contained with --disable --compromised --mfa
// --mailbox is let back in by /revoke release, after two approvers other
// than the requester approve; sign-in is allowed again, the confirmed
// compromise dismissed, and nothing removed or disabled comes back. A user
// revokebot never contained can be released, and the card says so.
func TestRelease(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(quorumPolicy), withGraphLimits(quickBudget, quickBudget))
	e.sb.Graph.AddAuthMethods(aliceID, fakegraph.AuthMethod{ID: "authr-evil", Type: "microsoftAuthenticator", DisplayName: "Pixel 9"})
	e.sb.Graph.AddInboxRules(aliceID, fakegraph.InboxRule{ID: "r-fwd", DisplayName: ".", IsEnabled: true, ForwardTo: []string{"drop@evil.example"}})
	contain := e.request(uRequester, "alice --disable --compromised --mfa --mailbox")
	e.click(uRequester, contain, "revoke_confirm")
	e.waitAudit(e.requestID(contain), "succeeded")
	if u, _ := e.sb.Graph.User(aliceID); u.AccountEnabled {
		t.Fatal("alice is not blocked after the containment")
	}

	card := e.request(uRequester, `release alice bob@contoso.com --reason "INC-42 closed"`)
	id := e.requestID(card)
	// Identity Protection reads one request a second: the card is posted
	// at once and fills in.
	e.waitFor("the release card filled in", func(*fakeslack.Server) bool {
		return !strings.Contains(blocksOf(e.current(card)), "still being read")
	})
	blocks := blocksOf(e.current(card))
	for _, want := range []string{"Release 2 users", "at risk (level high, confirmedCompromised): it will be dismissed",
		"does not have this user at risk", "no record of containing this user", "2 approvers other than the requester must approve", "INC-42 closed"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("card lacks %q:\n%s", want, blocks)
		}
	}
	if strings.Count(blocks, "no record of containing") != 1 {
		t.Errorf("only bob was never contained:\n%s", blocks)
	}
	e.click(uRequester, card, "revoke_approve")
	e.ephemeral(uRequester, "cannot approve your own request")
	e.click(uApprover, card, "revoke_approve")
	e.ephemeral(uApprover, "1 of 2")
	if u, _ := e.sb.Graph.User(aliceID); u.AccountEnabled {
		t.Fatal("released after one approval of two")
	}
	e.click(uApprover2, e.current(card), "revoke_approve")
	e.waitAudit(id, "succeeded")
	th := e.waitThread(card, "Exchange Online may take 35–40 minutes")
	for _, want := range []string{"Sign-in allowed again", "User risk (level high, confirmedCompromised) dismissed", "nothing to dismiss",
		"SharePoint and Teams about 15", "Nothing removed comes back"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}
	if u, _ := e.sb.Graph.User(aliceID); !u.AccountEnabled {
		t.Error("alice cannot sign in after the release")
	}
	if level, state, _ := e.sb.Graph.Risk(aliceID); level != "none" || state != "dismissed" {
		t.Errorf("alice's risk after the release: %s %s", level, state)
	}
	if ms := e.sb.Graph.AuthMethods(aliceID); len(ms) != 1 || ms[0].Type != "password" {
		t.Errorf("methods came back: %+v", ms)
	}
	if rs := e.sb.Graph.InboxRules(aliceID); len(rs) != 1 || rs[0].IsEnabled {
		t.Errorf("the forwarding rule came back: %+v", rs)
	}
	if len(e.auditLines("*requested*", id, "asked to release 2 users")) != 1 || len(e.auditLines("*outcome*", id, "Sign-in allowed again")) != 2 {
		t.Errorf("the release is not audited:\n%s", strings.Join(e.auditLines(id), "\n"))
	}
}

// selfPolicy names alice's own Slack account, and a second one whose
// e-mail is one of her proxy addresses, among the requesters and
// approvers, as a responder who was herself contained would be.
var selfPolicy = strings.NewReplacer(
	"users: [U0REQ, U0OTHERREQ]", "users: [U0REQ, U0OTHERREQ, U0ALICE]",
	"approvers:\n  users: [U0APPROVER]", "approvers:\n  users: [U0APPROVER, U0AADAMS]").Replace(testPolicy)

// TestReleaseBySelfRefused: alice, contained, cannot ask for her own
// release from her Slack account, nor approve it from another whose e-mail
// is one of her proxy addresses; each is told why, only them, and it is
// audited. Nothing runs until an approver who is not alice approves.
func TestReleaseBySelfRefused(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(selfPolicy))
	e.sb.Slack.AddUser(fakeslack.User{ID: "U0AADAMS", Name: "aadams", Email: "A.Adams@Contoso.com"})
	contain := e.request(uRequester, "alice --disable")
	e.click(uRequester, contain, "revoke_confirm")
	e.waitAudit(e.requestID(contain), "succeeded")

	if ack := e.command("U0ALICE", chIncident, "release alice"); len(ack.Payload) != 0 {
		t.Fatalf("ack %s", ack.Payload)
	}
	e.ephemeral("U0ALICE", "is that of a user this release lets back in")
	e.waitFor("the refusal audited", func(*fakeslack.Server) bool {
		return len(e.auditLines("*refused*", "U0ALICE", "release alice")) == 1
	})

	card := e.request(uRequester, "release alice")
	id := e.requestID(card)
	e.click("U0AADAMS", card, "revoke_approve")
	e.ephemeral("U0AADAMS", "You cannot approve this request: your Slack profile's e-mail address is that of a user this release lets back in")
	e.waitAudit(id, "refused")
	if u, _ := e.sb.Graph.User(aliceID); u.AccountEnabled {
		t.Fatal("alice's own Slack account let her back in")
	}
	e.click(uApprover, card, "revoke_approve")
	e.waitAudit(id, "succeeded")
	if u, _ := e.sb.Graph.User(aliceID); !u.AccountEnabled {
		t.Error("alice cannot sign in after an approver released her")
	}
}
