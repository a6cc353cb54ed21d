// Package fakesharepoint is an in-process fake of the one SharePoint Online
// admin endpoint revokebot calls: RevokeAllUserSessions, the REST call behind
// Revoke-SPOUserSession. It listens on http://127.0.0.1 and speaks
// SharePoint's wire format, so the real client runs against it in tests and
// the demo:
//
//   - POST /_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/RevokeAllUserSessions
//     with {"userName":"…"} answers 200 with an SPOUserSessionRevocationResult
//     in the OData format the Accept header asks for: {"State":4} for
//     odata=nometadata, the same plus odata.metadata for minimalmetadata (the
//     default), {"d":{"__metadata":…,"State":4}} for odata=verbose.
//   - State is 4 (InstantaneousSuccess) for a user added with AddUser, 1
//     (UserNotFound) for anyone else, whatever SetState says for a user, and
//     0 (FeatureDisabled) for everyone after SetFeatureDisabled(true).
//   - The token must be an app-only JWT (faketoken) got with a certificate
//     (appidacr "2"): SharePoint answers a token got with a client secret
//     401 "Unsupported app only token.". Its roles must hold
//     Sites.FullControl.All, the least SharePoint permission the tenant
//     admin API takes (sp-dev-docs, "Granting access via Entra ID App-Only"),
//     else 403 access denied.
//   - A missing or wrong bearer token gets 401, another path 404, another
//     method 405, a malformed body 400, each with SharePoint's error body
//     ({"odata.error":{"code":"-2147024891, System.UnauthorizedAccessException",
//     "message":{"lang":"en-US","value":…}}}, "error" for verbose, and
//     {"error_description":…} for a refused token).
//   - Inject makes the endpoint answer 403, 429, 503… a number of times, with
//     an optional Retry-After.
//
// It does not model tokens' audiences, throttling on its own, or the
// up-to-an-hour delay behind State 3.
package fakesharepoint

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/revokebot/revokebot/internal/fakefault"
	"github.com/revokebot/revokebot/internal/faketoken"
)

// FullControl is the SharePoint application permission RevokeAllUserSessions
// needs.
const FullControl = "Sites.FullControl.All"

// AppToken returns an unsigned app-only SharePoint token got with a
// certificate, holding roles.
func AppToken(roles ...string) string {
	return faketoken.Make(faketoken.Claims{Audience: "https://contoso-admin.sharepoint.com", Tenant: "fakesharepoint", Roles: roles, AppIDACR: "2"})
}

// RevokePath is the path of RevokeAllUserSessions below the admin site.
const RevokePath = "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/RevokeAllUserSessions"

// Options configures a Server.
type Options struct {
	// Token is the bearer token every request must carry; a different token
	// gets 401. Empty accepts any token AppToken could make; a request
	// without one still fails.
	Token string
}

// Request is one request as the server received it.
type Request struct {
	Method string
	Path   string      // decoded path
	Header http.Header // a copy of the request headers
	Body   []byte
	At     time.Time // wall-clock arrival time
	Status int       // status answered; 0 while the request is being handled
}

// Server is a running fake SharePoint admin site. Its methods are safe for
// concurrent use.
type Server struct {
	opts Options
	ts   *httptest.Server

	mu       sync.Mutex
	known    map[string]bool // lower-cased user names added with AddUser
	states   map[string]int  // lower-cased user name -> state set with SetState
	disabled bool
	revoked  map[string]int // lower-cased user name -> answers with State 3 or 4
	faults   fakefault.Queue[Fault]
	log      []*Request
}

// New starts a Server listening on 127.0.0.1. Call Close when done.
func New(opts Options) *Server {
	s := &Server{
		opts:    opts,
		known:   make(map[string]bool),
		states:  make(map[string]int),
		revoked: make(map[string]int),
	}
	// Bind 127.0.0.1 explicitly: clients allow plain http only to loopback,
	// and a default listener could produce [::1] URLs.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("fakesharepoint: listen: " + err.Error())
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.ts.Listener = l
	s.ts.Start()
	return s
}

// URL returns the admin site's base URL, "http://127.0.0.1:PORT": what
// SHAREPOINT_ADMIN_URL is set to.
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the server down, waiting for in-flight requests.
func (s *Server) Close() { s.ts.Close() }

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		out[i] = *r
		out[i].Header = r.Header.Clone()
		out[i].Body = append([]byte(nil), r.Body...)
	}
	return out
}

// Revoked returns how many times upn's sessions were revoked: answers with
// State 3 or 4 for that user name, compared case-insensitively.
func (s *Server) Revoked(upn string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revoked[strings.ToLower(upn)]
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec := &Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Header: r.Header.Clone(),
		Body:   raw,
		At:     time.Now(),
	}
	s.mu.Lock()
	s.log = append(s.log, rec)
	s.mu.Unlock()

	f := formatOf(r.Header.Get("Accept"))
	resp := s.answer(r, raw, f)

	s.mu.Lock()
	rec.Status = resp.status
	s.mu.Unlock()
	resp.write(w)
}

// answer checks in the order SharePoint does: the token first, then the
// resource and method, then (for the real endpoint) injected faults, then
// the body.
func (s *Server) answer(r *http.Request, raw []byte, f format) response {
	if resp, ok := s.authenticate(r.Header.Get("Authorization"), f); !ok {
		return resp
	}
	if !strings.EqualFold(r.URL.Path, RevokePath) {
		return notFound(f, r.URL.Path)
	}
	if r.Method != http.MethodPost {
		return methodNotAllowed(f, r.Method)
	}
	if resp, ok := s.takeFault(f); ok {
		return resp
	}
	upn, resp, ok := parseBody(raw, f)
	if !ok {
		return resp
	}
	return stateResponse(f, s.URL(), s.revoke(upn))
}

func (s *Server) authenticate(header string, f format) (response, bool) {
	scheme, tok, _ := strings.Cut(header, " ")
	tok = strings.TrimSpace(tok)
	var resp response
	switch {
	case header == "":
		// Anonymous: SharePoint's access-denied error, with a challenge.
		resp = odataError(f, http.StatusUnauthorized, codeAccessDenied, msgAccessDenied)
	case !strings.EqualFold(scheme, "Bearer") || tok == "":
		resp = tokenError("Unsupported security token.")
	case s.opts.Token != "" && tok != s.opts.Token:
		resp = tokenError("Invalid issuer or signature.")
		resp.header.Set("X-Ms-Diagnostics", `3000006;reason="Token contains invalid signature.";category="invalid_client"`)
	default:
		c, jwt := faketoken.Parse(tok)
		switch {
		case !jwt:
			resp = tokenError("Unsupported security token.")
		case c.AppIDACR != "2":
			resp = tokenError("Unsupported app only token.")
			resp.header.Set("X-Ms-Diagnostics", `3000003;reason="Unsupported app only token.";category="invalid_client"`)
		case !slices.ContainsFunc(c.Roles, func(r string) bool { return strings.EqualFold(r, FullControl) }):
			// Authenticated, not allowed: the error SharePoint gives a
			// signed-in caller without the right, with no challenge.
			return odataError(f, http.StatusForbidden, codeAccessDenied, msgAccessDenied), false
		default:
			return response{}, true
		}
	}
	resp.header.Set("Www-Authenticate", `Bearer realm="00000000-0000-0000-0000-000000000000",client_id="00000003-0000-0ff1-ce00-000000000000",trusted_issuers="00000001-0000-0000-c000-000000000000@*,https://sts.windows.net/*/,https://login.microsoftonline.com/*/v2.0",authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"`)
	return resp, false
}
