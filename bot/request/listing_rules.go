package request

import (
	"context"
	"fmt"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

// adminForwarding is what Graph cannot show, said wherever --mailbox reports.
const adminForwarding = "The mailbox's own forwarding (forwardingSmtpAddress), which the user can set in Outlook on the web, is not visible through Graph: `--forwarding` clears it through Exchange, or check it in the Exchange admin center."

// forwardingRead reports whether the request's --forwarding read the
// mailbox's own forwarding, which Graph cannot see: then --mailbox need not
// say so.
func forwardingRead(l userListing) bool { return l.Forwarding != nil || l.ForwardingError != "" }

// suspicious splits rules into the enabled ones that forward, redirect or
// delete mail, and a count of the others, which are left alone.
func suspicious(rs []revoke.Rule) ([]revoke.Rule, int) {
	var out []revoke.Rule
	for _, r := range rs {
		if r.Enabled && r.Suspicious() {
			out = append(out, r)
		}
	}
	return out, len(rs) - len(out)
}

// ruleLines words, under a user's line on the card, the inbox rules
// --mailbox will disable.
func ruleLines(l userListing) string {
	var sb strings.Builder
	switch {
	case l.RulesError != "":
		sb.WriteString("\n:grey_question: Inbox rules could not be listed (" + l.RulesError + "); they are listed again when the actions run.")
	case len(l.Rules) == 0:
		fmt.Fprintf(&sb, "\nInbox rules to disable: none (%s left alone).", plural(l.OtherRules, "other rule"))
	default:
		fmt.Fprintf(&sb, "\nInbox rules to disable (%d; %s left alone):", len(l.Rules), plural(l.OtherRules, "other rule"))
		for _, r := range l.Rules {
			sb.WriteString("\n• " + ruleWords(r))
		}
	}
	if forwardingRead(l) {
		return sb.String() // --forwarding reads it, and the card says what it found
	}
	return sb.String() + "\n_" + adminForwarding + "_"
}

// ruleWords names a rule and what it does; the rule's name and addresses
// are the mailbox's, maybe the attacker's, so each is cleaned on its own.
func ruleWords(r revoke.Rule) string {
	for _, to := range []*[]string{&r.ForwardTo, &r.RedirectTo, &r.ForwardAsAttach} {
		addrs := make([]string, len(*to))
		for i, a := range *to {
			addrs[i] = clean(a, upnMost)
		}
		*to = addrs
	}
	return "“" + cleanName(r.Name) + "”: " + r.Does()
}

// disableRules lists the user's inbox rules again and disables each that
// forwards, redirects or deletes mail; rules stay, as evidence. The words,
// kept in the outcome audit record, name each rule and what it did.
func (b *executor) disableRules(ctx context.Context, userID string, shown userListing) (string, error) {
	rs, err := b.cfg.Rules.InboxRules(ctx, userID)
	if err != nil {
		return "", err
	}
	sus, others := suspicious(rs)
	note := adminForwarding
	if forwardingRead(shown) {
		note = "" // --forwarding says what it found
	}
	if len(sus) == 0 {
		return strings.TrimSpace(fmt.Sprintf("No inbox rule forwards, redirects or deletes mail (%s left alone).\n%s", plural(others, "other rule"), note)), nil
	}
	ids := make([]string, len(shown.Rules))
	for i, r := range shown.Rules {
		ids[i] = r.ID
	}
	t := newTally(shown.RulesError == "" && !shown.Pending, ids)
	for _, r := range sus {
		if r.ReadOnly {
			// Graph refuses to change these; saying so beats a 403 that
			// reads like a missing permission.
			t.fail(ruleWords(r)+": read-only through Graph; remove it in Outlook or the Exchange admin center.", errReadOnlyRule)
			continue
		}
		if err := b.cfg.Rules.DisableRule(ctx, userID, r.ID); err != nil {
			t.fail(ruleWords(r)+": "+describe(err), err)
			continue
		}
		t.ok(r.ID, ruleWords(r)+" (`"+Escape(r.ID)+"`)")
	}
	return t.words("inbox rule", "Disabled %s (kept, as evidence; "+plural(others, "other rule")+" left alone):",
		"Could not disable %s:", note)
}

// errReadOnlyRule marks a rule Graph will not change.
var errReadOnlyRule = fmt.Errorf("read-only inbox rule")
