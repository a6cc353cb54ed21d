package main

import (
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestCardShowsRecentChanges: the card shows, from the directory audit log,
// the authenticator an attacker registered on alice two hours ago, from
// their IP, beside the password reset before it, and leaves out a change
// that does not matter; a user with none says so.
func TestCardShowsRecentChanges(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	now := time.Now().UTC()
	target := []fakegraph.AuditTarget{{ID: aliceID, Type: "User", UserPrincipalName: "alice@contoso.com"}}
	e.sb.Graph.AddDirectoryAudits(
		fakegraph.DirectoryAudit{ActivityDisplayName: "Reset user password", Category: "UserManagement", ActivityDateTime: now.Add(-26 * time.Hour),
			InitiatedBy: fakegraph.AuditInitiator{User: &fakegraph.AuditUser{UserPrincipalName: "helpdesk@contoso.com", IPAddress: "10.1.2.3"}}, TargetResources: target},
		fakegraph.DirectoryAudit{ActivityDisplayName: "Update user", Category: "UserManagement", ActivityDateTime: now.Add(-3 * time.Hour),
			InitiatedBy: fakegraph.AuditInitiator{App: &fakegraph.AuditApp{DisplayName: "HR sync"}}, TargetResources: target},
		fakegraph.DirectoryAudit{ActivityDisplayName: "User registered security info", Category: "UserManagement", ActivityDateTime: now.Add(-2 * time.Hour),
			InitiatedBy: fakegraph.AuditInitiator{User: &fakegraph.AuditUser{UserPrincipalName: "alice@contoso.com", IPAddress: "203.0.113.66"}}, TargetResources: target},
	)
	card := e.request(uRequester, "alice")
	var blocks string
	e.waitFor("the card to show the recent changes", func(*fakeslack.Server) bool {
		blocks = blocksOf(e.current(card))
		return strings.Contains(blocks, "Recent security changes (7 days, newest first)")
	})
	at := now.Add(-2 * time.Hour).Format("2006-01-02 15:04 UTC")
	for _, want := range []string{at + ": User registered security info by alice@contoso.com from `203.0.113.66`", "Reset user password by helpdesk@contoso.com from `10.1.2.3`"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("card lacks %q:\n%s", want, blocks)
		}
	}
	if strings.Contains(blocks, "Update user") || strings.Index(blocks, "User registered security info") > strings.Index(blocks, "Reset user password") {
		t.Errorf("the card shows a change that does not matter, or not newest first:\n%s", blocks)
	}
	card = e.request(uRequester, "bob@contoso.com --disable")
	e.waitFor("bob's card to say there are none", func(*fakeslack.Server) bool {
		return strings.Contains(blocksOf(e.current(card)), "Recent security changes: none in 7 days.")
	})
}
