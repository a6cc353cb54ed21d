package fakeslack

import (
	"context"
	"io"
	"log"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

const (
	botToken = "xoxb-test-bot"
	appToken = "xapp-test-app"
)

func newServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.BotToken == "" {
		opts.BotToken = botToken
	}
	if opts.AppToken == "" {
		opts.AppToken = appToken
	}
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

func apiClient(s *Server) *slack.Client {
	return slack.New(botToken, slack.OptionAppLevelToken(appToken), slack.OptionAPIURL(s.APIURL()))
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// testClient is the real slack-go Socket Mode client, run the way a bot runs
// it: Events drained continuously, every request acked.
type testClient struct {
	api    *slack.Client
	sm     *socketmode.Client
	hellos chan socketmode.Event
	slash  chan slack.SlashCommand
	clicks chan slack.InteractionCallback
	reqs   chan socketmode.Request // raw envelopes of slash commands and clicks

	mu         sync.Mutex
	noAck      bool
	ackPayload any
}

func (c *testClient) setAck(noAck bool, payload any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noAck, c.ackPayload = noAck, payload
}

func startClient(t *testing.T, s *Server, opts ...socketmode.Option) *testClient {
	t.Helper()
	api := apiClient(s)
	opts = append([]socketmode.Option{socketmode.OptionLog(log.New(io.Discard, "", 0))}, opts...)
	c := &testClient{
		api:    api,
		sm:     socketmode.New(api, opts...),
		hellos: make(chan socketmode.Event, 100),
		slash:  make(chan slack.SlashCommand, 100),
		clicks: make(chan slack.InteractionCallback, 100),
		reqs:   make(chan socketmode.Request, 100),
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = c.sm.RunContext(ctx) })
	wg.Go(func() { c.drain(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return c
}

func (c *testClient) drain(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt := <-c.sm.Events:
			switch evt.Type {
			case socketmode.EventTypeHello:
				push(c.hellos, evt)
			case socketmode.EventTypeSlashCommand:
				push(c.slash, evt.Data.(slack.SlashCommand))
				c.ack(evt)
			case socketmode.EventTypeInteractive:
				push(c.clicks, evt.Data.(slack.InteractionCallback))
				c.ack(evt)
			}
		}
	}
}

func (c *testClient) ack(evt socketmode.Event) {
	push(c.reqs, *evt.Request)
	c.mu.Lock()
	noAck, payload := c.noAck, c.ackPayload
	c.mu.Unlock()
	if noAck {
		return
	}
	if payload != nil {
		_ = c.sm.Ack(*evt.Request, payload)
	} else {
		_ = c.sm.Ack(*evt.Request)
	}
}

func push[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

func recv[T any](t *testing.T, ch chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
