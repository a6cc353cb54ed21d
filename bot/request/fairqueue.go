package request

import (
	"slices"
	"sync"
)

// perPersonWaiting is each person's share of a pool's queue: past it, that
// person is told how many of theirs wait, and nobody else notices.
const perPersonWaiting = 16

// fairQueue is one pool's work, shared fairly between the people it is
// for. A single FIFO let one requester's 1,024 commands fill the queue, so
// that a colleague was told "overloaded" and, once in, waited behind them
// all. Here each person has at most perPersonWaiting jobs waiting, workers
// take the people with work in turn (round-robin), and nobody holds more
// than half the workers at once: others always find one free however long
// the first one's jobs take, and what those jobs share beyond the workers
// (the store's one writer, the CPU) is not all taken by one person either.
type fairQueue struct {
	mu         sync.Mutex
	ready      sync.Cond // work was added, a worker freed a person's slot, or the queue closed
	capacity   int       // jobs waiting across everyone: the pool's overall bound
	perPerson  int
	maxRunning int // workers one person may hold: half the pool's
	waiting    map[string][]job
	running    map[string]int
	turns      []string // the people with work waiting, in the order they are served
	n          int
	closed     bool
}

// offerResult says what became of an offered job.
type offerResult int

const (
	queued    offerResult = iota
	poolFull              // the pool's queue is full: everyone is refused
	shareFull             // this person's share is full: only they are refused
)

// newFairQueue is a queue of at most capacity jobs for a pool of workers.
func newFairQueue(capacity, perPerson, workers int) *fairQueue {
	q := &fairQueue{capacity: capacity, perPerson: perPerson, maxRunning: max(1, workers/2),
		waiting: map[string][]job{}, running: map[string]int{}}
	q.ready.L = &q.mu
	return q
}

// offer queues j for person without waiting. With shareFull it returns how
// many of theirs are waiting, for the words they are told. An uncapped job
// (a policy person's click: cheap, and bounded by the cards there are) is
// held only to the pool's bound, so a burst of clicks is never dropped.
func (q *fairQueue) offer(person string, j job, capped bool) (offerResult, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	mine := len(q.waiting[person])
	switch {
	case q.closed || q.n >= q.capacity:
		return poolFull, mine
	case capped && mine >= q.perPerson:
		return shareFull, mine
	}
	if mine == 0 {
		q.turns = append(q.turns, person)
	}
	j.person = person
	q.waiting[person] = append(q.waiting[person], j)
	q.n++
	q.ready.Signal()
	return queued, mine + 1
}

// take waits for the next job: the oldest of the first person in turn who
// is under maxRunning, who then goes to the back of the turns. It reports
// false once the queue is closed and empty. The caller calls done after
// running the job.
func (q *fairQueue) take() (job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		for i, p := range q.turns {
			if q.running[p] >= q.maxRunning {
				continue
			}
			jobs := q.waiting[p]
			j := jobs[0]
			jobs[0] = job{} // let the closure go
			q.turns = slices.Delete(q.turns, i, i+1)
			if len(jobs) == 1 {
				delete(q.waiting, p)
			} else {
				q.waiting[p] = jobs[1:]
				q.turns = append(q.turns, p)
			}
			q.n--
			q.running[p]++
			return j, true
		}
		if q.closed && q.n == 0 {
			return job{}, false
		}
		q.ready.Wait()
	}
}

// done frees the worker slot a job of person held.
func (q *fairQueue) done(person string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running[person]--; q.running[person] <= 0 {
		delete(q.running, person)
	}
	// Workers may be waiting only because this person was at maxRunning.
	q.ready.Broadcast()
}

// close stops taking work; what is queued is still handed out.
func (q *fairQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.ready.Broadcast()
}

// len is how many jobs wait, everyone's.
func (q *fairQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
