package fakegraph

import (
	"net/http"
	"strings"
)

// Fault makes the server answer matching requests with an error instead of
// the normal handler, to exercise a client's throttling, permission and
// outage handling. Faults are consulted in the order they were injected; the
// first one that matches and still has Times left answers the request.
type Fault struct {
	Method     string // HTTP method to match, case-insensitively; "" matches any
	PathSuffix string // suffix of the decoded path after /v1.0, e.g. "/revokeSignInSessions"; "" matches any
	Status     int    // HTTP status to answer with; 0 means 500
	Code       string // OData error code; "" picks Graph's usual code for Status
	Message    string // OData error message; "" picks Graph's usual message for Status
	RetryAfter string // Retry-After header value, e.g. "1" or "0.2"; "" sends none
	Times      int    // how many requests it answers; <=0 means forever
}

// fault is an injected Fault plus how many answers it has left, kept apart
// from the caller's value so Inject copies cannot alias the counter.
type fault struct {
	Fault
	left    int
	forever bool
}

// Inject adds f after the faults already injected.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{Fault: f, left: f.Times, forever: f.Times <= 0})
}

// ClearFaults removes every injected fault, spent or not.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault consumes one answer from the first live fault matching the
// request. Matching and consuming happen under one lock so that concurrent
// requests never share the last use of a Times-limited fault.
func (s *Server) takeFault(method, path string) (response, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !f.forever && f.left <= 0 {
			continue
		}
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.PathSuffix != "" && !hasSuffixFold(path, f.PathSuffix) {
			continue
		}
		if !f.forever {
			f.left--
			if f.left == 0 {
				// Drop spent faults so a long benchmark does not scan them forever.
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return f.response(), true
	}
	return response{}, false
}

func (f *fault) response() response {
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	resp := graphError(status, f.Code, f.Message)
	if f.RetryAfter != "" {
		resp.header = http.Header{"Retry-After": {f.RetryAfter}}
	}
	return resp
}

// hasSuffixFold reports whether s ends with suffix, ignoring case, because
// Graph resolves path segments case-insensitively.
func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
