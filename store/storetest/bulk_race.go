package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// testClaimRace is replicas starting on the same job at the same instant:
// exactly one of them may get the lease.
func testClaimRace(t *testing.T, s store.Store) {
	const jobs, n = 5, 10
	ctx := context.Background()
	for k := range jobs {
		id := fmt.Sprint("j", k)
		newJob(t, s, id)
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			mu      sync.Mutex
			winners []string
			losers  []store.Job
		)
		for i := range n {
			owner := fmt.Sprint("replica-", i)
			wg.Go(func() {
				<-start
				j, err := s.ClaimJob(ctx, id, owner, base, base.Add(time.Minute))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners = append(winners, j.Owner)
				case errors.Is(err, store.ErrConflict):
					losers = append(losers, j)
				default:
					t.Errorf("%s: ClaimJob: %v, want nil or ErrConflict", owner, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("job %s: %d replicas won the claim (%v), want exactly 1", id, len(winners), winners)
		}
		for _, j := range losers {
			if j.Owner != winners[0] {
				t.Errorf("job %s: a lost claim returned owner %q, want the winner %q", id, j.Owner, winners[0])
			}
		}
		if got := job(t, s, id).Owner; got != winners[0] {
			t.Errorf("job %s: stored owner %q, winner %q", id, got, winners[0])
		}
	}
}

// testStopRace is several people pressing stop at once: one of them stopped it.
func testStopRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	newJob(t, s, "j1")
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		mu    sync.Mutex
		wins  []string
	)
	for i := range 10 {
		wg.Go(func() {
			<-start
			by := fmt.Sprint("U", i)
			j, err := s.RequestStop(ctx, "j1", by, base)
			switch {
			case err == nil:
				mu.Lock()
				wins = append(wins, j.StopBy)
				mu.Unlock()
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("%s: RequestStop: %v", by, err)
			case j.StopBy == "" || j.StopBy == by:
				t.Errorf("%s lost the stop to %q", by, j.StopBy)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(wins) != 1 || job(t, s, "j1").StopBy != wins[0] {
		t.Errorf("stops that won: %v, stored %q; want exactly one", wins, job(t, s, "j1").StopBy)
	}
}

// testTakeoverDuringPages takes a job over while its old owner is writing.
// Every write of the old owner must land wholly before the takeover or be
// refused wholly, so the new owner's writes are never overwritten and Seq
// stays dense.
func testTakeoverDuringPages(t *testing.T, s store.Store) {
	const pageSize = 50
	ctx := context.Background()
	newClaimedJob(t, s, "j1", "A") // until base+1m
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		aPages  int
		lastErr error
	)
	wg.Go(func() {
		<-start
		for p := range 20 {
			err := s.AddPage(ctx, "j1", "A", users(fmt.Sprintf("a%02d-", p), 1, pageSize), fmt.Sprint("a", p), false)
			if err != nil {
				lastErr = err
				return
			}
			aPages++
		}
	})
	wg.Go(func() {
		<-start
		if _, err := s.ClaimJob(ctx, "j1", "B", base.Add(time.Minute), base.Add(2*time.Minute)); err != nil {
			t.Errorf("takeover: %v", err)
			return
		}
		if err := s.AddPage(ctx, "j1", "B", users("b-", 1, pageSize), "b-next", false); err != nil {
			t.Errorf("AddPage by the new owner: %v", err)
		}
	})
	close(start)
	wg.Wait()
	if lastErr != nil && !errors.Is(lastErr, store.ErrConflict) {
		t.Errorf("the old owner's AddPage failed with %v, want ErrConflict", lastErr)
	}
	all := usersWith(t, s, "j1", allOutcomes...)
	if len(all) != (aPages+1)*pageSize {
		t.Fatalf("%d users after %d pages of A and 1 of B, want %d", len(all), aPages, (aPages+1)*pageSize)
	}
	for i, u := range all {
		if u.Seq != int64(i+1) {
			t.Fatalf("user %d (%s) has seq %d: the numbers are not dense", i, u.ID, u.Seq)
		}
	}
	if last := all[len(all)-1]; last.ID != fmt.Sprintf("b-%02d", pageSize) {
		t.Errorf("last listed user %s, want B's page last: A wrote after the takeover", last.ID)
	}
	if j := job(t, s, "j1"); j.Cursor != "b-next" || j.Owner != "B" {
		t.Errorf("job after the race: cursor %q, owner %q; want B's", j.Cursor, j.Owner)
	}

	// The same for outcomes, in rounds because the race is narrow: A takes
	// the job back and records small batches until B takes it over and marks
	// users. Whatever A managed must come before B's batch, so every user
	// ends up with B's outcome of the round.
	if err := s.ReleaseJob(ctx, "j1", "B"); err != nil {
		t.Fatal(err)
	}
	some := all[:min(len(all), 100)]
	for r := range 10 {
		now := base.Add(time.Duration(2+2*r) * time.Minute)
		if _, err := s.ClaimJob(ctx, "j1", "A", now, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		outcomeRace(t, s, some, now.Add(time.Minute), fmt.Sprint("round ", r))
		if err := s.ReleaseJob(ctx, "j1", "B"); err != nil {
			t.Fatal(err)
		}
	}
}

// outcomeRace races A's batches against B taking over at `takeover` and
// recording detail for every one of users.
func outcomeRace(t *testing.T, s store.Store, users []store.BulkUser, takeover time.Time, detail string) {
	ctx := context.Background()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	wg.Go(func() {
		<-start
		for i := 0; i < len(users); i += 5 {
			var batch []store.BulkUser
			for _, u := range users[i:min(i+5, len(users))] {
				batch = append(batch, store.BulkUser{ID: u.ID, Outcome: store.OutcomeRevoked, Detail: "by A", At: base})
			}
			if err := s.RecordOutcomes(ctx, "j1", "A", batch); err != nil {
				if !errors.Is(err, store.ErrConflict) {
					t.Errorf("RecordOutcomes by the old owner: %v, want ErrConflict", err)
				}
				return
			}
		}
	})
	wg.Go(func() {
		<-start
		if _, err := s.ClaimJob(ctx, "j1", "B", takeover, takeover.Add(time.Minute)); err != nil {
			t.Errorf("takeover: %v", err)
			return
		}
		var batch []store.BulkUser
		for _, u := range users {
			batch = append(batch, store.BulkUser{ID: u.ID, Outcome: store.OutcomeFailed, Detail: detail, At: base})
		}
		if err := s.RecordOutcomes(ctx, "j1", "B", batch); err != nil {
			t.Errorf("RecordOutcomes by the new owner: %v", err)
		}
	})
	close(start)
	wg.Wait()
	for _, u := range usersWith(t, s, "j1", allOutcomes...)[:len(users)] {
		if u.Detail != detail {
			t.Fatalf("%s: user %s has %s %q after the takeover, want B's %q", detail, u.ID, u.Outcome, u.Detail, detail)
		}
	}
}
