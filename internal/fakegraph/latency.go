package fakegraph

import "time"

// SetLatency holds every request back by d before it is answered, as a
// distant or loaded Graph would, for latency benchmarks (the methods
// listing is slow in Graph, which gives up on it after 60 s: to make it
// time out, inject a Fault with Status 504). A held request
// counts against its mailbox's concurrent requests, as at Outlook. 0
// removes it; Close cuts waits short.
func (s *Server) SetLatency(d time.Duration) {
	s.latency.Store(int64(max(d, 0)))
}

// sleepUnlessClosing waits d, cut short by Close so a slowed endpoint does
// not hold the server's shutdown. It must be called without s.mu.
func (s *Server) sleepUnlessClosing(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.closing:
	}
}
