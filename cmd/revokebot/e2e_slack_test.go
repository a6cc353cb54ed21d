package main

import (
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestSlackSessions: with an org admin's token the card names alice's Slack
// account and the click ends its sessions through admin.users.session.reset;
// the token is in no message or log.
func TestSlackSessions(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withSlackAdmin())
	card := e.request(uRequester, "alice --slack")
	e.waitFor("the card to name alice's Slack account", func(_ *fakeslack.Server) bool {
		return strings.Contains(blocksOf(e.current(card)), "Slack sessions to end: *alice* (`U0ALICE`)")
	})
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	if n := len(e.sb.Slack.SessionResets("U0ALICE")); n != 1 {
		t.Fatalf("alice's Slack sessions reset %d times, want 1", n)
	}
	th := e.waitThread(card, "Every Slack session of *alice* (`U0ALICE`) ended")
	if strings.Contains(th, "<@U0ALICE>") {
		t.Error("the contained user's Slack account was mentioned")
	}
	if all := e.everything() + e.logs.String(); strings.Contains(all, slackAdminToken) {
		t.Fatal("the Slack admin token reached a message or a log")
	}
}

// TestSlackSessionsNeedTheToken: without SLACK_ADMIN_TOKEN --slack is
// refused with the reason; on a workspace outside Enterprise Grid the
// click's failure says so.
func TestSlackSessionsNeedTheToken(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.command(uRequester, chIncident, "alice --slack")
	e.ephemeral(uRequester, "`SLACK_ADMIN_TOKEN`")

	g := startEnv(t, withSlack(func(o *fakeslack.Options) {
		o.EnterpriseID, o.Admin.Token = "", slackAdminToken
	}))
	card := g.request(uRequester, "alice --slack")
	g.click(uRequester, card, "revoke_confirm")
	g.waitThread(card, "needs Enterprise Grid, which this workspace is not on")
}
