package main

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

// floodCeiling is the goal for a responder's command-to-card latency during
// a stranger's flood, as a multiple of the same latency without one.
const floodCeiling = 2.0

// cardLatencies runs n /revoke commands by the requester, one after
// another, and returns each one's time from the command to its card;
// check, when given, looks at each card.
func cardLatencies(b *testing.B, e *env, n int, text string, check func(card fakeslack.Message)) []time.Duration {
	var out []time.Duration
	for range n {
		before := len(e.roots(chIncident))
		sent := time.Now()
		e.command(uRequester, chIncident, text)
		e.waitFor("the card", func(*fakeslack.Server) bool { return len(e.roots(chIncident)) > before })
		card := e.roots(chIncident)[before]
		if check != nil {
			check(card)
		}
		out = append(out, card.PostedAt.Sub(sent))
	}
	return out
}

// BenchmarkCardDuringFlood: a responder's command-to-card latency with
// Slack answering each Web API call in 100 ms, first alone, then while a
// stranger sends refused commands, 64 at a time, for as long as the
// responder works (1,000 at least).
func BenchmarkCardDuringFlood(b *testing.B) {
	const responder, flood = 30, 1000
	for range b.N {
		e := startEnv(b)
		e.sb.Slack.SetLatency(100 * time.Millisecond)
		e.command(uStranger, chIncident, "alice")
		e.ephemeral(uStranger, "not on revokebot's list")
		quiet := cardLatencies(b, e, responder, "alice", nil)

		// The flood runs for as long as the responder works, and at least
		// until 1,000 commands were sent.
		var wg sync.WaitGroup
		var mu sync.Mutex
		sent, done := 0, false
		for range 64 {
			wg.Go(func() {
				for {
					mu.Lock()
					if done && sent >= flood {
						mu.Unlock()
						return
					}
					sent++
					mu.Unlock()
					_, _ = e.sb.Slack.SlashCommand(e.ctx, fakeslack.SlashCommand{UserID: uStranger, ChannelID: chIncident, Text: "alice"})
				}
			})
		}
		time.Sleep(100 * time.Millisecond)
		loud := cardLatencies(b, e, responder, "alice", nil)
		mu.Lock()
		done = true
		mu.Unlock()
		wg.Wait()
		q50, q99, l50, l99 := percentile(quiet, 0.5), percentile(quiet, 0.99), percentile(loud, 0.5), percentile(loud, 0.99)
		ratio := float64(l99) / float64(q99)
		b.ReportMetric(float64(l99.Microseconds())/1000, "flood-card-p99-ms")
		b.ReportMetric(ratio/floodCeiling, "ratio/ceiling")
		fmt.Printf("command to card with Slack at 100 ms a call: alone p50 %v p99 %v; during a %d-command stranger flood p50 %v p99 %v; p99 ratio %.2f (ceiling %.1f, ratio/ceiling %.2f)\n",
			q50.Round(time.Millisecond), q99.Round(time.Millisecond), sent, l50.Round(time.Millisecond), l99.Round(time.Millisecond), ratio, floodCeiling, ratio/floodCeiling)
		e.stop()
	}
}

// outageCeiling is the goal for telling everything recorded during a Slack
// outage once Slack is back.
const outageCeiling = 10 * time.Second

// BenchmarkOutboxAfterOutage: 20 requests are confirmed and revoked while
// Slack's Web API answers 503 for 60 s; the time from Slack's return until
// every record of theirs is in the audit channel and every outcome in its
// thread.
func BenchmarkOutboxAfterOutage(b *testing.B) {
	const requests, outage = 20, 60 * time.Second
	for range b.N {
		e := startEnv(b)
		var cards []fakeslack.Message
		for range requests {
			cards = append(cards, e.request(uRequester, "alice"))
		}
		end := e.sb.Slack.StartOutage(fakeslack.Outage{})
		began := time.Now()
		for _, c := range cards {
			e.clickValue(uRequester, c, "revoke_confirm", e.requestID(c), true)
		}
		e.waitWithin(outage, "the revocations", func(*fakeslack.Server) bool { return e.sb.Graph.Revocations(aliceID) == requests })
		time.Sleep(time.Until(began.Add(outage)))
		end()
		back := time.Now()
		e.waitWithin(2*time.Minute, "everything told", func(*fakeslack.Server) bool {
			for _, c := range cards {
				if len(e.auditSeqs(e.requestID(c))) < 5 {
					return false
				}
			}
			return true
		})
		took := time.Since(back)
		b.ReportMetric(took.Seconds(), "delivered-after-s")
		b.ReportMetric(float64(took)/float64(outageCeiling), "took/ceiling")
		fmt.Printf("after a %v Slack outage: %d requests' records and outcomes delivered %v after Slack's return (ceiling %v, took/ceiling %.2f)\n",
			outage, requests, took.Round(time.Millisecond), outageCeiling, float64(took)/float64(outageCeiling))
		e.stop()
	}
}
