package main

import (
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestRemoveConsents: --consents lists the user's own delegated grants on
// the card (app name, scopes), removes them when confirmed, leaves the
// tenant-wide and other users' grants alone, and the audit log keeps what
// each removed grant was, so it can be restored; a grant made after the
// card is reported as new.
func TestRemoveConsents(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.sb.Graph.AddServicePrincipals(
		fakegraph.ServicePrincipal{ID: "sp-mailer", DisplayName: "Totally Legit Mailer", AppID: "app-mailer"},
		fakegraph.ServicePrincipal{ID: "sp-graph", DisplayName: "Microsoft Graph", AppID: "00000003-0000-0000-c000-000000000000"})
	e.sb.Graph.AddGrants(
		fakegraph.Grant{ID: "g-alice", ClientID: "sp-mailer", ConsentType: "Principal", PrincipalID: aliceID, ResourceID: "sp-graph", Scope: "Mail.ReadWrite offline_access"},
		fakegraph.Grant{ID: "g-bob", ClientID: "sp-mailer", ConsentType: "Principal", PrincipalID: bobID, ResourceID: "sp-graph", Scope: "Mail.Read"},
		fakegraph.Grant{ID: "g-all", ClientID: "sp-mailer", ConsentType: "AllPrincipals", ResourceID: "sp-graph", Scope: "User.Read"})

	card := e.request(uRequester, "alice --consents")
	blocks := e.listed(card)
	for _, want := range []string{"Remove the permissions the user consented to for apps", "App consents to remove (1):",
		"Totally Legit Mailer: Mail\u2024ReadWrite, offline_access"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("card lacks %q:\n%s", want, blocks)
		}
	}
	e.sb.Graph.AddGrants(fakegraph.Grant{ID: "g-late", ClientID: "sp-mailer", ConsentType: "Principal", PrincipalID: aliceID,
		ResourceID: "sp-graph", Scope: "Files.ReadWrite.All"})
	e.click(uRequester, card, "revoke_confirm")
	th := e.waitThread(card, "Removed 2 app consents")
	if strings.Count(th, "new since the card") != 1 || !strings.Contains(th, "`Files.ReadWrite.All` :new: new since the card") {
		t.Errorf("the late grant is the one new:\n%s", th)
	}
	left := map[string]bool{}
	for _, g := range e.sb.Graph.Grants() {
		left[g.ID] = true
	}
	if left["g-alice"] || left["g-late"] || !left["g-bob"] || !left["g-all"] {
		t.Fatalf("grants left: %v", left)
	}
	// The audit channel is told apart from the thread, so its line may
	// come after the thread's.
	e.waitFor("the outcome's line in the audit channel", func(*fakeslack.Server) bool {
		return len(e.auditLines("*outcome*", "g-alice")) > 0
	})
	if lines := e.auditLines("*outcome*", "g-alice", "sp-mailer", "app-mailer", "sp-graph", "Mail.ReadWrite offline_access"); len(lines) != 1 {
		t.Errorf("the audit log does not keep the removed grant whole: %v", e.auditLines("*outcome*"))
	}
}
