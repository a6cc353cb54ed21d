package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// The button action_ids of the SPEC; their value is the request ID.
const (
	ActionConfirm = "revoke_confirm"
	ActionCancel  = "revoke_cancel"
	ActionApprove = "revoke_approve"
	ActionDeny    = "revoke_deny"
	ActionStop    = "revoke_stop"
)

// card is everything a request's root message shows.
type card struct {
	RequestID     string
	Requester     string
	User          revoke.User
	NeedsApproval bool
	State         store.State
	DecidedBy     string
	Detail        string
	ExpiresAt     time.Time
	All           *preview // set on a /revoke all request
	Target        requestTarget
}

// renderCard draws the root message of a request: who asked, exactly which
// account, what will happen, and while pending the buttons. It is pure.
func renderCard(c card) (string, []slack.Block) {
	if c.All != nil {
		return renderAllCard(c)
	}
	if len(c.Target.Users) > 0 && !c.Target.plainRevoke() {
		return renderContainCard(c)
	}
	u := c.User
	fallback := fmt.Sprintf("Revoke sign-in sessions of %s (%s)? Request %s by <@%s>.",
		Escape(u.DisplayName), Escape(u.UPN), c.RequestID, c.Requester)

	blocks := []slack.Block{
		slack.NewHeaderBlock(plain("Revoke sign-in sessions")),
		slack.NewSectionBlock(md(fmt.Sprintf("<@%s> asks to revoke every sign-in session of *%s*.",
			c.Requester, orDash(Escape(u.DisplayName)))), nil, nil),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			md("*User principal name*\n" + orDash(Escape(u.UPN))),
			md("*Object ID*\n`" + orDash(Escape(u.ID)) + "`"),
			md("*Type*\n" + userType(u)),
			md("*Account*\n" + enabled(u)),
			md("*Job title*\n" + orDash(Escape(u.JobTitle))),
			md("*Department*\n" + orDash(Escape(u.Department))),
		}, nil),
		slack.NewSectionBlock(md("*Action*\nRevoke all refresh tokens and session cookies (`revokeSignInSessions`). "+
			"Access tokens already issued stay valid until they expire, up to an hour, except where Continuous Access Evaluation applies."), nil, nil),
	}
	if u.Guest() {
		blocks = append(blocks, slack.NewContextBlock("guest_warning",
			md(":warning: This is a B2B guest: revoking sessions here has no effect on the guest's sign-ins in their home tenant.")))
	}
	if c.NeedsApproval {
		blocks = append(blocks, slack.NewContextBlock("approval_note",
			md(":lock: This account is protected: an approver other than the requester must approve.")))
	}
	blocks = append(blocks, reasonAndUnresolved(c.Target)...)
	return fallback, append(blocks, cardEnd(c, buttons)...)
}

// cardEnd is the last blocks of a user card: while pending, the buttons and
// the deadline; after, the outcome.
func cardEnd(c card, buttons func(card) []slack.BlockElement) []slack.Block {
	if c.State == store.StatePending {
		return []slack.Block{slack.NewActionBlock("decision", buttons(c)...),
			slack.NewContextBlock("footer", md(fmt.Sprintf("Request `%s` · expires %s", c.RequestID, clock(c.ExpiresAt))))}
	}
	return []slack.Block{slack.NewSectionBlock(md(outcome(c)), nil, nil),
		slack.NewContextBlock("footer", md(fmt.Sprintf("Request `%s`", c.RequestID)))}
}

func buttons(c card) []slack.BlockElement {
	cancel := slack.NewButtonBlockElement(ActionCancel, c.RequestID, plain("Cancel"))
	if c.NeedsApproval {
		approve := slack.NewButtonBlockElement(ActionApprove, c.RequestID, plain("Approve")).WithStyle(slack.StylePrimary)
		deny := slack.NewButtonBlockElement(ActionDeny, c.RequestID, plain("Deny")).WithStyle(slack.StyleDanger)
		return []slack.BlockElement{approve, deny, cancel}
	}
	confirm := slack.NewButtonBlockElement(ActionConfirm, c.RequestID, plain("Revoke sessions")).
		WithStyle(slack.StyleDanger).
		WithConfirm(slack.NewConfirmationBlockObject(
			plain("Revoke sessions?"),
			// A confirm dialog's text holds at most 300 characters.
			md(fmt.Sprintf("Every sign-in session of *%s* (%s) ends now.", escapeClip(c.User.DisplayName, 100), escapeClip(c.User.UPN, 120))),
			plain("Revoke"), plain("Go back")).WithStyle(slack.StyleDanger))
	return []slack.BlockElement{confirm, cancel}
}

// outcome is the card's last line once the request left pending.
func outcome(c card) string {
	by := byline(c.DecidedBy)
	switch c.State {
	case store.StateRunning:
		return ":hourglass_flowing_sand: " + decided(c.NeedsApproval) + by + ". Revoking…"
	case store.StateSucceeded:
		return ":white_check_mark: " + c.Detail
	case store.StateFailed:
		return ":x: " + c.Detail
	case store.StateCancelled:
		return ":no_entry_sign: Cancelled" + by + ". Nothing was revoked."
	case store.StateDenied:
		return ":no_entry: Denied" + by + ". Nothing was revoked."
	case store.StateExpired:
		return ":alarm_clock: Expired without a decision. Nothing was revoked."
	}
	return string(c.State)
}

// byline names who decided, unless revokebot itself did.
func byline(decidedBy string) string {
	if decidedBy == "" || decidedBy == systemActor {
		return ""
	}
	return fmt.Sprintf(" by <@%s>", decidedBy)
}

func decided(needsApproval bool) string {
	if needsApproval {
		return "Approved"
	}
	return "Confirmed"
}

func userType(u revoke.User) string {
	if u.Guest() {
		return "Guest"
	}
	if u.UserType == "" {
		return "–"
	}
	return Escape(u.UserType)
}

func enabled(u revoke.User) string {
	if u.AccountEnabled {
		return "Enabled"
	}
	return "Disabled"
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "–"
	}
	return s
}

// clock prints a time for people in every time zone of an incident call.
func clock(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}
func md(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}
