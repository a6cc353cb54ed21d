// Package fakeexchange is an in-process fake of the one Exchange Online
// endpoint revokebot calls: the InvokeCommand endpoint that the
// ExchangeOnlineManagement v3 module (and CIPP) use to run cmdlets over REST.
// It listens on http://127.0.0.1 and speaks the service's wire format, so the
// real client runs against it in tests and the demo:
//
//	POST {base}/adminapi/beta/{tenant}/InvokeCommand
//	Authorization: Bearer <app-only JWT for https://outlook.office365.com>
//	X-AnchorMailbox: UPN:alice@contoso.com
//	{"CmdletInput":{"CmdletName":"Get-Mailbox","Parameters":{"Identity":"alice@contoso.com"}}}
//	-> 200 {"@odata.context":…,"@adminapi.warnings":[],"value":[{…}],"@odata.nextLink":…}
//
// Sources: /work/shared/NOTES.md, "Exchange Online beyond Graph" (wire,
// headers, the two grants, error shapes, prefix-matched enums, NUL-byte
// 403s); CIPP-API Modules/CIPPCore/Public/GraphHelper/New-ExoRequest.ps1
// (body, X-AnchorMailbox, Prefer: odata.maxpagesize, re-POSTing the same body
// to @odata.nextLink, where error text is read) and New-ExoBulkRequest.ps1;
// the cmdlet reference at https://learn.microsoft.com/powershell/module/exchange/
// (Set-Mailbox, Set-CASMailbox, Get-InboxRule, Disable-InboxRule).
//
// The cmdlets served are Get-Mailbox, Set-Mailbox, Get-CASMailbox,
// Set-CASMailbox, Get-InboxRule and Disable-InboxRule; any other name is
// answered as the service answers a cmdlet the caller may not run: 403 with
// a body of NUL bytes. What is enforced, in the order it is checked:
//
//   - the path: /adminapi/beta/{Options.Tenant}/InvokeCommand, else 404;
//     POST, else 405;
//   - the token (auth.go): a JWT whose audience is Exchange Online and whose
//     roles hold Exchange.ManageAsApp, else 401 with an empty body;
//   - X-AnchorMailbox, else 400; a body with a CmdletName, else 400;
//   - the directory role, Options.DirectoryRole: none gives 403 (NUL body)
//     for everything, Security Reader runs the Get- cmdlets only, Exchange
//     Administrator runs all;
//   - injected faults (faults.go), then the per-tenant throttle (throttle.go);
//   - the cmdlet's parameters (params.go): an unknown one is 400
//     AmbiguousParameterSetException, a string for a boolean is 400, an
//     enum value is prefix-matched; an unknown mailbox or rule is 404
//     ManagementObjectNotFoundException (wire.go has the error shapes).
//
// It does not model $select, $batch, warnings (@adminapi.warnings), the
// cmdlets' other parameters, or replication delay between a write and a read.
package fakeexchange

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/revokebot/revokebot/internal/fakefault"
)

// InvokePathFormat is the path of InvokeCommand below the base URL; %s is
// the tenant (its ID or a verified domain).
const InvokePathFormat = "/adminapi/beta/%s/InvokeCommand"

// Options configures a Server.
type Options struct {
	// Tenant is the tenant segment the path must carry, compared
	// case-insensitively; another gets 404. Empty accepts any.
	Tenant string
	// Token is the exact bearer token every request must carry; another
	// gets 401. Empty accepts any token AppToken could make.
	Token string
	// DirectoryRole is the Entra role the app's service principal holds:
	// RoleExchangeAdmin, RoleSecurityReader or "" (none). SetDirectoryRole
	// changes it while the server runs.
	DirectoryRole string
	// PageSize is the most entries a list answer carries before it pages
	// with @odata.nextLink; a smaller Prefer: odata.maxpagesize wins.
	// Default 1000, the most CIPP asks for (an assumption: the service's own
	// default is not published).
	PageSize int
	// Budget and Window model Exchange's per-tenant throttling: a request
	// that would make more than Budget accepted requests within the last
	// Window gets 429 with Retry-After in whole seconds. The numbers are not
	// published for this endpoint; the shape is an assumption (see
	// throttle.go). Either being zero disables it.
	Budget int
	Window time.Duration
}

// Request is one request as the server received it.
type Request struct {
	Path       string
	Query      string
	Header     http.Header // a copy
	Cmdlet     string      // CmdletInput.CmdletName, "" when the body did not parse
	Parameters map[string]any
	At         time.Time
	Status     int // status answered; 0 while it is being handled
}

// Server is a running fake Exchange Online. Its methods are safe for
// concurrent use.
type Server struct {
	opts Options
	ts   *httptest.Server

	mu        sync.Mutex
	role      string
	mailboxes []*mailbox // in the order added: Get-Mailbox lists in that order
	nextRule  uint64
	faults    fakefault.Queue[Fault]
	log       []*Request
	throttle  *throttle
	latency   time.Duration // SetLatency
}

// SetLatency makes every answer take at least d, as the real service's
// round trips do, for benchmarks.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// New starts a Server listening on 127.0.0.1. Call Close when done.
func New(opts Options) *Server {
	if opts.PageSize <= 0 {
		opts.PageSize = 1000
	}
	s := &Server{opts: opts, role: opts.DirectoryRole, nextRule: 17065430914562736129,
		throttle: newThrottle(opts.Budget, opts.Window)}
	// Bind 127.0.0.1 explicitly: clients allow plain http only to loopback.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("fakeexchange: listen: " + err.Error())
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.ts.Listener = l
	s.ts.Start()
	return s
}

// URL returns the base URL, "http://127.0.0.1:PORT": what EXCHANGE_ADMIN_URL
// is set to.
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the server down, waiting for in-flight requests.
func (s *Server) Close() { s.ts.Close() }

// SetDirectoryRole changes the Entra role the app holds, as an admin
// assigning or removing it would.
func (s *Server) SetDirectoryRole(role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.role = role
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		out[i] = *r
		out[i].Header = r.Header.Clone()
	}
	return out
}

// Calls returns how many requests ran cmdlet (case-insensitive), whatever
// they were answered.
func (s *Server) Calls(cmdlet string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if strings.EqualFold(r.Cmdlet, cmdlet) {
			n++
		}
	}
	return n
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec := &Request{Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), At: time.Now()}
	in, inErr := decodeInput(raw)
	if inErr == nil {
		rec.Cmdlet, rec.Parameters = in.name, in.plain()
	}
	s.mu.Lock()
	s.log = append(s.log, rec)
	wait := s.latency
	s.mu.Unlock()
	if wait > 0 {
		time.Sleep(wait)
	}

	resp := s.answer(r, in, inErr)
	s.mu.Lock()
	rec.Status = resp.status
	s.mu.Unlock()
	resp.write(w)
}

// answer checks in the order listed in the package comment.
func (s *Server) answer(r *http.Request, in input, inErr error) response {
	tenant, ok := s.tenantOf(r.URL.Path)
	if !ok {
		return response{status: http.StatusNotFound, header: http.Header{}}
	}
	if r.Method != http.MethodPost {
		return response{status: http.StatusMethodNotAllowed, header: http.Header{"Allow": {http.MethodPost}}}
	}
	if resp, ok := authenticate(r.Header.Get("Authorization"), s.opts.Token); !ok {
		return resp
	}
	if strings.TrimSpace(r.Header.Get("X-AnchorMailbox")) == "" {
		// Assumption: the service routes by this header (NOTES, CIPP always
		// sends it); what it answers without one is not recorded anywhere,
		// so the fake refuses loudly rather than guess a routing.
		return cmdletError(http.StatusBadRequest, "BadRequest", "Invalid Operation",
			"Microsoft.Exchange.Admin.OData.Core.ODataServiceException", "The X-AnchorMailbox header is required.", false)
	}
	if inErr != nil {
		return cmdletError(http.StatusBadRequest, "BadRequest", "Invalid Operation",
			"Microsoft.Exchange.Admin.OData.Core.ODataServiceException", inErr.Error(), false)
	}
	c, known := cmdlets[strings.ToLower(in.name)]
	s.mu.Lock()
	role := s.role
	s.mu.Unlock()
	if !known || !mayRun(role, c.write) {
		return nulForbidden()
	}
	if resp, ok := s.takeFault(in.name); ok {
		return resp
	}
	if wait, ok := s.throttle.take(time.Now()); !ok {
		return throttled(wait)
	}
	if resp, ok := in.check(c); !ok {
		return resp
	}
	values, resp, ok := c.run(s, in)
	if !ok {
		return resp
	}
	return s.page(r, tenant, values)
}

// tenantOf reads the tenant from /adminapi/beta/{tenant}/InvokeCommand.
func (s *Server) tenantOf(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/adminapi/beta/")
	if !ok {
		return "", false
	}
	tenant, tail, ok := strings.Cut(rest, "/")
	if !ok || tenant == "" || !strings.EqualFold(tail, "InvokeCommand") {
		return "", false
	}
	if s.opts.Tenant != "" && !strings.EqualFold(tenant, s.opts.Tenant) {
		return "", false
	}
	return tenant, true
}
