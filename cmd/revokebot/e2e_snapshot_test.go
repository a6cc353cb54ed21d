package main

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestEvidenceSnapshot: at the click the bot seals what alice's account
// looked like: the authenticator and the rule the actions then remove and
// disable are in the snapshot; after the actions it adds her sign-ins of the day before and
// seals the whole again, which is attached; `audit snapshot` prints it and
// matches its seal, and exits 1 once the stored document is changed, 2
// for a request without one.
func TestEvidenceSnapshot(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withGraphLimits(quickBudget, quickBudget))
	e.sb.Graph.AddAuthMethods(aliceID, fakegraph.AuthMethod{ID: "authr-evil", Type: "microsoftAuthenticator", DisplayName: "attacker's Pixel"})
	e.sb.Graph.AddSignIn(fakegraph.SignIn{UserID: aliceID, CreatedDateTime: time.Now().Add(-3 * time.Hour), IPAddress: "198.51.100.23", AppDisplayName: "Office 365 Exchange Online"})
	e.sb.Graph.AddInboxRules(aliceID, fakegraph.InboxRule{ID: "r-loot", DisplayName: "..", IsEnabled: true, ForwardTo: []string{"loot@evil.example"}})
	card := e.request(uRequester, "alice --mfa --disable --mailbox")
	e.waitFor("the card's listing", func(*fakeslack.Server) bool {
		c := blocksOf(e.current(card))
		return strings.Contains(c, "attacker's Pixel") && strings.Contains(c, "loot@evil.example")
	})
	id := e.requestID(card)
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(id, "succeeded")
	e.waitThread(card, "completed with their sign-ins")
	if len(e.sb.Graph.AuthMethods(aliceID)) != 1 || e.sb.Graph.InboxRules(aliceID)[0].IsEnabled {
		t.Fatal("the attacker's authenticator was not removed, or the rule not disabled")
	}
	code, out := e.audit("snapshot", id)
	if code != 0 || !strings.Contains(out, "attacker's Pixel") || !strings.Contains(out, `"schema": "revokebot-snapshot/1"`) || !strings.Contains(out, "matches its seal") ||
		!strings.Contains(out, `"logs": "read"`) || !strings.Contains(out, "198.51.100.23") || !strings.Contains(out, "loot@evil.example") {
		t.Fatalf("audit snapshot: exit %d:\n%s", code, out)
	}
	e.waitFor("the complete snapshot attached", func(s *fakeslack.Server) bool {
		for _, f := range s.Files() {
			if f.Name == "snapshot-"+id+".json" && strings.Contains(string(f.Content), "198.51.100.23") {
				return true
			}
		}
		return false
	})
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", strings.TrimPrefix(e.sb.Env["REVOKEBOT_STORE"], "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), `UPDATE tasks SET state = CAST(replace(CAST(state AS TEXT), 'attacker''s Pixel', 'help desk phone') AS BLOB) WHERE id = ?`, "snapshot:"+id); err != nil {
		t.Fatal(err)
	}
	if code, out := e.audit("snapshot", id); code != 1 || !strings.Contains(out, "CHANGED") {
		t.Fatalf("a changed snapshot: exit %d, want 1:\n%s", code, out)
	}
	if code, _ := e.audit("snapshot", "rb-nosuchrequest"); code != 2 {
		t.Fatalf("no snapshot: exit %d, want 2", code)
	}
}

// TestSnapshotSurvivesRestart: revokebot stops while Graph holds the
// snapshot's sign-in read back (429, Retry-After a minute); started again,
// it reads the logs and seals the whole, with the sign-in before the click.
func TestSnapshotSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withGraphLimits(quickBudget, quickBudget))
	e.sb.Graph.AddSignIn(fakegraph.SignIn{UserID: aliceID, CreatedDateTime: time.Now().Add(-3 * time.Hour), IPAddress: "198.51.100.23", AppDisplayName: "OfficeHome"})
	e.sb.Graph.Inject(fakegraph.Fault{Method: "GET", PathSuffix: "/auditLogs/signIns", Status: 429, RetryAfter: "60", Times: 1})
	card := e.request(uRequester, "alice --disable")
	id := e.requestID(card)
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(id, "readback")
	e.waitFor("the snapshot's sign-in read throttled", func(*fakeslack.Server) bool {
		for _, r := range e.sb.Graph.Requests() {
			if r.Status == 429 && strings.HasSuffix(r.Path, "/auditLogs/signIns") {
				return true
			}
		}
		return false
	})
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.thread(card), "completed with their sign-ins") {
		t.Fatal("the snapshot was sealed before the restart: the test proves nothing")
	}
	e.start(nil)
	e.waitThread(card, "completed with their sign-ins")
	if code, out := e.audit("snapshot", id); code != 0 || !strings.Contains(out, "198.51.100.23") || !strings.Contains(out, `"logs": "read"`) {
		t.Fatalf("audit snapshot after the restart: exit %d:\n%s", code, out)
	}
}
