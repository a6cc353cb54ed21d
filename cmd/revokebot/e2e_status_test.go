package main

import (
	"github.com/revokebot/revokebot/internal/fakeslack"
	"strings"
	"testing"
)

// TestStatus: a request's state and audit trail, shown only to a requester
// or approver who asks; anyone else is refused and audited.
func TestStatus(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "eve@contoso.com")
	id := e.requestID(card)
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(id, "succeeded")

	e.command(uApprover, chOther, "status "+strings.ToUpper(id))
	got := e.ephemeral(uApprover, "*Request `"+id+"`* — done")
	for _, want := range []string{"eve@contoso.com", evilID, "Requested by <@" + uRequester + "> in <#" + chIncident + ">",
		"*requested*", "*confirmed*", "*started*", "*succeeded*", "Graph accepted it at"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("status lacks %q:\n%s", want, got.Text)
		}
	}
	if strings.Contains(got.Text, "<!channel>") || !got.Ephemeral || got.User != uApprover {
		t.Errorf("status not private or not escaped: %+v", got)
	}
	if strings.Index(got.Text, "*requested*") > strings.Index(got.Text, "*succeeded*") {
		t.Error("audit trail out of order")
	}

	e.command(uRequester, chIncident, "status rb-nosuchrequest")
	e.ephemeral(uRequester, "knows no request `rb-nosuchrequest`")

	e.command(uStranger, chIncident, "status "+id)
	e.ephemeral(uStranger, "only revokebot's requesters and approvers can look at requests")
	e.waitFor("the refusal audited", func(*fakeslack.Server) bool {
		for _, m := range e.sb.Slack.Messages() {
			if m.Channel == chAudit && strings.Contains(m.Text, "*refused*") && strings.Contains(m.Text, "status") {
				return true
			}
		}
		return false
	})
	for _, m := range e.sb.Slack.Ephemerals(uStranger) {
		if strings.Contains(m.Text, "eve@contoso.com") {
			t.Error("a stranger saw the request")
		}
	}
}
