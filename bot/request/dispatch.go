package request

import "context"

// CommandEvent is one /revoke as the platform delivered it.
type CommandEvent struct {
	User, Channel, Text string
	TriggerID           string // unique per command: a duplicate delivery repeats it
	ResponseURL         string
}

func (c CommandEvent) recipient() Recipient {
	return Recipient{User: c.User, Channel: c.Channel, ResponseURL: c.ResponseURL}
}

// ClickEvent is one button press.
type ClickEvent struct {
	Action, RequestID, Actor, Channel, MessageTS, ResponseURL string
}

func (c ClickEvent) recipient() Recipient {
	return Recipient{User: c.Actor, Channel: c.Channel, ResponseURL: c.ResponseURL}
}

// Ack is the answer that goes back with the platform's acknowledgement:
// nothing, or words only the caller sees.
type Ack struct {
	Text string
}

const busy = "revokebot is overloaded right now and did not take this. Please try again in a moment."

// Command takes a slash command on the event loop: it answers pure forms at
// once and hands the rest to the pool. It never blocks, so the platform's
// events are always drained.
func (w *Workflow) Command(cmd CommandEvent) Ack {
	parsed := Parse(cmd.Text)
	if text, done := immediateReply(parsed); done {
		w.m.Command(map[bool]string{true: "invalid", false: "answered"}[parsed.Kind == CmdInvalid])
		return Ack{Text: text}
	}
	if !w.hasRoom() {
		w.m.Command("busy")
		w.log.Error("queue full: refused a command", "actor", cmd.User)
		return Ack{Text: busy}
	}
	handle := w.intake.handleRevoke
	switch parsed.Kind {
	case CmdStatus:
		handle = w.intake.handleStatus
	case CmdHistory:
		handle = w.intake.handleHistory
	case CmdAll:
		handle = w.intake.handleAll
	}
	w.enqueue("command", func(ctx context.Context) { handle(ctx, cmd, parsed) })
	return Ack{}
}

// Click takes a button press on the event loop and hands it to the pool.
func (w *Workflow) Click(c ClickEvent) {
	if !w.hasRoom() {
		w.m.Decision(c.Action, "busy")
		w.log.Error("queue full: dropped a click; the card still works", "actor", c.Actor)
		return
	}
	w.enqueue("click", func(ctx context.Context) { w.decide.handleClick(ctx, c) })
}

// immediateReply answers the forms of /revoke that need no lookup.
func immediateReply(c Command) (string, bool) {
	switch c.Kind {
	case CmdHelp:
		return helpText, true
	case CmdInvalid:
		return c.Error + "\nType `/revoke help` for usage.", true
	}
	return "", false
}

const helpText = "*revokebot* contains compromised Entra ID accounts: it revokes every sign-in session, and more on request.\n" +
	"• `/revoke alice@contoso.com` — by user principal name or e-mail address\n" +
	"• `/revoke alice` — by mail alias\n" +
	"• `/revoke 8f1c2d3e-…` — by object ID\n" +
	"• `/revoke @alice` — by Slack mention (their Slack e-mail is looked up)\n" +
	"• `/revoke alice bob carol@contoso.com` — up to 20 users on one card\n" +
	"• options: `--disable` (block sign-in first), `--sharepoint` (end SharePoint and OneDrive sessions), " +
	"`--compromised` (mark compromised in Identity Protection), `--reason \"text\"` (recorded in the audit log)\n" +
	"• `/revoke status rb-…` — a request's state and audit trail\n" +
	"• `/revoke history alice@contoso.com` — past requests for a user\n" +
	"• `/revoke all` — every user of the tenant (needs a second person's approval)\n" +
	"You see the exact account and confirm with a click; protected accounts need an approver."
