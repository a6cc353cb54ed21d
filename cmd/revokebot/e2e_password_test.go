package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/revokebot/revokebot/internal/fakegraph"
)

// TestResetPassword: --reset-password sets a password nobody sees, to be
// changed at next sign-in; an administrator without the higher role and a
// federated user each get their own words; and the password appears in no
// log line, Slack message, store file, audit export or Graph request log.
func TestResetPassword(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	var mu sync.Mutex
	var set []string
	e.sb.Graph.OnPasswordSet(func(_, password string) {
		mu.Lock()
		defer mu.Unlock()
		set = append(set, password)
	})
	const fedID = "f0000000-0000-4000-8000-00000000fed1"
	e.sb.Graph.AddUser(fakegraph.User{ID: fedID, DisplayName: "Fred Federated", UserPrincipalName: "fred@fabrikam.example",
		MailNickname: "fred", UserType: "Member", AccountEnabled: true, Federated: true})
	e.sb.Graph.AddRoleAssignments(fakegraph.RoleAssignment{RoleDefinitionID: "62e90394-69f5-4237-9190-012177145e10", PrincipalID: obrienID})

	card := e.request(uRequester, "alice fred obrien@contoso.com --reset-password")
	if !strings.Contains(blocksOf(card), "Reset the password to a random one nobody sees") {
		t.Fatalf("card: %s", blocksOf(card))
	}
	e.click(uRequester, card, "revoke_confirm")
	th := e.waitThread(card, "Some actions failed")
	for _, want := range []string{"Password reset to a random one nobody has seen", "self-service password reset or the help desk",
		"federated", "though the app holds `User-PasswordProfile.ReadWrite.All`", "Privileged Authentication Administrator"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}
	if n := e.sb.Graph.PasswordResets(aliceID); n != 1 || !e.sb.Graph.ForceChange(aliceID) {
		t.Fatalf("alice: %d resets, change at next sign-in %v", n, e.sb.Graph.ForceChange(aliceID))
	}
	if n := e.sb.Graph.PasswordResets(fedID) + e.sb.Graph.PasswordResets(obrienID); n != 0 {
		t.Fatalf("%d refused resets took effect", n)
	}
	e.waitAudit(e.requestID(card), "readback")
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(set) != 1 || len(set[0]) < 16 {
		t.Fatalf("passwords set: %d", len(set))
	}
	code, export := e.audit("export")
	if code != 0 {
		t.Fatal(export)
	}
	var where strings.Builder
	where.WriteString(e.logs.String() + e.everything() + export)
	for _, r := range e.sb.Graph.Requests() {
		where.Write(r.Body)
		where.WriteString(r.Path + r.Query.Encode())
	}
	files, _ := filepath.Glob(strings.TrimPrefix(e.sb.Env["REVOKEBOT_STORE"], "sqlite:") + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		where.Write(b)
	}
	if strings.Contains(where.String(), set[0]) {
		t.Fatal("the password is in a log line, a Slack message, the store, the audit export or Graph's request log")
	}
}
