package fakegraph

import (
	"net/http"
	"strings"
)

// route binds a method and a path pattern to a handler. Adding an endpoint
// (PATCH /users/{id}, ...) is one more entry in routes; faults,
// authentication, logging and error formatting apply to it unchanged.
type route struct {
	method  string
	pattern string   // segments after /v1.0; "{name}" captures a segment into call.params
	options []string // OData system query options the endpoint accepts
	handle  func(*Server, *call) response
}

var routes []route

// memberOptions are the query options a group's member listing accepts.
var memberOptions = []string{"$select", "$top", "$count", "$skiptoken"}

// init fills routes because $batch dispatches its items through routes, a
// cycle Go refuses in a package-level initialiser.
func init() {
	routes = []route{
		{http.MethodGet, "users", []string{"$filter", "$select", "$top", "$count", "$skiptoken"}, (*Server).listUsers},
		// Before users/{id}, which would take "$count" for a user id.
		{http.MethodGet, "users/$count", []string{"$filter"}, (*Server).countUsers},
		{http.MethodGet, "users/{id}", []string{"$select"}, (*Server).getUser},
		{http.MethodPatch, "users/{id}", nil, (*Server).patchUser},
		{http.MethodPost, "users/{id}/revokeSignInSessions", nil, (*Server).revokeSignInSessions},
		{http.MethodPost, "identityProtection/riskyUsers/confirmCompromised", nil, (*Server).confirmCompromised},
		// signIns documents $filter, $top and $skiptoken only; $orderby is
		// refused because the answer is always newest first.
		{http.MethodGet, "auditLogs/signIns", []string{"$filter", "$top", "$skiptoken"}, (*Server).listSignIns},
		// directoryAudits documents $filter, $top, $orderby and $skiptoken.
		{http.MethodGet, "auditLogs/directoryAudits", []string{"$filter", "$top", "$orderby", "$skiptoken"}, (*Server).listDirectoryAudits},
		{http.MethodGet, "roleManagement/directory/roleAssignments", []string{"$expand", "$skiptoken"}, (*Server).listRoleAssignments},
		{http.MethodGet, "roleManagement/directory/roleEligibilitySchedules", []string{"$expand", "$skiptoken"}, (*Server).listRoleEligibilitySchedules},
		// Graph's documentation writes the cast microsoft.graph.user; the
		// SDK's builders write graph.user. Both name the same type.
		{http.MethodGet, "groups/{id}/transitiveMembers/microsoft.graph.user", memberOptions, (*Server).listTransitiveUsers},
		{http.MethodGet, "groups/{id}/transitiveMembers/graph.user", memberOptions, (*Server).listTransitiveUsers},
		{http.MethodPost, "$batch", nil, (*Server).batch},
		// Defender XDR incidents (incidents.go) and Identity Protection's
		// risky users (risk.go), which alert cards poll.
		{http.MethodGet, "security/incidents", []string{"$count", "$filter", "$skip", "$top", "$expand"}, (*Server).listIncidents},
		{http.MethodPost, "security/incidents/{id}/comments", nil, (*Server).commentIncident},
		{http.MethodGet, "identityProtection/riskyUsers", []string{"$filter", "$select", "$top", "$skiptoken"}, (*Server).listRiskyUsers},
	}
	// Authentication methods, inbox rules, grants and risk (contain.go).
	routes = append(routes, containRoutes()...)
}

// route dispatches c. When nothing matches it answers like Graph: 400 naming
// the first segment no endpoint knows, or 405 when only the method is wrong.
func (s *Server) route(c *call) response {
	best, wrongMethod := 0, false
	for _, rt := range routes {
		params, matched := matchPattern(rt.pattern, c.segs)
		if params == nil {
			best = max(best, matched)
			continue
		}
		if rt.method != c.method {
			wrongMethod = true
			continue
		}
		if resp, ok := c.authorize(rt); !ok {
			return resp
		}
		if resp, ok := checkOptions(c, rt.options); !ok {
			return resp
		}
		c.params = params
		return rt.handle(s, c)
	}
	if wrongMethod {
		return graphError(http.StatusMethodNotAllowed, "Request_BadRequest",
			"Specified HTTP method is not allowed for the request target.")
	}
	seg := ""
	switch {
	case best < len(c.segs):
		seg = c.segs[best]
	case len(c.segs) > 0:
		// The path is the start of a known one (GET /groups): name its
		// last segment, the resource the fake does not serve.
		seg = c.segs[len(c.segs)-1]
	}
	return badRequest("Resource not found for the segment '%s'.", seg)
}

// matchPattern returns the captured parameters when segs match pattern
// exactly (nil otherwise) and how many leading segments matched, which
// locates the offending segment for the error message.
func matchPattern(pattern string, segs []string) (map[string]string, int) {
	pat := strings.Split(pattern, "/")
	params := make(map[string]string)
	for i, p := range pat {
		if i >= len(segs) {
			return nil, i
		}
		if strings.HasPrefix(p, "{") {
			if segs[i] == "" {
				return nil, i
			}
			params[strings.Trim(p, "{}")] = segs[i]
			continue
		}
		// Graph resolves segment names case-insensitively.
		if !strings.EqualFold(p, segs[i]) {
			return nil, i
		}
	}
	if len(segs) > len(pat) {
		return nil, len(pat)
	}
	return params, len(pat)
}

// checkOptions rejects system query options the endpoint does not handle.
// Ignoring them silently would let a client believe, say, $orderby worked.
func checkOptions(c *call, allowed []string) (response, bool) {
	for name := range c.query {
		if !strings.HasPrefix(name, "$") {
			continue // Graph ignores custom query parameters
		}
		ok := false
		for _, a := range allowed {
			ok = ok || strings.EqualFold(a, name)
		}
		if !ok {
			return badRequest("Query option '%s' is not allowed here (fakegraph does not implement it for this request).", name), false
		}
	}
	return response{}, true
}

// queryOption returns the values of an OData system query option, matching
// its name case-insensitively as Graph does.
func (c *call) queryOption(name string) []string {
	var out []string
	for k, vs := range c.query {
		if strings.EqualFold(k, name) {
			out = append(out, vs...)
		}
	}
	return out
}
