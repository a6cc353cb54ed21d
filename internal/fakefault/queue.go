// Package fakefault holds the faults a fake service was told to inject: in
// the order they came, each answering a set number of requests or forever.
// The fakes decide what a fault matches and what it answers; the queue
// decides only which one is used next.
package fakefault

import "sync"

// Queue is the injected faults of one fake. Its zero value is empty and
// ready; it is safe for concurrent use.
type Queue[F any] struct {
	mu      sync.Mutex
	entries []*entry[F]
}

type entry[F any] struct {
	f F
	// left counts the answers a fault has left when it is not forever; a
	// spent fault is dropped at once, so a long benchmark never scans it.
	left    int
	forever bool
}

// Add appends f, which answers times requests; times <= 0 means forever.
func (q *Queue[F]) Add(f F, times int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.entries = append(q.entries, &entry[F]{f: f, left: times, forever: times <= 0})
}

// Clear removes every fault, spent or not.
func (q *Queue[F]) Clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.entries = nil
}

// Take consumes one answer of the first fault that match accepts. Matching
// and consuming happen under one lock, so concurrent requests never share
// the last answer of a fault.
func (q *Queue[F]) Take(match func(F) bool) (F, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, e := range q.entries {
		if match != nil && !match(e.f) {
			continue
		}
		if !e.forever {
			e.left--
			if e.left == 0 {
				q.entries = append(q.entries[:i:i], q.entries[i+1:]...)
			}
		}
		return e.f, true
	}
	var zero F
	return zero, false
}
