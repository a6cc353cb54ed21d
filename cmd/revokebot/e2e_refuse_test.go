package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestRefusedCommands: the wrong person or channel gets a reason only they see,
// the attempt is audited, and nothing else happens.
func TestRefusedCommands(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.command(uStranger, chIncident, "alice")
	got := e.ephemeral(uStranger, "not on revokebot's list of requesters")
	if !got.Ephemeral || got.User != uStranger {
		t.Errorf("refusal not private: %+v", got)
	}
	e.command(uRequester, chOther, "alice")
	e.ephemeral(uRequester, "not accepted in this channel")
	e.waitFor("two refusals in the audit channel", func(s *fakeslack.Server) bool {
		n := 0
		for _, m := range s.Messages() {
			if m.Channel == chAudit && strings.Contains(m.Text, "*refused*") {
				n++
			}
		}
		return n == 2
	})
	if n := len(e.sb.Graph.Requests()); n != 0 {
		t.Errorf("refused commands reached Graph %d times", n)
	}
	if n := len(e.roots(chIncident)) + len(e.roots(chOther)); n != 0 {
		t.Errorf("refused commands posted %d cards", n)
	}
}

// TestGroupMembershipIsCachedAtMostAMinute: requesters by user group, with
// membership from usergroups.users.list cached no longer than 60 s.
func TestGroupMembershipIsCachedAtMostAMinute(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.request(uGroupie, "alice")
	calls := func() int {
		n := 0
		for _, c := range e.sb.Slack.Calls() {
			if c.Method == "usergroups.users.list" {
				n++
			}
		}
		return n
	}
	if calls() != 1 {
		t.Fatalf("usergroups.users.list called %d times", calls())
	}
	e.sb.Slack.SetGroup(gResponder, nil) // removed from the responders group
	e.clock.Advance(30 * time.Second)
	e.request(uGroupie, "bob") // still cached
	if calls() != 1 {
		t.Fatalf("cache not used: %d calls", calls())
	}
	e.clock.Advance(31 * time.Second)
	e.command(uGroupie, chIncident, "alice")
	e.ephemeral(uGroupie, "not on revokebot's list of requesters")
	if calls() != 2 {
		t.Fatalf("membership not refreshed after 60 s: %d calls", calls())
	}
}

// TestWrongClicker: someone other than the requester confirming is refused,
// audited, visible in the thread, and the card still works.
func TestWrongClicker(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice")
	id := e.requestID(card)
	e.click(uOther, card, "revoke_confirm")
	e.ephemeral(uOther, "only the person who asked for it can confirm")
	e.waitAudit(id, "refused")
	e.waitFor("the refusal in the thread", func(*fakeslack.Server) bool { return strings.Contains(e.thread(card), "was refused") })
	// The refusal notifies nobody but the person refused.
	for _, m := range e.sb.Slack.Thread(card.Channel, card.TS) {
		if strings.Contains(m.Text, "was refused") && strings.Contains(m.Text, "<@"+uRequester+">") {
			t.Errorf("a refusal in the thread mentions the requester: %s", m.Text)
		}
	}
	if e.sb.Graph.TotalRevocations() != 0 || len(e.sb.Slack.Buttons(e.current(card))) != 2 {
		t.Fatal("a refused click changed something")
	}
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(id, "succeeded")
}

// TestUnknownRequestClick: a forged or foreign request ID changes nothing.
func TestUnknownRequestClick(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice")
	e.clickValue(uRequester, card, "revoke_confirm", "rb-doesnotexist", true)
	e.ephemeral(uRequester, "knows no such request")
	if e.sb.Graph.TotalRevocations() != 0 {
		t.Fatal("revoked on a forged ID")
	}
}

func TestHelpAndMistakesAnsweredInAck(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	// At start the bot loads the policy's user groups once; after that, an
	// answer needing no lookup calls nothing.
	e.waitFor("the groups loaded at start", func(s *fakeslack.Server) bool {
		for _, c := range s.Calls() {
			if c.Method == "usergroups.users.list" {
				return true
			}
		}
		return false
	})
	before := len(e.sb.Slack.Calls())
	for text, want := range map[string]string{
		"":                   "revokes every sign-in session",
		"help":               "by mail alias",
		"<!channel>":         "is not a user",
		"alice --frobnicate": "is not an option",
	} {
		ack := e.command(uStranger, chIncident, text)
		var reply struct {
			ResponseType string `json:"response_type"`
			Text         string `json:"text"`
		}
		if err := json.Unmarshal(ack.Payload, &reply); err != nil {
			t.Fatalf("/revoke %q: ack payload %s: %v", text, ack.Payload, err)
		}
		if !strings.Contains(reply.Text, want) || reply.ResponseType != "ephemeral" {
			t.Errorf("/revoke %q: ack payload %+v, want %q", text, reply, want)
		}
		if strings.Contains(reply.Text, "<!channel>") {
			t.Errorf("/revoke %q: ack echoes <!channel> unescaped: %s", text, reply.Text)
		}
	}
	for _, c := range e.sb.Slack.Calls()[before:] {
		t.Errorf("an answer needing no lookup called %s", c.Method)
	}
}
