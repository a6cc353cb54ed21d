package fakegraph

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// writeThrottle is a sliding-window limit over accepted writes. A fixed
// window or a token bucket would let a client burst at window edges in ways
// Graph does not, and Retry-After would stop meaning "the earliest moment a
// write can succeed", which is what a bulk engine paces itself by.
type writeThrottle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	// epoch anchors ring entries, which are offsets from it: 8 bytes each
	// instead of a time.Time's 24, and monotonic, so a wall-clock step
	// cannot empty or freeze the window.
	epoch time.Time
	// ring holds the acceptance times of the writes still in the window,
	// oldest at head. It never needs more than limit entries, because a
	// full window refuses further writes.
	ring      []time.Duration
	head, n   int
	throttled int
}

// newWriteThrottle returns nil, meaning no throttle, unless both bounds are
// positive.
func newWriteThrottle(limit int, window time.Duration) *writeThrottle {
	if limit <= 0 || window <= 0 {
		return nil
	}
	return &writeThrottle{limit: limit, window: window, epoch: time.Now(), ring: make([]time.Duration, limit)}
}

// take accepts a write arriving at now, or reports how long until the
// oldest write in the window leaves it. Each accepted write is expired once,
// so the cost is O(1) amortised.
func (t *writeThrottle) take(now time.Time) (wait time.Duration, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at := now.Sub(t.epoch)
	for t.n > 0 && at-t.ring[t.head] >= t.window {
		t.head = (t.head + 1) % t.limit
		t.n--
	}
	if t.n < t.limit {
		t.ring[(t.head+t.n)%t.limit] = at
		t.n++
		return 0, true
	}
	t.throttled++
	return t.ring[t.head] + t.window - at, false
}

// admit applies the write throttle to c. Only writes under /users count:
// that is the identity and access class whose limit the fake models, and
// reads have a separate, much larger budget in Graph.
func (s *Server) admit(c *call) (response, bool) {
	if s.throttle == nil || !isUserWrite(c) {
		return response{}, true
	}
	wait, ok := s.throttle.take(time.Now())
	if ok {
		return response{}, true
	}
	resp := graphError(http.StatusTooManyRequests, "TooManyRequests", "")
	resp.header = http.Header{"Retry-After": {retryAfter(wait)}}
	return resp, false
}

func isUserWrite(c *call) bool {
	switch c.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return len(c.segs) > 0 && strings.EqualFold(c.segs[0], "users")
	}
	return false
}

// retryAfter formats wait in seconds with millisecond precision, rounded up
// so that a client that sleeps exactly that long finds the slot free, and
// never "0", which clients read as "retry at once".
func retryAfter(wait time.Duration) string {
	ms := max(1, (wait+time.Millisecond-1)/time.Millisecond)
	return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)
}

// Throttled returns how many requests the write throttle answered with 429,
// counting each throttled $batch item. Injected faults are not included.
func (s *Server) Throttled() int {
	if s.throttle == nil {
		return 0
	}
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	return s.throttle.throttled
}
