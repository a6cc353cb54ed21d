package slack

import (
	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/revokebot/revokebot/bot/request"
)

// dispatch runs on the event loop: it acknowledges at once, before any Web
// API or Graph call, and hands the event to the workflow, which never
// blocks, so the events channel is always drained and pings keep flowing.
func (a *Adapter) dispatch(evt socketmode.Event, h Handler) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(goslack.SlashCommand)
		if !ok || evt.Request == nil {
			a.ackEmpty(evt)
			return
		}
		a.onSlashCommand(evt.Request, cmd, h)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(goslack.InteractionCallback)
		if !ok || evt.Request == nil {
			a.ackEmpty(evt)
			return
		}
		a.onInteraction(evt.Request, cb, h)
	case socketmode.EventTypeConnected:
		a.up.Store(true)
		if a.once.Swap(true) {
			a.recon()
		}
		a.log.Info("socket mode connected")
	case socketmode.EventTypeConnecting:
		a.up.Store(false)
	case socketmode.EventTypeDisconnect:
		a.up.Store(false)
		a.log.Info("slack asked to disconnect; reconnecting")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		a.up.Store(false)
		a.log.Warn("socket mode cannot connect", "type", string(evt.Type))
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed, socketmode.EventTypeErrorBadMessage:
		a.log.Warn("socket mode trouble", "type", string(evt.Type))
	default:
		a.ackEmpty(evt)
	}
}

func (a *Adapter) ackEmpty(evt socketmode.Event) {
	if evt.Request != nil && evt.Request.EnvelopeID != "" {
		a.sm.Ack(*evt.Request)
	}
}

func (a *Adapter) onSlashCommand(req *socketmode.Request, cmd goslack.SlashCommand, h Handler) {
	// A slash command delivered twice carries the same trigger_id.
	if a.seen.add("cmd:" + cmd.TriggerID) {
		a.sm.Ack(*req)
		return
	}
	ack := h.Command(request.CommandEvent{User: cmd.UserID, Channel: cmd.ChannelID, Text: cmd.Text,
		TriggerID: cmd.TriggerID, ResponseURL: cmd.ResponseURL})
	if ack.Text == "" {
		a.sm.Ack(*req)
		return
	}
	a.sm.Ack(*req, map[string]any{"response_type": "ephemeral", "text": ack.Text})
}

func (a *Adapter) onInteraction(req *socketmode.Request, cb goslack.InteractionCallback, h Handler) {
	a.sm.Ack(*req)
	if cb.Type != goslack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
		return
	}
	act := cb.ActionCallback.BlockActions[0]
	if a.seen.add("click:" + cb.TriggerID + ":" + act.ActionTs) {
		return
	}
	h.Click(request.ClickEvent{
		Action: act.ActionID, RequestID: act.Value, Actor: cb.User.ID,
		Channel: cb.Channel.ID, MessageTS: cb.Container.MessageTs, ResponseURL: cb.ResponseURL,
	})
}
