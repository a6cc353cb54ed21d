package request

import (
	"context"
	"fmt"

	"github.com/revokebot/revokebot/revoke"
)

// mailboxAction disables the inbox rules that forward, redirect or delete.
var mailboxAction = action{
	name:  revoke.ActionMailbox,
	line:  "Disable (not delete: evidence stays) inbox rules that forward, redirect or delete mail",
	short: "disable suspicious inbox rules",
	verb:  "Disabling inbox rules",
	missing: func(c Config) string {
		return missingIf(c.Rules == nil, "Disabling inbox rules (`--mailbox`) is not configured in this revokebot.")
	},
	list: func(b *executor, ctx context.Context, u revoke.User) func(*userListing) {
		rs, err := b.cfg.Rules.InboxRules(ctx, u.ID)
		var hidden []revoke.MailboxRule
		var herr error
		if b.cfg.HiddenRules != nil {
			hidden, herr = b.cfg.HiddenRules.InboxRules(ctx, u.UPN)
		}
		return func(l *userListing) {
			if err != nil {
				l.RulesError = describe(err)
			}
			l.Rules, l.OtherRules = suspicious(rs)
			switch {
			case b.cfg.HiddenRules == nil:
			case herr != nil:
				l.HiddenError = exchangeWords(herr)
			default:
				l.HiddenRead, l.Hidden = true, hiddenSuspicious(hidden)
			}
		}
	},
	lines: func(l userListing) string { return ruleLines(l) + hiddenLines(l) },
	run: func(b *executor, ctx context.Context, u revoke.User, shown userListing, _ *userOutcome) (string, error) {
		words, err := b.disableRules(ctx, u.ID, shown)
		if b.cfg.HiddenRules == nil {
			return words, err
		}
		hidden, herr := b.disableHiddenRules(ctx, u.UPN, shown)
		return withHidden(words, err, hidden, herr)
	},
	left: func(c leftCheck) residual {
		rules := append(append([]revoke.Rule{}, c.After.Rules...), c.After.Hidden...)
		before := append(append([]revoke.Rule{}, c.Before.Rules...), c.Before.Hidden...)
		name := func(r revoke.Rule) string { return "“" + cleanName(r.Name) + "”" }
		id := func(r revoke.Rule) string { return r.ID }
		switch {
		case len(rules) > 0:
			return stillThere(fmt.Sprintf("%s still enabled: %s.", plural(len(rules), "rule that forwards, redirects or deletes mail"), leftNames(rules, name, id, before)))
		case c.After.RulesError != "":
			return unchecked("the inbox rules could not be listed again (" + c.After.RulesError + ").")
		case c.After.HiddenError != "":
			return unchecked("the hidden inbox rules could not be listed again (" + c.After.HiddenError + ").")
		}
		if !c.After.HiddenRead {
			return gone(fmt.Sprintf("no enabled rule Graph shows forwards, redirects or deletes mail (%s); hidden rules were not checked, as this revokebot has no Exchange.", c.listedBefore(len(before))))
		}
		return gone(fmt.Sprintf("no enabled rule forwards, redirects or deletes mail (%s).", c.listedBefore(len(before))))
	},
}

// RuleDisabler lists a user's inbox rules and disables one (never
// deletes: the rule is evidence).
type RuleDisabler interface {
	InboxRules(ctx context.Context, userID string) ([]revoke.Rule, error)
	DisableRule(ctx context.Context, userID, ruleID string) error
}
