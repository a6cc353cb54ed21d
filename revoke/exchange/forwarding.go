package exchange

import (
	"context"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

const (
	opReadForwarding  = "read mail forwarding"
	opClearForwarding = "clear mail forwarding"
)

// Forwarding reads a mailbox's own forwarding (Get-Mailbox): where mail
// goes and whether a copy stays. Security Reader suffices.
func (c *Client) Forwarding(ctx context.Context, mailbox string) (revoke.Forwarding, error) {
	return c.readForwarding(ctx, opReadForwarding, mailbox)
}

func (c *Client) readForwarding(ctx context.Context, op, mailbox string) (revoke.Forwarding, error) {
	k := call{op: op, cmdlet: "Get-Mailbox", params: map[string]any{"Identity": mailbox}, mailbox: mailbox}
	if err := c.needMailbox(k); err != nil {
		return revoke.Forwarding{}, err
	}
	vals, err := c.invoke(ctx, k)
	if err != nil {
		return revoke.Forwarding{}, err
	}
	raw, err := c.one(k, vals)
	if err != nil {
		return revoke.Forwarding{}, err
	}
	f, err := c.fieldsOf(k, raw)
	if err != nil {
		return revoke.Forwarding{}, err
	}
	smtp, ok1 := f.str("ForwardingSmtpAddress")
	addr, ok2 := f.str("ForwardingAddress")
	keep, _, ok3 := f.boolean("DeliverToMailboxAndForward")
	if !ok1 || !ok2 || !ok3 {
		return revoke.Forwarding{}, c.shapeError(k, "ForwardingSmtpAddress, ForwardingAddress or DeliverToMailboxAndForward")
	}
	return revoke.Forwarding{SMTPAddress: withoutProxyType(smtp), Address: addr, KeepCopy: keep}, nil
}

// withoutProxyType drops the "smtp:" Exchange stores the address with.
func withoutProxyType(s string) string {
	if kind, addr, ok := strings.Cut(s, ":"); ok && strings.EqualFold(kind, "smtp") {
		return addr
	}
	return s
}

// ClearForwarding removes a mailbox's forwarding (Set-Mailbox
// -ForwardingSmtpAddress $null -ForwardingAddress $null
// -DeliverToMailboxAndForward $false, as CIPP's Set-CIPPForwarding.ps1
// does), reads it back, and returns what was there before: what the audit
// record keeps. A mailbox that forwards nowhere is left untouched. A
// read-back that still shows forwarding is an error wrapping ErrNotApplied;
// the forwarding found before is returned with it. Needs Exchange
// Administrator.
func (c *Client) ClearForwarding(ctx context.Context, mailbox string) (revoke.Forwarding, error) {
	before, err := c.readForwarding(ctx, opClearForwarding, mailbox)
	if err != nil {
		return revoke.Forwarding{}, err
	}
	if before == (revoke.Forwarding{}) {
		return before, nil
	}
	k := call{op: opClearForwarding, cmdlet: "Set-Mailbox", mailbox: mailbox, write: true, params: map[string]any{
		"Identity": mailbox, "ForwardingSmtpAddress": nil, "ForwardingAddress": nil, "DeliverToMailboxAndForward": false,
	}}
	if _, err := c.invoke(ctx, k); err != nil {
		return before, err
	}
	after, err := c.readForwarding(ctx, opClearForwarding, mailbox)
	if err != nil {
		return before, err
	}
	switch {
	case after.Forwards():
		return before, c.notApplied(k, "the mailbox still "+after.String())
	case after.KeepCopy:
		return before, c.notApplied(k, "DeliverToMailboxAndForward is still $true")
	}
	return before, nil
}
