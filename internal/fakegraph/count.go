package fakegraph

import (
	"net/http"
	"strconv"
	"strings"
)

// Graph serves a raw count only from its eventually consistent index, and
// refuses the request when the client has not said it accepts that. The
// code and message are those of an answer captured from the service in
// December 2025 on the beta endpoint; a 2021 capture, said to be the same
// on v1.0, had Request_BadRequest "$count is not currently supported.".
// Clients should go by the 400, not the wording.
const (
	codeUnsupportedQuery  = "Request_UnsupportedQuery"
	msgCountNeedsEventual = "Raw count (/$count) is not supported because the 'ConsistencyLevel:eventual' header is missing. " +
		"Refer to https://aka.ms/graph-docs/advanced-queries for more information"
)

// countUsers serves GET /users/$count: 200 with the number of users matching
// $filter (all without one) as a bare integer in text/plain. It needs the
// header ConsistencyLevel: eventual; $filter takes the grammar of GET
// /users. Counting takes one pass under the lock and ignores SetListDelay,
// which is what makes it the cheap way to size a big tenant.
func (s *Server) countUsers(c *call) response {
	if !strings.EqualFold(strings.TrimSpace(c.header.Get("ConsistencyLevel")), "eventual") {
		return graphError(http.StatusBadRequest, codeUnsupportedQuery, msgCountNeedsEventual)
	}
	filter, resp, ok := filterOption(c)
	if !ok {
		return resp
	}
	s.mu.Lock()
	n := s.countMatches(filter)
	s.mu.Unlock()
	return response{status: http.StatusOK, body: plainText(strconv.Itoa(n))}
}

// filterOption parses the request's $filter, nil when there is none.
func filterOption(c *call) (filterExpr, response, bool) {
	v := c.queryOption("$filter")
	if len(v) == 0 {
		return nil, response{}, true
	}
	x, err := parseFilter(v[0])
	if err != nil {
		return nil, badRequest("%s", err.Error()), false
	}
	return x, response{}, true
}

// countMatches counts the users filter matches (all for nil); s.mu must be
// held. GET /users answers its @odata.count with it too.
func (s *Server) countMatches(filter filterExpr) int {
	if filter == nil {
		return len(s.users)
	}
	n := 0
	for _, u := range s.users {
		if filter.match(&env{u: u}) {
			n++
		}
	}
	return n
}
