package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/revokebot/revokebot/signing"
	"github.com/revokebot/revokebot/store"
)

// signingCeiling is the most signing may add to SQLite's append time.
const signingCeiling = 1.05

// BenchmarkAppendAuditSigning: signing each record adds less than 5% to
// SQLite's append throughput. Unsigned and signed appends alternate, one
// each per round, so a change in the disk's speed falls on both alike; the
// ratio of their times is printed against the ceiling.
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
	var took [2]time.Duration
	for b.Loop() {
		for i, s := range []store.Store{plain, signed} {
			start := time.Now()
			if _, err := s.AppendAudit(ctx, e); err != nil {
				b.Fatal(err)
			}
			took[i] += time.Since(start)
		}
	}
	ratio := float64(took[1]) / float64(took[0])
	b.ReportMetric(ratio, "signed/unsigned")
	b.ReportMetric(ratio/signingCeiling, "x_of_ceiling")
	b.Logf("%d appends each: unsigned %v, signed %v a record; ratio %.3f (ceiling %.2f)",
		b.N, took[0]/time.Duration(b.N), took[1]/time.Duration(b.N), ratio, signingCeiling)
}
