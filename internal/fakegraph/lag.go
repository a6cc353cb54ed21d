package fakegraph

import (
	"strings"
	"time"
)

// Entra ID replicates directory writes asynchronously: a read that lands on
// a replica which has not yet seen a write still shows the user as before
// it, for seconds and sometimes longer. A client that reads a user back to
// prove containment took hold must retry or say it could not tell, never
// report the old state as proof. The Lag methods let a test put the fake
// in that position.
//
// What a lagging read shows: accountEnabled and
// signInSessionsValidFromDateTime as they were before the writes made
// since the user was last read fresh (or added with AddUser), that is, the
// state of a replica that has missed every write since. Other properties
// are served current. Writes themselves take effect at once: User,
// Revocations and TotalRevocations report them, and listings (GET /users,
// GET /users/$count) are served fresh. Only GET /users/{id}, with or without
// $select and inside $batch too, lags. A read answered by an injected Fault
// is not a read of the user and does not use up a lagged read.

// userLag is how a user's reads trail its writes: the next reads of them,
// and any read before until.
type userLag struct {
	reads int
	until time.Time
}

// replicaState is what a lagging replica still has of a user's lagged
// properties. stale is false once a fresh read has shown the user, when
// the replica has caught up and the other fields mean nothing.
type replicaState struct {
	stale          bool
	accountEnabled bool
	validFrom      time.Time
}

// LagReads makes the next n reads of the user whose id or userPrincipalName
// is key lag behind its writes; n <= 0 ends the user's lag. It replaces any
// earlier LagReads or LagReadsFor of the user. It panics when there is no
// such user, since a test that lags nobody proves nothing.
func (s *Server) LagReads(key string, n int) {
	s.setLag(key, userLag{reads: max(n, 0)})
}

// LagReadsFor makes every read of the user in the next d, on the wall clock
// (clients wait on it), lag behind its writes; d <= 0 ends the user's lag.
// It replaces any earlier LagReads or LagReadsFor of the user, and panics
// when there is no such user.
func (s *Server) LagReadsFor(key string, d time.Duration) {
	l := userLag{}
	if d > 0 {
		l.until = time.Now().Add(d)
	}
	s.setLag(key, l)
}

// LagAllReads makes every read of every user lag behind its writes until
// LagAllReads(false), which also ends every user's own lag, so that each
// read after it is fresh.
func (s *Server) LagAllReads(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lagAll = on
	if !on {
		clear(s.lags)
	}
}

func (s *Server) setLag(key string, l userLag) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookup(key)
	if u == nil {
		panic("fakegraph: no user " + key + " to lag")
	}
	id := strings.ToLower(u.ID)
	if l.reads == 0 && l.until.IsZero() {
		delete(s.lags, id)
		return
	}
	s.lags[id] = &l
}

// noteWrite records u's lagged properties before a write changes them,
// unless an earlier write since the last fresh read already did: a lagging
// replica has missed all those writes. s.mu must be held.
func (s *Server) noteWrite(u *User) {
	i := s.byKey[strings.ToLower(u.ID)]
	if i >= len(s.replica) {
		// Grown to the whole tenant at once, so a bulk run's writes grow
		// it once rather than user by user.
		s.replica = append(s.replica, make([]replicaState, len(s.users)-len(s.replica))...)
	}
	if r := &s.replica[i]; !r.stale {
		*r = replicaState{stale: true, accountEnabled: u.AccountEnabled, validFrom: u.SignInSessionsValidFrom}
	}
}

// readView returns the user a read of u is answered from: u itself when the
// read is fresh, which also means the replicas have caught up, or a copy
// with the lagging replica's properties. s.mu must be held.
func (s *Server) readView(u *User) *User {
	id := strings.ToLower(u.ID)
	i := s.byKey[id]
	// The user's own lag first, so a counted read is used up even while
	// LagAllReads is on.
	lagged := s.takeLaggedRead(id) || s.lagAll
	if i >= len(s.replica) || !s.replica[i].stale {
		return u
	}
	r := &s.replica[i]
	if !lagged {
		r.stale = false
		return u
	}
	v := *u // shallow: userJSON copies the slices it serves
	v.AccountEnabled, v.SignInSessionsValidFrom = r.accountEnabled, r.validFrom
	return &v
}

// takeLaggedRead reports whether the user's own lag covers this read,
// using up one of its counted reads. s.mu must be held.
func (s *Server) takeLaggedRead(id string) bool {
	l := s.lags[id]
	if l == nil {
		return false
	}
	lagged := false
	if l.reads > 0 {
		l.reads--
		lagged = true
	}
	if !l.until.IsZero() {
		lagged = lagged || time.Now().Before(l.until)
	}
	if l.reads == 0 && !time.Now().Before(l.until) {
		delete(s.lags, id)
	}
	return lagged
}

// forgetReplica drops what the replicas had of users[i], which AddUser has
// just replaced: a test setting a user up is not a write to lag behind.
// s.mu must be held.
func (s *Server) forgetReplica(i int) {
	if i < len(s.replica) {
		s.replica[i] = replicaState{}
	}
}
