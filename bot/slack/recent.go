package slack

import (
	"sync"
	"time"
)

// recent remembers keys for a while, to drop duplicate deliveries of the
// same slash command or click (Slack retries when an ack is slow).
type recent struct {
	ttl  time.Duration
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]time.Time
}

func newRecent(ttl time.Duration, now func() time.Time) *recent {
	return &recent{ttl: ttl, now: now, keys: map[string]time.Time{}}
}

// add records key and reports whether it was already there. Empty keys are
// never duplicates.
func (r *recent) add(key string) bool {
	if key == "" {
		return false
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.keys) > 10000 {
		for k, at := range r.keys {
			if now.Sub(at) > r.ttl {
				delete(r.keys, k)
			}
		}
	}
	if at, ok := r.keys[key]; ok && now.Sub(at) <= r.ttl {
		return true
	}
	r.keys[key] = now
	return false
}
