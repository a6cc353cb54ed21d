package request

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// tenant is a Lister of n synthetic users in pages of 10: every 5th a guest.
type tenant struct{ n int }

func (t tenant) users() []revoke.User {
	out := make([]revoke.User, t.n)
	for i := range out {
		out[i] = revoke.User{ID: fmt.Sprintf("c0000000-0000-4000-8000-%012d", i), UPN: fmt.Sprintf("u%d@contoso.com", i),
			UserType: "Member", AccountEnabled: true}
		if i%5 == 4 {
			out[i].UserType = "Guest"
		}
	}
	return out
}

func (t tenant) ListUsers(_ context.Context, cursor string) (revoke.Page, error) {
	start := 0
	if cursor != "" {
		fmt.Sscan(cursor, &start)
	}
	all := t.users()
	end := min(start+10, len(all))
	p := revoke.Page{Users: all[start:end]}
	if end < len(all) {
		p.Next = fmt.Sprint(end)
	}
	return p, nil
}

// counter counts the synthetic tenant as Graph's $count would.
type counter struct{ t tenant }

func (c counter) CountUsers(_ context.Context, filter string) (int, error) {
	n := 0
	for _, u := range c.t.users() {
		ok := true
		if strings.Contains(filter, "userType eq 'Member'") {
			ok = ok && u.UserType == "Member"
		}
		if strings.Contains(filter, "userType eq 'Guest'") {
			ok = ok && u.UserType == "Guest"
		}
		if strings.Contains(filter, "accountEnabled eq true") {
			ok = ok && u.AccountEnabled
		}
		if strings.Contains(filter, "accountEnabled eq false") {
			ok = ok && !u.AccountEnabled
		}
		if ok {
			n++
		}
	}
	return n, nil
}

func allFlow(t *testing.T, n int, withCounter bool) *flow {
	tn := tenant{n: n}
	return newFlow(t, func(c *Config) {
		c.Lister, c.BulkRevoker = tn, c.Revoker
		if withCounter {
			c.Counter = counter{tn}
		}
		c.Policy.Protected = nil // the directory's boss is not in this tenant
		c.Bulk = BulkTuning{ProgressEvery: 20 * time.Millisecond, Flush: 10 * time.Millisecond, Poll: 10 * time.Millisecond}
	})
}

// waitState waits for a request to reach a state.
func (f *flow) waitState(id string, s store.State) store.Request {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := f.get(id)
		if r.State == s {
			return r
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("request %s is %s, want %s", id, r.State, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFlowRevokeAll: the card counted, the two-person rule, the job run to
// its end, its summary recorded, then told.
func TestFlowRevokeAll(t *testing.T) {
	t.Parallel()
	for _, withCounter := range []bool{true, false} {
		t.Run(fmt.Sprintf("counter=%v", withCounter), func(t *testing.T) {
			f := allFlow(t, 50, withCounter)
			f.command(uReq, chInc, "all")
			r := f.newest()
			if !strings.Contains(string(r.Target), `"eligible":40`) {
				t.Fatalf("preview %s", r.Target)
			}
			f.click(uReq, ActionApprove, r)
			if f.get(r.ID).State != store.StatePending {
				t.Fatal("self-approval moved the request")
			}
			ctx, cancel := context.WithCancel(f.ctx)
			defer cancel()
			f.w.runs.open(ctx)
			f.click(uApp, ActionApprove, r)
			r = f.waitState(r.ID, store.StateSucceeded)
			f.w.runs.wait()
			if n := f.revoker.count(); n != 40 {
				f.deliver()
				t.Fatalf("%d revoked, want 40; thread:\n%s", n, f.msg.text(chInc))
			}
			f.deliver()
			if th := f.msg.text(chInc); !strings.Contains(th, "Finished in") || !strings.Contains(th, "40 users revoked, 0 failed, 10 skipped (10 guests)") {
				t.Errorf("thread:\n%s", th)
			}
		})
	}
}

// TestFlowRevokeAllFailuresAndStop: failures listed and attached; a stop
// by a stranger is refused, by the requester taken.
func TestFlowRevokeAllFailuresAndStop(t *testing.T) {
	t.Parallel()
	f := allFlow(t, 300, true)
	f.revoker.err, f.revoker.failN = &revoke.Error{Kind: revoke.KindNotFound}, 30
	f.command(uReq, chInc, "all")
	r := f.newest()
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	f.w.runs.open(ctx)
	f.click(uApp, ActionApprove, r)
	r = f.waitState(r.ID, store.StateFailed)
	f.w.runs.wait()
	f.deliver()
	th := f.msg.text(chInc)
	if !strings.Contains(th, "30 failed") || !strings.Contains(th, "…and 10 more.") || len(f.msg.uploads) != 1 {
		t.Fatalf("%d files, thread:\n%s", len(f.msg.uploads), th)
	}

	f.command(uReq, chInc, "all")
	r2 := f.newest()
	f.click(uStr, ActionStop, r2)
	if got := f.msg.private(uStr); !strings.Contains(got, "stop") {
		t.Errorf("a stop on a pending request: %q", got)
	}
	if _, err := f.st.Transition(f.ctx, r2.ID, store.StatePending, store.StateRunning, store.Change{DecidedBy: uApp, CreateJob: true}); err != nil {
		t.Fatal(err)
	}
	r2 = f.get(r2.ID)
	f.click(uStr, ActionStop, r2)
	f.click(uReq, ActionStop, r2)
	f.click(uApp, ActionStop, r2)
	if job, err := f.st.Job(f.ctx, r2.ID); err != nil || job.StopBy != uReq {
		t.Fatalf("job %+v, %v", job, err)
	}
	if got := f.msg.private(uApp); !strings.Contains(got, "already stopped") {
		t.Errorf("second stop: %q", got)
	}
	f.command(uReq, chInc, "status "+r2.ID)
	if got := f.msg.private(uReq); !strings.Contains(got, "every eligible user") {
		t.Errorf("status: %q", got)
	}
}

// sightings is a sign-in log with one successful sign-in after any time.
type sightings struct{}

func (sightings) SignIns(_ context.Context, id string, since time.Time) ([]revoke.SignIn, error) {
	if id == carol.ID {
		return nil, &revoke.Error{Kind: revoke.KindUnlicensed, Status: 403}
	}
	return []revoke.SignIn{{ID: "s1", At: since.Add(time.Second), IP: "203.0.113.9", App: "Outlook", Success: true},
		{ID: "s0", At: since.Add(-time.Hour), Success: true}}, nil
}

// TestFlowWatch: the watch is a task: it raises one alarm per sign-in,
// says when a log cannot be read, ends, and a paused one is carried on.
func TestFlowWatch(t *testing.T) {
	t.Parallel()
	f := newFlow(t, func(c *Config) {
		c.SignIns = sightings{}
		c.Policy.Verify.For, c.Policy.Verify.Every = 300*time.Millisecond, 50*time.Millisecond
	})
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	f.w.runs.open(ctx)
	f.command(uReq, chInc, "alice carol")
	r := f.newest()
	f.click(uReq, ActionConfirm, r)
	f.w.runs.wait()
	ev := f.events(r.ID)
	// The watch's end is recorded beside the snapshot's log part, in
	// either order.
	if strings.Count(ev, "alarm") != 1 || !strings.Contains(ev, "unverified") || !slices.Contains(strings.Split(ev, ","), "verified") {
		t.Fatalf("events %s", ev)
	}
	tasks, err := f.st.OpenTasks(f.ctx, watchKind)
	if err != nil || len(tasks) != 0 {
		t.Fatalf("open watches %v %v", tasks, err)
	}

	// A watch left by a replica that stopped is carried on by the sweep.
	f.command(uReq, chInc, "alice")
	r = f.newest()
	f.w.runs.shutdown()
	f.click(uReq, ActionConfirm, r)
	f.w.runs = newBulkRuns()
	f.w.runs.open(ctx)
	f.w.watch.resumeWatches(f.ctx)
	f.w.runs.wait()
	if ev := f.events(r.ID); !strings.Contains(ev, "alarm") || !strings.HasSuffix(ev, "verified") {
		t.Fatalf("the resumed watch: %s", ev)
	}
}

// TestPrivilegedWords: the progress message shows the privileged accounts
// until they are done, and the summary marks a privileged failure.
func TestPrivilegedWords(t *testing.T) {
	t.Parallel()
	_, blocks := renderProgress(progress{Counts: store.Counts{Revoked: 3, Pending: 97}, Privileged: 5, PrivilegedLeft: 2, Running: true})
	if !strings.Contains(blocks[0].Text, "Privileged accounts first:* 3 of 5 revoked") {
		t.Errorf("progress: %s", blocks[0].Text)
	}
	_, blocks = renderProgress(progress{Counts: store.Counts{Revoked: 6, Pending: 94}, Privileged: 5, Running: true})
	if strings.Contains(blocks[0].Text, "Privileged") {
		t.Errorf("privileged shown after they were done: %s", blocks[0].Text)
	}
	text := renderSummary(summary{Counts: store.Counts{Revoked: 8, Failed: 2}, Privileged: 5,
		Failed: []store.BulkUser{{Seq: 2, ID: "a", UPN: "admin@contoso.com", Detail: "x"}, {Seq: 40, ID: "b", UPN: "user@contoso.com", Detail: "y"}}})
	if !strings.Contains(text, "admin@contoso.com (`a`) :crown: *privileged*") || strings.Contains(text, "user@contoso.com (`b`) :crown:") {
		t.Errorf("summary:\n%s", text)
	}
}

// roles is a RoleLister of fixed holders, or of an error.
type roles struct {
	holders []revoke.RoleHolder
	err     error
}

func (r roles) RoleHolders(context.Context) (revoke.RoleHolders, error) {
	return revoke.RoleHolders{Users: r.holders}, r.err
}

// TestFlowPrivilegedFirst: role holders deep in the listing are revoked
// before anyone else, once each, the card counts them, and a lister that
// is refused leaves the job in listing order, saying why.
func TestFlowPrivilegedFirst(t *testing.T) {
	t.Parallel()
	all := tenant{n: 50}.users()
	holders := []revoke.RoleHolder{{ID: all[45].ID, UPN: all[45].UPN}, {ID: all[30].ID, UPN: all[30].UPN}}
	for _, tc := range []struct {
		name  string
		lst   roles
		first []string
		words string
	}{
		{"holders", roles{holders: holders}, []string{all[45].ID, all[30].ID}, "Revoking the 2 privileged accounts"},
		{"refused", roles{err: &revoke.Error{Kind: revoke.KindForbidden, Status: 403}}, []string{all[0].ID, all[1].ID}, "RoleManagement.Read.Directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := tenant{n: 50}
			f := newFlow(t, func(c *Config) {
				c.Lister, c.BulkRevoker, c.Counter, c.RoleHolders = tn, c.Revoker, counter{tn}, tc.lst
				c.Policy.Protected = nil
				c.Policy.RevokeAll.Concurrency = 1 // one call at a time: the order is the calls' order
				c.Bulk = BulkTuning{ProgressEvery: 20 * time.Millisecond, Flush: 10 * time.Millisecond, Poll: 10 * time.Millisecond}
			})
			f.command(uReq, chInc, "all")
			r := f.newest()
			if tc.lst.err == nil && !strings.Contains(string(r.Target), `"privileged":2`) {
				t.Errorf("the card does not count the holders: %s", r.Target)
			}
			ctx, cancel := context.WithCancel(f.ctx)
			defer cancel()
			f.w.runs.open(ctx)
			f.click(uApp, ActionApprove, r)
			f.waitState(r.ID, store.StateSucceeded)
			f.w.runs.wait()
			f.revoker.mu.Lock()
			calls := append([]string(nil), f.revoker.calls...)
			f.revoker.mu.Unlock()
			if len(calls) != 40 || calls[0] != tc.first[0] || calls[1] != tc.first[1] {
				t.Fatalf("%d calls, first %v, want %v", len(calls), calls[:min(2, len(calls))], tc.first)
			}
			f.deliver()
			if th := f.msg.text(chInc); !strings.Contains(th, tc.words) {
				t.Errorf("thread lacks %q:\n%s", tc.words, th)
			}
		})
	}
}

// lateLog is a sign-in log that fails, as throttled, the first fails reads of
// each user by the watch, then finds one successful sign-in after the
// revocation. The evidence snapshot's reads of the day before the click
// find nothing and are not counted.
type lateLog struct {
	mu    sync.Mutex
	fails int
	reads map[string]int
}

func (f *lateLog) SignIns(_ context.Context, id string, since time.Time) ([]revoke.SignIn, error) {
	if since.Before(clickTime.Add(-time.Hour)) {
		return nil, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads[id]++
	if f.reads[id] <= f.fails {
		return nil, &revoke.Error{Kind: revoke.KindThrottled, Status: 429, Op: "read sign-ins"}
	}
	return []revoke.SignIn{{ID: "s-" + id, At: since.Add(time.Second), IP: "203.0.113.9", App: "Outlook", Success: true}}, nil
}

// TestFlowWatchReadsALateUserAgain: a read that fails for a reason another
// try may cure (Graph's reports budget) leaves the user in the watch: the
// next look reads the log from the revocation on, so the sign-in is still
// raised, and the thread says once that the read is late, not that the
// user is no longer watched. A user still unread at the end is named.
func TestFlowWatchReadsALateUserAgain(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		fails int
		want  []string
	}{
		{"late once", 1, []string{"at this look", "Successful sign-in after the revocation"}},
		{"never read", 1000, []string{"at this look", "could not be read at the watch's end"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			log := &lateLog{fails: tt.fails, reads: map[string]int{}}
			f := newFlow(t, func(c *Config) {
				c.SignIns = log
				c.Policy.Verify.For, c.Policy.Verify.Every = 200*time.Millisecond, 50*time.Millisecond
			})
			ctx, cancel := context.WithCancel(f.ctx)
			defer cancel()
			f.w.runs.open(ctx)
			f.command(uReq, chInc, "alice")
			r := f.newest()
			f.click(uReq, ActionConfirm, r)
			f.w.runs.wait()
			trail, err := f.st.AuditTrail(f.ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			var said string
			for _, rec := range trail {
				said += rec.Event.Event + ": " + rec.Detail + "\n"
			}
			for _, w := range tt.want {
				if !strings.Contains(said, w) {
					t.Errorf("the thread lacks %q:\n%s", w, said)
				}
			}
			if strings.Count(said, "at this look") != 1 || strings.Contains(said, "so it is not watched") {
				t.Errorf("the late read is said once, and the user stays watched:\n%s", said)
			}
			log.mu.Lock()
			defer log.mu.Unlock()
			if tt.fails > 1 && log.reads[alice.ID] < 2+finalTries {
				t.Errorf("%d reads: the end does not rest on one failed read", log.reads[alice.ID])
			}
		})
	}
}

// TestLookPace: a look at more users than the reports budget allows in one
// window takes a window per further five; the watch says so when that is
// longer than verify.every, and names the verify.every that keeps to it.
func TestLookPace(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		users int
		takes time.Duration
	}{{1, 0}, {5, 0}, {6, 10 * time.Second}, {10, 10 * time.Second}, {11, 20 * time.Second}, {50, 90 * time.Second}} {
		if got := LookTakes(tt.users); got != tt.takes {
			t.Errorf("LookTakes(%d) = %v, want %v", tt.users, got, tt.takes)
		}
	}
	if s := lookPace(8, time.Minute); s != "" {
		t.Errorf("8 users every minute: %q", s)
	}
	s := lookPace(50, 30*time.Second)
	for _, w := range []string{"5 sign-in logs per 10 s", "these 50 users takes about 1 min 30 s", "not every 30 s", "`verify.every: 1m30s` or more"} {
		if !strings.Contains(s, w) {
			t.Errorf("lookPace(50, 30s) lacks %q: %s", w, s)
		}
	}
}
