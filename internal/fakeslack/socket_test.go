package fakeslack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func TestSlashCommandRoundTrip(t *testing.T) {
	s := newServer(t, Options{Users: []User{{ID: "U1", Name: "alice"}}})
	c := startClient(t, s)
	ctx := testCtx(t, 10*time.Second)
	if err := s.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	hello := recv(t, c.hellos, "hello")
	if hello.Request.NumConnections != 1 || hello.Request.ConnectionInfo.AppID != AppID {
		t.Errorf("hello = %+v", hello.Request)
	}

	c.setAck(false, map[string]string{"text": "on it"})
	ack, err := s.SlashCommand(ctx, SlashCommand{UserID: "U1", ChannelID: "C1", Text: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := recv(t, c.slash, "slash command")
	want := slack.SlashCommand{
		Token: verificationToken, TeamID: "T0FAKE", TeamDomain: teamDomain, ChannelID: "C1",
		ChannelName: channelName("C1"), UserID: "U1", UserName: "alice", Command: "/revoke",
		Text: "alice@example.com", APIAppID: AppID, ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID,
	}
	if cmd != want {
		t.Errorf("slash command\n got %+v\nwant %+v", cmd, want)
	}
	if !strings.HasPrefix(cmd.ResponseURL, "http://127.0.0.1:") || cmd.TriggerID == "" {
		t.Errorf("response_url %q trigger_id %q", cmd.ResponseURL, cmd.TriggerID)
	}
	req := recv(t, c.reqs, "request")
	if req.EnvelopeID != ack.EnvelopeID || !req.AcceptsResponsePayload || req.RetryAttempt != 0 {
		t.Errorf("envelope %+v, ack %+v", req, ack)
	}
	if string(ack.Payload) != `{"text":"on it"}` {
		t.Errorf("ack payload = %s", ack.Payload)
	}
	if ack.Latency() <= 0 || ack.Latency() > 3*time.Second {
		t.Errorf("latency = %v", ack.Latency())
	}

	// A redelivery carries the retry fields and the caller's trigger_id.
	c.setAck(false, nil)
	ack, err = s.SlashCommand(ctx, SlashCommand{UserID: "U1", ChannelID: "C1", Text: "x",
		TriggerID: cmd.TriggerID, RetryAttempt: 1, Command: "/other"})
	if err != nil {
		t.Fatal(err)
	}
	if ack.Payload != nil {
		t.Errorf("empty ack payload = %s", ack.Payload)
	}
	req = recv(t, c.reqs, "retry request")
	cmd2 := recv(t, c.slash, "retried command")
	if req.RetryAttempt != 1 || req.RetryReason != "timeout" || cmd2.TriggerID != cmd.TriggerID || cmd2.Command != "/other" {
		t.Errorf("retry envelope %+v command %+v", req, cmd2)
	}
}

func postWithButtons(t *testing.T, api *slack.Client, channel string) string {
	t.Helper()
	approve := slack.NewButtonBlockElement("approve", "req-1", slack.NewTextBlockObject("plain_text", "Approve", false, false))
	approve.Style = slack.StylePrimary
	deny := slack.NewButtonBlockElement("deny", "req-1", slack.NewTextBlockObject("plain_text", "Deny", false, false))
	deny.Style = slack.StyleDanger
	deny.Confirm = slack.NewConfirmationBlockObject(
		slack.NewTextBlockObject("plain_text", "Sure?", false, false),
		slack.NewTextBlockObject("plain_text", "Deny the request", false, false),
		slack.NewTextBlockObject("plain_text", "Yes", false, false),
		slack.NewTextBlockObject("plain_text", "No", false, false))
	_, ts, err := api.PostMessage(channel,
		slack.MsgOptionText("Revoke alice?", false),
		slack.MsgOptionBlocks(
			slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*Revoke alice?*", false, false), nil, nil),
			slack.NewActionBlock("decide", approve, deny)))
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestClickRoundTrip(t *testing.T) {
	s := newServer(t, Options{Users: []User{{ID: "U2", Name: "bob"}}})
	c := startClient(t, s)
	ctx := testCtx(t, 10*time.Second)
	ts := postWithButtons(t, c.api, "C1")
	m, ok := s.Message("C1", ts)
	if !ok {
		t.Fatal("posted message not recorded")
	}
	btns := s.Buttons(m)
	wantBtns := []Button{
		{ActionID: "approve", Value: "req-1", Text: "Approve", Style: "primary"},
		{ActionID: "deny", Value: "req-1", Text: "Deny", Style: "danger", HasConfirm: true},
	}
	if len(btns) != 2 || btns[0] != wantBtns[0] || btns[1] != wantBtns[1] {
		t.Errorf("buttons = %+v", btns)
	}

	c.setAck(false, nil)
	if _, err := s.Click(ctx, Click{UserID: "U2", ChannelID: "C1", MessageTS: ts, ActionID: "approve", Value: "req-1"}); err != nil {
		t.Fatal(err)
	}
	cb := recv(t, c.clicks, "click")
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("callback = %+v", cb)
	}
	a := cb.ActionCallback.BlockActions[0]
	if a.ActionID != "approve" || a.Value != "req-1" || a.BlockID != "decide" || a.Type != "button" ||
		a.Text.Text != "Approve" || a.ActionTs == "" {
		t.Errorf("action = %+v", a)
	}
	if cb.Channel.ID != "C1" || cb.User.ID != "U2" || cb.User.Name != "bob" || cb.User.TeamID != "T0FAKE" ||
		cb.Team.ID != "T0FAKE" || cb.Container.Type != "message" || cb.Container.MessageTs != ts ||
		cb.Container.ChannelID != "C1" || cb.TriggerID == "" || cb.ResponseURL == "" || cb.APIAppID != AppID {
		t.Errorf("callback = %+v", cb)
	}
	if cb.Message.Timestamp != ts || cb.Message.Text != "Revoke alice?" || len(cb.Message.Blocks.BlockSet) != 2 ||
		cb.Message.BotID != BotID {
		t.Errorf("callback message = %+v", cb.Message)
	}
	if cb.BlockActionState == nil {
		t.Error("no block action state")
	}

	// Once the buttons are gone a click is refused, unless the view is stale.
	if _, _, _, err := c.api.UpdateMessage("C1", ts, slack.MsgOptionText("Approved by bob", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatal(err)
	}
	m, _ = s.Message("C1", ts)
	if m.Updates != 1 || m.Text != "Approved by bob" || string(m.Blocks) != "[]" || len(s.Buttons(m)) != 0 {
		t.Errorf("updated message = %+v", m)
	}
	if _, err := s.Click(ctx, Click{UserID: "U2", ChannelID: "C1", MessageTS: ts, ActionID: "deny", Value: "req-1"}); err == nil {
		t.Error("click on a removed button succeeded")
	}
	if _, err := s.Click(ctx, Click{UserID: "U2", ChannelID: "C1", MessageTS: ts, ActionID: "deny", Value: "req-1", Stale: true}); err != nil {
		t.Fatal(err)
	}
	cb = recv(t, c.clicks, "stale click")
	if a := cb.ActionCallback.BlockActions[0]; a.ActionID != "deny" || a.BlockID != "decide" || a.Text.Text != "Deny" {
		t.Errorf("stale action = %+v", a)
	}
	if cb.Message.Text != "Approved by bob" {
		t.Errorf("stale click carries %q, want the current message", cb.Message.Text)
	}
	if _, err := s.Click(ctx, Click{UserID: "U2", ChannelID: "C1", MessageTS: "1.2", ActionID: "x", Stale: true}); err == nil {
		t.Error("click on an unknown message succeeded")
	}
}

func TestAckFailures(t *testing.T) {
	s := newServer(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.SlashCommand(ctx, SlashCommand{UserID: "U1", ChannelID: "C1"}); err == nil ||
		!strings.Contains(err.Error(), "no Socket Mode connection") {
		t.Errorf("without a connection: %v", err)
	}

	c := startClient(t, s)
	c.setAck(true, nil)
	if err := s.WaitConnections(testCtx(t, 5*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := s.SlashCommand(ctx, SlashCommand{UserID: "U1", ChannelID: "C1"}); err == nil ||
		!strings.Contains(err.Error(), "no ack") {
		t.Errorf("without an ack: %v", err)
	}
	recv(t, c.slash, "unacked command") // it was delivered, just never acked
}

func TestDisconnectAndReconnect(t *testing.T) {
	s := newServer(t, Options{})
	c := startClient(t, s)
	ctx := testCtx(t, 10*time.Second)
	if err := s.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	recv(t, c.hellos, "first hello")

	s.Disconnect("refresh_requested")
	// The command waits for the client to come back by itself.
	if _, err := s.SlashCommand(ctx, SlashCommand{UserID: "U1", ChannelID: "C1", Text: "after disconnect"}); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, c.slash, "command").Text; got != "after disconnect" {
		t.Errorf("text = %q", got)
	}
	if n := s.ConnectionsOpened(); n != 2 {
		t.Errorf("connections opened = %d, want 2", n)
	}

	s.DropConnections()
	if err := s.WaitFor(ctx, func(s *Server) bool { return s.ConnectionsOpened() == 3 }); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SlashCommand(ctx, SlashCommand{UserID: "U1", ChannelID: "C1", Text: "after drop"}); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, c.slash, "command").Text; got != "after drop" {
		t.Errorf("text = %q", got)
	}
}

func TestEnvelopesSpreadOverConnections(t *testing.T) {
	s := newServer(t, Options{})
	a, b := startClient(t, s), startClient(t, s)
	ctx := testCtx(t, 10*time.Second)
	if err := s.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}
	const n = 40
	for i := range n {
		if _, err := s.SlashCommand(ctx, SlashCommand{UserID: "U1", ChannelID: "C1", Text: string(rune('a' + i%26))}); err != nil {
			t.Fatal(err)
		}
	}
	if len(a.slash)+len(b.slash) != n || len(a.slash) == 0 || len(b.slash) == 0 {
		t.Errorf("client a got %d, client b got %d of %d", len(a.slash), len(b.slash), n)
	}
}

func TestPingsKeepConnectionAlive(t *testing.T) {
	s := newServer(t, Options{PingInterval: 20 * time.Millisecond})
	// The client gives up after 150ms without a ping; pings every 20ms keep it.
	startClient(t, s, socketmode.OptionPingInterval(150*time.Millisecond))
	ctx := testCtx(t, 5*time.Second)
	if err := s.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	if n := s.ConnectionsOpened(); n != 1 {
		t.Errorf("connections opened = %d, want 1 (the client timed out on pings)", n)
	}
}

func TestConnectionsOpenTokens(t *testing.T) {
	s := newServer(t, Options{})
	ctx := testCtx(t, 5*time.Second)
	_, _, err := slack.New(botToken, slack.OptionAppLevelToken(botToken), slack.OptionAPIURL(s.APIURL())).
		StartSocketModeContext(ctx)
	if err == nil || err.Error() != "not_allowed_token_type" {
		t.Errorf("bot token: %v", err)
	}
	_, _, err = slack.New(botToken, slack.OptionAppLevelToken("xapp-wrong"), slack.OptionAPIURL(s.APIURL())).
		StartSocketModeContext(ctx)
	if err == nil || err.Error() != "invalid_auth" {
		t.Errorf("wrong app token: %v", err)
	}
	_, u, err := apiClient(s).StartSocketModeContext(ctx)
	if err != nil || !strings.HasPrefix(u, "ws://127.0.0.1:") {
		t.Errorf("url %q err %v", u, err)
	}
	calls := s.Calls()
	if len(calls) != 3 || calls[2].Method != "apps.connections.open" || calls[0].Error != "not_allowed_token_type" {
		t.Errorf("calls = %+v", calls)
	}
}

func TestOnEventTranscript(t *testing.T) {
	s := newServer(t, Options{})
	events := make(chan Event, 100)
	s.OnEvent(func(e Event) { events <- e })
	c := startClient(t, s)
	ctx := testCtx(t, 10*time.Second)
	if _, err := s.SlashCommand(ctx, SlashCommand{UserID: "U1", ChannelID: "C1", Text: "bob"}); err != nil {
		t.Fatal(err)
	}
	ts := postWithButtons(t, c.api, "C1")
	if _, err := s.Click(ctx, Click{UserID: "U1", ChannelID: "C1", MessageTS: ts, ActionID: "approve", Value: "req-1"}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.api.UpdateMessage("C1", ts, slack.MsgOptionText("done", false)); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for range 4 {
		e := recv(t, events, "event")
		kinds = append(kinds, e.Kind)
		if e.Kind == "command" && (e.Text != "bob" || e.Command != "/revoke" || e.UserID != "U1" || e.ChannelID != "C1") {
			t.Errorf("command event = %+v", e)
		}
		if e.Kind == "click" && (e.ActionID != "approve" || e.Text != "Approve" || e.Value != "req-1") {
			t.Errorf("click event = %+v", e)
		}
	}
	if got := strings.Join(kinds, ","); got != "command,post,click,update" {
		t.Errorf("events = %s", got)
	}
}

func TestWaitConnectionAfter(t *testing.T) {
	s := newServer(t, Options{})
	startClient(t, s)
	ctx := testCtx(t, 10*time.Second)
	if err := s.WaitConnectionAfter(ctx, 0); err != nil {
		t.Fatal(err)
	}
	// The open connection is not a newer one.
	short := testCtx(t, 50*time.Millisecond)
	if err := s.WaitConnectionAfter(short, s.ConnectionsOpened()); err == nil {
		t.Fatal("the connection already open counted as a new one")
	}
	opened := s.ConnectionsOpened()
	s.Disconnect("refresh_requested")
	if err := s.WaitConnectionAfter(ctx, opened); err != nil {
		t.Fatal(err)
	}
}
