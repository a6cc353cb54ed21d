package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/bot/request"
	"github.com/revokebot/revokebot/internal/fakeslack"
	"github.com/revokebot/revokebot/revoke"
)

// BenchmarkWatchFiftyUsers: sign-in watches of 50 users (three requests:
// one names at most 20) under Graph's reports budget, its window shrunk
// watchScale times in the fake and the bot alike, so that a look at all 50
// takes 9 windows, 1.8 s here where Graph's takes 90 s. With verify.every
// long enough every user is read once per look; with a shorter one, looks
// follow at the budget's pace, and the watch says what verify.every it
// would need. The figures are printed in Graph's own time.
func BenchmarkWatchFiftyUsers(b *testing.B) {
	const (
		users      = 50
		watchScale = 50
		watchFor   = 9 * time.Second
	)
	window := revoke.ReportsWindow / watchScale
	needed := request.LookTakes(users) / watchScale
	for range b.N {
		for _, every := range []time.Duration{needed * 2, needed / 2} {
			e := startEnv(b, withPolicy(testPolicy+fmt.Sprintf("verify:\n  for: %s\n  every: 10s\n", watchFor)), withWatchEvery(every),
				withGraphLimits(window, 0))
			ids, targets := crowd(e, users, true)
			all := strings.Fields(targets)
			var cards []string
			for from := 0; from < users; from += request.MaxTargets {
				card := e.request(uRequester, strings.Join(all[from:min(from+request.MaxTargets, users)], " "))
				cards = append(cards, e.requestID(card))
				e.click(uRequester, card, "revoke_confirm")
			}
			for _, id := range cards {
				e.waitWithin(time.Minute, "the watch's end", func(s *fakeslack.Server) bool {
					return slices.ContainsFunc(s.Messages(), func(m fakeslack.Message) bool {
						return m.Channel == chAudit && strings.Contains(m.Text, "*verified*") && strings.Contains(m.Text, id)
					})
				})
			}
			reads := signInReads(e.sb.Graph, ids)
			counts := make([]int, 0, users)
			for _, id := range ids {
				counts = append(counts, reads[id])
			}
			lo, hi := slices.Min(counts), slices.Max(counts)
			// A look at the start, one every verify.every, and the last at
			// the watch's end.
			wantLooks := int(watchFor/every) + 1
			if watchFor%every != 0 {
				wantLooks++
			}
			fmt.Printf("watch of %d users, verify.every %v in Graph's time (a look needs %v): each user read %d to %d times in %v, where verify.every asks for %d looks (ratio %.2f); %d reads drew a 429\n",
				users, every*watchScale, needed*watchScale, lo, hi, watchFor*watchScale, wantLooks, float64(lo)/float64(wantLooks), e.sb.Graph.ReportsThrottled())
			if every < needed {
				said := e.sb.Slack.Messages()
				i := slices.IndexFunc(said, func(m fakeslack.Message) bool { return strings.Contains(m.Text, "keeps to what the policy says") })
				if i < 0 {
					b.Fatalf("the watch did not say it cannot keep verify.every")
				}
				_, words, _ := strings.Cut(said[i].Text, " is posted here. ")
				fmt.Printf("  a watch of 20 of them said (in Graph's time; here verify.every is %v): %s\n", every, words)
			}
			b.ReportMetric(float64(lo)/float64(wantLooks), fmt.Sprintf("looks-ratio-every-%s", every*watchScale))
			e.stop()
		}
	}
}
