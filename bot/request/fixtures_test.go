package request

import (
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

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
	// payload is directory text built to forge a card: a line break and a
	// second bold "user", bidi and zero-width characters, a broadcast and
	// an emoji code.
	payload = "x\n*Carol*\u202e\u200b<!channel>:white_check_mark:"
	// dana's every name, and every name listed under her, carries it.
	dana = revoke.User{ID: "55555555-5555-4555-8555-555555555555", DisplayName: "Dana " + payload,
		UPN: "dana@contoso.com", UserType: "Member", AccountEnabled: true,
		JobTitle: "CFO\nInbox rules to disable: none (0 other rules left alone).", Department: "_Finance_ https://evil.example"}
	hostileTarget = requestTarget{User: dana, Users: []revoke.User{dana},
		Actions: []revoke.Action{revoke.ActionSessions, revoke.ActionMFA, revoke.ActionConsents, revoke.ActionMailbox},
		Reason:  "INC-43\n*Approved by* <@U0ADMIN> :white_check_mark:",
		Listed: map[string]userListing{dana.ID: {
			Methods: []revoke.Method{{ID: "m1", Type: "microsoftAuthenticator", Label: "Phone " + payload}},
			Grants:  []revoke.Grant{{ID: "g1", ClientID: "c1", ClientName: "Mailer " + payload, Scope: "Mail.Read ~evil.example~"}},
			Rules:   []revoke.Rule{{ID: "r1", Name: payload, Enabled: true, ForwardTo: []string{"x@evil.example\n• *Bob*"}}},
		}}}
	// releaseTarget lets two users back in: one at risk, one revokebot
	// never contained whose risk could not be read.
	releaseTarget = requestTarget{User: alice, Users: []revoke.User{alice, mallory}, Release: true,
		Actions: revoke.ReleaseOrder, Reason: "INC-42 closed <!here>",
		Listed: map[string]userListing{alice.ID: {RiskLevel: "high", RiskState: "confirmedCompromised"},
			mallory.ID: {NeverContained: true, RiskError: "Graph is throttling revokebot (429)"}}}
)

// checkLimits holds a message to Slack's limits: 50 blocks, 3,000
// characters a text, 300 in a confirm dialog.
func checkLimits(t *testing.T, m Message) {
	t.Helper()
	if len(m.Blocks) > 50 {
		t.Errorf("%d blocks", len(m.Blocks))
	}
	confirms := 0
	for _, b := range m.Blocks {
		for _, s := range append([]string{b.Text}, b.Fields...) {
			if n := len([]rune(s)); n > 3000 {
				t.Errorf("a block holds %d characters", n)
			}
		}
		for _, btn := range b.Buttons {
			if btn.Confirm != nil {
				confirms++
				if n := len([]rune(btn.Confirm.Text)); n > 300 {
					t.Errorf("confirm text is %d characters", n)
				}
			}
		}
	}
	if confirms == 0 && m.Blocks[len(m.Blocks)-2].Buttons[0].ActionID == ActionConfirm {
		t.Error("a confirm button without its dialog")
	}
}

// TestCardLimits: the longest names Entra ID allows still make a card Slack
// accepts.
func TestCardLimits(t *testing.T) {
	t.Parallel()
	u := revoke.User{ID: alice.ID, DisplayName: strings.Repeat("&", 256), UPN: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 48) + ".com"}
	checkLimits(t, cardMessage(card{RequestID: "rb-aaaa", Requester: "U01REQ", User: u, State: store.StatePending, ExpiresAt: expires}))
}

// TestContainCardLimits: twenty users with the longest names Entra ID allows
// and twenty long refusals still make a card within Slack's limits.
func TestContainCardLimits(t *testing.T) {
	t.Parallel()
	long := revoke.User{ID: alice.ID, DisplayName: strings.Repeat("&", 256), UPN: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 48) + ".com",
		JobTitle: strings.Repeat("<", 128), Department: strings.Repeat(">", 64)}
	tg := requestTarget{Actions: revoke.Order, Reason: strings.Repeat("&", 500)}
	for range MaxTargets {
		tg.Users = append(tg.Users, long)
		tg.Unresolved = append(tg.Unresolved, strings.Repeat("x", 1500))
	}
	tg.User = long
	for _, approval := range []bool{false, true} {
		checkLimits(t, cardMessage(card{RequestID: "rb-aaaa", Requester: "U01REQ", User: long, NeedsApproval: approval,
			State: store.StatePending, ExpiresAt: expires, Target: tg}))
	}
	tg.Release, tg.Actions, tg.Listed = true, revoke.ReleaseOrder, map[string]userListing{long.ID: {NeverContained: true, RiskError: strings.Repeat("&", 2000)}}
	checkLimits(t, cardMessage(card{RequestID: "rb-aaaa", Requester: "U01REQ", User: long, NeedsApproval: true,
		State: store.StatePending, ExpiresAt: expires, Target: tg}))
}
