package request

import (
	"context"

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
}

// RuleDisabler lists a user's inbox rules and disables one (never
// deletes: the rule is evidence).
type RuleDisabler interface {
	InboxRules(ctx context.Context, userID string) ([]revoke.Rule, error)
	DisableRule(ctx context.Context, userID, ruleID string) error
}
