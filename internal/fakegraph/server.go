// Package fakegraph is an in-process fake of the Microsoft Graph v1.0
// endpoints revokebot uses. It speaks Graph's wire protocol (JSON payloads,
// OData error bodies, gzip request bodies, @odata.nextLink paging) over plain
// http on 127.0.0.1, so the real msgraph-sdk-go client can run against it in
// end-to-end tests, the demo and benchmarks.
package fakegraph

import (
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/revokebot/revokebot/internal/fakefault"
)

// apiVersion is the only Graph version the fake serves.
const apiVersion = "/v1.0"

// Options configures a Server.
type Options struct {
	// Token is the bearer token every request must carry; a missing or
	// different token gets 401 InvalidAuthenticationToken. Empty accepts any
	// token shaped as a JWT; a request without one still fails. What a
	// request may do is read from the token's roles claim (AppToken,
	// permissions.go).
	Token string
	// PageSize caps the entries per page of GET /users, GET
	// /auditLogs/signIns, GET /auditLogs/directoryAudits and a group's
	// transitive members when $top is absent or larger, and of the role
	// assignment and eligibility listings, which take no $top. Default 100.
	PageSize int
	// Now is the clock that stamps signInSessionsValidFromDateTime and error
	// dates. Default time.Now. Request.At always uses the wall clock, because
	// benchmarks time requests with it.
	Now func() time.Time
	// LogLimit keeps only the most recent LogLimit requests in the log that
	// Requests returns, so long benchmarks do not hold every request in
	// memory. 0 keeps all.
	LogLimit int
	// WriteLimit and WriteWindow model Graph's identity and access write
	// throttle (3,000 writes per 150 s per app per tenant): a POST, PUT,
	// PATCH or DELETE under /users that would make more than WriteLimit
	// accepted writes within the last WriteWindow gets 429 TooManyRequests
	// with a fractional Retry-After. Benchmarks keep the ratio and shrink
	// the window (e.g. 3,000 per 1.5 s). The window runs on the wall clock,
	// not Now, because clients sleep on the wall clock. Either being zero
	// disables the throttle.
	WriteLimit  int
	WriteWindow time.Duration
	// NoP2 models a tenant without a Microsoft Entra ID P2 licence: Identity
	// Protection's confirmCompromised is refused with 403, and Privileged
	// Identity Management's roleEligibilitySchedules with 400
	// AadPremiumLicenseRequired.
	NoP2 bool
	// RiskWindow is the shortest spacing Identity Protection accepts
	// between two of its requests, reads included (1 request per second per
	// tenant, across all apps): a request under /identityProtection landing
	// sooner after the last one the limit let through gets 429 with no
	// Retry-After, as Microsoft's throttling page says of these resources.
	// It runs on the wall clock like WriteWindow. Default 1 s; negative
	// disables the limit.
	RiskWindow time.Duration
	// ReportsWindow is the window of Graph's identity and access reports
	// limit: 5 requests per 10 s per app and tenant, of any method, across
	// /auditLogs and the authentication methods under
	// /users/{id}/authentication. A request over it gets 429 with no
	// Retry-After (NOTES.md: not reliably sent). Tests may shrink the
	// window, keeping 5 requests in it. Default 10 s; negative disables.
	ReportsWindow time.Duration
}

// Request is one request as the server received it, for asserting what the
// client sent and for timing.
type Request struct {
	Method string      // HTTP method as sent
	Path   string      // decoded path, including the /v1.0 prefix
	Query  url.Values  // decoded query parameters, e.g. Query.Get("$filter")
	Header http.Header // a copy of the request headers
	Body   []byte      // after gzip decompression (raw when decompression failed)
	At     time.Time   // wall-clock arrival time
	Status int         // status answered; 0 while the request is being handled
}

// Server is a running fake Graph. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	ts   *httptest.Server
	base string // "http://127.0.0.1:PORT/v1.0"
	// latency holds every request back before it is answered (SetLatency).
	latency atomic.Int64

	mu          sync.Mutex
	users       []*User // insertion order, which is the paging order
	seqs        []int64 // seqs[i] is the insertion number of users[i]; skiptokens refer to it
	nextSeq     int64
	byKey       map[string]int // lower-cased id and userPrincipalName -> index in users
	revocations map[string]int // lower-cased user id -> successful revokeSignInSessions calls
	totalRevoke int
	faults      fakefault.Queue[Fault]
	throttle    *writeThrottle  // nil when Options leave writes unlimited
	compromised map[string]bool // lower-cased user id -> confirmed compromised
	riskLimit   *writeThrottle  // Identity Protection's 1 request/s; nil when disabled
	reports     *writeThrottle  // the reports limit, 5 per 10 s; nil when disabled
	security    *writeThrottle  // /security's 150 requests a minute
	incidents   []*incidentRecord
	signIns     []*signInRecord // in insertion order; served newest first
	nextSignIn  int64
	// The directory audit log (audits.go), kept like the sign-ins.
	audits    []*auditRecord
	nextAudit int64
	log       []*Request
	onRequest func(Request)
	// Directory roles and who holds them (roles.go, groups.go); the maps
	// are made on first use and keyed by lower-cased object id.
	groups            map[string]*groupRecord
	servicePrincipals map[string]*ServicePrincipal
	roleAssignments   []*roleRecord // active assignments, in insertion order
	roleEligibilities []*roleRecord // PIM eligibility schedules, in insertion order
	// Replication lag (lag.go): which reads trail the writes, and the
	// state a lagging replica still has of each user.
	lagAll  bool
	lags    map[string]*userLag // lower-cased user id -> lag of that user's reads
	replica []replicaState      // replica[i] is for users[i]; grown on the first write to it
	// listDelay holds every GET /users page back (listdelay.go); closing
	// ends such waits so Close does not sit them out.
	listDelay time.Duration
	closing   chan struct{}
	closeOnce sync.Once
	// State of the containment endpoints beyond disabling and revoking:
	// authentication methods, inbox rules, grants, password resets, risk
	// (contain.go).
	cs containState
}

// New starts a Server listening on 127.0.0.1. Call Close when done.
func New(opts Options) *Server {
	if opts.PageSize <= 0 {
		opts.PageSize = 100
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RiskWindow == 0 {
		opts.RiskWindow = time.Second
	}
	if opts.ReportsWindow == 0 {
		opts.ReportsWindow = 10 * time.Second
	}
	s := &Server{
		opts:        opts,
		byKey:       make(map[string]int),
		revocations: make(map[string]int),
		throttle:    newWriteThrottle(opts.WriteLimit, opts.WriteWindow),
		compromised: make(map[string]bool),
		riskLimit:   newWriteThrottle(1, opts.RiskWindow),
		reports:     newWriteThrottle(ReportsLimit, opts.ReportsWindow),
		security:    newWriteThrottle(SecurityLimit, time.Minute),
		lags:        make(map[string]*userLag),
		closing:     make(chan struct{}),
	}
	// Bind 127.0.0.1 explicitly: the SDK only allows plain http for
	// localhost, and an IPv6 default listener would produce [::1] URLs.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("fakegraph: listen: " + err.Error())
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.ts.Listener = l
	s.ts.Start()
	s.base = s.ts.URL + apiVersion
	return s
}

// URL returns the Graph base URL to give the SDK, "http://127.0.0.1:PORT/v1.0".
func (s *Server) URL() string { return s.base }

// Close shuts the server down, waiting for in-flight requests; a listing
// page held back by SetListDelay is answered at once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.ts.Close()
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		out[i] = *r
	}
	return out
}

// OnRequest registers fn to be called with each request as it arrives,
// before it is answered (so Status is 0). fn runs on the request's goroutine
// and delays the answer, which lets tests hold a request in flight. nil
// removes the hook.
func (s *Server) OnRequest(fn func(Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRequest = fn
}

// call is one request being handled, with the path split into decoded
// segments after /v1.0.
type call struct {
	method string
	path   string   // decoded path after /v1.0, e.g. "/users/x/revokeSignInSessions"
	segs   []string // decoded segments of path
	params map[string]string
	query  url.Values
	header http.Header // the request's headers; a $batch item's own headers
	body   []byte
	// overMailbox marks a request that arrived while its mailbox already
	// had the most concurrent requests Outlook allows (mailbox.go).
	overMailbox bool
	// roles are the application permissions the token's roles claim
	// grants; a $batch item has its batch's (permissions.go).
	roles []string
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	body, bodyErr := decodeBody(r.Header, raw)
	rec := &Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Header: r.Header.Clone(),
		// The log never holds a password a client sent (redact.go); the
		// handlers get the body as sent.
		Body: redactSecrets(body),
		At:   time.Now(),
	}
	// Taken before the hook, so a request a test holds in the hook counts
	// as in flight against its mailbox, as it would against Outlook.
	slot := s.enterMailbox(r.URL.EscapedPath())
	defer s.leaveMailbox(slot)
	hook := s.record(rec)
	if hook != nil {
		hook(*rec)
	}
	s.sleepUnlessClosing(time.Duration(s.latency.Load()))

	resp := s.answer(r, rec, body, bodyErr, slot.over)

	s.mu.Lock()
	rec.Status = resp.status
	s.mu.Unlock()
	clientID := r.Header.Get("client-request-id")
	if clientID == "" {
		clientID = newGUID()
	}
	resp.write(w, newGUID(), clientID, s.opts.Now())
}

// record appends rec to the log and returns the hook to call, so the hook
// runs outside the lock and may itself call the Server.
func (s *Server) record(rec *Request) func(Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, rec)
	if n := s.opts.LogLimit; n > 0 && len(s.log) >= 2*n {
		// Trim in batches so the cost is amortised over n requests.
		s.log = append([]*Request(nil), s.log[len(s.log)-n:]...)
	}
	return s.onRequest
}

// answer runs the checks in the order Graph applies them: authentication
// before throttling, throttling before the request is even parsed.
func (s *Server) answer(r *http.Request, rec *Request, body []byte, bodyErr error, overMailbox bool) response {
	roles, resp, ok := s.authenticate(r.Header.Get("Authorization"))
	if !ok {
		return resp
	}
	escaped := r.URL.EscapedPath()
	if escaped != apiVersion && !strings.HasPrefix(escaped, apiVersion+"/") {
		first, _, _ := strings.Cut(strings.TrimPrefix(escaped, "/"), "/")
		first, _ = url.PathUnescape(first)
		return badRequest("Invalid version: %s", first)
	}
	segs, ok := splitPath(strings.TrimPrefix(escaped, apiVersion))
	if !ok {
		return badRequest("The request URI is not valid.")
	}
	c := &call{
		method:      r.Method,
		path:        "/" + strings.Join(segs, "/"),
		segs:        segs,
		query:       rec.Query,
		header:      r.Header,
		body:        body,
		overMailbox: overMailbox,
		roles:       roles,
	}
	return s.dispatch(c, bodyErr)
}

// dispatch answers an authenticated request, alone or as a $batch item, so
// that injected faults and the write throttle see batched requests exactly
// as they see separate ones. Faults come first so a test can still force an
// outcome when the throttle is on.
func (s *Server) dispatch(c *call, bodyErr error) response {
	if resp, ok := s.takeFault(c.method, c.path); ok {
		return resp
	}
	if c.overMailbox {
		return mailboxThrottled()
	}
	if resp, ok := s.admit(c); !ok {
		return resp
	}
	if resp, ok := s.admitBudgets(c); !ok {
		return resp
	}
	if bodyErr != nil {
		return badRequest("Unable to read the request body: %v", bodyErr)
	}
	return s.route(c)
}

// authenticate checks the bearer token and returns the permissions its
// roles claim grants.
func (s *Server) authenticate(header string) ([]string, response, bool) {
	scheme, token, _ := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	roles, jwt := tokenRoles(token)
	var resp response
	switch {
	case header == "":
		resp = graphError(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
	case !strings.EqualFold(scheme, "Bearer") || token == "" || !jwt:
		resp = graphError(http.StatusUnauthorized, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.).")
	case s.opts.Token != "" && token != s.opts.Token:
		resp = graphError(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
	default:
		return roles, response{}, true
	}
	resp.header = http.Header{"Www-Authenticate": {`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`}}
	return nil, resp, false
}

// splitPath decodes each segment separately: decoding the whole path first
// would let an encoded '/' (%2F) inside a user principal name split it.
func splitPath(escaped string) ([]string, bool) {
	escaped = strings.Trim(escaped, "/")
	if escaped == "" {
		return nil, true
	}
	parts := strings.Split(escaped, "/")
	for i, p := range parts {
		d, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		parts[i] = d
	}
	return parts, true
}

// decodeBody undoes Content-Encoding. The SDK gzips request bodies by
// default, and a body labelled gzip that is not (a known retry bug in
// kiota-http-go) must fail like it does against Graph.
func decodeBody(h http.Header, raw []byte) ([]byte, error) {
	switch enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding"))); enc {
	case "", "identity":
		return raw, nil
	case "gzip":
		if len(raw) == 0 {
			return raw, nil
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return raw, err
		}
		defer zr.Close()
		out, err := io.ReadAll(zr)
		if err != nil {
			return raw, err
		}
		return out, nil
	default:
		return raw, &unsupportedEncoding{enc}
	}
}

type unsupportedEncoding struct{ enc string }

func (e *unsupportedEncoding) Error() string { return "unsupported Content-Encoding " + e.enc }
