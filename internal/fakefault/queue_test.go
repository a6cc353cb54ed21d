package fakefault

import (
	"strings"
	"sync"
	"testing"
)

func TestQueueOrderTimesAndMatch(t *testing.T) {
	t.Parallel()
	var q Queue[string]
	q.Add("a", 2)
	q.Add("b", 0) // forever
	q.Add("c", 1)
	var got []string
	for range 4 {
		f, _ := q.Take(nil)
		got = append(got, f)
	}
	if want := "a a b b"; strings.Join(got, " ") != want {
		t.Errorf("took %q, want %q", strings.Join(got, " "), want)
	}
	if f, ok := q.Take(func(f string) bool { return f == "c" }); !ok || f != "c" {
		t.Errorf("match c: %q %v", f, ok)
	}
	if _, ok := q.Take(func(f string) bool { return f == "c" }); ok {
		t.Error("c answered twice")
	}
	q.Clear()
	if _, ok := q.Take(nil); ok {
		t.Error("a cleared queue answered")
	}
}

func TestQueueLastAnswerIsTakenOnce(t *testing.T) {
	t.Parallel()
	var q Queue[int]
	q.Add(1, 50)
	var wg sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok := q.Take(nil); ok {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n != 50 {
		t.Errorf("%d answers from a fault of 50", n)
	}
}
