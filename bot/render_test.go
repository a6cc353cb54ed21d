package bot

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var (
	alice = revoke.User{ID: "11111111-1111-4111-8111-111111111111", DisplayName: "Alice Adams",
		UPN: "alice@contoso.com", UserType: "Member", AccountEnabled: true, JobTitle: "Accountant", Department: "Finance"}
	mallory = revoke.User{ID: "22222222-2222-4222-8222-222222222222", DisplayName: "<!channel> & <@U0ADMIN>",
		UPN: "mallory_evil.com#EXT#@contoso.onmicrosoft.com", UserType: "Guest"}
	expires = time.Date(2026, 11, 28, 3, 14, 0, 0, time.UTC)
	// containTarget names two users, actions beyond sessions, a reason that
	// tries a broadcast, and a target that was not found.
	containTarget = requestTarget{User: alice, Users: []revoke.User{alice, mallory},
		Actions:    []revoke.Action{revoke.ActionDisable, revoke.ActionSessions, revoke.ActionSharePoint},
		Reason:     "phishing INC-42 <!channel>",
		Unresolved: []string{"No Entra ID user matches `bob@contoso.com`."}}
)

// TestCardGolden shows a reviewer the exact messages people will see: each
// golden file is the fallback text followed by the Block Kit JSON.
func TestCardGolden(t *testing.T) {
	for name, c := range map[string]card{
		"pending":   {RequestID: "rb-aaaa", Requester: "U01REQ", User: alice, State: store.StatePending, ExpiresAt: expires},
		"guest":     {RequestID: "rb-bbbb", Requester: "U01REQ", User: mallory, State: store.StatePending, ExpiresAt: expires},
		"protected": {RequestID: "rb-cccc", Requester: "U01REQ", User: alice, NeedsApproval: true, State: store.StatePending, ExpiresAt: expires},
		"succeeded": {RequestID: "rb-aaaa", Requester: "U01REQ", User: alice, State: store.StateSucceeded, DecidedBy: "U01REQ",
			Detail: "Sign-in sessions of alice@contoso.com revoked; Graph accepted it at 2026-11-28 03:05:00 UTC."},
		"cancelled": {RequestID: "rb-aaaa", Requester: "U01REQ", User: alice, State: store.StateCancelled, DecidedBy: "U01APP"},
		"expired":   {RequestID: "rb-aaaa", Requester: "U01REQ", User: alice, State: store.StateExpired, DecidedBy: systemActor},
		"contain": {RequestID: "rb-dddd", Requester: "U01REQ", User: alice, State: store.StatePending, ExpiresAt: expires,
			Target: containTarget},
		"contain_protected": {RequestID: "rb-eeee", Requester: "U01REQ", User: alice, NeedsApproval: true, State: store.StatePending,
			ExpiresAt: expires, Target: containTarget},
		"contain_failed": {RequestID: "rb-dddd", Requester: "U01REQ", User: alice, State: store.StateFailed, DecidedBy: "U01REQ",
			Target: containTarget, Detail: "Some actions failed for 1 of 2 users; the thread says which."},
	} {
		text, blocks := renderCard(c)
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
			t.Fatalf("%v (run go test ./bot -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s: card differs from %s; run go test ./bot -run TestCardGolden -update and review the diff\n%s", name, path, got)
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

// TestCardLimits: the longest names Entra ID allows still make a card Slack
// accepts (a confirm dialog's text holds 300 characters).
func TestCardLimits(t *testing.T) {
	u := revoke.User{ID: alice.ID, DisplayName: strings.Repeat("&", 256), UPN: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 48) + ".com"}
	_, blocks := renderCard(card{RequestID: "rb-aaaa", Requester: "U01REQ", User: u, State: store.StatePending, ExpiresAt: expires})
	js, _ := json.Marshal(blocks)
	var parsed []struct {
		Elements []struct {
			Confirm *struct {
				Text struct{ Text string } `json:"text"`
			} `json:"confirm"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(js, &parsed); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range parsed {
		for _, e := range b.Elements {
			if e.Confirm != nil {
				found = true
				if n := len([]rune(e.Confirm.Text.Text)); n > 300 {
					t.Errorf("confirm text is %d characters", n)
				}
			}
		}
	}
	if !found {
		t.Fatal("no confirm dialog")
	}
}
