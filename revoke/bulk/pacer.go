package bulk

import (
	"sync"
	"time"
)

// Pacer spaces writes evenly at a ceiling, and on a 429 pauses every writer
// for the Retry-After, halves the rate and climbs back to the ceiling over
// `recover` (additive increase, multiplicative decrease).
//
// It is virtual scheduling with a small tolerance: each write moves the
// theoretical time of the next one (tat) by one interval, and a writer may go
// up to `burst` intervals ahead of it, so that a short stall (a store query,
// a busy CPU) is made up instead of lost. Over any window W at most
// W*rate + burst + 1 writes go out, which headroom keeps under the ceiling.
type Pacer struct {
	mu      sync.Mutex
	ceil    float64       // writes per second at the ceiling
	floor   float64       // never slower than this
	burst   float64       // intervals a writer may run ahead
	recover time.Duration // from a cut back to the ceiling
	tat     time.Time     // theoretical arrival time of the next write
	paused  time.Time     // no slot before this (Retry-After)
	cutAt   time.Time     // when the rate was last cut
	cutTo   float64       // the rate it was cut to
}

// headroom keeps the pace a little under the documented ceiling, so that
// the burst tolerance and requests bunched by network jitter still arrive
// within it.
const headroom = 0.97

// NewPacer paces writes at 97% of writes per per.
func NewPacer(writes int, per time.Duration) *Pacer {
	ceil := headroom * float64(writes) / per.Seconds()
	// A burst of 1% of the window's writes: 30 of Graph's 3,000.
	return &Pacer{ceil: ceil, floor: ceil / 50, burst: max(1, float64(writes)/100), recover: per / 5, cutTo: ceil}
}

// rate is the pace at time now.
func (p *Pacer) rate(now time.Time) float64 {
	if p.cutTo >= p.ceil || p.recover <= 0 {
		return p.ceil
	}
	f := float64(now.Sub(p.cutAt)) / float64(p.recover)
	if f >= 1 {
		p.cutTo = p.ceil
		return p.ceil
	}
	return p.cutTo + (p.ceil-p.cutTo)*max(f, 0)
}

// Slot reserves the time at which the caller may send its next write.
func (p *Pacer) Slot(now time.Time) time.Time { return p.SlotN(now, 1) }

// SlotN reserves n writes sent together (a $batch), at the time returned.
func (p *Pacer) SlotN(now time.Time, n int) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	interval := time.Duration(float64(time.Second) / p.rate(now))
	t := p.tat.Add(-time.Duration(p.burst * float64(interval)))
	if t.Before(now) {
		t = now
	}
	if t.Before(p.paused) {
		t = p.paused
	}
	if p.tat.Before(t) {
		p.tat = t
	}
	p.tat = p.tat.Add(time.Duration(n) * interval)
	return t
}

// Throttled records a 429: nobody writes until now+retryAfter, and the pace
// halves. Several 429s from one burst cut it once: a cut within the last
// Retry-After is the same episode.
func (p *Pacer) Throttled(now time.Time, retryAfter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if retryAfter <= 0 {
		retryAfter = time.Second
	}
	if until := now.Add(retryAfter); until.After(p.paused) {
		p.paused = until
	}
	// No burst credit after a 429: the first slot is at the pause's end,
	// and the pace builds from there.
	if credit := p.paused.Add(time.Duration(p.burst * float64(time.Second) / p.rate(now))); p.tat.Before(credit) {
		p.tat = credit
	}
	if now.Sub(p.cutAt) > retryAfter || p.cutTo >= p.ceil {
		p.cutTo = max(p.rate(now)/2, p.floor)
		p.cutAt = now
	}
}

// Pause holds every writer until now+d without slowing the pace (503s: the
// service is busy, not our rate).
func (p *Pacer) Pause(now time.Time, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := now.Add(d); until.After(p.paused) {
		p.paused = until
	}
}
