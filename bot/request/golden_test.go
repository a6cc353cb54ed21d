package request_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/revokebot/revokebot/bot/request"
	botslack "github.com/revokebot/revokebot/bot/slack"
	"github.com/revokebot/revokebot/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestCardGolden shows a reviewer the exact messages people will see: each
// golden file is the fallback text followed by the Block Kit JSON.
func TestCardGolden(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]request.Card{
		"pending":   {RequestID: "rb-aaaa", Requester: "U01REQ", User: request.Alice, State: store.StatePending, ExpiresAt: request.Expires},
		"guest":     {RequestID: "rb-bbbb", Requester: "U01REQ", User: request.Mallory, State: store.StatePending, ExpiresAt: request.Expires},
		"protected": {RequestID: "rb-cccc", Requester: "U01REQ", User: request.Alice, NeedsApproval: true, State: store.StatePending, ExpiresAt: request.Expires},
		"succeeded": {RequestID: "rb-aaaa", Requester: "U01REQ", User: request.Alice, State: store.StateSucceeded, DecidedBy: "U01REQ",
			Detail: "Sign-in sessions of alice@contoso.com revoked; Graph accepted it at 2026-11-28 03:05:00 UTC."},
		"cancelled": {RequestID: "rb-aaaa", Requester: "U01REQ", User: request.Alice, State: store.StateCancelled, DecidedBy: "U01APP"},
		"expired":   {RequestID: "rb-aaaa", Requester: "U01REQ", User: request.Alice, State: store.StateExpired, DecidedBy: request.SystemActor},
		"contain": {RequestID: "rb-dddd", Requester: "U01REQ", User: request.Alice, State: store.StatePending, ExpiresAt: request.Expires,
			Target: request.ContainTarget},
		"contain_protected": {RequestID: "rb-eeee", Requester: "U01REQ", User: request.Alice, NeedsApproval: true, State: store.StatePending,
			ExpiresAt: request.Expires, Target: request.ContainTarget},
		"contain_failed": {RequestID: "rb-dddd", Requester: "U01REQ", User: request.Alice, State: store.StateFailed, DecidedBy: "U01REQ",
			Target: request.ContainTarget, Detail: "Some actions failed for 1 of 2 users; the thread says which."},
		"release": {RequestID: "rb-ffff", Requester: "U01REQ", User: request.Alice, NeedsApproval: true, State: store.StatePending,
			ExpiresAt: request.Expires, Target: request.ReleaseTarget},
		"contain_hostile": {RequestID: "rb-gggg", Requester: "U01REQ", User: request.Dana, State: store.StatePending, ExpiresAt: request.Expires,
			Target: request.HostileTarget},
		"release_denied": {RequestID: "rb-ffff", Requester: "U01REQ", User: request.Alice, NeedsApproval: true, State: store.StateDenied,
			DecidedBy: "U01APP", Target: request.ReleaseTarget},
	} {
		m := request.CardMessage(c)
		text, blocks := m.Text, botslack.Blocks(m)
		js, err := json.MarshalIndent(blocks, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got := text + "\n" + string(js) + "\n"
		path := filepath.Join("testdata", "card_"+name+".golden")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./bot/request -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s: card differs from %s; run go test ./bot/request -run TestCardGolden -update and review the diff\n%s", name, path, got)
		}
		if strings.Contains(got, "<!channel>") || strings.Contains(got, "<@U0ADMIN>") {
			t.Errorf("%s: directory text reached Slack unescaped", name)
		}
		pending := c.State == store.StatePending
		if strings.Contains(got, `"action_id"`) != pending {
			t.Errorf("%s: buttons shown=%v, want %v", name, !pending, pending)
		}
	}
}

// TestCardDirectoryTextIsData: names built to forge a card (a line break
// and a second bold user, bidi and zero-width characters, a broadcast, an
// emoji code) each stay on the one line that shows them, shown, not obeyed.
func TestCardDirectoryTextIsData(t *testing.T) {
	t.Parallel()
	m := request.CardMessage(request.Card{RequestID: "rb-gggg", Requester: "U01REQ", User: request.Dana,
		State: store.StatePending, ExpiresAt: request.Expires, Target: request.HostileTarget})
	texts := []string{m.Text}
	for _, b := range m.Blocks {
		texts = append(append(texts, b.Text), b.Fields...)
	}
	const shown = "x ∗Carol∗[U+202E][U+200B]&lt;!channel&gt;∶white_check_mark∶"
	carols := 0
	for _, text := range texts {
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, "Carol") {
				carols++
				if !strings.Contains(line, shown) {
					t.Errorf("a line shows part of a name: %q", line)
				}
			}
			for _, bad := range []string{"\u202e", "\u200b", "<!channel>", "<@U0ADMIN>", ":white_check_mark:", "https://", "evil.example~"} {
				if strings.Contains(line, bad) {
					t.Errorf("%q reached the card: %q", bad, line)
				}
			}
			for _, forged := range []string{"*Carol", "∗Carol", "Inbox rules to disable: none", "*Approved", "∗Approved", "• ∗Bob", "• *Bob"} {
				if strings.HasPrefix(line, forged) {
					t.Errorf("a name drew a line of its own: %q", line)
				}
			}
		}
	}
	// The fallback, the user's line, and the method, app and rule listed.
	if carols != 5 {
		t.Errorf("%d lines show the payload, want 5:\n%s", carols, strings.Join(texts, "\n---\n"))
	}
	if n := strings.Count(strings.Join(texts, "\n"), request.Payload); n != 0 {
		t.Errorf("the payload reached the card %d times as typed", n)
	}
}
