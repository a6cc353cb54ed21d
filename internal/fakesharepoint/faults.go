package fakesharepoint

import "net/http"

// Fault makes RevokeAllUserSessions answer with an error instead of a state,
// after the token was accepted. Faults are consulted in the order they were
// injected; the first with answers left is used.
type Fault struct {
	Status     int    // HTTP status, e.g. 403, 429, 503; 0 means 500
	RetryAfter string // Retry-After header value, e.g. "2"; "" sends none
	Times      int    // how many requests it answers; <=0 means forever
	// Code and Message fill the odata.error body. For 403 they default to
	// SharePoint's access denied; for 401 Message is the error_description
	// (default "Unsupported app only token.", what a client-secret token
	// gets). Other statuses send no body unless one of them is set: what
	// SharePoint puts in a 429 or 503 body is not documented.
	Code    string
	Message string
}

// Inject adds f after the faults already injected.
func (s *Server) Inject(f Fault) { s.faults.Add(f, f.Times) }

// ClearFaults removes every injected fault, spent or not.
func (s *Server) ClearFaults() { s.faults.Clear() }

// takeFault consumes one answer of the first live fault.
func (s *Server) takeFault(f format) (response, bool) {
	flt, ok := s.faults.Take(nil)
	if !ok {
		return response{}, false
	}
	return flt.response(f), true
}

func (flt Fault) response(f format) response {
	status := flt.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	var resp response
	switch {
	case status == http.StatusUnauthorized:
		msg := flt.Message
		if msg == "" {
			msg = "Unsupported app only token."
		}
		resp = tokenError(msg)
	case status == http.StatusForbidden && flt.Code == "" && flt.Message == "":
		resp = odataError(f, status, codeAccessDenied, msgAccessDenied)
	case flt.Code != "" || flt.Message != "":
		resp = odataError(f, status, flt.Code, flt.Message)
	default:
		resp = response{status: status, header: http.Header{}}
	}
	if flt.RetryAfter != "" {
		resp.header.Set("Retry-After", flt.RetryAfter)
	}
	return resp
}
