package fakesharepoint

import "strings"

// The states of SPOUserSessionRevocationResult, with SharePoint's numbering.
const (
	StateFeatureDisabled         = 0
	StateUserNotFound            = 1
	StateFailure                 = 2
	StateNonInstantaneousSuccess = 3
	StateInstantaneousSuccess    = 4
)

// AddUser makes upn a user SharePoint knows: revoking it answers State 4
// unless SetState says otherwise. User names compare case-insensitively.
func (s *Server) AddUser(upn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.known[strings.ToLower(upn)] = true
}

// SetState makes every later revocation of upn, known or not, answer state.
// Any int is passed through, so a client's handling of an unknown state can
// be tested.
func (s *Server) SetState(upn string, state int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states[strings.ToLower(upn)] = state
}

// SetFeatureDisabled makes every revocation answer State 0
// (FeatureDisabled), as a tenant where the feature is not rolled out does.
func (s *Server) SetFeatureDisabled(disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disabled = disabled
}

// revoke decides the state for upn and counts a successful revocation.
func (s *Server) revoke(upn string) int {
	key := strings.ToLower(upn)
	s.mu.Lock()
	defer s.mu.Unlock()
	state := StateUserNotFound
	if st, ok := s.states[key]; ok {
		state = st
	} else if s.known[key] {
		state = StateInstantaneousSuccess
	}
	if s.disabled {
		state = StateFeatureDisabled
	}
	if state == StateNonInstantaneousSuccess || state == StateInstantaneousSuccess {
		s.revoked[key]++
	}
	return state
}
