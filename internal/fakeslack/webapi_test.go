package fakeslack

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestWebAPIMethods(t *testing.T) {
	s := newServer(t, Options{
		TeamID: "T123",
		Users: []User{{ID: "U1", Name: "alice", RealName: "Alice A", Email: "alice@example.com", IsRestricted: true},
			{ID: "U9", Name: "gone", Deleted: true}},
		Groups: map[string][]string{"S1": {"U1", "U9"}},
	})
	api := apiClient(s)

	at, err := api.AuthTest()
	if err != nil || at.UserID != BotUserID || at.BotID != BotID || at.TeamID != "T123" {
		t.Errorf("auth.test = %+v, %v", at, err)
	}
	u, err := api.GetUserInfo("U1")
	if err != nil || u.ID != "U1" || u.Name != "alice" || u.RealName != "Alice A" || u.Profile.Email != "alice@example.com" ||
		!u.IsRestricted || u.Deleted || u.IsBot {
		t.Errorf("users.info = %+v, %v", u, err)
	}
	s.AddUser(User{ID: "U2", Name: "bot", IsBot: true})
	if u, err := api.GetUserInfo("U2"); err != nil || !u.IsBot {
		t.Errorf("added user = %+v, %v", u, err)
	}
	if _, err := api.GetUserInfo("U404"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	members, err := api.GetUserGroupMembers("S1")
	if err != nil || strings.Join(members, ",") != "U1,U9" {
		t.Errorf("usergroups.users.list = %v, %v", members, err)
	}
	s.SetGroup("S2", nil)
	if members, err := api.GetUserGroupMembers("S2"); err != nil || len(members) != 0 {
		t.Errorf("empty group = %v, %v", members, err)
	}
	if _, err := api.GetUserGroupMembers("S404"); err == nil || err.Error() != "no_such_subteam" {
		t.Errorf("unknown group: %v", err)
	}
	ch, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C1"})
	if err != nil || ch.ID != "C1" || ch.Name == "" {
		t.Errorf("conversations.info = %+v, %v", ch, err)
	}

	// A thread: root, two replies, an ephemeral.
	_, root, err := api.PostMessage("C1", slack.MsgOptionText("root", false))
	if err != nil {
		t.Fatal(err)
	}
	_, r1, _ := api.PostMessage("C1", slack.MsgOptionText("reply 1", false), slack.MsgOptionTS(root))
	_, r2, _ := api.PostMessage("C1", slack.MsgOptionText("reply 2", false), slack.MsgOptionTS(root))
	if !(root < r1 && r1 < r2) {
		t.Errorf("ts not increasing: %s %s %s", root, r1, r2)
	}
	ets, err := api.PostEphemeral("C1", "U1", slack.MsgOptionText("only you", false))
	if err != nil || ets == "" {
		t.Fatalf("chat.postEphemeral = %q, %v", ets, err)
	}
	if th := s.Thread("C1", root); len(th) != 2 || th[0].Text != "reply 1" || th[1].TS != r2 {
		t.Errorf("thread = %+v", th)
	}
	if e := s.Ephemerals("U1"); len(e) != 1 || !e[0].Ephemeral || e[0].Via != "chat.postEphemeral" || e[0].Text != "only you" {
		t.Errorf("ephemerals = %+v", e)
	}
	if _, _, _, err := api.UpdateMessage("C1", "1.000001", slack.MsgOptionText("x", false)); err == nil ||
		err.Error() != "message_not_found" {
		t.Errorf("update unknown: %v", err)
	}
	// chat.update without blocks keeps them; with blocks replaces them.
	_, ts, _ := api.PostMessage("C1", slack.MsgOptionBlocks(slack.NewDividerBlock()))
	if _, _, _, err := api.UpdateMessage("C1", ts, slack.MsgOptionText("t", false)); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Message("C1", ts); !strings.Contains(string(m.Blocks), "divider") || m.Text != "t" || m.Updates != 1 {
		t.Errorf("after text-only update: %+v", m)
	}
	if _, _, err := api.DeleteMessage("C1", ts); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Message("C1", ts); !m.Deleted {
		t.Errorf("not deleted: %+v", m)
	}
	if got := len(s.Messages()); got != 5 {
		t.Errorf("%d messages, want 5", got)
	}
}

func TestWebAPIErrors(t *testing.T) {
	s := newServer(t, Options{})
	bad := slack.New("xoxb-wrong", slack.OptionAPIURL(s.APIURL()))
	if _, err := bad.AuthTest(); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("wrong token: %v", err)
	}
	app := slack.New(appToken, slack.OptionAPIURL(s.APIURL()))
	if _, err := app.AuthTest(); err == nil || err.Error() != "not_allowed_token_type" {
		t.Errorf("app token: %v", err)
	}
	// A Bearer header is as good as the token field.
	resp := rawPost(t, s.APIURL()+"auth.test", "Bearer "+botToken, url.Values{})
	if !strings.Contains(resp, `"ok":true`) {
		t.Errorf("bearer auth.test = %s", resp)
	}
	if resp := rawPost(t, s.APIURL()+"no.such", "", url.Values{"token": {botToken}}); !strings.Contains(resp, "unknown_method") {
		t.Errorf("unknown method = %s", resp)
	}

	api := apiClient(s)
	huge := strings.Repeat("x", 3001)
	_, _, err := api.PostMessage("C1", slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", huge, false, false), nil, nil)))
	if err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("oversized text: %v", err)
	}
	if _, _, err := api.PostMessage("C1"); err == nil || err.Error() != "no_text" {
		t.Errorf("empty message: %v", err)
	}

	s.FailNext("chat.postMessage", "channel_not_found", 2, 0)
	for range 2 {
		if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); err == nil || err.Error() != "channel_not_found" {
			t.Errorf("fault: %v", err)
		}
	}
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("after faults: %v", err)
	}
	s.FailNext("users.info", "ratelimited", 1, 7)
	_, err = api.GetUserInfo("U1")
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); !ok || rl.RetryAfter != 7*time.Second {
		t.Errorf("rate limit: %#v", err)
	}

	calls := s.Calls()
	for _, c := range calls {
		if c.Params.Has("token") {
			t.Errorf("token not redacted in %+v", c)
		}
	}
	last := calls[len(calls)-1]
	if last.Method != "users.info" || last.Error != "ratelimited" || last.Params.Get("user") != "U1" {
		t.Errorf("last call = %+v", last)
	}
}

func rawPost(t *testing.T, u, auth string, form url.Values) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestResponseURL(t *testing.T) {
	s := newServer(t, Options{})
	c := startClient(t, s)
	ctx := testCtx(t, 10*time.Second)
	ack, err := s.SlashCommand(ctx, SlashCommand{UserID: "U1", ChannelID: "C1", Text: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := recv(t, c.slash, "command")
	// Ack first, then the Web API: the log proves the order.
	if _, _, err := c.api.PostMessage("C1", slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeEphemeral),
		slack.MsgOptionText("working on it", false)); err != nil {
		t.Fatal(err)
	}
	calls := s.Calls()
	if len(calls) != 2 || calls[1].Method != "response_url" || !calls[1].At.After(ack.AckedAt) {
		t.Errorf("calls = %+v, ack at %v", calls, ack.AckedAt)
	}
	e := s.Ephemerals("U1")
	if len(e) != 1 || e[0].Via != "response_url" || e[0].Text != "working on it" || e[0].Channel != "C1" || len(e[0].Blocks) != 0 {
		t.Errorf("ephemerals = %+v", e)
	}
	if _, _, err := c.api.PostMessage("C1", slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeInChannel),
		slack.MsgOptionText("for all", false)); err != nil {
		t.Fatal(err)
	}
	if m := s.Messages(); m[1].Ephemeral || m[1].Text != "for all" {
		t.Errorf("in_channel = %+v", m[1])
	}
	for i := 3; i <= 6; i++ {
		_, _, err := c.api.PostMessage("C1", slack.MsgOptionResponseURL(cmd.ResponseURL, ""), slack.MsgOptionText("n", false))
		var sce slack.StatusCodeError
		if i <= 5 && err != nil {
			t.Errorf("use %d: %v", i, err)
		}
		if i == 6 && (!errors.As(err, &sce) || sce.Code != http.StatusNotFound) {
			t.Errorf("use 6: %v", err)
		}
	}

	// replace_original on a click's response_url edits the clicked message.
	ts := postWithButtons(t, c.api, "C1")
	if _, err := s.Click(ctx, Click{UserID: "U1", ChannelID: "C1", MessageTS: ts, ActionID: "approve", Value: "req-1"}); err != nil {
		t.Fatal(err)
	}
	cb := recv(t, c.clicks, "click")
	if _, _, err := c.api.PostMessage("C1", slack.MsgOptionReplaceOriginal(cb.ResponseURL),
		slack.MsgOptionText("approved", false)); err != nil {
		t.Fatal(err)
	}
	m, _ := s.Message("C1", ts)
	if m.Text != "approved" || m.Updates != 1 || len(s.Buttons(m)) != 0 {
		t.Errorf("replaced = %+v", m)
	}
	var body map[string]any
	_ = json.Unmarshal([]byte(rawPost(t, cb.ResponseURL, "", nil)), &body) // not JSON: 400
	if body["error"] != "invalid_payload" {
		t.Errorf("bad body = %v", body)
	}
}
