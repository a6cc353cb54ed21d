package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

// colleaguePause is how long the colleague waits after a card before the
// next command: a person reading the card, and longer than the command's
// work after its card (Slack's answer to the post, at 100 ms), so that the
// colleague measures the flood rather than their own previous command.
const colleaguePause = 200 * time.Millisecond

// BenchmarkCardDuringRequesterFlood: a colleague's command-to-card latency
// with Slack answering each Web API call in 100 ms, first alone, then
// while another requester's script floods revokebot: 200 /revoke commands
// sent 8 at a time, each sent again 100 ms after revokebot said too many
// of theirs wait, and once all 200 are served another 200, for as long as
// the colleague works. The ceiling is floodCeiling (2x the quiet p99).
func BenchmarkCardDuringRequesterFlood(b *testing.B) {
	const cards, flood, senders = 200, 200, 8
	for range b.N {
		e := startEnv(b)
		// 200 cards a phase, each followed by a pause, outlast the env's
		// 60 s: this benchmark's calls get a context of their own.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		e.ctx = ctx
		e.sb.Slack.SetLatency(100 * time.Millisecond)
		// Cards are seen as Slack records them rather than by polling every
		// message, whose cost grows with the flood and would be measured too.
		mine, floodCards, more := make(chan fakeslack.Message, cards), atomic.Int64{}, make(chan struct{}, 1)
		e.sb.Slack.OnEvent(func(ev fakeslack.Event) {
			m := ev.Message
			switch {
			case ev.Kind != "post" || m.Channel != chIncident || m.ThreadTS != "" || m.Ephemeral:
			case strings.Contains(m.Text, "by <@"+uOther+">"):
				mine <- m
			case strings.Contains(m.Text, "by <@"+uRequester+">"):
				floodCards.Add(1)
				select {
				case more <- struct{}{}:
				default:
				}
			}
		})
		colleague := func() []time.Duration {
			var out []time.Duration
			for range cards {
				sent := time.Now()
				e.command(uOther, chIncident, "alice")
				select {
				case m := <-mine:
					out = append(out, m.PostedAt.Sub(sent))
				case <-time.After(15 * time.Second):
					b.Fatal("the colleague's card did not come")
				}
				time.Sleep(colleaguePause)
			}
			return out
		}
		quiet := colleague()

		var sent, told atomic.Int64
		var stop atomic.Bool
		flooded := make(chan struct{})
		go func() {
			defer close(flooded)
			for round := int64(1); !stop.Load(); round++ {
				floodRound(b, e, flood, senders, &told)
				sent.Add(flood)
				for floodCards.Load() < round*flood {
					select {
					case <-more:
					case <-time.After(time.Minute):
						b.Error("the flood's cards did not all come")
						return
					}
				}
			}
		}()
		loud := colleague()
		stop.Store(true)
		<-flooded

		q50, q95, q99 := percentile(quiet, 0.5), percentile(quiet, 0.95), percentile(quiet, 0.99)
		l50, l95, l99 := percentile(loud, 0.5), percentile(loud, 0.95), percentile(loud, 0.99)
		ratio := float64(l99) / float64(q99)
		b.ReportMetric(float64(l99.Microseconds())/1000, "flood-card-p99-ms")
		b.ReportMetric(float64(l50)/float64(q50), "p50-ratio")
		b.ReportMetric(float64(l95)/float64(q95), "p95-ratio")
		b.ReportMetric(ratio, "p99-ratio")
		b.ReportMetric(ratio/floodCeiling, "ratio/ceiling")
		fmt.Printf("colleague's command to card with Slack at 100 ms a call (%d cards each): alone p50 %v p95 %v p99 %v; during a requester's flood (%d commands served, told to wait %d times) p50 %v p95 %v p99 %v; ratios p50 %.2f p95 %.2f p99 %.2f (ceiling %.1f, ratio/ceiling %.2f)\n",
			cards, q50.Round(time.Millisecond), q95.Round(time.Millisecond), q99.Round(time.Millisecond), sent.Load(), told.Load(),
			l50.Round(time.Millisecond), l95.Round(time.Millisecond), l99.Round(time.Millisecond),
			float64(l50)/float64(q50), float64(l95)/float64(q95), ratio, floodCeiling, ratio/floodCeiling)
		e.stop()
		cancel()
	}
}

// floodRound sends n /revoke commands by the requester from senders
// goroutines, each sent again 100 ms after revokebot said too many of
// theirs wait, until all n are taken.
func floodRound(b *testing.B, e *env, n, senders int, told *atomic.Int64) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				for {
					ack, err := e.sb.Slack.SlashCommand(e.ctx, fakeslack.SlashCommand{UserID: uRequester, ChannelID: chIncident, Text: "alice"})
					if err != nil {
						b.Error(err)
						return
					}
					if len(ack.Payload) == 0 {
						break
					}
					told.Add(1)
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
}
