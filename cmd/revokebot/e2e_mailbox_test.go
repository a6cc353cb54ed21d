package main

import (
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakegraph"
)

// TestDisableInboxRules: --mailbox lists the rules that forward, redirect
// or delete mail on the card, counts the others, disables (never deletes)
// the suspicious ones when confirmed, leaves the others alone, reports a
// read-only rule in plain words, and says what Graph cannot see; the
// read-back after the actions flags the rule it could not disable as
// access still there.
func TestDisableInboxRules(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.sb.Graph.AddInboxRules(aliceID,
		fakegraph.InboxRule{ID: "r-fwd", DisplayName: ".", IsEnabled: true, ForwardTo: []string{"drop@evil.example"}, MarkAsRead: true},
		fakegraph.InboxRule{ID: "r-del", DisplayName: "invoice", IsEnabled: true, Delete: true},
		fakegraph.InboxRule{ID: "r-news", DisplayName: "Newsletters", IsEnabled: true, MoveToFolder: "news"},
		fakegraph.InboxRule{ID: "r-ro", DisplayName: "legacy", IsEnabled: true, IsReadOnly: true, RedirectTo: []string{"x@evil.example"}})

	card := e.request(uRequester, "alice --mailbox")
	blocks := e.listed(card)
	for _, want := range []string{"Disable (not delete: evidence stays) inbox rules", "Inbox rules to disable (3; 1 other rule left alone):",
		"“.”: forwards to drop@evil.example", "“invoice”: deletes", "not visible through Graph"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("card lacks %q:\n%s", want, blocks)
		}
	}
	e.click(uRequester, card, "revoke_confirm")
	th := e.waitThread(card, "Disabled 2 inbox rules")
	for _, want := range []string{"Disabling inbox rules partly failed", "“legacy”: redirects to x@evil.example: read-only through Graph",
		"1 other rule left alone", "Exchange admin center"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}
	e.waitThread(card, ":x: *Access is left after the actions:* 1 thing still there",
		":x: *Still there* (disable suspicious inbox rules): 1 rule that forwards, redirects or deletes mail still enabled: “legacy”.")
	state := map[string]bool{}
	for _, r := range e.sb.Graph.InboxRules(aliceID) {
		state[r.ID] = r.IsEnabled
	}
	if len(state) != 4 || state["r-fwd"] || state["r-del"] || !state["r-news"] || !state["r-ro"] {
		t.Fatalf("rules after: %v (all four kept; only the two disabled)", state)
	}
}
