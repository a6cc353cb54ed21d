package fakeexchange

import (
	"bytes"
	"net/http"
	"strings"
)

// Fault makes matching calls answer with an error, or with a success that
// changes nothing, instead of running the cmdlet. It applies after the token
// and the directory role were accepted. Faults are consulted in the order
// they were injected; the first that matches and has answers left is used.
type Fault struct {
	Cmdlet     string // cmdlet name to match, case-insensitively; "" matches any
	Status     int    // HTTP status; 0 means 500 (ignored with NoOp)
	RetryAfter string // Retry-After header value, e.g. "2"; "" sends none
	Times      int    // how many calls it answers; <=0 means forever
	// NUL sends a body of NUL bytes, as the service's 403s do (NOTES).
	NUL bool
	// Message, when set, is sent in the service's error body, in
	// innererror.internalexception.message; otherwise the body is empty.
	Message string
	// NoOp answers 200 with an empty result and applies nothing: a write
	// the service accepted that did not take, as a prefix-matched value
	// doing something else does (NOTES). A client must read back.
	NoOp bool
}

// Inject adds f after the faults already injected.
func (s *Server) Inject(f Fault) { s.faults.Add(f, f.Times) }

// ClearFaults removes every injected fault, spent or not.
func (s *Server) ClearFaults() { s.faults.Clear() }

// takeFault consumes one answer of the first live fault matching cmdlet.
func (s *Server) takeFault(cmdlet string) (response, bool) {
	f, ok := s.faults.Take(func(f Fault) bool { return f.Cmdlet == "" || strings.EqualFold(f.Cmdlet, cmdlet) })
	if !ok {
		return response{}, false
	}
	return f.response(s), true
}

func (f Fault) response(s *Server) response {
	if f.NoOp {
		return ok200(s)
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	var resp response
	switch {
	case f.NUL:
		resp = response{status: status, header: http.Header{}, body: bytes.Repeat([]byte{0}, 512)}
	case f.Message != "":
		resp = cmdletError(status, strings.ReplaceAll(http.StatusText(status), " ", ""), "Invalid Operation",
			"Microsoft.Exchange.Fake.InjectedException", f.Message, false)
	default:
		resp = response{status: status, header: http.Header{}}
	}
	if f.RetryAfter != "" {
		resp.header.Set("Retry-After", f.RetryAfter)
	}
	return resp
}
