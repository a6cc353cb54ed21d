package exchange

import (
	"context"
	"slices"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

const (
	opReadProtocols    = "read mail protocols"
	opDisableProtocols = "turn off mail protocols"
	opEnableProtocols  = "turn mail protocols back on"
)

// The Set-CASMailbox parameter behind each protocol and the values that
// turn it on and off. SMTP AUTH's is inverted (SmtpClientAuthenticationDisabled),
// and "on by the organisation's setting" is $null
// (learn.microsoft.com/powershell/module/exchange/set-casmailbox).
var switches = map[revoke.Protocol]struct {
	param   string
	on, off any
}{
	revoke.ProtocolPOP:         {"PopEnabled", true, false},
	revoke.ProtocolIMAP:        {"ImapEnabled", true, false},
	revoke.ProtocolEWS:         {"EwsEnabled", true, false},
	revoke.ProtocolActiveSync:  {"ActiveSyncEnabled", true, false},
	revoke.ProtocolSMTP:        {"SmtpClientAuthenticationDisabled", false, true},
	revoke.ProtocolSMTPDefault: {"SmtpClientAuthenticationDisabled", nil, true},
}

// Protocols reads which of POP, IMAP, EWS, ActiveSync and SMTP AUTH can
// reach a mailbox (Get-CASMailbox). Security Reader suffices.
func (c *Client) Protocols(ctx context.Context, mailbox string) (revoke.Protocols, error) {
	return c.readProtocols(ctx, opReadProtocols, mailbox)
}

func (c *Client) readProtocols(ctx context.Context, op, mailbox string) (revoke.Protocols, error) {
	k := call{op: op, cmdlet: "Get-CASMailbox", params: map[string]any{"Identity": mailbox}, mailbox: mailbox}
	if err := c.needMailbox(k); err != nil {
		return revoke.Protocols{}, err
	}
	vals, err := c.invoke(ctx, k)
	if err != nil {
		return revoke.Protocols{}, err
	}
	raw, err := c.one(k, vals)
	if err != nil {
		return revoke.Protocols{}, err
	}
	f, err := c.fieldsOf(k, raw)
	if err != nil {
		return revoke.Protocols{}, err
	}
	var p revoke.Protocols
	for _, x := range []struct {
		name string
		dst  *bool
	}{{"PopEnabled", &p.POP}, {"ImapEnabled", &p.IMAP}, {"EwsEnabled", &p.EWS}, {"ActiveSyncEnabled", &p.ActiveSync}} {
		v, null, ok := f.boolean(x.name)
		if !ok || null {
			return revoke.Protocols{}, c.shapeError(k, x.name)
		}
		*x.dst = v
	}
	disabled, null, ok := f.boolean("SmtpClientAuthenticationDisabled")
	switch {
	case !ok:
		return revoke.Protocols{}, c.shapeError(k, "SmtpClientAuthenticationDisabled")
	case null:
		p.SMTP = revoke.SMTPDefault
	case disabled:
		p.SMTP = revoke.SMTPOff
	default:
		p.SMTP = revoke.SMTPOn
	}
	return p, nil
}

// DisableProtocols turns off every protocol that can reach the mailbox
// (Set-CASMailbox), reads them back, and returns those that were on: what
// the audit record keeps and EnableProtocols takes at release. SMTP AUTH is
// turned off explicitly even when it follows the organisation. A read-back
// that still shows one on is an error wrapping ErrNotApplied; the list is
// returned with any error after the write, so a release can still undo.
// Needs Exchange Administrator.
func (c *Client) DisableProtocols(ctx context.Context, mailbox string) ([]revoke.Protocol, error) {
	before, err := c.readProtocols(ctx, opDisableProtocols, mailbox)
	if err != nil {
		return nil, err
	}
	on := before.On()
	if len(on) == 0 {
		return nil, nil
	}
	params := map[string]any{"Identity": mailbox}
	for _, p := range on {
		s := switches[p]
		params[s.param] = s.off
	}
	k := call{op: opDisableProtocols, cmdlet: "Set-CASMailbox", params: params, mailbox: mailbox, write: true}
	if _, err := c.invoke(ctx, k); err != nil {
		return on, err
	}
	after, err := c.readProtocols(ctx, opDisableProtocols, mailbox)
	if err != nil {
		return on, err
	}
	if still := after.On(); len(still) > 0 {
		return on, c.notApplied(k, "still on: "+words(still))
	}
	return on, nil
}

// EnableProtocols turns back on exactly the protocols given (those
// DisableProtocols returned), leaving the others as they are, and reads
// them back. ProtocolSMTPDefault puts SMTP AUTH back under the
// organisation's setting rather than on. Needs Exchange Administrator.
func (c *Client) EnableProtocols(ctx context.Context, mailbox string, ps []revoke.Protocol) error {
	k := call{op: opEnableProtocols, cmdlet: "Set-CASMailbox", mailbox: mailbox, write: true,
		params: map[string]any{"Identity": mailbox}}
	if err := c.needMailbox(k); err != nil {
		return err
	}
	for _, p := range ps {
		s, ok := switches[p]
		if _, dup := k.params[s.param]; !ok || dup {
			e := c.fail(k, revoke.KindBadRequest, nil)
			e.Message = "cannot turn on " + string(p) + " with " + words(ps)
			return e
		}
		k.params[s.param] = s.on
	}
	if len(ps) == 0 {
		return nil
	}
	if _, err := c.invoke(ctx, k); err != nil {
		return err
	}
	after, err := c.readProtocols(ctx, opEnableProtocols, mailbox)
	if err != nil {
		return err
	}
	now := after.On()
	var missing []revoke.Protocol
	for _, p := range ps {
		if !slices.Contains(now, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return c.notApplied(k, "not back on: "+words(missing))
	}
	return nil
}

func words(ps []revoke.Protocol) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ", ")
}
