package request

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// rules is a user's inbox rules; listErr fails the next listing.
type rules struct {
	mu       sync.Mutex
	by       map[string][]revoke.Rule
	listErr  error
	disabled []string
}

func (r *rules) InboxRules(_ context.Context, userID string) ([]revoke.Rule, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.listErr; err != nil {
		r.listErr = nil
		return nil, err
	}
	return r.by[userID], nil
}

func (r *rules) DisableRule(_ context.Context, _, ruleID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.disabled = append(r.disabled, ruleID)
	return nil
}

// TestFlowMailbox: a mailbox that cannot be listed before the card says so;
// at the click only the enabled rules that send mail away or delete it are
// disabled, an already disabled one is left, and the words say what Graph
// cannot see.
func TestFlowMailbox(t *testing.T) {
	t.Parallel()
	rs := &rules{by: map[string][]revoke.Rule{alice.ID: {
		{ID: "a", Name: "<@UAPP> fwd", Enabled: true, ForwardTo: []string{"x@evil.example"}},
		{ID: "b", Name: "old", Enabled: false, Delete: true},
		{ID: "c", Name: "sort", Enabled: true},
	}}, listErr: &revoke.Error{Kind: revoke.KindNotFound, Op: "list inbox rules", Status: 404}}
	f := newFlow(t, func(c *Config) { c.Rules = rs })
	f.command(uReq, chInc, "alice --mailbox")
	r := f.newest()
	f.deliver()
	if card := f.msg.everything(); !strings.Contains(card, "Inbox rules could not be listed") || !strings.Contains(card, "not visible through Graph") {
		t.Fatalf("card:\n%s", card)
	}
	f.click(uReq, ActionConfirm, r)
	if got := f.get(r.ID).State; got != store.StateSucceeded {
		t.Fatalf("state %s", got)
	}
	f.deliver()
	th := f.msg.text(chInc)
	for _, want := range []string{"Disabled 1 inbox rule (kept, as evidence; 2 other rules left alone)", "“&lt;@UAPP&gt; fwd”: forwards to x@evil.example",
		"not visible through Graph"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}
	if strings.Join(rs.disabled, ",") != "a" {
		t.Errorf("disabled %v", rs.disabled)
	}
}

// TestFlowDirectoryTextIsData: a rule, a method and an app named to forge
// lines stay on their own line in the card, the thread and the audit
// channel, shown, not obeyed.
func TestFlowDirectoryTextIsData(t *testing.T) {
	t.Parallel()
	ms := &methods{by: map[string][]revoke.Method{alice.ID: {{ID: "m1", Type: "fido2", Label: "Key " + payload}}}}
	gs := &grants{by: map[string][]revoke.Grant{alice.ID: {{ID: "g1", ClientID: "c1", ClientName: "App " + payload, Scope: "Mail.Read"}}}}
	rs := &rules{by: map[string][]revoke.Rule{alice.ID: {{ID: "r1", Name: payload, Enabled: true, ForwardTo: []string{"x@evil.example"}}}}}
	f := newFlow(t, func(c *Config) { c.Methods, c.Grants, c.Rules = ms, gs, rs })
	f.command(uReq, chInc, "alice --mfa --consents --mailbox")
	r := f.newest()
	f.deliver()
	f.click(uReq, ActionConfirm, r)
	if got := f.get(r.ID).State; got != store.StateSucceeded {
		t.Fatalf("state %s", got)
	}
	f.deliver()
	const shown = "x ∗Carol∗[U+202E][U+200B]&lt;!channel&gt;∶white_check_mark∶"
	all := f.msg.everything()
	if n := strings.Count(all, shown); n < 9 {
		t.Errorf("the names are shown %d times, want each on the card, in the thread and the audit channel:\n%s", n, all)
	}
	for _, line := range strings.Split(all, "\n") {
		if strings.Contains(line, "Carol") && !strings.Contains(line, shown) {
			t.Errorf("a line shows part of a name: %q", line)
		}
		if strings.HasPrefix(line, "*Carol") || strings.ContainsAny(line, "\u202e\u200b") || strings.Contains(line, "<!channel>") {
			t.Errorf("a name was obeyed: %q", line)
		}
	}
}
