package request

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// outboxCeiling is the goal for what the outbox adds, at the median, to the
// time from an audit record to its Slack post.
const outboxCeiling = 5 * time.Millisecond

func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkOutboxLatency: the time from writing an audit record to its
// audit-channel line reaching the messenger, through the outbox, against
// writing the record and posting directly, on SQLite.
func BenchmarkOutboxLatency(b *testing.B) {
	const records = 300
	for range b.N {
		f := newFlow(b, nil)
		req := store.Request{ID: "rb-bench", Channel: chInc}
		direct := make([]time.Duration, 0, records)
		for i := range records {
			start := time.Now()
			rec, err := f.st.AppendAudit(f.ctx, f.w.tell.event(req, EvAlarm, systemActor, fmt.Sprint(i)))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.msg.Post(f.ctx, chAudit, "", Message{Text: auditLine(rec)}); err != nil {
				b.Fatal(err)
			}
			direct = append(direct, time.Since(start))
		}
		ctx, cancel := context.WithCancel(f.ctx)
		f.w.Start(ctx)
		via := make([]time.Duration, 0, records)
		for i := range records {
			f.msg.mu.Lock()
			before := len(f.msg.posts)
			f.msg.mu.Unlock()
			start := time.Now()
			if _, err := f.w.tell.append(f.ctx, f.w.tell.event(req, EvAlarm, systemActor, fmt.Sprint(i)), f.w.tell.tells(nil, false, false)); err != nil {
				b.Fatal(err)
			}
			for {
				f.msg.mu.Lock()
				n := len(f.msg.posts)
				f.msg.mu.Unlock()
				if n > before {
					break
				}
				time.Sleep(20 * time.Microsecond)
			}
			via = append(via, time.Since(start))
		}
		cancel()
		f.w.Drain(time.Second)
		d50, d99, v50, v99 := pct(direct, 0.5), pct(direct, 0.99), pct(via, 0.5), pct(via, 0.99)
		added := v50 - d50
		b.ReportMetric(float64(added.Microseconds())/1000, "added-p50-ms")
		b.ReportMetric(float64(added)/float64(outboxCeiling), "added/ceiling")
		fmt.Printf("audit record to Slack post: direct p50 %v p99 %v; through the outbox p50 %v p99 %v; added at p50 %v (ceiling %v, added/ceiling %.2f)\n",
			d50, d99, v50, v99, added, outboxCeiling, float64(added)/float64(outboxCeiling))
	}
}
