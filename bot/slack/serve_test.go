package slack

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/bot/request"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// stalled is a Handler whose commands wait until release is closed, so that
// Serve's loop is busy while the bot is told to stop.
type stalled struct {
	got     chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *stalled) Command(request.CommandEvent) request.Ack {
	s.once.Do(func() { close(s.got) })
	<-s.release
	return request.Ack{}
}

func (s *stalled) Click(request.ClickEvent) {}

// TestServeReturnsWhenStoppedMidEvent: a bot told to stop while its loop
// handles an event finds both its context ended and its connection loop
// returned when the event is done; Serve must return then, whichever of
// the two it sees first. Each round gives the old hang an even chance.
func TestServeReturnsWhenStoppedMidEvent(t *testing.T) {
	t.Parallel()
	fs := fakeslack.New(fakeslack.Options{BotToken: "xoxb-t", AppToken: "xapp-t"})
	t.Cleanup(fs.Close)
	for round := range 12 {
		a, err := New(Config{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fs.APIURL()})
		if err != nil {
			t.Fatal(err)
		}
		h := &stalled{got: make(chan struct{}), release: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- a.Serve(ctx, h) }()
		wait, stop := context.WithTimeout(context.Background(), 10*time.Second)
		if err := fs.WaitConnections(wait, 1); err != nil {
			t.Fatal(err)
		}
		go func() {
			_, _ = fs.SlashCommand(wait, fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Text: "alice"})
		}()
		<-h.got
		cancel()
		// Let the connection loop see the end and return before the
		// event is done.
		for fs.OpenConnections() > 0 && wait.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		close(h.release)
		select {
		case <-served:
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: Serve did not return after its context ended", round)
		}
		stop()
	}
}
