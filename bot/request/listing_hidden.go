package request

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

// hiddenLines words, on the card, the hidden inbox rules --mailbox will
// disable: made over MAPI, neither Outlook nor Graph shows them.
func hiddenLines(l userListing) string {
	switch {
	case l.HiddenError != "":
		return "\n:grey_question: Hidden inbox rules could not be listed (" + l.HiddenError + "); they are listed again when the actions run."
	case !l.HiddenRead:
		return ""
	case len(l.Hidden) == 0:
		return "\nHidden inbox rules to disable: none."
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n:warning: Hidden inbox rules to disable (%d; Outlook and Graph do not show them):", len(l.Hidden))
	for _, r := range l.Hidden {
		sb.WriteString("\n• " + ruleWords(r) + " _(hidden)_")
	}
	return sb.String()
}

// hiddenSuspicious are the enabled hidden rules that forward, redirect or
// delete mail.
func hiddenSuspicious(rs []revoke.MailboxRule) []revoke.Rule {
	var out []revoke.Rule
	for _, r := range rs {
		if r.Hidden && r.Enabled && r.Suspicious() {
			out = append(out, r.Rule)
		}
	}
	return out
}

// disableHiddenRules lists the mailbox's rules through Exchange again and
// disables each hidden one that forwards, redirects or deletes mail.
func (b *executor) disableHiddenRules(ctx context.Context, mailbox string, shown userListing) (string, error) {
	rs, err := b.cfg.HiddenRules.InboxRules(ctx, mailbox)
	if err != nil {
		return "", err
	}
	sus := hiddenSuspicious(rs)
	if len(sus) == 0 {
		return "No hidden inbox rule forwards, redirects or deletes mail.", nil
	}
	ids := make([]string, len(shown.Hidden))
	for i, r := range shown.Hidden {
		ids[i] = r.ID
	}
	t := newTally(shown.HiddenRead && !shown.Pending, ids)
	for _, r := range sus {
		if err := b.cfg.HiddenRules.DisableRule(ctx, mailbox, r.ID); err != nil {
			t.fail(ruleWords(r)+" (hidden): "+exchangeWords(err), err)
			continue
		}
		t.ok(r.ID, ruleWords(r)+" (hidden; `"+Escape(r.ID)+"`)")
	}
	return t.words("hidden inbox rule", "Disabled %s (kept, as evidence):", "Could not disable %s:", "")
}

// withHidden adds what the hidden rules' part did to the words of the
// visible rules' part: both are said, and either's failure fails the action.
func withHidden(words string, err error, hidden string, herr error) (string, error) {
	var partial *partialError
	if err != nil && !errors.As(err, &partial) {
		words = "Visible rules: " + describe(err)
	}
	if herr != nil && !errors.As(herr, &partial) {
		hidden = "Hidden rules could not be listed: " + exchangeWords(herr)
	}
	all := strings.TrimSpace(words + "\n" + hidden)
	if err != nil || herr != nil {
		return all, &partialError{words: all, err: errors.Join(err, herr)}
	}
	return all, nil
}

// MailboxRules lists a mailbox's inbox rules hidden ones included, and
// disables one (Exchange's Get-InboxRule -IncludeHidden, Disable-InboxRule).
type MailboxRules interface {
	InboxRules(ctx context.Context, mailbox string) ([]revoke.MailboxRule, error)
	DisableRule(ctx context.Context, mailbox, ruleID string) error
}
