package bot

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

const busy = "revokebot is overloaded right now and did not take this. Please try again in a moment."

// dispatch runs on the event loop: it acknowledges at once, before any Web API
// or Graph call, and hands the work to the pool. It never blocks, so the
// events channel is always drained and pings keep flowing.
func (b *Bot) dispatch(evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			b.ackEmpty(evt)
			return
		}
		b.onSlashCommand(evt.Request, cmd)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			b.ackEmpty(evt)
			return
		}
		b.onInteraction(evt.Request, cb)
	case socketmode.EventTypeConnected:
		b.up.Store(true)
		if b.once.Swap(true) {
			b.m.Reconnect()
		}
		b.log.Info("socket mode connected")
	case socketmode.EventTypeConnecting:
		b.up.Store(false)
	case socketmode.EventTypeDisconnect:
		b.up.Store(false)
		b.log.Info("slack asked to disconnect; reconnecting")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		b.up.Store(false)
		b.log.Warn("socket mode cannot connect", "type", string(evt.Type))
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed, socketmode.EventTypeErrorBadMessage:
		b.log.Warn("socket mode trouble", "type", string(evt.Type))
	default:
		b.ackEmpty(evt)
	}
}

func (b *Bot) ackEmpty(evt socketmode.Event) {
	if evt.Request != nil && evt.Request.EnvelopeID != "" {
		b.sm.Ack(*evt.Request)
	}
}

func (b *Bot) onSlashCommand(req *socketmode.Request, cmd slack.SlashCommand) {
	parsed := Parse(cmd.Text)
	// Pure answers go back in the ack itself: no call, no pool.
	if text, done := immediateReply(parsed); done {
		b.sm.Ack(*req, map[string]any{"response_type": "ephemeral", "text": text})
		b.m.Command(map[bool]string{true: "invalid", false: "answered"}[parsed.Kind == CmdInvalid])
		return
	}
	if !b.hasRoom() {
		b.m.Command("busy")
		b.sm.Ack(*req, map[string]any{"response_type": "ephemeral", "text": busy})
		b.log.Error("queue full: refused a command", "actor", cmd.UserID)
		return
	}
	b.sm.Ack(*req)
	// A slash command delivered twice carries the same trigger_id.
	if b.seen.add("cmd:" + cmd.TriggerID) {
		return
	}
	handle := b.handleRevoke
	switch parsed.Kind {
	case CmdStatus:
		handle = b.handleStatus
	case CmdHistory:
		handle = b.handleHistory
	case CmdAll:
		handle = b.handleAll
	}
	b.enqueue("command", func(ctx context.Context) { handle(ctx, cmd, parsed) })
}

func (b *Bot) onInteraction(req *socketmode.Request, cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
		b.sm.Ack(*req)
		return
	}
	if !b.hasRoom() {
		b.sm.Ack(*req)
		b.m.Decision(cb.ActionCallback.BlockActions[0].ActionID, "busy")
		b.log.Error("queue full: dropped a click; the card still works", "actor", cb.User.ID)
		return
	}
	b.sm.Ack(*req)
	a := cb.ActionCallback.BlockActions[0]
	if b.seen.add("click:" + cb.TriggerID + ":" + a.ActionTs) {
		return
	}
	c := click{
		Action: a.ActionID, RequestID: a.Value, Actor: cb.User.ID,
		Channel: cb.Channel.ID, MessageTS: cb.Container.MessageTs, ResponseURL: cb.ResponseURL,
	}
	b.enqueue("click", func(ctx context.Context) { b.handleClick(ctx, c) })
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
