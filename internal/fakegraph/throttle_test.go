package fakegraph

import (
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// retryAfterFormat is seconds with at most millisecond precision, which
// clients parse with strconv.ParseFloat.
var retryAfterFormat = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,3})?$`)

func TestWriteThrottleWindow(t *testing.T) {
	// A synthetic clock makes the arithmetic exact; the server itself runs
	// the same code on the wall clock.
	tr := newWriteThrottle(2, 10*time.Second)
	at := func(d time.Duration) time.Time { return tr.epoch.Add(d) }
	steps := []struct {
		at   time.Duration
		ok   bool
		wait time.Duration
	}{
		{0, true, 0},
		{1 * time.Second, true, 0},
		{2 * time.Second, false, 8 * time.Second},
		{3 * time.Second, false, 7 * time.Second},
		{10 * time.Second, true, 0}, // the write at 0 has left the window
		// Accepted only if the two 429s did not count: the window now
		// holds the writes at 1 s (leaving just now) and 10 s.
		{11 * time.Second, true, 0},
		{11*time.Second + time.Millisecond, false, 9*time.Second - time.Millisecond},
	}
	for i, st := range steps {
		wait, ok := tr.take(at(st.at))
		if ok != st.ok || wait != st.wait {
			t.Errorf("step %d at %v: ok=%v wait=%v, want ok=%v wait=%v", i, st.at, ok, wait, st.ok, st.wait)
		}
	}
	if tr.throttled != 3 {
		t.Errorf("throttled %d, want 3", tr.throttled)
	}
	if newWriteThrottle(0, time.Second) != nil || newWriteThrottle(5, 0) != nil {
		t.Error("a zero bound should disable the throttle")
	}
}

func TestRetryAfterFormat(t *testing.T) {
	for wait, want := range map[time.Duration]string{
		137 * time.Millisecond:                   "0.137",
		136*time.Millisecond + time.Microsecond:  "0.137", // rounded up, never early
		0:                                        "0.001",
		time.Nanosecond:                          "0.001",
		time.Second:                              "1",
		1500 * time.Millisecond:                  "1.5",
		150 * time.Second:                        "150",
		149*time.Second + 999*time.Millisecond/2: "149.5",
	} {
		if got := retryAfter(wait); got != want {
			t.Errorf("retryAfter(%v) = %q, want %q", wait, got, want)
		}
	}
}

func TestThrottleOverHTTP(t *testing.T) {
	t.Parallel()
	// The window is long enough that the burst below cannot outlive it even
	// on a loaded machine, so the 429 is certain.
	s := newTestServer(t, Options{WriteLimit: 3, WriteWindow: 2 * time.Second})
	for i := range 3 {
		if r := revoke(t, s, "1"); r.status != 200 {
			t.Fatalf("write %d: %d %v", i, r.status, r.body)
		}
	}
	r := revoke(t, s, "1")
	ra := r.header.Get("Retry-After")
	if r.status != 429 || r.errorCode() != "TooManyRequests" || !retryAfterFormat.MatchString(ra) {
		t.Fatalf("4th write: %d %v Retry-After %q", r.status, r.body, ra)
	}
	secs, _ := strconv.ParseFloat(ra, 64)
	if secs <= 0 || secs > 2 {
		t.Fatalf("Retry-After %q outside the window", ra)
	}
	// Reads have their own budget in Graph; the write limit leaves them be.
	if g := get(t, s, "/users/1", nil); g.status != 200 {
		t.Errorf("read while writes are throttled: %d", g.status)
	}
	if s.Throttled() != 1 || s.TotalRevocations() != 3 || s.Revocations("1") != 3 {
		t.Errorf("throttled %d, revocations %d", s.Throttled(), s.TotalRevocations())
	}
	time.Sleep(time.Duration(secs * float64(time.Second)))
	if r := revoke(t, s, "1"); r.status != 200 {
		t.Fatalf("write after waiting Retry-After %s: %d %v", ra, r.status, r.body)
	}
	if s.Throttled() != 1 || s.TotalRevocations() != 4 {
		t.Errorf("after retry: throttled %d, revocations %d", s.Throttled(), s.TotalRevocations())
	}
}

func TestThrottleBurstCounts(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{WriteLimit: 7, WriteWindow: time.Minute})
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range 30 {
		wg.Go(func() {
			r := revoke(t, s, strconv.Itoa(1+i%4))
			mu.Lock()
			statuses[r.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[200] != 7 || statuses[429] != 23 || s.Throttled() != 23 || s.TotalRevocations() != 7 {
		t.Errorf("statuses %v, throttled %d, revocations %d", statuses, s.Throttled(), s.TotalRevocations())
	}
}

func TestThrottleOrder(t *testing.T) {
	s := newTestServer(t, Options{WriteLimit: 1, WriteWindow: time.Minute})
	// Unauthenticated writes never reach the throttle.
	do(t, s, http.MethodPost, "/users/1/revokeSignInSessions", http.Header{"Authorization": {"Bearer wrong"}}, nil)
	// A write answered by an injected fault does not take a slot either.
	s.Inject(Fault{Method: "POST", Status: 503, Times: 1})
	if r := revoke(t, s, "1"); r.status != 503 {
		t.Fatalf("fault: %d", r.status)
	}
	// A write to a missing user is still a write Graph processed.
	if r := revoke(t, s, "nobody"); r.status != 404 {
		t.Fatalf("missing user: %d", r.status)
	}
	if r := revoke(t, s, "1"); r.status != 429 {
		t.Fatalf("second accepted write: %d", r.status)
	}
	// Faults still win over the throttle, so tests can force any answer.
	s.Inject(Fault{PathSuffix: "/revokeSignInSessions", Status: 403, Times: 1})
	if r := revoke(t, s, "1"); r.status != 403 || s.Throttled() != 1 || s.TotalRevocations() != 0 {
		t.Errorf("fault over a full window: %d, throttled %d, revoked %d", r.status, s.Throttled(), s.TotalRevocations())
	}
	if open := newTestServer(t, Options{}); open.Throttled() != 0 {
		t.Error("Throttled without a throttle")
	}
}
