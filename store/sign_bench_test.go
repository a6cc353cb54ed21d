package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/signing"
	"github.com/revokebot/revokebot/store"
)

// signingCeiling is the most signing may take from SQLite's append
// throughput: signed appends may take at most 5% longer than unsigned.
const signingCeiling = 1.05

// BenchmarkAppendAuditSigning: signing each record takes less than 5% from
// SQLite's append throughput, with four appenders at once as a busy bot
// has them (the one writing connection is the bottleneck, and an appender
// signs while another commits). Rounds of 200 unsigned and 200 signed
// appends alternate, so a change in the disk's speed falls on both alike;
// the ratio of their times is printed against the ceiling, and beside it
// the same for one appender alone, where nothing can hide the signature.
func BenchmarkAppendAuditSigning(b *testing.B) {
	dir := b.TempDir()
	plain, signed := openFile(b, filepath.Join(dir, "plain.db")), openFile(b, filepath.Join(dir, "signed.db"))
	k, err := signing.Generate()
	if err != nil {
		b.Fatal(err)
	}
	store.SignWith(k)(signed)
	ctx := context.Background()
	e := store.Event{Event: "started", RequestID: "r1", Actor: "U1", Target: "alice@contoso.com", Detail: "Revoking the sign-in sessions of alice@contoso.com…"}
	round := func(s store.Store, appenders, n int) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for range appenders {
			wg.Go(func() {
				for range n / appenders {
					if _, err := s.AppendAudit(ctx, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	var busy, alone [2]time.Duration
	for b.Loop() {
		for i, s := range []store.Store{plain, signed} {
			busy[i] += round(s, 4, 200)
		}
		for i, s := range []store.Store{plain, signed} {
			alone[i] += round(s, 1, 50)
		}
	}
	ratio, aloneRatio := float64(busy[1])/float64(busy[0]), float64(alone[1])/float64(alone[0])
	b.ReportMetric(ratio, "signed/unsigned")
	b.ReportMetric(ratio/signingCeiling, "x_of_ceiling")
	b.ReportMetric(aloneRatio, "signed/unsigned_alone")
	per := func(d time.Duration, n int) time.Duration { return d / time.Duration(b.N*n) }
	b.Logf("four appenders: %v unsigned, %v signed a record, ratio %.3f (ceiling %.2f); one appender: %v and %v, ratio %.3f",
		per(busy[0], 200), per(busy[1], 200), ratio, signingCeiling, per(alone[0], 50), per(alone[1], 50), aloneRatio)
}
