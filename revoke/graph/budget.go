package graph

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/revokebot/revokebot/revoke"
)

// budget holds the client to a published request budget: at most limit
// requests in any window of per. It counts a request from its start until
// per after its answer came back: a request's arrival at Graph falls
// between the two, so requests spaced this way arrive spaced at least as
// far apart, whatever the network's delays. Waiters queue on the wall
// clock (Graph's windows are wall-clock ones) and give up when their
// context ends; nothing is dropped, a request only waits its turn.
type budget struct {
	limit int
	per   time.Duration

	mu       sync.Mutex
	inflight int
	ends     []time.Time   // answers of the last requests still within per, oldest first
	freed    chan struct{} // closed, and replaced, when a request ends
}

func newBudget(limit int, per time.Duration) *budget {
	return &budget{limit: limit, per: per, freed: make(chan struct{})}
}

// acquire waits for a place in the budget; release must follow.
func (b *budget) acquire(ctx context.Context) error {
	for {
		b.mu.Lock()
		now := time.Now()
		for len(b.ends) > 0 && now.Sub(b.ends[0]) >= b.per {
			b.ends = b.ends[1:]
		}
		if b.inflight+len(b.ends) < b.limit {
			b.inflight++
			b.mu.Unlock()
			return nil
		}
		freed := b.freed
		var timer *time.Timer
		var expired <-chan time.Time
		if len(b.ends) > 0 {
			timer = time.NewTimer(b.ends[0].Add(b.per).Sub(now))
			expired = timer.C
		}
		b.mu.Unlock()
		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-freed:
		case <-expired:
		}
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return err
		}
	}
}

// release ends a request taken with acquire.
func (b *budget) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight--
	b.ends = append(b.ends, time.Now())
	close(b.freed)
	b.freed = make(chan struct{})
}

// The reports budget (revoke.ReportsLimit per revoke.ReportsWindow); tests
// shrink the window through Config.
const (
	securityLimit        = 150
	reportsLimit         = revoke.ReportsLimit
	defaultReportsWindow = revoke.ReportsWindow
)

// budgeted holds every request to a service with a published budget to
// that budget, below the SDK so that every caller in the process (the
// watch, card listings, the actions, retries) shares one. A request to
// Identity Protection waits for the one before it to end and a further
// interval: 1 request per second per tenant, reads included. /security
// keeps to its 150 requests a minute ("Security detections and incidents
// service limits").
type budgeted struct {
	next     http.RoundTripper
	reports  *budget
	risk     *budget
	security *budget // /security: 150 requests a minute per app and tenant
}

func (t budgeted) RoundTrip(r *http.Request) (*http.Response, error) {
	var b *budget
	switch path := strings.ToLower(r.URL.Path); {
	case strings.Contains(path, "/identityprotection/"):
		b = t.risk
	case strings.Contains(path, "/auditlogs/"), isMethodsPath(path):
		b = t.reports
	case strings.Contains(path, "/security/"):
		b = t.security
	}
	if b == nil {
		return t.next.RoundTrip(r)
	}
	if err := b.acquire(r.Context()); err != nil {
		return nil, err
	}
	defer b.release()
	return t.next.RoundTrip(r)
}

// isMethodsPath: /users/{id}/authentication/..., lower-cased.
func isMethodsPath(path string) bool {
	_, rest, ok := strings.Cut(path, "/users/")
	if !ok {
		return false
	}
	_, rest, ok = strings.Cut(rest, "/")
	return ok && strings.HasPrefix(rest, "authentication/")
}
