package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/revoke/bulk"
	"github.com/revokebot/revokebot/revoke/graph"
	"github.com/revokebot/revokebot/store"
)

// holdersInBench is how many role holders the tenant has, spread evenly
// through its listing.
const holdersInBench = 50

// BenchmarkPrivilegedFirst measures the time from a job's start until every
// holder of a directory role is revoked, on tenants of 10,000 and 100,000
// users with 50 holders spread through the listing, at the scaled ceiling:
// with the role holders taken first (their lookup through the real client
// included) and in plain listing order. The goal: privileged first does not
// grow with the tenant, and stays within 50 writes of pacing plus the
// lookups (ceiling: 50 writes at the ceiling, plus 500 ms).
func BenchmarkPrivilegedFirst(b *testing.B) {
	sizes := []int{10_000, 100_000}
	type row struct {
		users       int
		first, flat time.Duration
	}
	var rows []row
	for range b.N {
		rows = rows[:0]
		for _, n := range sizes {
			rows = append(rows, row{n, privilegedDone(b, n, true), privilegedDone(b, n, false)})
		}
	}
	w := benchWindow()
	ceiling := time.Duration(float64(holdersInBench)/(0.97*3000/w.Seconds())*float64(time.Second)) + 500*time.Millisecond
	fmt.Printf("\nevery one of %d role holders revoked, at 3,000 writes per %v (Graph's per 150 s, scaled in time)\n", holdersInBench, w)
	fmt.Printf("%-9s %-16s %-16s %-12s %s\n", "users", "privileged first", "listing order", "first/ceil", "listing/first")
	for _, r := range rows {
		fmt.Printf("%-9d %-16s %-16s %-12.3f %.0f\n", r.users, r.first.Round(time.Millisecond), r.flat.Round(time.Millisecond),
			float64(r.first)/float64(ceiling), float64(r.flat)/float64(r.first))
	}
	fmt.Printf("ceiling for privileged first: %v (50 writes of pacing plus 500 ms for the role lookups)\n", ceiling.Round(time.Millisecond))
	last := rows[len(rows)-1]
	b.ReportMetric(float64(last.first)/float64(ceiling), "first/ceiling")
}

// privilegedDone runs a job on a fresh tenant of n users until every role
// holder is revoked and returns how long that took from the job's start.
func privilegedDone(b *testing.B, n int, first bool) time.Duration {
	window := benchWindow()
	g := fakegraph.New(fakegraph.Options{Token: benchToken, PageSize: 999, LogLimit: 1000, WriteLimit: 3000, WriteWindow: window})
	defer g.Close()
	tenant := fakegraph.Tenant(n, 1)
	g.AddUsers(tenant...)
	var holders []string
	for i := n / holdersInBench / 2; len(holders) < holdersInBench && i < n; i += n / holdersInBench {
		for j := i; j < n; j++ {
			if u := tenant[j]; u.AccountEnabled && u.UserType == "Member" {
				holders = append(holders, u.ID)
				g.AddRoleAssignments(fakegraph.RoleAssignment{RoleDefinitionID: "62e90394-69f5-4237-9190-012177145e10", PrincipalID: u.ID})
				break
			}
		}
	}
	gc, err := graph.New(graph.Config{BaseURL: g.URL(), Token: benchToken})
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	id := fmt.Sprintf("rb-priv-%d-%v", n, first)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := st.CreateRequest(ctx, store.Request{ID: id, Kind: store.KindAll, Requester: "U0", Channel: "C0", State: store.StateRunning}); err != nil {
		b.Fatal(err)
	}
	if err := st.CreateJob(ctx, id, time.Now()); err != nil {
		b.Fatal(err)
	}
	cfg := bulk.Config{RequestID: id, Owner: "bench", Store: st, Lister: gc, Revoker: gc.Once(),
		Skip: func(u revoke.User) string {
			if u.Guest() || !u.AccountEnabled {
				return "skipped"
			}
			return ""
		},
		Writes: 3000, Per: window, Workers: 32, Lease: time.Minute}
	if first {
		cfg.First = func(ctx context.Context) ([]revoke.User, error) {
			h, err := gc.RoleHolders(ctx)
			out := make([]revoke.User, len(h.Users))
			for i, u := range h.Users {
				out[i] = revoke.User{ID: u.ID, UPN: u.UPN, UserType: "Member", AccountEnabled: true}
			}
			return out, err
		}
	}
	start := time.Now()
	done := make(chan time.Duration, 1)
	go func() {
		for ctx.Err() == nil {
			all := true
			for _, h := range holders {
				if g.Revocations(h) == 0 {
					all = false
					break
				}
			}
			if all {
				done <- time.Since(start)
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	if _, err := bulk.Run(ctx, cfg); err != nil && !errors.Is(err, bulk.ErrInterrupted) {
		b.Fatal(err)
	}
	select {
	case d := <-done:
		return d
	default:
		b.Fatalf("the job ended before every role holder was revoked (first=%v)", first)
		return 0
	}
}
