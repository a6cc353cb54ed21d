package request

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/revoke"
)

const uCol = "UCOL" // a second requester: the flooder's colleague

// gatedDirectory holds every lookup of alice until gate closes, telling
// entered as each one starts: the flooder's commands hang there, as on a
// Graph that stopped answering.
type gatedDirectory struct {
	directory
	gate    chan struct{}
	entered chan struct{}
}

func (d gatedDirectory) Resolve(ctx context.Context, l revoke.Lookup) ([]revoke.User, error) {
	if strings.HasPrefix(l.Value, "alice") {
		d.entered <- struct{}{}
		select {
		case <-d.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return d.directory.Resolve(ctx, l)
}

// announcing is the recorder that also says each card it is given.
type announcing struct {
	*recorder
	cards chan string
}

func (a announcing) Post(ctx context.Context, channel, threadTS string, m Message) (string, error) {
	ts, err := a.recorder.Post(ctx, channel, threadTS, m)
	if err == nil && channel == chInc && threadTS == "" {
		a.cards <- m.Text
	}
	return ts, err
}

// TestFlowFloodLeavesAColleagueServed: a requester sends 200 commands while
// Graph holds every one of them; they are told, past 16 waiting, how many
// of theirs wait, and a colleague's command gets its card while the flood
// is still held. Once Graph answers, every command the flooder was not
// told about is served.
func TestFlowFloodLeavesAColleagueServed(t *testing.T) {
	t.Parallel()
	dir := gatedDirectory{directory: directory{users: []revoke.User{alice, mallory, carol, boss}},
		gate: make(chan struct{}), entered: make(chan struct{}, 256)}
	cards := make(chan string, 256)
	f := newFlow(t, func(c *Config) {
		c.Directory = dir
		c.Messenger = announcing{recorder: c.Messenger.(*recorder), cards: cards}
		c.Policy.Requesters.Users = append(c.Policy.Requesters.Users, uCol)
		c.Workers = 8
	})
	ctx, cancel := context.WithCancel(f.ctx)
	f.w.Start(ctx)
	defer func() { cancel(); f.w.Drain(time.Second) }()

	// The flooder's first commands take all the workers one person may
	// hold (half), so that what follows is counted against their waiting share.
	running := f.w.cfg.Workers / 2
	for i := range running {
		f.w.Command(CommandEvent{User: uReq, Channel: chInc, Text: "alice", TriggerID: fmt.Sprint("flood-", i)})
		<-dir.entered
	}
	told := 0
	for i := running; i < 200; i++ {
		ack := f.w.Command(CommandEvent{User: uReq, Channel: chInc, Text: "alice", TriggerID: fmt.Sprint("flood-", i)})
		switch ack.Text {
		case "":
		case "You have 16 requests waiting; revokebot will take more from you when they are done.":
			told++
		default:
			t.Fatalf("flood command %d: ack %q", i, ack.Text)
		}
	}
	if taken := 200 - told; taken != running+perPersonWaiting {
		t.Fatalf("%d of the flood taken, want %d running and %d waiting", taken, running, perPersonWaiting)
	}

	if ack := f.w.Command(CommandEvent{User: uCol, Channel: chInc, Text: "carol", TriggerID: "colleague"}); ack.Text != "" {
		t.Fatalf("the colleague was told %q", ack.Text)
	}
	select {
	case card := <-cards:
		if !strings.Contains(card, "<@"+uCol+">") {
			t.Fatalf("the first card is not the colleague's: %q", card)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the colleague's card did not come while the flood was held")
	}

	close(dir.gate)
	for range running + perPersonWaiting {
		select {
		case <-cards:
		case <-time.After(10 * time.Second):
			t.Fatal("the flooder's queued commands were not all served")
		}
	}
	if got := f.msg.private(uCol); got != "" {
		t.Errorf("the colleague was told %q", got)
	}
}
