package request

import (
	"fmt"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

// renderContainCard draws the card of a request with several users or
// actions beyond sessions: every user, every action in the order it runs,
// the reason, and the targets left out. It is pure.
func renderContainCard(c card) (string, []Block) {
	t := c.Target
	who := plural(len(t.Users), "user")
	if len(t.Users) == 1 {
		who = cleanName(t.Users[0].DisplayName) + " (" + clean(t.Users[0].UPN, upnMost) + ")"
	}
	fallback := fmt.Sprintf("Contain %s? Request %s by <@%s>.", who, c.RequestID, c.Requester)
	title, lead := fmt.Sprintf("Contain %s", plural(len(t.Users), "user")), fmt.Sprintf("<@%s> asks to contain these accounts:", c.Requester)
	if a := t.Alert; a != nil {
		fallback = fmt.Sprintf("%s names %s: contain? Request %s.", a.sourceName(), who, c.RequestID)
		title, lead = "Alert: contain "+plural(len(t.Users), "user"), a.lead()
	}
	blocks := []Block{header(title), section(clipSection(lead))}
	for _, u := range t.Users {
		blocks = append(blocks, section(clipSection(userLine(u)+listingLines(t.Listed[u.ID], t.Actions))))
		if t.Alert != nil {
			if words := t.Alert.alreadyDisabled(u.AccountEnabled); words != "" {
				blocks = append(blocks, note("disabled_note", words))
			}
		}
	}
	var acts strings.Builder
	acts.WriteString("*Actions, in this order, for each user*")
	for i, a := range t.Actions {
		fmt.Fprintf(&acts, "\n%d. %s", i+1, actionLine(a))
	}
	blocks = append(blocks, section((acts.String())))
	for _, u := range t.Users {
		if u.Guest() {
			blocks = append(blocks, note("guest_warning", (":warning: Guests among them: revoking sessions here has no effect on a guest's sign-ins in their home tenant.")))
			break
		}
	}
	if c.NeedsApproval {
		blocks = append(blocks, approvalNote(c, ":lock: A protected account is among them: "))
	}
	blocks = append(blocks, reasonAndUnresolved(t)...)
	return fallback, append(blocks, cardEnd(c, containButtons)...)
}

// userLine shows one account on a card: enough to tell it from a namesake.
func userLine(u revoke.User) string {
	line := fmt.Sprintf("*%s* · %s · `%s` · %s · %s", orDash(cleanName(u.DisplayName)), orDash(clean(u.UPN, upnMost)),
		orDash(Escape(u.ID)), userType(u), enabled(u))
	if job := strings.TrimSpace(strings.Join(nonEmpty(cleanName(u.JobTitle), cleanName(u.Department)), ", ")); job != "" {
		line += " · " + job
	}
	return line
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

func containButtons(c card) []Button {
	if c.NeedsApproval {
		bs := buttons(c)
		if c.Target.Alert != nil {
			bs[len(bs)-1].Label = "Dismiss"
		}
		return bs
	}
	label := "Contain " + plural(len(c.Target.Users), "user")
	confirm := Button{ActionID: ActionConfirm, Value: c.RequestID, Label: label, Style: StyleDanger,
		Confirm: &Confirm{Title: label + "?",
			// A confirm dialog's text holds at most 300 characters.
			Text: clipRunes(fmt.Sprintf("%s for %s, now.", actionList(c.Target.Actions), plural(len(c.Target.Users), "user")), 290),
			OK:   "Contain", Back: "Go back", Style: StyleDanger}}
	cancel := Button{ActionID: ActionCancel, Value: c.RequestID, Label: "Cancel"}
	if c.Target.Alert != nil {
		cancel.Label = "Dismiss"
	}
	return []Button{confirm, cancel}
}

// actionList names actions in a sentence: "Block sign-in, revoke sessions".
func actionList(as []revoke.Action) string {
	parts := make([]string, len(as))
	for i, a := range as {
		if act := actionOf(a); act != nil {
			parts[i] = act.short
		}
	}
	s := strings.Join(parts, ", ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// reasonAndUnresolved are the blocks every user card ends with when the
// request has a reason or left targets out.
func reasonAndUnresolved(t requestTarget) []Block {
	var blocks []Block
	if t.Reason != "" {
		blocks = append(blocks, section("*Reason*\n"+clean(t.Reason, reasonMost)))
	}
	if len(t.Unresolved) > 0 {
		text := ":grey_question: *Not part of this request* (not found or ambiguous):"
		for _, u := range t.Unresolved {
			// A section holds 3,000 characters: the heading and bullets
			// take under 200 of them.
			text += "\n• " + clipRunes(u, 2800/len(t.Unresolved))
		}
		blocks = append(blocks, section(text))
	}
	return blocks
}

func clipRunes(s string, most int) string {
	r := []rune(s)
	if len(r) <= most {
		return s
	}
	return string(r[:most-1]) + "…"
}
