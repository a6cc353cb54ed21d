package main

import (
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestRemoveAuthMethods: --mfa lists the user's methods on the card before
// anything runs (phones masked), removes every one but the password when
// confirmed, the default one last as Graph requires, and reports a method
// registered between card and click as new since the card.
func TestRemoveAuthMethods(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withGraphLimits(quickBudget, quickBudget))
	e.sb.Graph.AddAuthMethods(aliceID,
		fakegraph.AuthMethod{Type: "phone", PhoneType: "mobile", PhoneNumber: "+1 2065550123", Default: true},
		fakegraph.AuthMethod{ID: "fido-red", Type: "fido2", DisplayName: "Red key", Model: "YubiKey 5 NFC",
			Created: time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)})

	card := e.request(uRequester, "alice --mfa")
	blocks := e.listed(card)
	for _, want := range []string{"Remove every authentication method except the password", "Authentication methods to remove (2; the password stays)",
		"phone: mobile •••••••0123", "FIDO2 security key: Red key (YubiKey 5 NFC), registered 2026-03-04 05:06 UTC"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("card lacks %q:\n%s", want, blocks)
		}
	}
	if strings.Contains(blocks, "2065550123") {
		t.Error("the card shows the whole phone number")
	}
	if n := len(graphWrites(e.sb.Graph)); n != 0 {
		t.Fatalf("%d writes before the click", n)
	}

	// The attacker registers another authenticator while the card waits.
	e.sb.Graph.AddAuthMethods(aliceID, fakegraph.AuthMethod{ID: "authr-evil", Type: "microsoftAuthenticator",
		DisplayName: "Pixel 9", Created: time.Now().UTC()})
	e.click(uRequester, card, "revoke_confirm")
	th := e.waitThread(card, "Removed 3 authentication methods")
	for _, want := range []string{"Microsoft Authenticator: Pixel 9", "new since the card", "phone: mobile •••••••0123"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}
	if strings.Count(th, "new since the card") != 1 {
		t.Errorf("only the authenticator is new:\n%s", th)
	}
	left := e.sb.Graph.AuthMethods(aliceID)
	if len(left) != 1 || left[0].Type != "password" {
		t.Fatalf("left: %+v", left)
	}
	// The audit channel is told apart from the thread, so its line may
	// come after the thread's.
	e.waitFor("the outcome's line in the audit channel", func(*fakeslack.Server) bool {
		return len(e.auditLines("*outcome*", "authr-evil")) > 0
	})
	if lines := e.auditLines("*outcome*", "authr-evil"); len(lines) != 1 {
		t.Errorf("the audit log records the removed authenticator %d times: %v", len(lines), e.auditLines("*outcome*"))
	}
}
