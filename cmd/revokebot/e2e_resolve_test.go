package main

import (
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestTargetForms: every way to name a user resolves to the same account.
func TestTargetForms(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	for _, text := range []string{"alice@contoso.com", "ALICE@contoso.com", "a.adams@contoso.com", "alice", aliceID,
		"<@U0ALICE|alice>", "<mailto:alice@contoso.com|alice@contoso.com>"} {
		card := e.request(uRequester, text)
		if !strings.Contains(blocksOf(card), aliceID) {
			t.Errorf("/revoke %s: card is not about alice: %s", text, card.Blocks)
		}
	}
}

func TestResolutionAnswers(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.command(uRequester, chIncident, "nobody@contoso.com")
	e.ephemeral(uRequester, "No Entra ID user matches `nobody@contoso.com`. Nothing was revoked.")

	e.command(uRequester, chIncident, "sam")
	got := e.ephemeral(uRequester, "matches 2 users")
	for _, want := range []string{"Sam Smith (Sales)", "sam.smith@contoso.com", twin1ID, "Sam Smith (Support)", twin2ID} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("ambiguity reply lacks %q: %s", want, got.Text)
		}
	}

	e.command(uRequester, chIncident, "<@U0NOMAIL>")
	e.ephemeral(uRequester, "has no e-mail address in their Slack profile")
	e.command(uRequester, chIncident, "<@U0GHOST>")
	e.ephemeral(uRequester, "Slack could not tell who <@U0GHOST> is (user_not_found)")
	if n := len(e.roots(chIncident)); n != 0 {
		t.Fatalf("%d cards posted for unresolved targets", n)
	}
}

// TestInjectionIsData: quotes reach Graph doubled inside a literal, so they
// match literally and never add a clause; nothing is revoked by a trick.
func TestInjectionIsData(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "o'brien@contoso.com")
	if !strings.Contains(blocksOf(card), obrienID) {
		t.Fatalf("o'brien not resolved: %s", card.Blocks)
	}
	card = e.request(uRequester, "o'brien")
	if !strings.Contains(blocksOf(card), obrienID) {
		t.Fatalf("alias o'brien not resolved: %s", card.Blocks)
	}
	for _, attack := range []string{"x'or'1'eq'1", "alice'or'mailNickname'ne'x", "'"} {
		e.command(uRequester, chIncident, attack)
		e.ephemeral(uRequester, "No Entra ID user matches")
	}
	for _, r := range e.sb.Graph.Requests() {
		if r.Status == 400 {
			t.Errorf("Graph answered 400 to %s %v: input escaped wrongly", r.Path, r.Query)
		}
		if f := r.Query.Get("$filter"); strings.Contains(f, "x'or") {
			t.Errorf("unescaped quote reached the filter: %s", f)
		}
	}
	if n := len(e.roots(chIncident)); n != 2 {
		t.Fatalf("%d cards, want 2", n)
	}
}

// TestDirectoryTextIsEscaped: a display name built to ping the channel or
// fake a mention is shown, never obeyed.
func TestDirectoryTextIsEscaped(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "eve@contoso.com")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	all := e.everything()
	for _, bad := range []string{"<!channel>", "<https://evil.example", "<@U0APPROVER>"} {
		if strings.Contains(all, bad) {
			t.Errorf("%q reached Slack unescaped", bad)
		}
	}
	if !strings.Contains(blocksOf(card), "&lt;!channel&gt;") {
		t.Errorf("escaped name not shown: %s", card.Blocks)
	}
}

func TestGuestWarning(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, guestUPN)
	if !strings.Contains(blocksOf(card), "B2B guest") || !strings.Contains(blocksOf(card), "Guest") {
		t.Errorf("card lacks the guest warning: %s", card.Blocks)
	}
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	e.waitFor("the guest warning in the result", func(*fakeslack.Server) bool {
		return strings.Contains(e.thread(card), "revocation does not affect the guest")
	})
	if e.sb.Graph.Revocations(guestID) != 1 {
		t.Fatal("guest not revoked")
	}
}
