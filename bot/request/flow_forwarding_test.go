package request

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// forwards is mailboxes' own forwarding by UPN; readErr fails the next read.
type forwards struct {
	mu      sync.Mutex
	by      map[string]revoke.Forwarding
	readErr error
	cleared []string
}

func (f *forwards) Forwarding(_ context.Context, mailbox string) (revoke.Forwarding, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.readErr; err != nil {
		f.readErr = nil
		return revoke.Forwarding{}, err
	}
	return f.by[mailbox], nil
}

func (f *forwards) ClearForwarding(_ context.Context, mailbox string) (revoke.Forwarding, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	was := f.by[mailbox]
	delete(f.by, mailbox)
	if was.Forwards() {
		f.cleared = append(f.cleared, mailbox)
	}
	return was, nil
}

// TestFlowForwarding: the card shows where each mailbox forwards and whether
// a copy stays; the click clears it and the record keeps what was cleared;
// forwarding set after the card is cleared and said to be new; a mailbox
// Exchange refuses is said in words.
func TestFlowForwarding(t *testing.T) {
	t.Parallel()
	fw := &forwards{by: map[string]revoke.Forwarding{alice.UPN: {SMTPAddress: "x@evil.example", KeepCopy: true}}}
	f := newFlow(t, func(c *Config) { c.Forwarding = fw })
	f.command(uReq, chInc, "alice carol --forwarding")
	r := f.newest()
	f.deliver()
	card := f.msg.everything()
	for _, want := range []string{"Mailbox forwarding to clear: forwards to x@evil.example (keeps a copy)", "Mailbox forwarding: none.", "Clear the mailbox's own forwarding"} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}
	fw.mu.Lock()
	fw.by[carol.UPN] = revoke.Forwarding{Address: "Mallory"} // set after the card
	fw.mu.Unlock()
	f.click(uReq, ActionConfirm, r)
	if got := f.get(r.ID).State; got != store.StateSucceeded {
		t.Fatalf("state %s", got)
	}
	if len(fw.cleared) != 2 {
		t.Fatalf("cleared %v, want both mailboxes", fw.cleared)
	}
	f.deliver()
	th := f.msg.text(chInc)
	for _, want := range []string{"Mailbox forwarding cleared: it forwards to x@evil.example (keeps a copy).", "forwards to Mallory. (Set since the card was posted.)"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}
	if ev := f.events(r.ID); !strings.Contains(ev, string(EvOutcome)) {
		t.Errorf("events %s: no outcome records keep what was cleared", ev)
	}

	fw.readErr = &revoke.Error{Kind: revoke.KindForbidden, Op: "read mailbox forwarding", Status: 403}
	f.command(uReq, chInc, "alice --forwarding")
	f.deliver()
	if card := f.msg.everything(); !strings.Contains(card, "Mailbox forwarding could not be read") {
		t.Errorf("card:\n%s", card)
	}
}

// TestExchangeWords: Exchange's failures are said as Exchange's, never as
// Graph's.
func TestExchangeWords(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		want string
	}{
		{&revoke.Error{Kind: revoke.KindNotFound, Op: "read mail forwarding", Status: 404}, "Exchange Online has no mailbox for this user"},
		{&revoke.Error{Kind: revoke.KindThrottled, Op: "clear mail forwarding", Status: 429}, "Exchange Online kept throttling"},
		{&revoke.Error{Kind: revoke.KindUnavailable, Op: "clear mail forwarding", Status: 503}, "Exchange Online was unavailable (HTTP 503)"},
		{&revoke.Error{Kind: revoke.KindOther, Op: "clear mail forwarding", Message: "the change did not take: ForwardingSmtpAddress still set"}, "Exchange Online: the change did not take"},
	} {
		got := exchangeWords(c.err)
		if !strings.Contains(got, c.want) || strings.Contains(got, "Graph") {
			t.Errorf("exchangeWords(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
