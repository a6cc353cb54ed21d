package fakeslack

import (
	"strings"
	"testing"
	"time"
)

func TestAckPayloadShownToTheCaller(t *testing.T) {
	s := newServer(t, Options{})
	c := startClient(t, s)
	ctx := testCtx(t, 10*time.Second)
	events := make(chan Event, 100)
	s.OnEvent(func(e Event) { events <- e })

	c.setAck(false, map[string]string{"response_type": "ephemeral", "text": "Usage: /revoke user"})
	ack, err := s.SlashCommand(ctx, SlashCommand{UserID: "U1", ChannelID: "C1", Text: "help"})
	if err != nil {
		t.Fatal(err)
	}
	// Recorded by the time the ack is returned, and the payload kept as sent.
	e := s.Ephemerals("U1")
	if len(e) != 1 || e[0].Via != "ack" || e[0].Text != "Usage: /revoke user" || e[0].Channel != "C1" ||
		!e[0].Ephemeral || e[0].User != "U1" || e[0].ThreadTS != "" || e[0].TS == "" {
		t.Errorf("ephemerals = %+v", e)
	}
	if string(ack.Payload) != `{"response_type":"ephemeral","text":"Usage: /revoke user"}` {
		t.Errorf("ack payload = %s", ack.Payload)
	}
	if ev := recv(t, events, "event"); ev.Kind != "command" {
		t.Errorf("first event = %+v", ev)
	}
	if ev := recv(t, events, "event"); ev.Kind != "ephemeral" || ev.Message.Via != "ack" {
		t.Errorf("second event = %+v", ev)
	}
	if !strings.Contains(s.Transcript(), "ephemeral->U1 via ack") {
		t.Errorf("transcript:\n%s", s.Transcript())
	}

	// Text without a response_type is ephemeral too; in_channel is for everyone.
	c.setAck(false, map[string]string{"text": "only you"})
	if _, err := s.SlashCommand(ctx, SlashCommand{UserID: "U2", ChannelID: "C2"}); err != nil {
		t.Fatal(err)
	}
	if e := s.Ephemerals("U2"); len(e) != 1 || e[0].Text != "only you" || e[0].Channel != "C2" || e[0].Via != "ack" {
		t.Errorf("ephemerals = %+v", e)
	}
	c.setAck(false, map[string]string{"response_type": "in_channel", "text": "for all"})
	if _, err := s.SlashCommand(ctx, SlashCommand{UserID: "U3", ChannelID: "C1"}); err != nil {
		t.Fatal(err)
	}
	if m := s.Messages(); len(m) != 3 || m[2].Ephemeral || m[2].Text != "for all" || m[2].Via != "ack" {
		t.Errorf("messages = %+v", m)
	}

	// Nothing to show shows nothing: no payload, no text, a click's ack.
	for _, p := range []any{nil, map[string]string{"response_type": "ephemeral"}, "ok"} {
		c.setAck(false, p)
		if _, err := s.SlashCommand(ctx, SlashCommand{UserID: "U4", ChannelID: "C1"}); err != nil {
			t.Fatal(err)
		}
	}
	ts := postWithButtons(t, c.api, "C1")
	c.setAck(false, map[string]string{"text": "clicked"})
	if _, err := s.Click(ctx, Click{UserID: "U4", ChannelID: "C1", MessageTS: ts, ActionID: "approve", Value: "req-1"}); err != nil {
		t.Fatal(err)
	}
	if e := s.Ephemerals("U4"); len(e) != 0 {
		t.Errorf("ephemerals = %+v", e)
	}
	if n := len(s.Messages()); n != 4 {
		t.Errorf("%d messages, want 4\n%s", n, s.Transcript())
	}
}
