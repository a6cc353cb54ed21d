package fakeslack

import (
	"sync"
	"time"
)

// Event is one step of the conversation, for a live transcript.
type Event struct {
	// Kind is "command", "click", "post", "update" or "ephemeral".
	Kind string
	At   time.Time
	// Message is set for post, update and ephemeral.
	Message Message
	// UserID, ChannelID, Text, ActionID and Value are set for command and
	// click; Text is the command's text (without the command) or the
	// button's label.
	UserID, ChannelID, Text, ActionID, Value string
	// Command is the slash command ("/revoke") of a command event.
	Command string
}

// OnEvent registers an observer. Observers run on one dedicated goroutine, in
// the order the events happened, so a slow or re-entrant observer (one that
// calls Click when it sees a post, say) never stalls or deadlocks the server.
func (s *Server) OnEvent(fn func(Event)) {
	s.events.add(fn)
}

// emit queues ev for the observers. Callers hold s.mu so that the queue
// order is the order in which the server changed state.
func (s *Server) emit(ev Event) {
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	s.events.push(ev)
}

// dispatcher delivers events to observers from an unbounded in-order queue.
type dispatcher struct {
	mu      sync.Mutex
	cond    *sync.Cond
	queue   []Event
	fns     []func(Event)
	started bool
	closed  bool
}

func newDispatcher() *dispatcher {
	d := &dispatcher{}
	d.cond = sync.NewCond(&d.mu)
	return d
}

func (d *dispatcher) add(fn func(Event)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fns = append(d.fns, fn)
	// The goroutine starts with the first observer so a server nobody
	// watches costs nothing.
	if !d.started && !d.closed {
		d.started = true
		go d.run()
	}
}

func (d *dispatcher) push(ev Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.fns) == 0 || d.closed {
		return
	}
	d.queue = append(d.queue, ev)
	d.cond.Signal()
}

// close lets the goroutine deliver what is already queued and then exit.
func (d *dispatcher) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	d.cond.Broadcast()
}

func (d *dispatcher) run() {
	for {
		d.mu.Lock()
		for len(d.queue) == 0 && !d.closed {
			d.cond.Wait()
		}
		if len(d.queue) == 0 {
			d.mu.Unlock()
			return
		}
		ev := d.queue[0]
		d.queue[0] = Event{}
		d.queue = d.queue[1:]
		fns := append([]func(Event){}, d.fns...)
		d.mu.Unlock()
		for _, fn := range fns {
			fn(ev)
		}
	}
}
