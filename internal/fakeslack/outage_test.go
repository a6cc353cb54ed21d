package fakeslack

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// refusedCalls counts the calls of method an outage or a fault answered.
func refusedCalls(s *Server, method string) int {
	n := 0
	for _, c := range s.Calls() {
		if c.Method == method && c.Refused {
			n++
		}
	}
	return n
}

func TestOutageOfNamedMethods(t *testing.T) {
	s := newServer(t, Options{})
	api := apiClient(s)
	_, ts, err := api.PostMessage("C1", slack.MsgOptionText("before", false))
	if err != nil {
		t.Fatal(err)
	}
	// A fault scripted before the outage waits for the outage to end.
	s.FailNext("chat.postMessage", "channel_not_found", 1, 0)

	end := s.StartOutage(Outage{Methods: []string{"chat.postMessage", "chat.update"}})
	for range 3 {
		_, _, err := api.PostMessage("C1", slack.MsgOptionText("during", false))
		if sce, ok := errors.AsType[slack.StatusCodeError](err); !ok || sce.Code != http.StatusServiceUnavailable {
			t.Fatalf("chat.postMessage in an outage: %#v", err)
		}
	}
	_, _, _, err = api.UpdateMessage("C1", ts, slack.MsgOptionText("edited", false))
	if sce, ok := errors.AsType[slack.StatusCodeError](err); !ok || sce.Code != http.StatusServiceUnavailable {
		t.Errorf("chat.update in an outage: %#v", err)
	}
	if _, err := api.AuthTest(); err != nil {
		t.Errorf("auth.test is not in the outage: %v", err)
	}
	if m := s.Messages(); len(m) != 1 || m[0].Text != "before" || m[0].Updates != 0 {
		t.Errorf("an outage changed state: %+v", m)
	}
	if n := refusedCalls(s, "chat.postMessage"); n != 3 {
		t.Errorf("%d chat.postMessage calls refused, want 3", n)
	}
	last := s.Calls()[len(s.Calls())-2] // before auth.test
	if last.Method != "chat.update" || !last.Refused || last.Error != "http_503" || last.Params.Get("ts") != ts {
		t.Errorf("refused call = %+v", last)
	}

	end()
	end() // ending twice is harmless
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("the scripted fault after the outage: %v", err)
	}
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("after", false)); err != nil {
		t.Errorf("after the outage: %v", err)
	}
	if c := s.Calls(); !c[len(c)-2].Refused || c[len(c)-1].Refused {
		t.Errorf("a fault is refused, a success is not: %+v", c[len(c)-2:])
	}
}

func TestOutageOfTheWholeWebAPIKeepsSocketMode(t *testing.T) {
	s := newServer(t, Options{})
	c := startClient(t, s)
	ctx := testCtx(t, 10*time.Second)
	if err := s.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	end := s.StartOutage(Outage{Body: "upstream connect error"})
	defer end()

	// Slack's edge answers in plain text, and before looking at the token.
	resp, err := http.PostForm(s.APIURL()+"users.info", url.Values{"token": {"wrong"}, "user": {"U1"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || string(body) != "upstream connect error" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("answer = %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	_, _, err = c.api.PostMessage("C1", slack.MsgOptionText("x", false))
	if sce, ok := errors.AsType[slack.StatusCodeError](err); !ok || sce.Code != http.StatusServiceUnavailable {
		t.Errorf("chat.postMessage: %#v", err)
	}

	// Socket Mode stays up, and a client that loses its socket gets back in.
	s.DropConnections()
	if err := s.WaitFor(ctx, func(s *Server) bool { return s.ConnectionsOpened() == 2 }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SlashCommand(ctx, SlashCommand{UserID: "U1", ChannelID: "C1", Text: "during"}); err != nil {
		t.Fatal(err)
	}
	cmd := recv(t, c.slash, "command during the outage")
	// response_url is another host, up unless named.
	if _, _, err := c.api.PostMessage("C1", slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeEphemeral),
		slack.MsgOptionText("still here", false)); err != nil {
		t.Errorf("response_url: %v", err)
	}
	if len(s.Messages()) != 1 {
		t.Errorf("messages = %+v", s.Messages())
	}

	// Named, apps.connections.open fails too.
	endOpen := s.StartOutage(Outage{Methods: []string{"apps.connections.open", "response_url"}, Status: http.StatusBadGateway})
	defer endOpen()
	_, _, err = c.api.StartSocketModeContext(ctx)
	if sce, ok := errors.AsType[slack.StatusCodeError](err); !ok || sce.Code != http.StatusBadGateway {
		t.Errorf("apps.connections.open: %#v", err)
	}
	_, _, err = c.api.PostMessage("C1", slack.MsgOptionResponseURL(cmd.ResponseURL, ""), slack.MsgOptionText("n", false))
	if sce, ok := errors.AsType[slack.StatusCodeError](err); !ok || sce.Code != http.StatusBadGateway {
		t.Errorf("response_url: %#v", err)
	}
	if len(s.Messages()) != 1 || refusedCalls(s, "response_url") != 1 || refusedCalls(s, "apps.connections.open") != 1 {
		t.Errorf("messages %+v, calls %+v", s.Messages(), s.Calls())
	}
}

func TestOutageRateLimit(t *testing.T) {
	s := newServer(t, Options{})
	api := apiClient(s)
	end := s.StartOutage(Outage{Methods: []string{"chat.postMessage", "chat.update"}, Status: http.StatusTooManyRequests,
		RetryAfter: 1500 * time.Millisecond})
	for range 2 {
		_, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false))
		if rl, ok := errors.AsType[*slack.RateLimitedError](err); !ok || rl.RetryAfter != 2*time.Second {
			t.Fatalf("rate limited: %#v", err)
		}
	}
	if _, _, _, err := api.UpdateMessage("C1", "1.2", slack.MsgOptionText("x", false)); err == nil {
		t.Error("chat.update was not rate limited")
	}
	if len(s.Messages()) != 0 || refusedCalls(s, "chat.postMessage") != 2 {
		t.Errorf("messages %+v, calls %+v", s.Messages(), s.Calls())
	}
	if c := s.Calls()[0]; c.Error != "ratelimited" || !c.Refused {
		t.Errorf("call = %+v", c)
	}
	end()
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("after the rate limit: %v", err)
	}
}
