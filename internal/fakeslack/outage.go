package fakeslack

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Outage is a Web API failure that lasts until the test ends it, unlike
// FailNext, which fails a counted number of calls with a Slack error. While it
// lasts, every call it covers is answered by Slack's edge, not by the method:
// nothing is recorded, the call is logged with Call.Refused set.
type Outage struct {
	// Methods are the methods refused. Empty means every Web API method
	// except apps.connections.open: when Slack's Web API is down, Socket
	// Mode connections already open stay up. Name apps.connections.open to
	// refuse new connections too, and "response_url" or "upload" to refuse
	// those posts, which Slack serves from other hosts.
	Methods []string
	// Status is the HTTP status answered, 503 when zero. 429 answers as
	// Slack's rate limiter does, {"ok":false,"error":"ratelimited"} with
	// Retry-After, which slack-go turns into *slack.RateLimitedError; any
	// other status answers Body as plain text, which slack-go reports as
	// slack.StatusCodeError.
	Status int
	// RetryAfter is sent as Retry-After in whole seconds, rounded up. A 429
	// always carries it (0 when unset); another status only when it is set.
	RetryAfter time.Duration
	// Body is the plain-text body of a status other than 429. Slack's edge
	// often sends none, so empty is the default.
	Body string
}

// outage is a started Outage; its address identifies it to the end function.
type outage struct {
	methods []string
	all     bool
	f       fault
}

// StartOutage begins o and returns the function that ends it, which may be
// called more than once. Outages may overlap; the earliest still running
// that covers a method answers for it. An outage is checked before FailNext
// faults and does not use them up.
func (s *Server) StartOutage(o Outage) (end func()) {
	f := fault{status: o.Status, body: o.Body, retryAfter: int((o.RetryAfter + time.Second - 1) / time.Second)}
	if f.status == 0 {
		f.status = http.StatusServiceUnavailable
	}
	f.err = "http_" + strconv.Itoa(f.status)
	if f.status == http.StatusTooManyRequests {
		f.err = "ratelimited" // what its body says, and writeFault's cue for the JSON answer
	}
	out := &outage{methods: slices.Clone(o.Methods), all: len(o.Methods) == 0, f: f}
	s.mu.Lock()
	s.outages = append(s.outages, out)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.outages = slices.DeleteFunc(s.outages, func(x *outage) bool { return x == out })
	}
}

// outageFor returns the answer of the outage covering method, if any.
func (s *Server) outageFor(method string) (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.outages {
		if o.all && method != "apps.connections.open" && method != "response_url" && method != "upload" ||
			slices.Contains(o.methods, method) {
			return o.f, true
		}
	}
	return fault{}, false
}

// scriptedFault returns the failure to answer instead of method, if any: an
// outage first, else a FailNext fault, which it uses up.
func (s *Server) scriptedFault(method string) (fault, bool) {
	if f, ok := s.outageFor(method); ok {
		return f, true
	}
	return s.takeFault(method)
}

// fault is a scripted failure for the next n calls of one method, or the
// answer an outage gives.
type fault struct {
	err        string
	n          int
	retryAfter int
	// status, when set, is answered with body as plain text, the way
	// Slack's edge answers when the service behind it is down.
	status int
	body   string
}

// FailNext makes the next n calls of method fail with the Slack error err.
// err "ratelimited" answers HTTP 429 with Retry-After: retryAfter seconds,
// which slack-go turns into *slack.RateLimitedError. Method "upload" (posts
// to an upload_url) answers any other err as HTTP 500, since that endpoint
// speaks no JSON. A later FailNext for the same method replaces the earlier
// one; n <= 0 clears it.
func (s *Server) FailNext(method, err string, n int, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.faults, method)
		return
	}
	s.faults[method] = &fault{err: err, n: n, retryAfter: retryAfter}
}

// takeFault consumes one scripted failure of method, if any.
func (s *Server) takeFault(method string) (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.faults[method]
	if !ok {
		return fault{}, false
	}
	f.n--
	if f.n <= 0 {
		delete(s.faults, method)
	}
	return *f, true
}

// writeFault answers a scripted failure the way Slack does: rate limits as
// HTTP 429 with Retry-After, an outage as its bare status, everything else
// as 200 with ok:false.
func writeFault(w http.ResponseWriter, f fault) {
	switch {
	case f.err == "ratelimited":
		w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
	case f.status != 0:
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.body)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": f.err})
	}
}
