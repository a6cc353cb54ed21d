package request

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// mailboxes is mailboxes' protocols by UPN.
type mailboxes struct {
	mu sync.Mutex
	on map[string][]revoke.Protocol
}

func (m *mailboxes) Protocols(_ context.Context, mailbox string) (revoke.Protocols, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var p revoke.Protocols
	for _, x := range m.on[mailbox] {
		switch x {
		case revoke.ProtocolPOP:
			p.POP = true
		case revoke.ProtocolIMAP:
			p.IMAP = true
		}
	}
	p.SMTP = revoke.SMTPOff
	return p, nil
}

func (m *mailboxes) DisableProtocols(_ context.Context, mailbox string) ([]revoke.Protocol, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	were := m.on[mailbox]
	delete(m.on, mailbox)
	return were, nil
}

func (m *mailboxes) EnableProtocols(_ context.Context, mailbox string, ps []revoke.Protocol) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.on[mailbox] = append(m.on[mailbox], ps...)
	return nil
}

// TestFlowProtocolsAndRelease: the card says which protocols are on, the
// click turns them off and keeps which, signed; the release card names
// them and the release turns exactly those back on. A record of protocols
// changed in the database is not the bot's and is ignored.
func TestFlowProtocolsAndRelease(t *testing.T) {
	t.Parallel()
	mb := &mailboxes{on: map[string][]revoke.Protocol{alice.UPN: {revoke.ProtocolPOP, revoke.ProtocolIMAP}}}
	f := newFlow(t, func(c *Config) {
		c.Protocols = mb
		c.Enabler = enabler{&actor{}}
	})
	f.command(uReq, chInc, "alice --protocols")
	r := f.newest()
	f.deliver()
	if card := f.msg.everything(); !strings.Contains(card, "Mail protocols to turn off: POP, IMAP.") {
		t.Fatalf("card:\n%s", card)
	}
	mb.mu.Lock()
	mb.on[alice.UPN] = append(mb.on[alice.UPN], revoke.ProtocolEWS) // turned on after the card
	mb.mu.Unlock()
	f.click(uReq, ActionConfirm, r)
	if got := f.get(r.ID).State; got != store.StateSucceeded || len(mb.on[alice.UPN]) != 0 {
		t.Fatalf("state %s, protocols on %v", got, mb.on[alice.UPN])
	}
	f.deliver()
	if th := f.msg.text(chInc); !strings.Contains(th, "Turned off POP, IMAP, EWS; a release turns exactly these back on. (EWS came on after the card was posted.)") {
		t.Fatalf("thread:\n%s", th)
	}

	f.command(uReq, chInc, "release alice")
	rel := f.newest()
	f.deliver()
	if card := f.msg.everything(); !strings.Contains(card, "Mail protocols revokebot turned off, to turn back on: POP, IMAP, EWS.") {
		t.Fatalf("release card:\n%s", card)
	}
	f.click(uApp, ActionApprove, rel)
	if got := f.get(rel.ID).State; got != store.StateSucceeded {
		t.Fatalf("release %s", got)
	}
	if on := mb.on[alice.UPN]; !slices.Equal(on, []revoke.Protocol{revoke.ProtocolPOP, revoke.ProtocolIMAP, revoke.ProtocolEWS}) {
		t.Fatalf("after the release %v are on, want exactly POP, IMAP and EWS", on)
	}

	// A record whose list was widened in the database is ignored.
	f.command(uReq, chInc, "alice --protocols")
	r = f.newest()
	f.click(uReq, ActionConfirm, r)
	f.attack(`UPDATE tasks SET state = CAST(replace(CAST(state AS TEXT), '"off":["pop"', '"off":["activesync","pop"') AS BLOB) WHERE kind = 'protocols-off'`)
	got, err := f.w.protocolsToRestore(f.ctx, alice.ID)
	if err != nil || slices.Contains(got, revoke.ProtocolActiveSync) {
		t.Fatalf("protocols to restore %v, %v: a widened record was believed", got, err)
	}
}
