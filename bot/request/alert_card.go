package request

import (
	"fmt"
	"strings"
	"time"

	"github.com/revokebot/revokebot/store"
)

// alertOrigin is the detection an alert card was opened from, kept in its
// request and covered by its signature: the write-back goes to its
// incident and nowhere else.
type alertOrigin struct {
	// Key is the card's: its source, the incident or risk change, and the
	// user; it is the request's TriggerID, which the store keeps unique,
	// so that no replica or restart opens it twice.
	Key        string    `json:"key"`
	Source     string    `json:"source"` // alertDefender or alertRisky
	ID         string    `json:"id"`     // the incident's ID, or the risky user's
	Title      string    `json:"title"`
	Severity   string    `json:"severity"` // the incident's severity, or the risk level
	Link       string    `json:"link,omitempty"`
	At         time.Time `json:"at"` // the incident's last update, or the risk's
	Disruption bool      `json:"disruption,omitempty"`
}

// The alert sources, as the policy names them.
const (
	alertDefender = "defender"
	alertRisky    = "risky_users"
)

// isAlert reports whether r is a card revokebot opened from a detection:
// it carries the detection, which its signature covers (only revokebot's
// looker puts one there). Its requester is revokebot until a requester
// confirms it, and that person after.
func isAlert(r store.Request) bool {
	return targetsOf(r).Alert != nil
}

// askedBy names who asked for r, for people: an alert card nobody has
// confirmed yet was asked by revokebot, which is no Slack user to mention.
func askedBy(r store.Request) string {
	if r.Requester == systemActor {
		if a := targetsOf(r).Alert; a != nil {
			return "revokebot, from " + a.sourceName()
		}
		return "revokebot"
	}
	return "<@" + Escape(r.Requester) + ">"
}

// sourceName names a source for people.
func (a alertOrigin) sourceName() string {
	if a.Source == alertRisky {
		return "Entra ID Protection"
	}
	return "Microsoft Defender XDR"
}

// lead is the alert card's first words: what Microsoft detected, and when.
func (a alertOrigin) lead() string {
	if a.Source == alertRisky {
		return fmt.Sprintf(":rotating_light: *Entra ID Protection* holds this account at *%s* risk (%s, %s). Contain it?",
			cleanName(a.Severity), cleanName(a.Title), clock(a.At))
	}
	title := "*" + orDash(cleanName(a.Title)) + "*"
	if link := safeLink(a.Link); link != "" {
		title = "<" + link + "|" + orDash(cleanName(a.Title)) + ">"
	}
	return fmt.Sprintf(":rotating_light: *Microsoft Defender XDR* incident %s (`%s`, severity *%s*, updated %s) names this account. Contain it?",
		title, Escape(a.ID), cleanName(a.Severity), clock(a.At))
}

// safeLink is a link to the Defender portal, or "" for any other: the link
// comes from Graph, and a card must not carry one elsewhere.
func safeLink(u string) string {
	const portal = "https://security.microsoft.com/"
	if !strings.HasPrefix(u, portal) || strings.ContainsAny(u, "<>| \n") {
		return ""
	}
	return u
}

// alertedWords is the audit detail of a new alert card.
func alertedWords(t requestTarget, needsApproval bool) string {
	a := t.Alert
	what := fmt.Sprintf("%s incident `%s` (%s, severity %s)", a.sourceName(), Escape(a.ID), cleanName(a.Title), cleanName(a.Severity))
	if a.Source == alertRisky {
		what = fmt.Sprintf("%s: risk %s (%s)", a.sourceName(), cleanName(a.Severity), cleanName(a.Title))
	}
	words := fmt.Sprintf("%s names %s; revokebot proposes: %s. Nothing runs until a requester confirms.",
		what, strings.Join(upnsOf(t.Users), ", "), lowerFirst(actionList(t.Actions)))
	if needsApproval {
		words += " (protected account: needs an approver)"
	}
	return words
}

// alreadyDisabled words, for an alert card, that the account is disabled
// already, by Defender's attack disruption or otherwise; "" when not.
func (a alertOrigin) alreadyDisabled(enabled bool) string {
	switch {
	case a.Disruption:
		return ":shield: Defender's automatic attack disruption acted on this incident and disables the accounts it names: sign-in may be blocked already. The actions below finish the containment."
	case !enabled:
		return ":shield: This account is disabled already (sign-in blocked); the actions below finish the containment."
	}
	return ""
}
