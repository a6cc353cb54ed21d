package fakegraph

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// riskRecord is Identity Protection's view of a user who has been at
// risk. Values are Graph's riskLevel, riskState and riskDetail.
type riskRecord struct {
	level, state, detail string
	updated              time.Time
}

// SetRisk puts the user whose id or userPrincipalName is userID at risk,
// as Identity Protection's detections would: riskLevel level (low, medium
// or high), riskState atRisk. It panics on an unknown user or level.
func (s *Server) SetRisk(userID, level string) {
	if level != "low" && level != "medium" && level != "high" {
		panic("fakegraph: risk level " + level + " is not low, medium or high")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setRisk(s.mustUserKey(userID, "put at risk"), level, "atRisk", "none")
}

// Risk returns the riskLevel and riskState of the user whose id or
// userPrincipalName is userID; ok is false for a user never at risk,
// whom GET /identityProtection/riskyUsers/{id} does not know either.
func (s *Server) Risk(userID string) (level, state string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.userKey(userID)
	if !ok {
		return "", "", false
	}
	r := s.cs.risk[id]
	if r == nil {
		return "", "", false
	}
	return r.level, r.state, true
}

// setRisk records the user's risk; s.mu must be held.
func (s *Server) setRisk(id, level, state, detail string) {
	if s.cs.risk == nil {
		s.cs.risk = make(map[string]*riskRecord)
	}
	s.cs.risk[id] = &riskRecord{level: level, state: state, detail: detail, updated: s.opts.Now().UTC()}
}

// noteCompromised records a successful confirmCompromised for the user
// (lower-cased object id): high risk, confirmed. s.mu must be held.
func (s *Server) noteCompromised(id string) {
	s.setRisk(id, "high", "confirmedCompromised", "adminConfirmedUserCompromised")
}

// dismissRisk serves POST /identityProtection/riskyUsers/dismiss: each
// listed user's risk then dismissed (riskLevel none), with
// confirmCompromised's limit and checks (riskAction); a user never at risk
// stays unknown to Identity Protection.
func (s *Server) dismissRisk(c *call) response {
	return s.riskAction(c, "dismiss", func(id string) {
		if s.cs.risk[id] != nil {
			s.setRisk(id, "none", "dismissed", "adminDismissedAllRiskForUser")
		}
	})
}

// getRiskyUser serves GET /identityProtection/riskyUsers/{id}, by object
// id. Reads are not under the 1 request/s limit of the actions. The 404
// for a user never at risk uses the directory's wording; Identity
// Protection's own was not found.
func (s *Server) getRiskyUser(c *call) response {
	if s.opts.NoP2 {
		return graphError(http.StatusForbidden, "Forbidden", msgNotLicensed)
	}
	id := c.params["id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByID(id)
	var r *riskRecord
	if u != nil {
		r = s.cs.risk[strings.ToLower(u.ID)]
	}
	if r == nil {
		return notFound(id)
	}
	body := riskyUserJSON(u, r)
	body["@odata.context"] = metadataBase + "#identityProtection/riskyUsers/$entity"
	return jsonResponse(http.StatusOK, body)
}

func riskyUserJSON(u *User, r *riskRecord) map[string]any {
	return map[string]any{
		"id":                      u.ID,
		"isDeleted":               false,
		"isProcessing":            false,
		"riskLastUpdatedDateTime": r.updated.Format("2006-01-02T15:04:05.9999999Z"),
		"riskLevel":               r.level,
		"riskState":               r.state,
		"riskDetail":              r.detail,
		"userDisplayName":         nullable(u.DisplayName),
		"userPrincipalName":       nullable(u.UserPrincipalName),
	}
}

// riskyEntry is a risky user as a listing filters it.
type riskyEntry struct {
	u *User
	r *riskRecord
}

// riskyProps are what a riskyUsers filter compares here. The v1.0 page
// names no filterable properties; these are the ones clients are seen to
// filter on (riskLevel, riskState, riskLastUpdatedDateTime).
var riskyProps = andProps[riskyEntry]{
	what: "riskyUsers", typeName: "microsoft.graph.riskyUser", ne: true,
	strings: map[string]func(*riskyEntry) string{
		"risklevel":         func(e *riskyEntry) string { return e.r.level },
		"riskstate":         func(e *riskyEntry) string { return e.r.state },
		"userprincipalname": func(e *riskyEntry) string { return e.u.UserPrincipalName },
	},
	times: map[string]func(*riskyEntry) time.Time{
		"risklastupdateddatetime": func(e *riskyEntry) time.Time { return e.r.updated },
	},
}

// maxRiskyTop is the largest page of riskyUsers ("The maximum page size
// with $top is 500 objects", the v1.0 List riskyUsers page). The words of
// the refusal of a larger one are not published: the users listing's are
// used.
const maxRiskyTop = 500

// listRiskyUsers serves GET /identityProtection/riskyUsers: every user
// Identity Protection has a risk record for, the latest change first,
// under the Identity Protection budget (limits.go).
func (s *Server) listRiskyUsers(c *call) response {
	if s.opts.NoP2 {
		return graphError(http.StatusForbidden, "Forbidden", msgNotLicensed)
	}
	top, bad, ok := s.pageTop(c, maxRiskyTop)
	if !ok {
		return bad
	}
	var filter andFilter[riskyEntry]
	if v := c.queryOption("$filter"); len(v) > 0 {
		var err error
		if filter, err = parseAndFilter(v[0], riskyProps); err != nil {
			return badRequest("%s", err.Error())
		}
	}
	skip := 0
	if v := c.queryOption("$skiptoken"); len(v) > 0 {
		n, err := strconv.Atoi(strings.TrimPrefix(v[0], "risky-"))
		if err != nil || n < 0 || !strings.HasPrefix(v[0], "risky-") {
			return badRequest("Invalid skip token '%s'.", v[0])
		}
		skip = n
	}
	s.mu.Lock()
	var matches []riskyEntry
	for id, r := range s.cs.risk {
		if u := s.userByID(id); u != nil && filter.match(&riskyEntry{u, r}) {
			matches = append(matches, riskyEntry{u, r})
		}
	}
	slices.SortFunc(matches, func(a, b riskyEntry) int {
		if c := b.r.updated.Compare(a.r.updated); c != 0 {
			return c
		}
		return strings.Compare(a.u.ID, b.u.ID)
	})
	matches = matches[min(skip, len(matches)):]
	body := map[string]any{"@odata.context": metadataBase + "#identityProtection/riskyUsers"}
	if len(matches) > top {
		matches = matches[:top]
		body["@odata.nextLink"] = s.pageLink("/identityProtection/riskyUsers", c.query, "risky-"+strconv.Itoa(skip+top))
	}
	page := make([]map[string]any, len(matches))
	for i, e := range matches {
		page[i] = riskyUserJSON(e.u, e.r)
	}
	s.mu.Unlock()
	body["value"] = page
	return jsonResponse(http.StatusOK, body)
}
