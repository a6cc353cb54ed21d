package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
	"github.com/revokebot/revokebot/revoke"
)

// The evidence snapshot must not delay containment: the click to the first
// Graph write is held against what it took before there was a snapshot,
// measured with BenchmarkClickToFirstWrite on this machine at 41962bb (the
// commit before the snapshot), Graph at graphLatency a call.
var firstWriteBefore = map[int]time.Duration{1: 4127 * time.Microsecond, 20: 8342 * time.Microsecond}

// snapshotScale shrinks Graph's reports window in the fake and the bot
// alike, so that twenty users' reads take seconds, not minutes; the
// figures are printed in Graph's own time.
const snapshotScale = 10

// clickToWrite confirms the card of `/revoke <users> --disable --mfa`,
// once its listing is in, and returns when the click was sent and when
// Graph first received a write after it.
func clickToWrite(b *testing.B, e *env, users []string) (card fakeslack.Message, clicked, wrote time.Time) {
	var mu sync.Mutex
	e.sb.Graph.OnRequest(func(r fakegraph.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method != "GET" && wrote.IsZero() && !clicked.IsZero() {
			wrote = r.At
		}
	})
	card = e.request(uRequester, strings.Join(users, " ")+" --disable --mfa")
	e.waitWithin(5*time.Minute, "the card filled in", func(*fakeslack.Server) bool {
		c := blocksOf(e.current(card))
		return strings.Contains(c, "attacker's phone") && !strings.Contains(c, "Still listing")
	})
	mu.Lock()
	clicked = time.Now()
	mu.Unlock()
	if _, err := e.sb.Slack.Click(e.ctx, fakeslack.Click{UserID: uRequester, ChannelID: card.Channel, MessageTS: card.TS,
		ActionID: "revoke_confirm", Value: e.requestID(card)}); err != nil {
		b.Fatal(err)
	}
	e.waitAudit(e.requestID(card), "succeeded")
	mu.Lock()
	defer mu.Unlock()
	return card, clicked, wrote
}

// snapshotUsers adds n users with an attacker's methods, alice first.
func snapshotUsers(e *env, n int) []string {
	upns := []string{"alice@contoso.com"}
	plantAttacker(e.sb.Graph, aliceID)
	for _, u := range fakegraph.Tenant(n-1, 31) {
		e.sb.AddUsers(u)
		plantAttacker(e.sb.Graph, u.ID)
		upns = append(upns, u.UserPrincipalName)
	}
	return upns
}

// BenchmarkClickToFirstWrite: for 1 and for 20 users (`--disable
// --mfa`, Graph at graphLatency a call), the time from the confirm click
// to Graph's first write, which the snapshot sealed before it must not
// delay: held against firstWriteBefore.
func BenchmarkClickToFirstWrite(b *testing.B) {
	const rounds = 5
	for range b.N {
		for _, n := range []int{1, 20} {
			var took []time.Duration
			for range rounds {
				e := startEnv(b, withGraphLimits(revoke.ReportsWindow/snapshotScale, quickBudget))
				upns := snapshotUsers(e, n)
				e.sb.Graph.SetLatency(graphLatency)
				_, clicked, wrote := clickToWrite(b, e, upns)
				took = append(took, wrote.Sub(clicked))
				e.stop()
			}
			p50 := percentile(took, 0.5)
			ratio := ""
			if before := firstWriteBefore[n]; before > 0 {
				ratio = fmt.Sprintf(" (%v before the snapshot: ratio %.2f)", before, float64(p50)/float64(before))
				b.ReportMetric(float64(p50)/float64(before), fmt.Sprintf("ratio-%d-users", n))
			}
			b.ReportMetric(float64(p50.Microseconds())/1000, fmt.Sprintf("click-to-write-%d-users-ms", n))
			fmt.Printf("click to the first Graph write, %d user(s), Graph at %v a call: p50 %v, max %v over %d rounds%s\n",
				n, graphLatency, p50.Round(time.Millisecond), slices.Max(took).Round(time.Millisecond), rounds, ratio)
		}
	}
}

// BenchmarkClickToSealedSnapshot: for 1 and for 20 users, the time from
// the click to the snapshot sealed with its logs, against the least time
// Graph's reports budget allows the reports reads made meanwhile (the
// methods' listing and removal, the read-back, the snapshot's two logs a
// user), in Graph's time.
func BenchmarkClickToSealedSnapshot(b *testing.B) {
	for range b.N {
		for _, n := range []int{1, 20} {
			e := startEnv(b, withGraphLimits(revoke.ReportsWindow/snapshotScale, quickBudget))
			upns := snapshotUsers(e, n)
			e.sb.Graph.SetLatency(graphLatency)
			card, clicked, wrote := clickToWrite(b, e, upns)
			id := e.requestID(card)
			var sealed time.Time
			e.waitWithin(10*time.Minute, "the sealed snapshot", func(s *fakeslack.Server) bool {
				for _, m := range s.Thread(card.Channel, card.TS) {
					if strings.Contains(m.Text, "completed with their sign-ins") {
						sealed = m.PostedAt
						return true
					}
				}
				return false
			})
			reads := 0
			for _, r := range e.sb.Graph.Requests() {
				p := strings.ToLower(r.Path)
				if r.At.After(clicked) && !r.At.After(sealed) && (strings.Contains(p, "/auditlogs/") || strings.Contains(p, "/authentication/")) {
					reads++
				}
			}
			took := sealed.Sub(clicked) * snapshotScale
			floor := reportsFloor(reads)
			ratio := float64(took) / float64(max(floor, time.Second))
			b.ReportMetric(took.Seconds(), fmt.Sprintf("click-to-sealed-%d-users-s", n))
			b.ReportMetric(ratio, fmt.Sprintf("ratio/floor-%d-users", n))
			fmt.Printf("click to the sealed snapshot of %s (%s), in Graph's time: %v; first write %v after the click; %d reports reads meanwhile, which the budget allows in no less than %v (ratio/floor %.2f); %d answered 429\n",
				usersWord(n), id, took.Round(time.Millisecond), wrote.Sub(clicked).Round(time.Millisecond), reads, floor, ratio, e.sb.Graph.ReportsThrottled())
			e.stop()
		}
	}
}

func usersWord(n int) string {
	if n == 1 {
		return "1 user"
	}
	return fmt.Sprintf("%d users", n)
}
