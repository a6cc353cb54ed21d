package fakegraph

import (
	"net/http"
	"strings"
	"time"
)

// ReportsLimit is how many requests Graph's identity and access reports
// limit lets an app make per tenant in Options.ReportsWindow (5 per 10 s:
// learn.microsoft.com/graph/throttling-limits, "Identity and access reports
// service limits", request type "Any").
const ReportsLimit = 5

// SecurityLimit is how many requests a minute an app may make per tenant
// to /security ("Security detections and incidents service limits":
// "The following limits apply to any request on /security"; 150 a minute
// is the row for alerts, the highest the page gives, and no row names
// incidents).
const SecurityLimit = 150

// admitBudgets applies the per-service budgets Microsoft publishes
// besides the write throttle, before the route is looked at, as Graph
// throttles before it handles a request:
//   - Identity Protection (riskyUser and the actions on it): 1 request per
//     second per tenant, every method, 429 without Retry-After
//     ("Identity protection and conditional access service limits").
//   - The identity and access reports (auditLogRoot, signIn,
//     directoryAudit, authenticationMethod): 5 requests per 10 s per app
//     and tenant, any method, 429. The page says Retry-After is sent; a
//     live-measured public ledger found it missing at times (NOTES.md), so
//     the fake leaves it out: the stricter of the two.
//
// The fake serves one app in one tenant, so each budget is the server's.
// A refused request does not use the budget up.
func (s *Server) admitBudgets(c *call) (response, bool) {
	risk, report, security := isIdentityProtection(c.segs), isReport(c.segs), len(c.segs) > 0 && strings.EqualFold(c.segs[0], "security")
	if !risk && !report && !security {
		return response{}, true // most requests: no lock taken
	}
	s.mu.Lock()
	budget := s.reports
	switch {
	case risk:
		budget = s.riskLimit
	case security:
		budget = s.security
	}
	s.mu.Unlock()
	if budget == nil {
		return response{}, true
	}
	if _, ok := budget.take(time.Now()); ok {
		return response{}, true
	}
	return graphError(http.StatusTooManyRequests, "TooManyRequests", "Too many requests."), false
}

func isIdentityProtection(segs []string) bool {
	return len(segs) > 0 && strings.EqualFold(segs[0], "identityProtection")
}

// isReport: /auditLogs/..., and a user's authentication methods (listing,
// reading and deleting them alike).
func isReport(segs []string) bool {
	switch {
	case len(segs) > 0 && strings.EqualFold(segs[0], "auditLogs"):
		return true
	case len(segs) > 2 && strings.EqualFold(segs[0], "users") && strings.EqualFold(segs[2], "authentication"):
		return true
	}
	return false
}

// SetLimits replaces the windows of the reports and Identity Protection
// limits (Options.ReportsWindow, Options.RiskWindow; zero keeps one as it
// is, negative turns it off), starting them afresh: the sandbox shrinks
// them for tests that would otherwise wait minutes.
func (s *Server) SetLimits(reports, risk time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reports != 0 {
		s.reports = newWriteThrottle(ReportsLimit, reports)
	}
	if risk != 0 {
		s.riskLimit = newWriteThrottle(1, risk)
	}
}

// ReportsThrottled returns how many requests the reports limit refused.
func (s *Server) ReportsThrottled() int {
	s.mu.Lock()
	t := s.reports
	s.mu.Unlock()
	return t.refused()
}

// RiskThrottled returns how many requests Identity Protection's limit refused.
func (s *Server) RiskThrottled() int {
	s.mu.Lock()
	t := s.riskLimit
	s.mu.Unlock()
	return t.refused()
}

// refused is how many requests t turned away; 0 for no limit.
func (t *writeThrottle) refused() int {
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.throttled
}
