package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// alertsBenchEvery is alerts.every in the benchmarks: the policy's floor
// is 30 s, and the goal, every + 2 s, scales with it.
const alertsBenchEvery = time.Second

// BenchmarkDetectionToCard: 100 Defender incidents appear, one every
// 100 ms, each naming another user; the time from an incident's
// appearance in Graph to its card in Slack, against the ceiling of
// alerts.every + 2 s at p99.
func BenchmarkDetectionToCard(b *testing.B) {
	const n = 100
	ceiling := alertsBenchEvery + 2*time.Second
	for range b.N {
		e := startEnv(b, withPolicy(alertsPolicy), withAlertsEvery(alertsBenchEvery), withGraphLimits(quickBudget, quickBudget))
		users := fakegraph.Tenant(n, 5)
		e.sb.AddUsers(users...)
		e.sb.Graph.SetLatency(graphLatency)
		added := make([]time.Time, n)
		for i, u := range users {
			added[i] = time.Now()
			e.sb.Graph.AddIncidents(fakegraph.Incident{ID: fmt.Sprintf("b%03d", i), DisplayName: "Suspicious sign-in", Severity: "high",
				Alerts: []fakegraph.IncidentAlert{{ID: fmt.Sprintf("ba%03d", i), Title: "Anomalous token", Severity: "high",
					Users: []fakegraph.UserAccount{{UserPrincipalName: u.UserPrincipalName, AzureADUserID: u.ID}}}}})
			time.Sleep(100 * time.Millisecond)
		}
		e.waitWithin(2*time.Minute, "every card", func(*fakeslack.Server) bool { return len(e.alertCards()) >= n })
		var lat []time.Duration
		for _, c := range e.alertCards() {
			for i, u := range users {
				if strings.Contains(blocksOf(c), u.ID) {
					lat = append(lat, c.PostedAt.Sub(added[i]))
				}
			}
		}
		p50, p99 := percentile(lat, 0.5), percentile(lat, 0.99)
		ratio := float64(p99) / float64(ceiling)
		b.ReportMetric(float64(p99.Milliseconds()), "detection-to-card-p99-ms")
		b.ReportMetric(ratio, "ratio/ceiling")
		fmt.Printf("detection to card over %d incidents, alerts.every %v, Graph at %v a call: p50 %v, p99 %v (ceiling every + 2 s = %v, ratio %.2f); %d requests answered 429\n",
			len(lat), alertsBenchEvery, graphLatency, p50.Round(time.Millisecond), p99.Round(time.Millisecond), ceiling, ratio, throttled(e.sb.Graph))
		e.stop()
	}
}

// BenchmarkLookOverThousandIncidents: one look reads 1,000 incidents
// updated since the last (20 pages of 50), naming ten users, who get one
// card each and the rest folded into them; it stays within /security's 150
// requests a minute (no 429) and its heap stays flat: what the look adds
// to the live heap (collected before each sample) at its peak, for 1,000
// incidents against 100, under a ceiling of 2 (ten times the incidents,
// at most twice the growth: what a look keeps per incident is a few
// hundred bytes of deduplication, the incidents themselves a page at a
// time). The heap before holds the fake's incidents,
// so the growth is the measure; the median of five looks of each size.
// With REVOKEBOT_TEST_POSTGRES_URL set the store is PostgreSQL, out of the
// process; without it, SQLite's cache of what the look wrote counts too.
func BenchmarkLookOverThousandIncidents(b *testing.B) {
	const people, ceiling, tries = 10, 2.0, 5
	median := func(n int) float64 {
		var gs []float64
		for range tries {
			gs = append(gs, lookOver(b, n, people))
		}
		slices.Sort(gs)
		return gs[tries/2]
	}
	for range b.N {
		small, large := median(100), median(1000)
		ratio := large / small
		b.ReportMetric(ratio, "growth-1000/100")
		fmt.Printf("the look's live heap growth for 1,000 incidents against 100 (medians of %d): %.1f MiB against %.1f MiB, ratio %.2f (ceiling %.1f), %.2f KiB for each incident more\n",
			tries, large/(1<<20), small/(1<<20), ratio, ceiling, (large-small)/900/(1<<10))
	}
}

func lookOver(b *testing.B, n, people int) float64 {
	{
		opts := []envOption{withPolicy(alertsPolicy), withAlertsEvery(alertsBenchEvery), withGraphLimits(quickBudget, quickBudget)}
		if os.Getenv("REVOKEBOT_TEST_POSTGRES_URL") != "" {
			// The store in a process of its own: what the bot keeps of
			// a look, not SQLite's cache of the rows it wrote.
			opts = append(opts, withStore(postgresStore(b)))
		}
		e := startEnv(b, opts...)
		users := fakegraph.Tenant(people, 9)
		e.sb.AddUsers(users...)
		var incs []fakegraph.Incident
		for i := range n {
			u := users[i%people]
			incs = append(incs, fakegraph.Incident{ID: fmt.Sprintf("t%04d", i), DisplayName: "Mass download by a user", Severity: "high",
				Alerts: []fakegraph.IncidentAlert{{ID: fmt.Sprintf("ta%04d", i), Title: "Unusual volume of file downloads", Severity: "high",
					Users: []fakegraph.UserAccount{{UserPrincipalName: u.UserPrincipalName, AzureADUserID: u.ID}}}}})
		}
		// The incidents are in the fake before the baseline, the way they
		// are in Graph and not in the bot: the peak is the look's own. The
		// bot's looks fail (503) until the baseline is taken, so that none
		// reads them before it.
		e.sb.Graph.Inject(fakegraph.Fault{Method: "GET", PathSuffix: "/security/incidents", Status: 503})
		e.sb.Graph.AddIncidents(incs...)
		incs = nil
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		e.sb.Graph.ClearFaults()
		var peak atomic.Uint64
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				// Collected first: what the look holds, not the garbage
				// it has made since the last collection.
				runtime.GC()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
				select {
				case <-done:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		})
		start := time.Now()
		e.waitWithin(2*time.Minute, "ten cards", func(*fakeslack.Server) bool { return len(e.alertCards()) >= people })
		// The peak is of the whole look: up to its last page, and the
		// next look's first, which starts only once it has ended.
		lastPage := strconv.Itoa((n - 1) / 50 * 50)
		var lastAt time.Time
		e.waitWithin(2*time.Minute, "the look's last page", func(*fakeslack.Server) bool {
			for _, r := range e.sb.Graph.Requests() {
				if strings.HasSuffix(r.Path, "/security/incidents") && r.Status == 200 && r.At.After(start) && r.Query.Get("$skip") == lastPage {
					lastAt = r.At
					return true
				}
			}
			return false
		})
		e.waitWithin(time.Minute, "the next look", func(*fakeslack.Server) bool {
			return slices.ContainsFunc(e.sb.Graph.Requests(), func(r fakegraph.Request) bool {
				return strings.HasSuffix(r.Path, "/security/incidents") && r.Status == 200 && r.At.After(lastAt) && r.Query.Get("$skip") == ""
			})
		})
		took := time.Since(start)
		close(done)
		wg.Wait()
		reads := 0
		for _, r := range e.sb.Graph.Requests() {
			if strings.HasSuffix(r.Path, "/security/incidents") && r.At.After(start) && r.Status == 200 {
				reads++
			}
		}
		growth := float64(peak.Load()) - float64(before.HeapAlloc)
		fmt.Printf("%d updated incidents naming %d users: %d cards in %v; %d incident reads (pages of 50: the look and the next one's first) where /security allows 150 a minute; %d answered 429; live heap %.1f MiB before, %.1f MiB at the peak (the look's growth %.1f MiB)\n",
			n, people, len(e.alertCards()), took.Round(time.Millisecond), reads, throttled(e.sb.Graph),
			float64(before.HeapAlloc)/(1<<20), float64(peak.Load())/(1<<20), growth/(1<<20))
		if len(e.alertCards()) != people {
			b.Fatalf("%d cards, want %d", len(e.alertCards()), people)
		}
		e.stop()
		return growth
	}
}
