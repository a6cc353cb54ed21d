package request

import (
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// signCeiling is the most the signatures may add to a confirm's way from
// the click to Graph, at the median.
const signCeiling = time.Millisecond

// BenchmarkConfirmSignatures: what signing adds between a confirm click and
// the Graph call, all of it: the request's statement checked at the click,
// the decision and (for an approval) the approval signed, then, before
// Graph, the statement and the decision checked again, and the two audit
// records of the way (confirmed, started) signed by the store. Printed at
// the median against the ceiling.
func BenchmarkConfirmSignatures(b *testing.B) {
	f := newFlow(b, nil)
	f.command(uReq, chInc, "alice")
	pending := f.newest()
	key := f.w.cfg.Key
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if why := f.w.forgedStatement(pending); why != "" {
			b.Fatal(why)
		}
		running := pending
		running.State, running.DecidedBy = store.StateRunning, uReq
		running.DecisionSig, _ = f.w.signRun(pending, uReq)
		for range 2 { // the records of the confirm and of the start
			key.Sign(make([]byte, 32))
		}
		if why := f.w.forged(f.ctx, running); why != "" {
			b.Fatal(why)
		}
		took = append(took, time.Since(start))
	}
	p50 := pct(took, 0.5)
	b.ReportMetric(float64(p50.Microseconds())/1000, "ms_p50")
	b.ReportMetric(float64(p50)/float64(signCeiling), "x_of_ceiling")
	b.Logf("signatures add %v at the median to a confirm's way to Graph (p99 %v); ceiling %v", p50, pct(took, 0.99), signCeiling)
}
