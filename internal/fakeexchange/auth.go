package fakeexchange

import (
	"bytes"
	"net/http"
	"slices"
	"strings"

	"github.com/revokebot/revokebot/internal/faketoken"
)

// The grants InvokeCommand needs app-only (NOTES, "Exchange Online beyond
// Graph", live-measured: 401 with neither, 403 with the app role only, 200
// with both).
const (
	// ManageAsApp is the application permission on Office 365 Exchange
	// Online (00000002-0000-0ff1-ce00-000000000000); ManageAsAppV2 and
	// AdminAPI.ManageAsApp, its look-alikes, do not do.
	ManageAsApp = "Exchange.ManageAsApp"
	// RoleExchangeAdmin lets the app run every cmdlet the fake serves.
	RoleExchangeAdmin = "Exchange Administrator"
	// RoleSecurityReader lets it run the Get- cmdlets only: NOTES found it
	// sufficient to read (measured on Get-QuarantineMessage; that it also
	// reads mailboxes, CAS settings and inbox rules is an assumption).
	RoleSecurityReader = "Security Reader"
)

// Audience is the resource a token for InvokeCommand is issued for: the
// client asks for the scope https://outlook.office365.com/.default.
const Audience = "https://outlook.office365.com"

// exchangeAppID is Office 365 Exchange Online's appId, which v2 tokens may
// carry as their audience instead of its URI.
const exchangeAppID = "00000002-0000-0ff1-ce00-000000000000"

// AppToken returns an unsigned app-only token for Exchange Online holding
// roles, e.g. AppToken(ManageAsApp).
func AppToken(roles ...string) string {
	return faketoken.Make(faketoken.Claims{Audience: Audience, Tenant: "fakeexchange", Roles: roles, AppIDACR: "2"})
}

// authenticate checks the bearer token: present, a JWT, for Exchange
// Online, holding Exchange.ManageAsApp. The directory role is checked later,
// per cmdlet (mayRun).
func authenticate(header, want string) (response, bool) {
	scheme, tok, _ := strings.Cut(header, " ")
	tok = strings.TrimSpace(tok)
	switch {
	case header == "" || !strings.EqualFold(scheme, "Bearer") || tok == "":
		return unauthorized("The request does not carry a bearer token"), false
	case want != "" && tok != want:
		return unauthorized("The token signature is invalid"), false
	}
	c, ok := faketoken.Parse(tok)
	switch {
	case !ok:
		return unauthorized("The token is not a JWT"), false
	case !audienceOK(c.Audience):
		return unauthorized("The audience claim value is invalid"), false
	case !slices.ContainsFunc(c.Roles, func(r string) bool { return strings.EqualFold(r, ManageAsApp) }):
		// Without the app role the service does not know the app at all:
		// 401, not 403 (NOTES, live-measured).
		return unauthorized("The token payload must contain a valid role claim"), false
	}
	return response{}, true
}

func audienceOK(aud string) bool {
	aud = strings.TrimSuffix(aud, "/")
	return strings.EqualFold(aud, Audience) || strings.EqualFold(aud, exchangeAppID)
}

// unauthorized is the 401: an empty body and a Bearer challenge. The
// challenge and the X-Ms-Diagnostics reason follow what Exchange's other
// endpoints (EWS) send; that InvokeCommand sends the same is an assumption.
// A client must not expect a JSON body here.
func unauthorized(reason string) response {
	h := http.Header{}
	h.Set("WWW-Authenticate", `Bearer client_id="`+exchangeAppID+`", trusted_issuers="00000001-0000-0000-c000-000000000000@*", token_types="app_asserted_user_v1 service_asserted_app_v1", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token"`)
	h.Set("X-Ms-Diagnostics", `2000008;reason="`+reason+`";error_category="invalid_token"`)
	return response{status: http.StatusUnauthorized, header: h}
}

// mayRun reports whether a service principal holding role may run a cmdlet
// that writes (write) or only reads.
func mayRun(role string, write bool) bool {
	switch {
	case strings.EqualFold(role, RoleExchangeAdmin):
		return true
	case strings.EqualFold(role, RoleSecurityReader):
		return !write
	}
	return false
}

// nulForbidden is the service's answer to a cmdlet the caller may not run,
// or that does not exist: 403 whose body is a run of NUL bytes, not JSON
// (NOTES, live-measured). The length is arbitrary.
func nulForbidden() response {
	return response{status: http.StatusForbidden, header: http.Header{"Content-Type": {"application/json"}},
		body: bytes.Repeat([]byte{0}, 2048)}
}
