package exchange

import (
	"context"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

const (
	opListRules   = "list inbox rules in Exchange"
	opDisableRule = "disable an inbox rule in Exchange"
)

// InboxRules lists a mailbox's inbox rules, hidden ones included and
// marked. The rule objects carry no property that says "hidden" which the
// reference documents, so the rules are listed twice, without and with
// -IncludeHidden, and those only the second lists are the hidden ones. A
// rule's ID is Exchange's Identity, which DisableRule takes. Security
// Reader suffices.
func (c *Client) InboxRules(ctx context.Context, mailbox string) ([]revoke.MailboxRule, error) {
	visible, err := c.listRules(ctx, opListRules, mailbox, map[string]any{"Mailbox": mailbox})
	if err != nil {
		return nil, err
	}
	all, err := c.listRules(ctx, opListRules, mailbox, map[string]any{"Mailbox": mailbox, "IncludeHidden": true})
	if err != nil {
		return nil, err
	}
	shown := make(map[string]bool, len(visible))
	for _, r := range visible {
		shown[r.ID] = true
	}
	for i := range all {
		all[i].Hidden = !shown[all[i].ID]
	}
	return all, nil
}

func (c *Client) listRules(ctx context.Context, op, mailbox string, params map[string]any) ([]revoke.MailboxRule, error) {
	k := call{op: op, cmdlet: "Get-InboxRule", params: params, mailbox: mailbox}
	if err := c.needMailbox(k); err != nil {
		return nil, err
	}
	vals, err := c.invoke(ctx, k)
	if err != nil {
		return nil, err
	}
	out := make([]revoke.MailboxRule, 0, len(vals))
	for _, raw := range vals {
		f, err := c.fieldsOf(k, raw)
		if err != nil {
			return nil, err
		}
		r, ok := toRule(f)
		if !ok {
			return nil, c.shapeError(k, "a rule's Identity or Enabled")
		}
		out = append(out, r)
	}
	return out, nil
}

// toRule reads what matters after a takeover: where a rule sends mail and
// whether it deletes. DeleteMessage moves mail to Deleted Items;
// SoftDeleteMessage goes past it, which Rule calls PermanentDelete.
func toRule(f fields) (revoke.MailboxRule, bool) {
	id, ok1 := f.str("Identity")
	enabled, _, ok2 := f.boolean("Enabled")
	if !ok1 || !ok2 || id == "" {
		return revoke.MailboxRule{}, false
	}
	name, _ := f.str("Name")
	r := revoke.Rule{ID: id, Name: name, Enabled: enabled}
	for _, x := range []struct {
		name string
		dst  *[]string
	}{{"ForwardTo", &r.ForwardTo}, {"RedirectTo", &r.RedirectTo}, {"ForwardAsAttachmentTo", &r.ForwardAsAttach}} {
		list, _ := f.strs(x.name)
		for _, s := range list {
			*x.dst = append(*x.dst, recipientAddress(s))
		}
	}
	r.Delete, _, _ = f.boolean("DeleteMessage")
	r.PermanentDelete, _, _ = f.boolean("SoftDeleteMessage")
	return revoke.MailboxRule{Rule: r}, true
}

// recipientAddress reads the address out of a rule's recipient, which the
// cmdlet words as `"Name" [SMTP:addr]`; a recipient of the tenant may show
// an [EX:…] legacy DN instead, and then its name is kept.
func recipientAddress(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "["); i >= 0 && strings.HasSuffix(s, "]") {
		if kind, addr, ok := strings.Cut(s[i+1:len(s)-1], ":"); ok && strings.EqualFold(kind, "smtp") && addr != "" {
			return addr
		}
		if name := strings.Trim(strings.TrimSpace(s[:i]), `"`); name != "" {
			return name
		}
	}
	return s
}

// DisableRule disables one inbox rule (Disable-InboxRule; hidden rules
// too) and reads it back: still enabled is an error wrapping ErrNotApplied.
// ruleID is the rule's Identity as InboxRules listed it; a bare rule ID or
// name is taken within mailbox. Needs Exchange Administrator.
func (c *Client) DisableRule(ctx context.Context, mailbox, ruleID string) error {
	params := ruleParams(mailbox, ruleID)
	params["Confirm"] = false
	k := call{op: opDisableRule, cmdlet: "Disable-InboxRule", params: params, mailbox: mailbox, write: true}
	if err := c.needMailbox(k); err != nil {
		return err
	}
	if strings.TrimSpace(ruleID) == "" {
		e := c.fail(k, revoke.KindBadRequest, nil)
		e.Message = "no rule given"
		return e
	}
	if _, err := c.invoke(ctx, k); err != nil {
		return err
	}
	read := ruleParams(mailbox, ruleID)
	read["IncludeHidden"] = true
	rules, err := c.listRules(ctx, opDisableRule, mailbox, read)
	if err != nil {
		return err
	}
	if len(rules) != 1 || rules[0].Enabled {
		return c.notApplied(k, "the rule is still enabled")
	}
	return nil
}

// ruleParams names a rule as CIPP does, by its qualified Identity alone
// ("mailbox\id"); an unqualified one needs the mailbox beside it.
func ruleParams(mailbox, ruleID string) map[string]any {
	if strings.Contains(ruleID, `\`) {
		return map[string]any{"Identity": ruleID}
	}
	return map[string]any{"Identity": ruleID, "Mailbox": mailbox}
}
