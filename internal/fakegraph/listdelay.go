package fakegraph

import "time"

// SetListDelay holds every page of an unfiltered GET /users (the first and
// each nextLink, alone or inside $batch: a walk of the tenant) back by d before answering it, so a test can make
// listing a big tenant as slow as it is against Graph (seconds per page of
// 999) while GET /users/$count, filtered lookups and reads of one user stay fast. 0 removes
// the delay. A page already waiting keeps the delay it started with; Close
// cuts every wait short.
func (s *Server) SetListDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listDelay = max(d, 0)
}

// waitListDelay sleeps the listing delay outside the lock, so the rest of
// the server keeps answering meanwhile.
func (s *Server) waitListDelay() {
	s.mu.Lock()
	d := s.listDelay
	s.mu.Unlock()
	s.sleepUnlessClosing(d)
}
