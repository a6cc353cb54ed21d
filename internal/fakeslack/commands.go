package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// SlashCommand is a person running a slash command.
type SlashCommand struct {
	UserID, ChannelID, Text string
	// Command defaults to "/revoke".
	Command string
	// TriggerID defaults to a generated unique one.
	TriggerID string
	// RetryAttempt > 0 marks the envelope as Slack's redelivery of an
	// unacknowledged one (retry_attempt, retry_reason "timeout").
	RetryAttempt int
}

// Click is a person clicking a button on a message the bot posted.
type Click struct {
	UserID, ChannelID, MessageTS, ActionID, Value string
	// Stale delivers the click even when the message no longer shows that
	// button, as from a client that has not yet rendered the update.
	Stale bool
}

// Ack is the client's acknowledgement of an envelope.
type Ack struct {
	EnvelopeID string
	// Payload is what the client put in its ack, if anything. A slash
	// command's ack payload with text or blocks is also recorded as a
	// Message with Via "ack", as Slack shows it (see showAck).
	Payload json.RawMessage
	// SentAt is when the envelope was written, AckedAt when the ack was read.
	SentAt, AckedAt time.Time
}

// Latency is the time from writing the envelope to reading its ack; Slack
// gives up on slash commands and interactions after 3 seconds.
func (a Ack) Latency() time.Duration { return a.AckedAt.Sub(a.SentAt) }

// responseURL is the state behind one response_url.
type responseURL struct {
	channel, user string
	messageTS     string // the clicked message, for replace/delete_original
	uses          int
}

// newResponseURL registers a response_url. Callers hold s.mu.
func (s *Server) newResponseURL(channel, user, messageTS string) string {
	id := fmt.Sprintf("%s/%d/%s", s.opts.TeamID, s.nextSeq(), randomHex(8))
	s.responses[id] = &responseURL{channel: channel, user: user, messageTS: messageTS}
	return s.base + "/response/" + id
}

// newTriggerID returns an id shaped like Slack's ("digits.digits.hex"). Callers hold s.mu.
func (s *Server) newTriggerID() string {
	return fmt.Sprintf("%d.%d.%s", 1764300000000+s.nextSeq(), 1000000001, randomHex(16))
}

// SlashCommand sends a slash_commands envelope to one open connection chosen
// at random and waits, bounded by ctx, for its ack. With no connection open it
// waits for one until ctx ends.
func (s *Server) SlashCommand(ctx context.Context, c SlashCommand) (Ack, error) {
	if c.Command == "" {
		c.Command = "/revoke"
	}
	s.mu.Lock()
	if c.TriggerID == "" {
		c.TriggerID = s.newTriggerID()
	}
	// Socket Mode delivers the slash command form fields as a JSON object
	// of strings, is_enterprise_install included.
	payload := map[string]string{
		"token":                 verificationToken,
		"team_id":               s.opts.TeamID,
		"team_domain":           teamDomain,
		"channel_id":            c.ChannelID,
		"channel_name":          channelName(c.ChannelID),
		"user_id":               c.UserID,
		"user_name":             s.userName(c.UserID),
		"command":               c.Command,
		"text":                  c.Text,
		"api_app_id":            AppID,
		"is_enterprise_install": "false",
		"response_url":          s.newResponseURL(c.ChannelID, c.UserID, ""),
		"trigger_id":            c.TriggerID,
	}
	s.emit(Event{Kind: "command", UserID: c.UserID, ChannelID: c.ChannelID, Text: c.Text, Command: c.Command})
	s.mu.Unlock()
	return s.deliver(ctx, "slash_commands", payload, c.RetryAttempt, &ackTarget{channel: c.ChannelID, user: c.UserID})
}

// Click sends an interactive envelope with a block_actions payload, shaped as
// Slack sends it, and waits for the ack. Unless c.Stale is set it fails when
// the message's current blocks show no button with that action_id and value.
func (s *Server) Click(ctx context.Context, c Click) (Ack, error) {
	payload, err := s.clickPayload(c)
	if err != nil {
		return Ack{}, err
	}
	return s.deliver(ctx, "interactive", payload, 0, nil)
}

func (s *Server) clickPayload(c Click) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byKey[msgKey{c.ChannelID, c.MessageTS}]
	if !ok {
		return nil, fmt.Errorf("fakeslack: click: no message %s in %s\n%s", c.MessageTS, c.ChannelID, s.transcriptLocked())
	}
	if r.Ephemeral && r.User != c.UserID {
		return nil, fmt.Errorf("fakeslack: click: ephemeral message %s is shown only to %s, not %s", c.MessageTS, r.User, c.UserID)
	}
	btn, shown := findButton(r.Blocks, c.ActionID, c.Value)
	if !c.Stale && (!shown || r.Deleted) {
		return nil, fmt.Errorf("fakeslack: click: message %s in %s shows no button %s=%q (set Stale to click anyway)\n%s",
			c.MessageTS, c.ChannelID, c.ActionID, c.Value, s.transcriptLocked())
	}
	if !shown {
		// A stale view shows an earlier version; take the button from there
		// so block_id and label are the ones Slack would report.
		for i := len(r.history) - 1; i >= 0 && !shown; i-- {
			btn, shown = findButton(r.history[i], c.ActionID, c.Value)
		}
		if !shown {
			btn = button{blockID: "fake-stale", el: element{Type: "button", ActionID: c.ActionID, Value: c.Value,
				Text: json.RawMessage(`{"type":"plain_text","text":"?"}`)}}
		}
	}
	now := time.Now()
	action := map[string]any{
		"action_id": c.ActionID,
		"block_id":  btn.blockID,
		"value":     c.Value,
		"type":      "button",
		"action_ts": slackTime(now),
		"text":      btn.el.Text,
	}
	if btn.el.Style != "" {
		action["style"] = btn.el.Style
	}
	container := map[string]any{
		"type": "message", "message_ts": r.TS, "channel_id": r.Channel, "is_ephemeral": r.Ephemeral,
	}
	if r.ThreadTS != "" {
		container["thread_ts"] = r.ThreadTS
	}
	payload := map[string]any{
		"type": "block_actions",
		"user": map[string]any{
			"id": c.UserID, "username": s.userName(c.UserID), "name": s.userName(c.UserID), "team_id": s.opts.TeamID,
		},
		"api_app_id":            AppID,
		"token":                 verificationToken,
		"container":             container,
		"trigger_id":            s.newTriggerID(),
		"team":                  map[string]any{"id": s.opts.TeamID, "domain": teamDomain},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": r.Channel, "name": channelName(r.Channel)},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          s.newResponseURL(r.Channel, c.UserID, r.TS),
		"actions":               []any{action},
	}
	// Slack leaves the message out for ephemeral sources; the container
	// is all the client gets.
	if !r.Ephemeral {
		payload["message"] = s.wire(r.Message)
	}
	s.emit(Event{Kind: "click", At: now, UserID: c.UserID, ChannelID: c.ChannelID,
		Text: textOf(btn.el.Text), ActionID: c.ActionID, Value: c.Value})
	return payload, nil
}
