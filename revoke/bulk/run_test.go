package bulk_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/revoke/bulk"
	"github.com/revokebot/revokebot/store"
)

// pages lists n users, 10 a page.
type pages struct{ n int }

func (p pages) ListUsers(_ context.Context, cursor string) (revoke.Page, error) {
	start := 0
	fmt.Sscan(cursor, &start)
	end := min(start+10, p.n)
	var page revoke.Page
	for i := start; i < end; i++ {
		page.Users = append(page.Users, revoke.User{ID: fmt.Sprintf("u%03d", i), UPN: fmt.Sprintf("u%d@contoso.com", i),
			UserType: "Member", AccountEnabled: true})
	}
	if end < p.n {
		page.Next = fmt.Sprint(end)
	}
	return page, nil
}

type counting struct{ n atomic.Int64 }

func (c *counting) RevokeSessions(context.Context, string) (revoke.Result, error) {
	c.n.Add(1)
	return revoke.Result{At: time.Now()}, nil
}

// lateLastPage holds the listing's last page until the dispatcher has found
// nothing pending, then lets it land before the dispatcher looks again:
// the moment a job used to end with that page's users never revoked.
type lateLastPage struct {
	store.Store
	empty   chan struct{} // closed when PendingUsers first answers nothing
	landed  chan struct{} // closed when the last page is recorded
	once    sync.Once
	onceEnd sync.Once
}

func (s *lateLastPage) AddPage(ctx context.Context, id, owner string, users []store.BulkUser, next string, listed bool) error {
	if listed {
		<-s.empty
		defer s.onceEnd.Do(func() { close(s.landed) })
	}
	return s.Store.AddPage(ctx, id, owner, users, next, listed)
}

func (s *lateLastPage) PendingUsers(ctx context.Context, id string, after int64, limit int) ([]store.BulkUser, error) {
	us, err := s.Store.PendingUsers(ctx, id, after, limit)
	if err == nil && len(us) == 0 {
		first := false
		s.once.Do(func() { close(s.empty); first = true })
		if first {
			<-s.landed // the page lands between this answer and the check after it
			// and the lister marks the listing complete; a moment lets it.
			time.Sleep(50 * time.Millisecond)
		}
	}
	return us, err
}

// newJob is a store holding a running /revoke all request, rb-1, and its
// job, closed with the test.
func newJob(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateRequest(ctx, store.Request{ID: "rb-1", Kind: store.KindAll, Requester: "U0", Channel: "C0", State: store.StateRunning}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateJob(ctx, "rb-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRunRevokesALastPageRecordedLate: the job ends only once the listing
// was complete before the store said nothing is pending.
func TestRunRevokesALastPageRecordedLate(t *testing.T) {
	ctx := context.Background()
	st := newJob(t)
	late := &lateLastPage{Store: st, empty: make(chan struct{}), landed: make(chan struct{})}
	rev := &counting{}
	res, err := bulk.Run(ctx, bulk.Config{RequestID: "rb-1", Owner: "a", Store: late, Lister: pages{n: 10}, Revoker: rev,
		Skip: func(revoke.User) string { return "" }, Writes: 1000, Per: time.Second, Flush: 10 * time.Millisecond, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rev.n.Load() != 10 || res.Counts.Revoked != 10 || res.Counts.Pending != 0 {
		t.Fatalf("%d revoked, counts %+v", rev.n.Load(), res.Counts)
	}
}

// timed records when each user's revocation began and ended; the first
// users' take a while, as Graph's answers can.
type timed struct {
	mu         sync.Mutex
	slow       map[string]bool
	began, end map[string]time.Time
}

func (c *timed) RevokeSessions(_ context.Context, id string) (revoke.Result, error) {
	c.mu.Lock()
	c.began[id] = time.Now()
	slow := c.slow[id]
	c.mu.Unlock()
	if slow {
		time.Sleep(40 * time.Millisecond)
	}
	c.mu.Lock()
	c.end[id] = time.Now()
	c.mu.Unlock()
	return revoke.Result{At: time.Now()}, nil
}

// TestRunFirstUsersDoneBeforeOthers: with many workers, the First users
// are revoked, answered and all, before any other user is sent to Graph,
// each once; a run that resumes the job after they were put in its
// checkpoint holds the others behind them too.
func TestRunFirstUsersDoneBeforeOthers(t *testing.T) {
	for _, resumed := range []bool{false, true} {
		t.Run(map[bool]string{false: "first run", true: "resumed"}[resumed], func(t *testing.T) {
			ctx := context.Background()
			st := newJob(t)
			first := []revoke.User{{ID: "u045"}, {ID: "u030"}, {ID: "u012"}, {ID: "u007"}}
			if resumed {
				// A run that stopped right after it put them first.
				if _, err := st.ClaimJob(ctx, "rb-1", "gone", time.Now(), time.Now().Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
				var us []store.BulkUser
				for _, u := range first {
					us = append(us, store.BulkUser{ID: u.ID, Outcome: store.OutcomePending})
				}
				if err := st.AddPage(ctx, "rb-1", "gone", us, bulk.FirstDone, false); err != nil {
					t.Fatal(err)
				}
				if err := st.ReleaseJob(ctx, "rb-1", "gone"); err != nil {
					t.Fatal(err)
				}
			}
			rev := &timed{slow: map[string]bool{"u045": true, "u030": true, "u012": true, "u007": true}, began: map[string]time.Time{}, end: map[string]time.Time{}}
			cfg := bulk.Config{RequestID: "rb-1", Owner: "a", Store: st, Lister: pages{n: 50}, Revoker: rev, Workers: 8,
				First:  func(context.Context) ([]revoke.User, error) { return first, nil },
				Held:   func(context.Context) []revoke.User { return first },
				Skip:   func(revoke.User) string { return "" },
				Writes: 1000, Per: time.Second, Flush: 10 * time.Millisecond, Poll: 10 * time.Millisecond}
			if resumed {
				cfg.First = func(context.Context) ([]revoke.User, error) {
					t.Error("a resumed job read its First users again")
					return nil, nil
				}
			}
			res, err := bulk.Run(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts.Revoked != 50 || len(rev.began) != 50 {
				t.Fatalf("counts %+v, %d users revoked", res.Counts, len(rev.began))
			}
			var lastFirst time.Time
			for _, u := range first {
				if rev.end[u.ID].After(lastFirst) {
					lastFirst = rev.end[u.ID]
				}
			}
			for id, at := range rev.began {
				if !rev.slow[id] && at.Before(lastFirst) {
					t.Errorf("%s was sent %v before the last of the first users was answered", id, lastFirst.Sub(at))
				}
			}
		})
	}
}
