package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/revokebot/revokebot/store"
)

// testApprovalsUpgrade opens a store made before approvals were counted
// and expects their table to be added on open, and not by the read-only open.
func testApprovalsUpgrade(t *testing.T, url string, exec func(...string)) {
	ctx := context.Background()
	s, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRequest(ctx, store.Request{ID: "r1", Kind: store.KindUser}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	exec(windBack(4)...)
	if ro, err := store.OpenExisting(ctx, url); err == nil || !strings.Contains(err.Error(), "schema version 4") {
		if ro != nil {
			ro.Close()
		}
		t.Fatalf("OpenExisting of an old schema: %v, want a refusal", err)
	}
	s, err = store.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open of an old schema: %v", err)
	}
	defer s.Close()
	for _, who := range []string{"U2", "U3"} {
		if _, _, _, err := s.Approve(ctx, "r1", who, 2, store.Change{}); err != nil {
			t.Fatalf("Approve after the upgrade: %v", err)
		}
	}
	if r, err := s.Request(ctx, "r1"); err != nil || r.State != store.StateRunning {
		t.Errorf("after two approvals: %+v, %v", r, err)
	}
}

func TestApprovalsUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	testApprovalsUpgrade(t, "sqlite:"+path, func(q ...string) { rawExec(t, path, q...) })
}

func TestPostgresApprovalsUpgrade(t *testing.T) {
	dsn, _ := pgSchema(t)
	testApprovalsUpgrade(t, dsn, func(q ...string) { pgExec(t, dsn, q...) })
}

// testApproveTwoHandles is approvers clicking at once on two replicas
// sharing one database, which the contract (one handle) cannot show: each
// request that needs two runs exactly once, with exactly two approvals.
func testApproveTwoHandles(t *testing.T, handles ...store.Store) {
	const requests, racers = 10, 6
	ctx := context.Background()
	for n := range requests {
		id := fmt.Sprint("r", n)
		if err := handles[0].CreateRequest(ctx, store.Request{ID: id, Kind: store.KindUser}); err != nil {
			t.Fatal(err)
		}
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			mu    sync.Mutex
			runs  int
		)
		for i := range racers {
			wg.Go(func() {
				<-start
				r, _, _, err := handles[i%2].Approve(ctx, id, fmt.Sprint("U", i), 2, store.Change{})
				switch {
				case err == nil && r.State == store.StateRunning:
					mu.Lock()
					runs++
					mu.Unlock()
				case err != nil && !errors.Is(err, store.ErrConflict):
					t.Errorf("%s: approval %d: %v", id, i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		as, err := handles[1].Approvals(ctx, id)
		if runs != 1 || len(as) != 2 || err != nil {
			t.Errorf("%s: %d runs, approvals %+v, %v; want 1 run and 2 approvals", id, runs, as, err)
		}
	}
}

func TestApproveTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	testApproveTwoHandles(t, openFile(t, path), openFile(t, path))
}

func TestPostgresApproveTwoHandles(t *testing.T) {
	dsn, _ := pgSchema(t)
	testApproveTwoHandles(t, openPG(t, dsn), openPG(t, dsn+"&default_transaction_isolation=serializable"))
}
