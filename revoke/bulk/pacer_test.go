package bulk

import (
	"testing"
	"time"
)

// TestPacerNeverExceedsTheCeiling asks for slots far faster than allowed
// and counts, in every window of Per, the slots granted: never more than
// Writes, and not much fewer either.
func TestPacerNeverExceedsTheCeiling(t *testing.T) {
	const writes, per = 3000, 150 * time.Second
	p := NewPacer(writes, per)
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	var slots []time.Time
	now := t0
	for len(slots) < 3*writes {
		s := p.Slot(now)
		if s.Before(now) {
			t.Fatalf("slot %v before now %v", s, now)
		}
		slots = append(slots, s)
		now = now.Add(time.Millisecond) // callers arrive every ms, 50x the ceiling
	}
	j := 0
	for i := range slots {
		for slots[j].Add(per).Compare(slots[i]) <= 0 {
			j++
		}
		if n := i - j + 1; n > writes {
			t.Fatalf("%d slots within %v ending at %v; ceiling %d", n, per, slots[i].Sub(t0), writes)
		}
	}
	span := slots[len(slots)-1].Sub(slots[0])
	rate := float64(len(slots)-1) / span.Seconds()
	if ceil := float64(writes) / per.Seconds(); rate < 0.95*ceil || rate > ceil {
		t.Errorf("pace %.2f/s; want between 95%% and 100%% of %.2f/s", rate, ceil)
	}
}

func TestPacerBacksOffOn429AndRecovers(t *testing.T) {
	p := NewPacer(3000, 150*time.Second) // 19.4/s with headroom
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	p.Slot(t0)
	p.Throttled(t0, 2500*time.Millisecond)
	if s := p.Slot(t0); s.Before(t0.Add(2500 * time.Millisecond)) {
		t.Fatalf("slot %v during the Retry-After pause", s.Sub(t0))
	}
	at := t0
	if r := p.rate(at); r > p.ceil/2+0.01 {
		t.Errorf("rate right after a 429 = %.2f; want at most half of %.2f", r, p.ceil)
	}
	// A second 429 of the same burst does not cut again.
	p.Throttled(t0.Add(time.Second), 2500*time.Millisecond)
	if r := p.rate(at); r < p.ceil/2-0.01 {
		t.Errorf("rate after a second 429 of the same burst = %.2f; want about %.2f", r, p.ceil/2)
	}
	if r := p.rate(t0.Add(p.recover + time.Second)); r != p.ceil {
		t.Errorf("rate after %v = %.2f; want back at the ceiling %.2f", p.recover, r, p.ceil)
	}
	// Repeated storms never stop it entirely.
	for i := range 40 {
		p.Throttled(t0.Add(time.Duration(i)*time.Minute), time.Second)
	}
	if r := p.rate(t0.Add(40 * time.Minute)); r < p.floor {
		t.Errorf("rate %.3f below the floor %.3f", r, p.floor)
	}
}

func TestPacerPauseKeepsThePace(t *testing.T) {
	p := NewPacer(3000, 150*time.Second)
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	p.Pause(t0, 4*time.Second)
	if s := p.Slot(t0); !s.Equal(t0.Add(4 * time.Second)) {
		t.Errorf("slot after a 4s pause = %v", s.Sub(t0))
	}
	if r := p.rate(t0.Add(5 * time.Second)); r != p.ceil {
		t.Errorf("a 503 pause changed the rate to %.2f", r)
	}
}

func TestEstimate(t *testing.T) {
	// 100,000 users at 3,000 per 150 s take about 83 minutes; the headroom
	// adds a little.
	d := Estimate(100_000, 3000, 150*time.Second)
	if d < 83*time.Minute || d > 87*time.Minute {
		t.Errorf("Estimate = %v", d)
	}
}
