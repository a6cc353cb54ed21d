package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/revokebot/revokebot/store"
)

// The PostgreSQL numbers include a round trip per statement and the server's
// fsync at each commit (synchronous_commit=on, the default).

func BenchmarkPostgresAppendAudit(b *testing.B) {
	dsn, _ := pgSchema(b)
	s := openPG(b, dsn)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.AppendAudit(ctx, store.Event{Event: "started", RequestID: "r1", Actor: "U1", Target: "alice@contoso.com"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPostgresAppendAuditTwoHandles is two replicas appending at once:
// every append waits for the head row, so this is the chain's ceiling.
func BenchmarkPostgresAppendAuditTwoHandles(b *testing.B) {
	dsn, _ := pgSchema(b)
	handles := []store.Store{openPG(b, dsn), openPG(b, dsn)}
	ctx := context.Background()
	b.SetParallelism(4)
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		s := handles[n.Add(1)%2]
		for pb.Next() {
			if _, err := s.AppendAudit(ctx, store.Event{Event: "started", RequestID: "r1", Actor: "U1"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPostgresTransition is a winning compare-and-set, pending to running.
func BenchmarkPostgresTransition(b *testing.B) {
	dsn, _ := pgSchema(b)
	s := openPG(b, dsn)
	ctx := context.Background()
	for i := range b.N {
		if err := s.CreateRequest(ctx, store.Request{ID: fmt.Sprint(i), Kind: store.KindUser}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Transition(ctx, fmt.Sprint(i), store.StatePending, store.StateRunning, store.Change{DecidedBy: "U1"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPostgresTransitionLost is the duplicate click: the compare-and-set
// loses and the current request is read back.
func BenchmarkPostgresTransitionLost(b *testing.B) {
	dsn, _ := pgSchema(b)
	s := openPG(b, dsn)
	ctx := context.Background()
	if err := s.CreateRequest(ctx, store.Request{ID: "r1", Kind: store.KindUser, State: store.StateRunning}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Transition(ctx, "r1", store.StatePending, store.StateRunning, store.Change{}); err == nil {
			b.Fatal("won a compare-and-set that must lose")
		}
	}
}

func BenchmarkPostgresVerifyAudit1000(b *testing.B) {
	dsn, _ := pgSchema(b)
	s := openPG(b, dsn)
	ctx := context.Background()
	for range 1000 {
		if _, err := s.AppendAudit(ctx, store.Event{Event: "started", RequestID: "r1", Actor: "U1"}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if n, err := s.VerifyAudit(ctx, nil); n.Records != 1000 || err != nil {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkPostgresBulkAddPage999 is the listing: new pages of 999 users added to a growing job (users/s).
func BenchmarkPostgresBulkAddPage999(b *testing.B) {
	dsn, _ := pgSchema(b)
	benchAddPage(b, openPG(b, dsn))
}

// BenchmarkPostgresBulkRecordOutcomes200 is the workers: batches of 200 outcomes in a job of 100,000 (users/s).
func BenchmarkPostgresBulkRecordOutcomes200(b *testing.B) {
	dsn, _ := pgSchema(b)
	benchRecordOutcomes(b, openPG(b, dsn))
}

// BenchmarkPostgresBulkJobCounts100k is a progress message: counting a job of 100,000 users.
func BenchmarkPostgresBulkJobCounts100k(b *testing.B) {
	dsn, _ := pgSchema(b)
	benchJobCounts(b, openPG(b, dsn))
}

// BenchmarkPostgresBulkPendingUsers200 is the workers fetching their next 200 users of a job of 100,000 (users/s).
func BenchmarkPostgresBulkPendingUsers200(b *testing.B) {
	dsn, _ := pgSchema(b)
	benchPendingUsers(b, openPG(b, dsn))
}
