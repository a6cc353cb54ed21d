package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// testApproveRace is approvers clicking at once, on one replica or several:
// for a request that needs two, every approval that is counted says so, the
// request runs exactly once, and no approval is counted after it runs.
func testApproveRace(t *testing.T, s store.Store) {
	const rounds, racers, need = 20, 8, 2
	ctx := context.Background()
	for round := range rounds {
		id := fmt.Sprint("race", round)
		create(t, s, newRequest(id))
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			mu      sync.Mutex
			tally   = map[store.State]int{}
			counted []string
		)
		for i := range racers {
			who := fmt.Sprint("U", i)
			wg.Go(func() {
				<-start
				r, as, rec, err := s.Approve(ctx, id, who, need, approvedChange(id, who, base.Add(time.Minute)))
				switch {
				case err == nil:
					mu.Lock()
					tally[r.State]++
					counted = append(counted, who)
					mu.Unlock()
					if !slices.ContainsFunc(as, func(a store.Approval) bool { return a.Approver == who }) || rec.Actor != who {
						t.Errorf("%s: %s counted with approvals %+v and record %+v", id, who, as, rec)
					}
					if r.State == store.StateRunning && len(as) != need || r.State == store.StatePending && len(as) >= need {
						t.Errorf("%s: %s left it %s with %d approvals", id, who, r.State, len(as))
					}
				case !errors.Is(err, store.ErrConflict):
					t.Errorf("%s: %s: %v, want nil or ErrConflict", id, who, err)
				case r.State != store.StateRunning:
					t.Errorf("%s: %s was refused by a request that is %s", id, who, r.State)
				}
			})
		}
		close(start)
		wg.Wait()
		if tally[store.StateRunning] != 1 || tally[store.StatePending] != need-1 {
			t.Fatalf("%s: approvals returned %v; want exactly one running and %d pending", id, tally, need-1)
		}
		if got := get(t, s, id); got.State != store.StateRunning || !slices.Contains(counted, got.DecidedBy) {
			t.Errorf("%s: stored %s, decided by %q; want running, by one of %v", id, got.State, got.DecidedBy, counted)
		}
		as := approvals(t, s, id)
		slices.Sort(counted)
		if fmt.Sprint(counted) != "["+approverList(as)+"]" {
			t.Errorf("%s: stored approvals [%s], counted %v", id, approverList(as), counted)
		}
		if trail, err := s.AuditTrail(ctx, id); err != nil || len(trail) != need {
			t.Errorf("%s: %d records, %v; want one per counted approval", id, len(trail), err)
		}
	}
	if n, err := s.VerifyAudit(ctx, nil); n.Records != rounds*need || err != nil {
		t.Errorf("VerifyAudit = %d, %v; want %d, nil", n, err, rounds*need)
	}
}

// testApproveSameApproverRace: one approver's clicks arriving at once on
// several replicas are counted once.
func testApproveSameApproverRace(t *testing.T, s store.Store) {
	const rounds, clicks = 5, 4
	ctx := context.Background()
	for round := range rounds {
		id := fmt.Sprint("same", round)
		create(t, s, newRequest(id))
		var (
			wg         sync.WaitGroup
			start      = make(chan struct{})
			mu         sync.Mutex
			ok, copies int
		)
		for range clicks {
			wg.Go(func() {
				<-start
				r, as, _, err := s.Approve(ctx, id, "U2", 2, approvedChange(id, "U2", base.Add(time.Minute)))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, store.ErrDuplicate):
					t.Errorf("%s: %v, want nil or ErrDuplicate", id, err)
				case r.State != store.StatePending || approverList(as) != "U2":
					t.Errorf("%s: duplicate returned %+v, %+v", id, r, as)
				default:
					copies++
				}
			})
		}
		close(start)
		wg.Wait()
		if ok != 1 || copies != clicks-1 {
			t.Errorf("%s: %d clicks counted, %d refused as duplicates; want 1 and %d", id, ok, copies, clicks-1)
		}
		if got := written(t, s, id); got != fmt.Sprintf("%d records, %d messages, approvals [U2]", round+1, 2*(round+1)) {
			t.Errorf("%s: written %s", id, got)
		}
		if got := get(t, s, id); got.State != store.StatePending {
			t.Errorf("%s: %s after one approver's clicks, want pending", id, got.State)
		}
	}
}

// testApproveCancelRace is approvals racing a cancel (Decide) on the same
// row: either the request runs, with exactly need approvals and the cancel
// lost, or it is cancelled with fewer than need; never both.
func testApproveCancelRace(t *testing.T, s store.Store) {
	const rounds, racers, need = 10, 4, 2
	ctx := context.Background()
	outcomes := map[store.State]int{}
	for round := range rounds {
		id := fmt.Sprint("cancel", round)
		create(t, s, newRequest(id))
		var (
			wg        sync.WaitGroup
			start     = make(chan struct{})
			cancelled bool
		)
		for i := range racers {
			who := fmt.Sprint("U", i)
			wg.Go(func() {
				<-start
				_, _, _, err := s.Approve(ctx, id, who, need, approvedChange(id, who, base.Add(time.Minute)))
				if err != nil && !errors.Is(err, store.ErrConflict) {
					t.Errorf("%s: %s: %v", id, who, err)
				}
			})
		}
		wg.Go(func() {
			<-start
			c := store.Change{DecidedBy: "U1", At: base.Add(time.Minute),
				Audit: &store.Event{Event: "cancelled", RequestID: id, Actor: "U1"}}
			_, _, err := s.Decide(ctx, id, store.StatePending, store.StateCancelled, c)
			if err != nil && !errors.Is(err, store.ErrConflict) {
				t.Errorf("%s: cancel: %v", id, err)
			}
			cancelled = err == nil
		})
		close(start)
		wg.Wait()
		got, as := get(t, s, id), approvals(t, s, id)
		outcomes[got.State]++
		switch {
		case got.State == store.StateRunning && !cancelled && len(as) == need:
		case got.State == store.StateCancelled && cancelled && len(as) < need:
		default:
			t.Errorf("%s: %s with %d approvals, cancel won: %v", id, got.State, len(as), cancelled)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}
