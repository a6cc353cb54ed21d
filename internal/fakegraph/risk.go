package fakegraph

import (
	"net/http"
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
	return jsonResponse(http.StatusOK, map[string]any{
		"@odata.context":          metadataBase + "#identityProtection/riskyUsers/$entity",
		"id":                      u.ID,
		"isDeleted":               false,
		"isProcessing":            false,
		"riskLastUpdatedDateTime": r.updated.Format("2006-01-02T15:04:05.9999999Z"),
		"riskLevel":               r.level,
		"riskState":               r.state,
		"riskDetail":              r.detail,
		"userDisplayName":         nullable(u.DisplayName),
		"userPrincipalName":       nullable(u.UserPrincipalName),
	})
}
