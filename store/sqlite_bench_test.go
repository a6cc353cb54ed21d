package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/revokebot/revokebot/store"
)

// The numbers these give are what one SQLite file sustains with
// synchronous=FULL, i.e. with an fsync per committed write.

func BenchmarkAppendAudit(b *testing.B) {
	s := openFile(b, filepath.Join(b.TempDir(), "b.db"))
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.AppendAudit(ctx, store.Event{Event: "started", RequestID: "r1", Actor: "U1", Target: "alice@contoso.com"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendAuditParallel(b *testing.B) {
	s := openFile(b, filepath.Join(b.TempDir(), "b.db"))
	ctx := context.Background()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.AppendAudit(ctx, store.Event{Event: "started", RequestID: "r1", Actor: "U1"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkTransition is a winning compare-and-set, pending to running.
func BenchmarkTransition(b *testing.B) {
	s := openFile(b, filepath.Join(b.TempDir(), "b.db"))
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

// BenchmarkTransitionLost is the duplicate click: the compare-and-set loses
// and the current request is read back.
func BenchmarkTransitionLost(b *testing.B) {
	s := openFile(b, filepath.Join(b.TempDir(), "b.db"))
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

func BenchmarkCreateRequest(b *testing.B) {
	s := openFile(b, filepath.Join(b.TempDir(), "b.db"))
	ctx := context.Background()
	var n atomic.Int64
	for b.Loop() {
		if err := s.CreateRequest(ctx, store.Request{ID: fmt.Sprint(n.Add(1)), Kind: store.KindUser, TriggerID: fmt.Sprint("t", n.Load())}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAudit1000(b *testing.B) {
	s := openFile(b, filepath.Join(b.TempDir(), "b.db"))
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

// BenchmarkBulkAddPage999 is the listing: new pages of 999 users added to a growing job (users/s).
func BenchmarkBulkAddPage999(b *testing.B) {
	benchAddPage(b, openFile(b, filepath.Join(b.TempDir(), "b.db")))
}

// BenchmarkBulkRecordOutcomes200 is the workers: batches of 200 outcomes in a job of 100,000 (users/s).
func BenchmarkBulkRecordOutcomes200(b *testing.B) {
	benchRecordOutcomes(b, openFile(b, filepath.Join(b.TempDir(), "b.db")))
}

// BenchmarkBulkJobCounts100k is a progress message: counting a job of 100,000 users.
func BenchmarkBulkJobCounts100k(b *testing.B) {
	benchJobCounts(b, openFile(b, filepath.Join(b.TempDir(), "b.db")))
}

// BenchmarkBulkPendingUsers200 is the workers fetching their next 200 users of a job of 100,000 (users/s).
func BenchmarkBulkPendingUsers200(b *testing.B) {
	benchPendingUsers(b, openFile(b, filepath.Join(b.TempDir(), "b.db")))
}
