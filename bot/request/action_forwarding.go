package request

import (
	"context"
	"errors"
	"fmt"

	"github.com/revokebot/revokebot/revoke"
)

// forwardingAction clears the mailbox's own forwarding, which a user (or
// an attacker in their Outlook on the web session) can set and which Graph
// cannot see: only Exchange's admin endpoint reads and clears it.
var forwardingAction = action{
	name:  revoke.ActionForwarding,
	line:  "Clear the mailbox's own forwarding (`ForwardingSmtpAddress`, `ForwardingAddress`), which the user, or an attacker in their Outlook on the web session, can set and Graph cannot see",
	short: "clear mailbox forwarding",
	verb:  "Clearing mailbox forwarding",
	missing: func(c Config) string {
		return missingIf(c.Forwarding == nil, exchangeMissing("Clearing mailbox forwarding (`--forwarding`)"))
	},
	list: func(b *executor, ctx context.Context, u revoke.User) func(*userListing) {
		f, err := b.cfg.Forwarding.Forwarding(ctx, u.UPN)
		return func(l *userListing) {
			if err != nil {
				l.ForwardingError = exchangeWords(err)
				return
			}
			l.Forwarding = &f
		}
	},
	lines: func(l userListing) string {
		switch {
		case l.ForwardingError != "":
			return "\n:grey_question: Mailbox forwarding could not be read (" + l.ForwardingError + "); it is read again when the actions run."
		case l.Forwarding == nil:
			return ""
		case !l.Forwarding.Forwards():
			return "\nMailbox forwarding: none."
		}
		return "\n:warning: Mailbox forwarding to clear: " + forwardingWords(*l.Forwarding) + "."
	},
	run: func(b *executor, ctx context.Context, u revoke.User, shown userListing, _ *userOutcome) (string, error) {
		cleared, err := b.cfg.Forwarding.ClearForwarding(ctx, u.UPN)
		if err != nil {
			return "", err
		}
		if !cleared.Forwards() {
			return "No mailbox forwarding to clear.", nil
		}
		words := "Mailbox forwarding cleared: it " + forwardingWords(cleared) + "."
		if shown.Forwarding != nil && !shown.Forwarding.Forwards() {
			words += " (Set since the card was posted.)"
		}
		return words, nil
	},
	failed: exchangeFailed,
	left: func(c leftCheck) residual {
		switch {
		case c.After.ForwardingError != "":
			return unchecked("the mailbox's forwarding could not be read again (" + c.After.ForwardingError + ").")
		case c.After.Forwarding == nil:
			return unchecked("the mailbox's forwarding was not read again.")
		case c.After.Forwarding.Forwards():
			return stillThere("the mailbox still " + forwardingWords(*c.After.Forwarding) + ".")
		}
		return gone("the mailbox forwards nothing.")
	},
}

// forwardingWords says where a mailbox forwards, its addresses cleaned.
func forwardingWords(f revoke.Forwarding) string {
	f.SMTPAddress, f.Address = clean(f.SMTPAddress, upnMost), clean(f.Address, upnMost)
	return f.String()
}

// exchangeMissing says what a deployment without Exchange lacks for what.
func exchangeMissing(what string) string {
	return what + " needs Exchange Online, which this revokebot is not configured for: its operator must give the app Exchange's app role `Exchange.ManageAsApp` and a directory role (see the README)."
}

// MailboxForwarding reads and clears a mailbox's own forwarding
// (Exchange's Get-Mailbox and Set-Mailbox); clearing reads it back and
// returns what was cleared.
type MailboxForwarding interface {
	Forwarding(ctx context.Context, mailbox string) (revoke.Forwarding, error)
	ClearForwarding(ctx context.Context, mailbox string) (revoke.Forwarding, error)
}

// exchangeFailed words Exchange's refusals, whose client already says which
// grant is missing; "" leaves the general words.
func exchangeFailed(err error) string {
	var e *revoke.Error
	if !errors.As(err, &e) {
		return ""
	}
	switch e.Kind {
	case revoke.KindForbidden, revoke.KindUnauthorized:
		return fmt.Sprintf("%s (HTTP %d). `revokebot check` says which grant is missing.", clean(e.Message, 400), e.Status)
	case revoke.KindThrottled:
		return "Exchange Online kept throttling revokebot (429) and it gave up. Try again in a few minutes."
	case revoke.KindNotFound:
		return "Exchange Online has no mailbox for this user (not found): there is nothing of theirs to change there."
	case revoke.KindUnavailable:
		return fmt.Sprintf("Exchange Online was unavailable (HTTP %d) and revokebot gave up. Try again in a few minutes.", e.Status)
	}
	if e.Message != "" && e.Kind == revoke.KindOther {
		// Exchange's own words, dug out of its answer: a change that did
		// not take when read back, a refused parameter.
		return "Exchange Online: " + clean(e.Message, 400) + "."
	}
	return ""
}

// exchangeWords words any error of Exchange.
func exchangeWords(err error) string {
	if words := exchangeFailed(err); words != "" {
		return words
	}
	return describe(err)
}
