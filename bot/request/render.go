package request

import (
	"fmt"
	"strings"
	"time"

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
	// Approvals are who approved so far, and Need how many must; both zero
	// for the two-person rule's single approval.
	Approvals []string
	Need      int
}

// approvalNote is the card's line on who must approve: the words of the
// two-person rule, or of N approvers with those who have approved so far.
func approvalNote(c card, lead string) Block {
	if c.Need <= 1 {
		return note("approval_note", lead+"an approver other than the requester must approve.")
	}
	text := fmt.Sprintf("%s%d approvers other than the requester must approve", lead, c.Need)
	if len(c.Approvals) > 0 {
		who := make([]string, len(c.Approvals))
		for i, a := range c.Approvals {
			who[i] = "<@" + a + ">"
		}
		text += fmt.Sprintf("; approved by %s (%d of %d), %s more needed", strings.Join(who, ", "), len(c.Approvals), c.Need,
			plural(c.Need-len(c.Approvals), "approver"))
	}
	return note("approval_note", text+".")
}

// cardMessage is a request's root message.
func cardMessage(c card) Message {
	text, blocks := renderCard(c)
	return Message{Text: text, Blocks: blocks}
}

// renderCard draws the root message of a request: who asked, exactly which
// account, what will happen, and while pending the buttons. It is pure.
func renderCard(c card) (string, []Block) {
	if c.All != nil {
		return renderAllCard(c)
	}
	if c.Target.Release {
		return renderReleaseCard(c)
	}
	if len(c.Target.Users) > 0 && (!c.Target.plainRevoke() || c.Target.Alert != nil) {
		return renderContainCard(c)
	}
	u := c.User
	fallback := fmt.Sprintf("Revoke sign-in sessions of %s (%s)? Request %s by <@%s>.",
		cleanName(u.DisplayName), clean(u.UPN, upnMost), c.RequestID, c.Requester)

	blocks := []Block{
		header(("Revoke sign-in sessions")),
		section((fmt.Sprintf("<@%s> asks to revoke every sign-in session of *%s*.",
			c.Requester, orDash(cleanName(u.DisplayName))))),
		fields(
			"*User principal name*\n"+orDash(clean(u.UPN, upnMost)),
			"*Object ID*\n`"+orDash(Escape(u.ID))+"`",
			"*Type*\n"+userType(u),
			"*Account*\n"+enabled(u),
			"*Job title*\n"+orDash(cleanName(u.JobTitle)),
			"*Department*\n"+orDash(cleanName(u.Department)),
		),
		section(("*Action*\nRevoke all refresh tokens and session cookies (`revokeSignInSessions`). " +
			"Access tokens already issued stay valid until they expire, up to an hour, except where Continuous Access Evaluation applies.")),
	}
	if changes := changesLines(c.Target.Listed[u.ID]); changes != "" {
		blocks = append(blocks, section(clipSection(strings.TrimPrefix(changes, "\n"))))
	}
	if u.Guest() {
		blocks = append(blocks, note("guest_warning", (":warning: This is a B2B guest: revoking sessions here has no effect on the guest's sign-ins in their home tenant.")))
	}
	if c.NeedsApproval {
		blocks = append(blocks, approvalNote(c, ":lock: This account is protected: "))
	}
	blocks = append(blocks, reasonAndUnresolved(c.Target)...)
	return fallback, append(blocks, cardEnd(c, buttons)...)
}

// cardEnd is the last blocks of a user card: while pending, the buttons and
// the deadline; after, the outcome.
func cardEnd(c card, buttons func(card) []Button) []Block {
	if c.State == store.StatePending {
		return []Block{actions("decision", buttons(c)...),
			note("footer", (fmt.Sprintf("Request `%s` · expires %s", c.RequestID, clock(c.ExpiresAt))))}
	}
	return []Block{section((outcome(c))),
		note("footer", (fmt.Sprintf("Request `%s`", c.RequestID)))}
}

func buttons(c card) []Button {
	cancel := Button{ActionID: ActionCancel, Value: c.RequestID, Label: "Cancel"}
	if c.NeedsApproval {
		approve := Button{ActionID: ActionApprove, Value: c.RequestID, Label: "Approve", Style: StylePrimary}
		deny := Button{ActionID: ActionDeny, Value: c.RequestID, Label: "Deny", Style: StyleDanger}
		return []Button{approve, deny, cancel}
	}
	confirm := Button{ActionID: ActionConfirm, Value: c.RequestID, Label: "Revoke sessions", Style: StyleDanger,
		Confirm: &Confirm{Title: "Revoke sessions?",
			// A confirm dialog's text holds at most 300 characters.
			Text: fmt.Sprintf("Every sign-in session of *%s* (%s) ends now.", cleanName(c.User.DisplayName), clean(c.User.UPN, upnMost)),
			OK:   "Revoke", Back: "Go back", Style: StyleDanger}}
	return []Button{confirm, cancel}
}

// outcome is the card's last line once the request left pending.
func outcome(c card) string {
	by := byline(c.DecidedBy)
	doing, nothing := "Revoking…", "Nothing was revoked."
	if c.Target.Release {
		doing, nothing = "Releasing…", "Nobody was released."
	}
	switch c.State {
	case store.StateRunning:
		return ":hourglass_flowing_sand: " + decided(c.NeedsApproval) + by + ". " + doing
	case store.StateSucceeded:
		return ":white_check_mark: " + c.Detail
	case store.StateFailed:
		return ":x: " + c.Detail
	case store.StateCancelled:
		return ":no_entry_sign: Cancelled" + by + ". " + nothing
	case store.StateDenied:
		return ":no_entry: Denied" + by + ". " + nothing
	case store.StateExpired:
		return ":alarm_clock: Expired without a decision. " + nothing
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
	return cleanName(u.UserType)
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
