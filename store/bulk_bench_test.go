package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// The bulk benchmarks are shaped like a /revoke all of a large tenant: the
// listing reads pages of 999 users (Graph's $top maximum), the workers
// record outcomes in batches of about 200 (Graph's $batch of 20 requests, ten
// times over), and a tenant has around 100,000 users. They report users/s,
// which is what decides how long the store makes such a job take.
const (
	benchPage    = 999
	benchBatch   = 200
	benchTenant  = 100_000
	benchJobID   = "all-1"
	benchReplica = "replica-1"
)

// benchJob creates a claimed job with `listed` users already in it.
func benchJob(b *testing.B, s store.Store, listed int) {
	b.Helper()
	ctx := context.Background()
	if err := s.CreateRequest(ctx, store.Request{ID: benchJobID, Kind: store.KindAll, State: store.StateRunning}); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateJob(ctx, benchJobID, time.Time{}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.ClaimJob(ctx, benchJobID, benchReplica, time.Now(), time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	for from := 0; from < listed; from += benchPage {
		if err := s.AddPage(ctx, benchJobID, benchReplica, benchUsers(from, min(benchPage, listed-from)), "next", false); err != nil {
			b.Fatal(err)
		}
	}
}

// benchUsers are users from … from+n-1, with IDs and UPNs the size of Entra's.
func benchUsers(from, n int) []store.BulkUser {
	us := make([]store.BulkUser, n)
	for i := range us {
		us[i].ID = fmt.Sprintf("6f1c%04x-8d2e-4c3b-9a7f-%012x", (from+i)%0x10000, from+i)
		us[i].UPN = fmt.Sprintf("user%07d@contoso.onmicrosoft.com", from+i)
	}
	return us
}

func reportUsers(b *testing.B, perOp int) {
	b.ReportMetric(float64(b.N*perOp)/b.Elapsed().Seconds(), "users/s")
}

// benchAddPage adds new pages of 999 users to one job; the job grows as it
// runs, as a real listing does.
func benchAddPage(b *testing.B, s store.Store) {
	benchJob(b, s, 0)
	ctx := context.Background()
	listed := 0
	for b.Loop() {
		if err := s.AddPage(ctx, benchJobID, benchReplica, benchUsers(listed, benchPage), "next", false); err != nil {
			b.Fatal(err)
		}
		listed += benchPage
	}
	reportUsers(b, benchPage)
}

// benchRecordOutcomes records batches of 200 outcomes in a job of 100,000.
func benchRecordOutcomes(b *testing.B, s store.Store) {
	benchJob(b, s, benchTenant)
	ctx := context.Background()
	from := 0
	for b.Loop() {
		batch := benchUsers(from, benchBatch)
		for i := range batch {
			batch[i].Outcome, batch[i].Attempts, batch[i].Detail, batch[i].At = store.OutcomeRevoked, 1, "revoked", time.Now()
		}
		if err := s.RecordOutcomes(ctx, benchJobID, benchReplica, batch); err != nil {
			b.Fatal(err)
		}
		if from += benchBatch; from+benchBatch > benchTenant {
			from = 0
		}
	}
	reportUsers(b, benchBatch)
}

// benchJobCounts counts a job of 100,000 users, as the progress message does.
func benchJobCounts(b *testing.B, s store.Store) {
	benchJob(b, s, benchTenant)
	ctx := context.Background()
	for b.Loop() {
		if c, err := s.JobCounts(ctx, benchJobID); err != nil || c.Listed() != benchTenant {
			b.Fatal(c, err)
		}
	}
}

// benchPendingUsers pages through the pending users of a job of 100,000,
// 200 at a time, as the workers do.
func benchPendingUsers(b *testing.B, s store.Store) {
	benchJob(b, s, benchTenant)
	ctx := context.Background()
	after := int64(0)
	for b.Loop() {
		us, err := s.PendingUsers(ctx, benchJobID, after, benchBatch)
		if err != nil || len(us) == 0 {
			b.Fatal(len(us), err)
		}
		if after = us[len(us)-1].Seq; after >= benchTenant {
			after = 0
		}
	}
	reportUsers(b, benchBatch)
}
