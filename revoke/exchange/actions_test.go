package exchange

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakeexchange"
	"github.com/revokebot/revokebot/revoke"
)

func TestForwardingIsClearedAndReadBack(t *testing.T) {
	f := newFake(t, fakeexchange.Options{})
	f.AddMailbox("bob@contoso.com")
	c := newClient(t, f, testToken, retryPolicy(&sleeps{}, 3))
	ctx := context.Background()

	if got, err := c.Forwarding(ctx, alice); err != nil || got != (revoke.Forwarding{}) {
		t.Fatalf("no forwarding: %+v %v", got, err)
	}
	// Nothing to clear: no write at all.
	if got, err := c.ClearForwarding(ctx, alice); err != nil || got != (revoke.Forwarding{}) || f.Calls("Set-Mailbox") != 0 {
		t.Fatalf("clear of nothing: %+v %v, %d writes", got, err, f.Calls("Set-Mailbox"))
	}
	f.SetForwarding(alice, fakeexchange.Forwarding{SmtpAddress: "x@evil.example", Address: "bob", DeliverToMailboxAndForward: true})
	want := revoke.Forwarding{SMTPAddress: "x@evil.example", Address: "bob", KeepCopy: true}
	if got, err := c.Forwarding(ctx, alice); err != nil || got != want {
		t.Fatalf("read %+v %v, want %+v", got, err, want)
	}
	got, err := c.ClearForwarding(ctx, alice)
	if err != nil || got != want {
		t.Fatalf("clear returned %+v %v, want what was there: %+v", got, err, want)
	}
	if m, _ := f.Mailbox(alice); m.Forwarding != (fakeexchange.Forwarding{}) {
		t.Errorf("left %+v", m.Forwarding)
	}
}

func TestAWriteThatDidNotTakeIsAnError(t *testing.T) {
	f := newFake(t, fakeexchange.Options{})
	f.AddRule(alice, fakeexchange.Rule{Name: "fwd", Enabled: true, Hidden: true, ForwardTo: []string{"x@evil.example"}})
	c := newClient(t, f, testToken, retryPolicy(&sleeps{}, 3))
	ctx := context.Background()
	f.SetForwarding(alice, fakeexchange.Forwarding{SmtpAddress: "x@evil.example"})
	// The service answers 200 and applies nothing: only the read-back shows it.
	for _, write := range []string{"Set-Mailbox", "Set-CASMailbox", "Disable-InboxRule"} {
		f.Inject(fakeexchange.Fault{Cmdlet: write, NoOp: true})
	}

	before, err := c.ClearForwarding(ctx, alice)
	if e := asError(t, err); !errors.Is(err, ErrNotApplied) || e.Kind != revoke.KindOther ||
		!strings.Contains(e.Message, "still forwards to x@evil.example") || before.SMTPAddress != "x@evil.example" {
		t.Errorf("forwarding: %v, before %+v", err, before)
	}
	on, err := c.DisableProtocols(ctx, alice)
	if e := asError(t, err); !errors.Is(err, ErrNotApplied) || !strings.Contains(e.Message, "still on: POP, IMAP") || len(on) != 5 {
		t.Errorf("protocols: %v, on %v", err, on)
	}
	rules, err := c.InboxRules(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DisableRule(ctx, alice, rules[0].ID); !errors.Is(err, ErrNotApplied) {
		t.Errorf("rule: %v", err)
	}
}

func TestProtocolsOffThenExactlyBackOn(t *testing.T) {
	f := newFake(t, fakeexchange.Options{})
	c := newClient(t, f, testToken, retryPolicy(&sleeps{}, 3))
	ctx := context.Background()
	// IMAP already off, SMTP AUTH following the organisation.
	f.Update(alice, func(m *fakeexchange.Mailbox) { m.CAS.ImapEnabled = false })
	p, err := c.Protocols(ctx, alice)
	if want := (revoke.Protocols{POP: true, EWS: true, ActiveSync: true, SMTP: revoke.SMTPDefault}); err != nil || p != want {
		t.Fatalf("read %+v %v, want %+v", p, err, want)
	}
	on, err := c.DisableProtocols(ctx, alice)
	want := []revoke.Protocol{revoke.ProtocolPOP, revoke.ProtocolEWS, revoke.ProtocolActiveSync, revoke.ProtocolSMTPDefault}
	if err != nil || !reflect.DeepEqual(on, want) {
		t.Fatalf("disable: %v %v, want %v", on, err, want)
	}
	m, _ := f.Mailbox(alice)
	if c := m.CAS; c.PopEnabled || c.EwsEnabled || c.ActiveSyncEnabled || c.SmtpClientAuthenticationDisabled == nil || !*c.SmtpClientAuthenticationDisabled {
		t.Fatalf("after disable: %+v", c)
	}
	// All off: nothing to do, no write.
	writes := f.Calls("Set-CASMailbox")
	if on, err := c.DisableProtocols(ctx, alice); err != nil || len(on) != 0 || f.Calls("Set-CASMailbox") != writes {
		t.Errorf("second disable: %v %v", on, err)
	}
	// Release: exactly those back, SMTP AUTH to the organisation's setting
	// (not on), IMAP left off.
	if err := c.EnableProtocols(ctx, alice, on); err != nil {
		t.Fatal(err)
	}
	m, _ = f.Mailbox(alice)
	if c := m.CAS; !c.PopEnabled || c.ImapEnabled || !c.EwsEnabled || !c.ActiveSyncEnabled || c.SmtpClientAuthenticationDisabled != nil {
		t.Errorf("after release: %+v", c)
	}
	// SMTP AUTH that was on by the mailbox's own setting comes back so.
	if err := c.EnableProtocols(ctx, alice, []revoke.Protocol{revoke.ProtocolSMTP}); err != nil {
		t.Fatal(err)
	}
	if p, _ := c.Protocols(ctx, alice); p.SMTP != revoke.SMTPOn {
		t.Errorf("SMTP %v, want on", p.SMTP)
	}
	for _, bad := range [][]revoke.Protocol{{"telnet"}, {revoke.ProtocolSMTP, revoke.ProtocolSMTPDefault}} {
		if e := asError(t, c.EnableProtocols(ctx, alice, bad)); e.Kind != revoke.KindBadRequest {
			t.Errorf("%v: kind %v", bad, e.Kind)
		}
	}
}

func TestInboxRulesMarkHiddenAndDisable(t *testing.T) {
	f := newFake(t, fakeexchange.Options{PageSize: 2}) // lists page
	f.AddRule(alice, fakeexchange.Rule{Name: "news", Enabled: true, MoveToFolder: "RSS Feeds"})
	fwd, _ := f.AddRule(alice, fakeexchange.Rule{Name: "fwd", Enabled: true, ForwardTo: []string{"x@evil.example"}, RedirectTo: []string{"y@evil.example"}})
	hid, _ := f.AddRule(alice, fakeexchange.Rule{Name: ".", Enabled: true, Hidden: true, SoftDeleteMessage: true, ForwardAsAttachmentTo: []string{"z@evil.example"}})
	c := newClient(t, f, testToken, retryPolicy(&sleeps{}, 3))
	ctx := context.Background()

	rules, err := c.InboxRules(ctx, alice)
	if err != nil || len(rules) != 3 {
		t.Fatalf("%d rules, %v", len(rules), err)
	}
	if r := rules[1]; r.ID != fwd || r.Hidden || !r.Enabled || !reflect.DeepEqual(r.ForwardTo, []string{"x@evil.example"}) ||
		!reflect.DeepEqual(r.RedirectTo, []string{"y@evil.example"}) {
		t.Errorf("visible rule %+v", r)
	}
	if r := rules[2]; r.ID != hid || !r.Hidden || !r.PermanentDelete || !r.Suspicious() || r.ForwardAsAttach[0] != "z@evil.example" {
		t.Errorf("hidden rule %+v", r)
	}
	if rules[0].Suspicious() {
		t.Errorf("a moving rule counted as suspicious: %+v", rules[0])
	}
	for _, id := range []string{hid, strings.SplitN(fwd, `\`, 2)[1]} { // as listed, and a bare ID
		if err := c.DisableRule(ctx, alice, id); err != nil {
			t.Fatalf("disable %s: %v", id, err)
		}
	}
	if r := f.Rules(alice); !r[0].Enabled || r[1].Enabled || r[2].Enabled {
		t.Errorf("after: %+v", r)
	}
	e := asError(t, c.DisableRule(ctx, alice, `alice\1`))
	if e.Kind != revoke.KindNotFound || e.Code != "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException" ||
		!strings.HasPrefix(e.Message, "The operation couldn't be performed because object 'alice\\1'") {
		t.Errorf("unknown rule: kind %v code %q message %q", e.Kind, e.Code, e.Message)
	}
}

func TestRecipientAddress(t *testing.T) {
	for in, want := range map[string]string{
		`"Bob" [SMTP:bob@evil.example]`:    "bob@evil.example",
		`"x@y.example" [smtp:x@y.example]`: "x@y.example",
		`"Carol Smith" [EX:/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=carol]`: "Carol Smith",
		`plain@example.com`: "plain@example.com",
	} {
		if got := recipientAddress(in); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}
