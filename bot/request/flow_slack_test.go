package request

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/revokebot/revokebot/store"
)

// chat is a chat platform's accounts by e-mail and the sessions ended;
// resetErr fails the resets.
type chat struct {
	mu       sync.Mutex
	byEmail  map[string][2]string // e-mail → ID, name
	resets   []string
	resetErr error
}

func (c *chat) UserByEmail(_ context.Context, email string) (string, string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.byEmail[strings.ToLower(email)]
	return u[0], u[1], ok, nil
}

func (c *chat) ResetSessions(_ context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.resetErr != nil {
		return c.resetErr
	}
	c.resets = append(c.resets, id)
	return nil
}

// TestFlowSlack: the card names each user's Slack account, or that none has
// their e-mail; the click ends the sessions of those found, never mentioning
// them; Slack's refusal is said in words.
func TestFlowSlack(t *testing.T) {
	t.Parallel()
	c := &chat{byEmail: map[string][2]string{"alice@contoso.com": {"U0ALICE", "alice *bold*"}}}
	f := newFlow(t, func(cfg *Config) { cfg.ChatSessions = c })
	f.command(uReq, chInc, "alice carol --slack")
	r := f.newest()
	f.deliver()
	card := f.msg.everything()
	for _, want := range []string{"Slack sessions to end: *alice ∗bold∗* (`U0ALICE`)", "no Slack account has the user's e-mail", "End every Slack session"} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}
	f.click(uReq, ActionConfirm, r)
	if got := f.get(r.ID).State; got != store.StateSucceeded {
		t.Fatalf("state %s", got)
	}
	if len(c.resets) != 1 || c.resets[0] != "U0ALICE" {
		t.Fatalf("resets %v, want alice's account once", c.resets)
	}
	f.deliver()
	th := f.msg.text(chInc)
	for _, want := range []string{"Every Slack session of *alice ∗bold∗* (`U0ALICE`) ended", "No Slack account has the user's e-mail (carol@contoso.com)"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}

	// An account that takes the user's e-mail after the card is found, and said so.
	f.command(uReq, chInc, "carol --slack")
	r = f.newest()
	c.mu.Lock()
	c.byEmail["carol@contoso.com"] = [2]string{"U0CAROL", "carol"}
	c.mu.Unlock()
	f.click(uReq, ActionConfirm, r)
	f.deliver()
	th = f.msg.text(chInc)
	for _, want := range []string{"Every Slack session of *carol* (`U0CAROL`) ended", "(The card found no account: this one has had the user's e-mail since.)"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}
	if strings.Contains(f.msg.everything(), "<@U0ALICE>") {
		t.Error("the contained user's Slack account was mentioned")
	}

	c.resetErr = &ChatAdminError{Kind: ChatAdminPrimaryOwner, Code: "cannot_reset_primary_owner"}
	f.command(uReq, chInc, "alice --slack")
	r = f.newest()
	f.click(uReq, ActionConfirm, r)
	f.deliver()
	if th := f.msg.text(chInc); !strings.Contains(th, "Ending Slack sessions failed: Slack lets only the primary owner") {
		t.Errorf("thread:\n%s", th)
	}
}

// TestFlowSlackNotConfigured: without an admin token --slack is refused with
// the reason, and nothing is asked of anyone.
func TestFlowSlackNotConfigured(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.command(uReq, chInc, "alice --slack")
	f.deliver()
	if p := f.msg.private(uReq); !strings.Contains(p, "`SLACK_ADMIN_TOKEN`") {
		t.Fatalf("requester told %q", p)
	}
	if f.revoker.count() != 0 {
		t.Fatal("something ran")
	}
}
