package main

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// ackCeiling is the goal for the 99th percentile of slash-command acks.
const ackCeiling = 50 * time.Millisecond

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkSlashCommandAck pushes 1,000 /revoke commands through the fake
// Socket Mode connection (each one a real request: group check, Graph lookup,
// store, card) and reports ack latency against the 50 ms goal.
func BenchmarkSlashCommandAck(b *testing.B) {
	const commands = 1000
	for range b.N {
		b.StopTimer()
		e := startEnv(b)
		var lat []time.Duration
		busy := 0
		b.StartTimer()
		for range commands {
			ack, err := e.sb.Slack.SlashCommand(e.ctx, fakeslack.SlashCommand{UserID: uRequester, ChannelID: chIncident, Text: "alice"})
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, ack.Latency())
			if len(ack.Payload) > 0 {
				busy++
			}
		}
		start := time.Now()
		e.waitFor("every card", func(*fakeslack.Server) bool { return len(e.roots(chIncident)) == commands-busy })
		drained := time.Since(start)
		b.StopTimer()
		p50, p99 := percentile(lat, 0.50), percentile(lat, 0.99)
		b.ReportMetric(float64(p50.Microseconds())/1000, "ack-p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "ack-p99-ms")
		b.ReportMetric(float64(p99)/float64(ackCeiling), "p99/ceiling")
		b.ReportMetric(float64(busy), "refused-busy")
		fmt.Printf("acks: %d commands, p50 %v, p99 %v, ceiling %v, p99/ceiling %.3f, refused as busy %d; all cards posted %v after the last ack\n",
			commands, p50, p99, ackCeiling, float64(p99)/float64(ackCeiling), busy, drained.Round(time.Millisecond))
		e.stop()
	}
}

// BenchmarkConfirmToGraph measures the bot's own time from a confirm click
// leaving Slack to the revoke request reaching Graph.
func BenchmarkConfirmToGraph(b *testing.B) {
	const requests = 200
	for range b.N {
		e := startEnv(b)
		var mu sync.Mutex
		arrived := map[string]time.Time{}
		e.sb.Graph.OnRequest(func(r fakegraph.Request) {
			if r.Method == "POST" {
				mu.Lock()
				arrived[r.Path] = r.At
				mu.Unlock()
			}
		})
		var lat []time.Duration
		for range requests {
			card := e.request(uRequester, "alice")
			e.sb.Graph.ClearFaults()
			mu.Lock()
			clear(arrived)
			mu.Unlock()
			ack, err := e.sb.Slack.Click(e.ctx, fakeslack.Click{UserID: uRequester, ChannelID: card.Channel, MessageTS: card.TS,
				ActionID: "revoke_confirm", Value: e.requestID(card)})
			if err != nil {
				b.Fatal(err)
			}
			e.waitAudit(e.requestID(card), "succeeded")
			mu.Lock()
			for _, at := range arrived {
				lat = append(lat, at.Sub(ack.SentAt))
			}
			mu.Unlock()
		}
		p50, p99 := percentile(lat, 0.50), percentile(lat, 0.99)
		b.ReportMetric(float64(p50.Microseconds())/1000, "click-to-graph-p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "click-to-graph-p99-ms")
		fmt.Printf("confirm click to Graph request: %d clicks, p50 %v, p99 %v\n", len(lat), p50, p99)
		e.stop()
	}
}

// BenchmarkReplicas: two replicas on PostgreSQL, 1,000 commands spread over
// both by the fake Slack (ack latency), then 300 of the cards confirmed with
// three clicks each spread over both (a double-click and a retry), 30 cards
// at a time, and the count of requests executed more than once.
func BenchmarkReplicas(b *testing.B) {
	const commands, confirmed, batch = 1000, 300, 30
	for range b.N {
		b.StopTimer()
		e, _ := replicas(b, 2)
		var lat []time.Duration
		for range commands {
			ack, err := e.sb.Slack.SlashCommand(e.ctx, fakeslack.SlashCommand{UserID: uRequester, ChannelID: chIncident, Text: "alice"})
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, ack.Latency())
		}
		e.waitWithin(5*time.Minute, "every card", func(*fakeslack.Server) bool { return len(e.roots(chIncident)) == commands })
		cards := e.roots(chIncident)[:confirmed]
		for i := 0; i < len(cards); i += batch {
			var wg sync.WaitGroup
			for _, card := range cards[i : i+batch] {
				id := e.requestID(card)
				for range 3 {
					wg.Go(func() { e.clickValue(uRequester, card, "revoke_confirm", id, true) })
				}
			}
			wg.Wait()
			e.waitWithin(time.Minute, "the batch's revocations", func(*fakeslack.Server) bool { return e.sb.Graph.Revocations(aliceID) >= i+batch })
		}
		time.Sleep(500 * time.Millisecond)
		twice := e.sb.Graph.Revocations(aliceID) - confirmed
		p50, p99 := percentile(lat, 0.50), percentile(lat, 0.99)
		b.ReportMetric(float64(p99.Microseconds())/1000, "ack-p99-ms")
		b.ReportMetric(float64(twice), "executed-twice")
		fmt.Printf("two replicas: %d commands, ack p50 %v, p99 %v (ceiling %v, p99/ceiling %.3f); %d requests confirmed with %d clicks; executed more than once: %d\n",
			commands, p50, p99, ackCeiling, float64(p99)/float64(ackCeiling), confirmed, 3*confirmed, twice)
	}
}
