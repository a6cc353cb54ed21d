package fakeexchange

import (
	"sync"
	"time"
)

// throttle is a sliding-window budget over one tenant's calls. Exchange
// Online throttles per tenant and app with budgets whose numbers are not
// published for InvokeCommand; that it answers 429 with Retry-After is an
// assumption, taken from how Microsoft's other admin endpoints (Graph,
// SharePoint) throttle. A fixed window would let a client burst at its edge,
// and Retry-After would stop meaning "the earliest moment a call succeeds".
// Throttled calls do not count against the budget.
type throttle struct {
	mu        sync.Mutex
	limit     int
	window    time.Duration
	accepted  []time.Time // oldest first, within the window
	throttled int
}

// newThrottle returns nil, meaning no throttle, unless both are positive.
func newThrottle(limit int, window time.Duration) *throttle {
	if limit <= 0 || window <= 0 {
		return nil
	}
	return &throttle{limit: limit, window: window}
}

// take accepts a call arriving at now, or says how long until the oldest
// call in the window leaves it.
func (t *throttle) take(now time.Time) (time.Duration, bool) {
	if t == nil {
		return 0, true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.accepted) > 0 && now.Sub(t.accepted[0]) >= t.window {
		t.accepted = t.accepted[1:]
	}
	if len(t.accepted) < t.limit {
		t.accepted = append(t.accepted, now)
		return 0, true
	}
	t.throttled++
	return t.accepted[0].Add(t.window).Sub(now), false
}

// Throttled returns how many calls the throttle answered with 429. Injected
// faults are not counted.
func (s *Server) Throttled() int {
	if s.throttle == nil {
		return 0
	}
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	return s.throttle.throttled
}
