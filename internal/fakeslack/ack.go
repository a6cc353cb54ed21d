package fakeslack

import "encoding/json"

// ackTarget is where Slack shows a slash command's ack payload: the channel
// the command was run in, to the person who ran it.
type ackTarget struct{ channel, user string }

// ackBody is the part of an ack payload Slack renders: the same message
// fields a response_url takes.
type ackBody struct {
	ResponseType string          `json:"response_type"`
	Text         string          `json:"text"`
	Blocks       json.RawMessage `json:"blocks"`
}

// showAck records a slash command's ack payload as the message Slack makes
// of it: ephemeral to the caller unless response_type is "in_channel", the
// default response_url has too. A payload with nothing to show (none, not an
// object, no text and no blocks) or with blocks Slack would refuse shows
// nothing. Callers hold s.mu.
func (s *Server) showAck(to ackTarget, payload json.RawMessage) {
	var body ackBody
	if len(payload) == 0 || json.Unmarshal(payload, &body) != nil {
		return
	}
	if string(body.Blocks) == "null" {
		body.Blocks = nil
	}
	if body.Text == "" && !hasBlocks(body.Blocks) {
		return
	}
	if code, _ := validateBlocks(body.Blocks); code != "" {
		return
	}
	if body.ResponseType == "in_channel" {
		s.addMessage(Message{Channel: to.channel, Text: body.Text, Blocks: body.Blocks, User: to.user, Via: "ack"}, "post")
		return
	}
	s.addMessage(Message{Channel: to.channel, Text: body.Text, Blocks: body.Blocks,
		Ephemeral: true, User: to.user, Via: "ack"}, "ephemeral")
}
