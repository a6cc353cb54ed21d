package request

import (
	"testing"
	"testing/synctest"
)

func named(name string) job { return job{name: name} }

// TestFairQueueShares: a person past their share is refused alone, the
// pool's bound still holds, and workers take people in turn.
func TestFairQueueShares(t *testing.T) {
	t.Parallel()
	q := newFairQueue(40, 16, 8)
	for i := range 16 {
		if res, mine := q.offer("A", named("a"), true); res != queued || mine != i+1 {
			t.Fatalf("A's job %d: %v, %d of theirs", i+1, res, mine)
		}
	}
	if res, mine := q.offer("A", named("a"), true); res != shareFull || mine != 16 {
		t.Fatalf("A's 17th: %v, %d of theirs", res, mine)
	}
	// A click of theirs is not held to the share (only to the pool's bound).
	if res, mine := q.offer("A", named("a"), false); res != queued || mine != 17 {
		t.Fatalf("A's click past the share: %v, %d of theirs", res, mine)
	}
	for _, p := range []string{"B", "C"} {
		if res, _ := q.offer(p, named(p), true); res != queued {
			t.Fatalf("%s refused while only A was past their share: %v", p, res)
		}
	}
	var order []string
	for range 5 {
		j, _ := q.take()
		order = append(order, j.person)
	}
	if got := order; got[0] != "A" || got[1] != "B" || got[2] != "C" || got[3] != "A" || got[4] != "A" {
		t.Errorf("served %v, want A B C A A: each in turn", got)
	}

	full := newFairQueue(3, 16, 8)
	for _, p := range []string{"A", "B", "C"} {
		full.offer(p, named(p), true)
	}
	if res, _ := full.offer("D", named("D"), true); res != poolFull {
		t.Errorf("past the pool's bound: %v", res)
	}
	full.close()
	if res, _ := full.offer("D", named("D"), true); res != poolFull {
		t.Errorf("offered after close: %v", res)
	}
	for range 3 {
		if _, ok := full.take(); !ok {
			t.Fatal("a closed queue dropped queued work")
		}
	}
	if _, ok := full.take(); ok {
		t.Error("a closed, empty queue handed out work")
	}
}

// TestFairQueueKeepsAWorkerFree: nobody runs on more than half the
// workers, so a second person's job is taken while the first one's keep
// theirs busy, and the first one's next job waits for one of theirs to
// finish.
func TestFairQueueKeepsAWorkerFree(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		q := newFairQueue(64, 16, 4) // 4 workers: at most 2 running for one person
		for range 4 {
			q.offer("A", named("a"), true)
		}
		for range 2 {
			if j, _ := q.take(); j.person != "A" {
				t.Fatalf("took %q", j.person)
			}
		}
		got := make(chan string, 2)
		go func() {
			j, _ := q.take()
			got <- j.person
		}()
		synctest.Wait()
		select {
		case p := <-got:
			t.Fatalf("a third worker took %s's job while they held two", p)
		default:
		}
		q.offer("B", named("b"), true)
		synctest.Wait()
		if p := <-got; p != "B" {
			t.Fatalf("the free worker took %s's job, want B's", p)
		}
		go func() {
			j, _ := q.take()
			got <- j.person
		}()
		synctest.Wait()
		q.done("A")
		synctest.Wait()
		if p := <-got; p != "A" {
			t.Fatalf("after A's job ended the worker took %s's", p)
		}
		q.close()
	})
}
