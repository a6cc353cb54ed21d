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

// Inject adds f after the faults already injected.
func (s *Server) Inject(f Fault) { s.faults.Add(f, f.Times) }

// ClearFaults removes every injected fault, spent or not.
func (s *Server) ClearFaults() { s.faults.Clear() }

// takeFault consumes one answer from the first live fault matching the
// request.
func (s *Server) takeFault(method, path string) (response, bool) {
	f, ok := s.faults.Take(func(f Fault) bool {
		return (f.Method == "" || strings.EqualFold(f.Method, method)) && (f.PathSuffix == "" || hasSuffixFold(path, f.PathSuffix))
	})
	if !ok {
		return response{}, false
	}
	return f.response(), true
}

func (f Fault) response() response {
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
