package fakeslack

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// historyScopes are the manifest's scopes, which include the one
// conversations.history needs.
var historyScopes = ManifestScopes()

// pageAll reads a channel's whole history with the real client, page by
// page, handing each message to see (slack.Message is over a kilobyte:
// keeping 100,000 of them would cost more than serving them) and returning
// the page sizes.
func pageAll(t testing.TB, api *slack.Client, channel string, limit int, see func(slack.Message)) (pages []int) {
	t.Helper()
	ctx := context.Background()
	cursor := ""
	for {
		resp, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channel, Limit: limit, Cursor: cursor})
		if err != nil {
			t.Fatalf("page %d: %v", len(pages)+1, err)
		}
		for _, m := range resp.Messages {
			see(m)
		}
		pages = append(pages, len(resp.Messages))
		if resp.HasMore != (resp.ResponseMetaData.NextCursor != "") {
			t.Fatalf("page %d: has_more %v with next_cursor %q", len(pages), resp.HasMore, resp.ResponseMetaData.NextCursor)
		}
		if !resp.HasMore {
			return pages
		}
		cursor = resp.ResponseMetaData.NextCursor
	}
}

func TestConversationsHistoryPaging(t *testing.T) {
	s := newServer(t, Options{Scopes: historyScopes})
	api := apiClient(s)
	var want []string // top-level ts in C1, oldest first
	for i := range 2500 {
		m := s.AddMessage(Message{Channel: "C1", Text: fmt.Sprintf("m%d", i)})
		want = append(want, m.TS)
		switch i % 500 {
		case 0: // noise history must leave out
			s.AddMessage(Message{Channel: "C1", ThreadTS: m.TS, Text: "reply"})
			s.AddMessage(Message{Channel: "C1", Ephemeral: true, User: "U1", Text: "psst"})
			s.AddMessage(Message{Channel: "C2", Text: "elsewhere"})
		}
	}
	gone := s.AddMessage(Message{Channel: "C1", Text: "deleted"})
	if _, _, err := api.DeleteMessage("C1", gone.TS); err != nil {
		t.Fatal(err)
	}
	// A person deleting it, outside the Web API, leaves the same hole.
	byHand := s.AddMessage(Message{Channel: "C1", Text: "deleted by an admin"})
	if !s.Delete("C1", byHand.TS) || s.Delete("C1", byHand.TS) || s.Delete("C1", "1.000001") {
		t.Fatal("Delete deletes a message once, and only one that exists")
	}
	if _, _, _, err := api.UpdateMessage("C1", want[1], slack.MsgOptionText("edited", false)); err != nil {
		t.Fatal(err)
	}

	var msgs []slack.Message
	pages := pageAll(t, api, "C1", 999, func(m slack.Message) { msgs = append(msgs, m) })
	if !slices.Equal(pages, []int{999, 999, 502}) {
		t.Fatalf("pages = %v", pages)
	}
	got := make([]string, len(msgs))
	for i, m := range msgs {
		got[i] = m.Timestamp
		if m.Type != "message" || m.User != BotUserID || m.BotID != BotID || m.Text == "" {
			t.Fatalf("message %d = %+v", i, m.Msg)
		}
	}
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Fatalf("history is not every top-level message newest first, once (%d of %d)", len(got), len(want))
	}
	last := msgs[len(msgs)-1] // m0, the first thread root
	if last.Text != "m0" || last.ThreadTimestamp != last.Timestamp || last.ReplyCount != 1 ||
		!slices.Equal(last.ReplyUsers, []string{BotUserID}) || last.LatestReply == "" {
		t.Errorf("thread root = %+v", last.Msg)
	}
	if m := msgs[len(msgs)-2]; m.Text != "edited" || m.ThreadTimestamp != "" || m.ReplyCount != 0 {
		t.Errorf("edited message = %+v", m.Msg)
	}
}

func TestConversationsHistoryParameters(t *testing.T) {
	s := newServer(t, Options{Scopes: historyScopes, Channels: map[string]bool{"C1": true, "C2": true, "C3": false}})
	api := apiClient(s)
	var ts []string
	for i := range 1200 {
		ts = append(ts, s.AddMessage(Message{Channel: "C1", Text: fmt.Sprint(i)}).TS)
	}
	s.AddMessage(Message{Channel: "C2", Text: "hi", Author: "U7"})
	s.AddMessage(Message{Channel: "C2", Text: "hi"})
	history := func(p slack.GetConversationHistoryParameters) *slack.GetConversationHistoryResponse {
		t.Helper()
		resp, err := api.GetConversationHistory(&p)
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		return resp
	}
	texts := func(r *slack.GetConversationHistoryResponse) string {
		var out []string
		for _, m := range r.Messages {
			out = append(out, m.Text)
		}
		return strings.Join(out, ",")
	}

	if r := history(slack.GetConversationHistoryParameters{ChannelID: "C1"}); len(r.Messages) != 100 || !r.HasMore ||
		r.Messages[0].Text != "1199" {
		t.Errorf("default limit: %d messages, has_more %v", len(r.Messages), r.HasMore)
	}
	if r := history(slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 5000}); len(r.Messages) != 999 {
		t.Errorf("limit 5000 served %d", len(r.Messages))
	}
	if r := history(slack.GetConversationHistoryParameters{ChannelID: "C1", Oldest: ts[5], Latest: ts[10]}); texts(r) != "9,8,7,6" || r.HasMore {
		t.Errorf("exclusive range = %s", texts(r))
	}
	r := history(slack.GetConversationHistoryParameters{ChannelID: "C1", Oldest: ts[5], Latest: ts[10], Inclusive: true, Limit: 4})
	if texts(r) != "10,9,8,7" || !r.HasMore {
		t.Errorf("inclusive range = %s", texts(r))
	}
	r = history(slack.GetConversationHistoryParameters{ChannelID: "C1", Oldest: ts[5], Latest: ts[10], Inclusive: true, Limit: 4,
		Cursor: r.ResponseMetaData.NextCursor})
	if texts(r) != "6,5" || r.HasMore || r.ResponseMetaData.NextCursor != "" {
		t.Errorf("second page of the range = %s", texts(r))
	}
	r = history(slack.GetConversationHistoryParameters{ChannelID: "C2"})
	if len(r.Messages) != 2 || r.Messages[1].User != "U7" || r.Messages[1].BotID != "" || r.Messages[0].BotID != BotID {
		t.Errorf("a person's and the bot's message = %+v", r.Messages)
	}

	for p, want := range map[slack.GetConversationHistoryParameters]string{
		{ChannelID: "C404"}:                 "channel_not_found",
		{ChannelID: "C3"}:                   "not_in_channel",
		{ChannelID: "C1", Cursor: "bogus"}:  "invalid_cursor",
		{ChannelID: "C1", Latest: "yester"}: "invalid_ts_latest",
	} {
		if _, err := api.GetConversationHistory(&p); err == nil || err.Error() != want {
			t.Errorf("%+v: %v, want %s", p, err, want)
		}
	}
	// Slack also takes a GET with the query string.
	resp, err := http.Get(s.APIURL() + "conversations.history?" + url.Values{"token": {botToken}, "channel": {"C2"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := s.Calls(); c[len(c)-1].Error != "" || c[len(c)-1].Params.Get("channel") != "C2" {
		t.Errorf("GET = %+v", c[len(c)-1])
	}

	noScope := newServer(t, Options{Scopes: slices.DeleteFunc(ManifestScopes(), func(s string) bool { return s == "channels:history" })})
	_, err = apiClient(noScope).GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1"})
	if err == nil || err.Error() != "missing_scope" {
		t.Errorf("without channels:history: %v", err)
	}
}

// TestConversationsHistoryAtScale pages 100,000 messages. It pages them all
// through the method itself, which is what a page costs the fake: over HTTP
// most of the time goes to JSON on both sides, which under the race detector
// takes ten times longer than the paging (see BenchmarkConversationsHistoryDeepPage
// for the cost of one page). The real client then reads the newest and the
// oldest page over HTTP.
func TestConversationsHistoryAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 messages")
	}
	s := newServer(t, Options{Scopes: historyScopes})
	const n = 100_000
	start := time.Now()
	var ts []string
	for i := range n {
		ts = append(ts, s.AddMessage(Message{Channel: "C1", Text: strconv.Itoa(i)}).TS)
	}
	added := time.Since(start)

	start = time.Now()
	cursor, pages, i := "", 0, n-1
	for {
		resp, aerr := s.conversationsHistory(url.Values{"channel": {"C1"}, "limit": {"999"}, "cursor": {cursor}})
		if aerr != nil {
			t.Fatal(aerr)
		}
		pages++
		for _, m := range resp["messages"].([]*wireMessage) {
			if i < 0 || m.TS != ts[i] || m.Text != strconv.Itoa(i) {
				t.Fatalf("page %d: got %s %q, want message %d", pages, m.TS, m.Text, i)
			}
			i--
		}
		cursor = resp["response_metadata"].(map[string]any)["next_cursor"].(string)
		more := resp["has_more"].(bool)
		if more != (cursor != "") {
			t.Fatalf("page %d: has_more %v with next_cursor %q", pages, more, cursor)
		}
		if !more {
			break
		}
	}
	t.Logf("added %d messages in %v, paged them in %d pages in %v", n, added, pages, time.Since(start))
	if i != -1 || pages != 101 {
		t.Fatalf("%d messages missed, %d pages", i+1, pages)
	}

	api := apiClient(s)
	for _, want := range []struct{ latest, first, last string }{{"", "99999", "99001"}, {ts[999], "998", "0"}} {
		resp, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 999, Latest: want.latest})
		if err != nil {
			t.Fatal(err)
		}
		if m := resp.Messages; len(m) != 999 || m[0].Text != want.first || m[998].Text != want.last || resp.HasMore != (want.latest == "") {
			t.Errorf("latest %q: %d messages, has_more %v", want.latest, len(m), resp.HasMore)
		}
	}
}

// BenchmarkConversationsHistoryDeepPage reads the oldest page of 100,000
// messages through the method itself, without HTTP: it should cost what the
// newest page costs.
func BenchmarkConversationsHistoryDeepPage(b *testing.B) {
	s := New(Options{BotToken: botToken})
	defer s.Close()
	var ts []string
	for i := range 100_000 {
		ts = append(ts, s.AddMessage(Message{Channel: "C1", Text: fmt.Sprint(i)}).TS)
	}
	for _, at := range []struct {
		name string
		ts   string
	}{{"newest", ""}, {"oldest", ts[998]}} {
		b.Run(at.name, func(b *testing.B) {
			p := url.Values{"channel": {"C1"}, "limit": {"999"}, "latest": {at.ts}, "inclusive": {"1"}}
			if at.ts == "" {
				p.Del("latest")
			}
			for b.Loop() {
				resp, aerr := s.conversationsHistory(p)
				if aerr != nil || len(resp["messages"].([]*wireMessage)) != 999 {
					b.Fatal(aerr)
				}
			}
		})
	}
}
