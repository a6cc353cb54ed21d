package fakegraph

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// maxCompromisedIDs bounds the userIds of one confirmCompromised call.
const maxCompromisedIDs = 60

// msgNotLicensed is what Identity Protection answers, with 403 and code
// Forbidden, in a tenant without Microsoft Entra ID P2. The wording is the
// one reported for riskyUsers and riskDetections on unlicensed tenants; no
// capture of confirmCompromised itself was found, so its code is the most
// plausible rather than a verified one.
const msgNotLicensed = "Your tenant is not licensed for this feature."

// confirmCompromised serves POST /identityProtection/riskyUsers/confirmCompromised:
// 204 No Content, each listed user then counting as confirmed compromised.
// The fake checks the per-tenant rate, then the licence, then the payload;
// Graph's own order is not documented. A payload naming any unknown user
// fails whole.
func (s *Server) confirmCompromised(c *call) response {
	if s.riskLimit != nil {
		if wait, ok := s.riskLimit.take(time.Now()); !ok {
			resp := graphError(http.StatusTooManyRequests, "TooManyRequests", "")
			resp.header = http.Header{"Retry-After": {retryAfter(wait)}}
			return resp
		}
	}
	if s.opts.NoP2 {
		return graphError(http.StatusForbidden, "Forbidden", msgNotLicensed)
	}
	ids, resp, ok := parseUserIDs(c.body, "confirmCompromised")
	if !ok {
		return resp
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var unknown []string
	for _, id := range ids {
		// Risky users are keyed by object id; a user principal name is not one.
		if u := s.lookup(id); u == nil || !strings.EqualFold(u.ID, id) {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		// Graph refuses ids it does not know (deleted users included); the
		// exact wording of that refusal is not documented.
		return badRequest("Invalid user ids: %s.", strings.Join(unknown, ", "))
	}
	for _, id := range ids {
		s.compromised[strings.ToLower(id)] = true
		s.noteCompromised(strings.ToLower(id)) // risk.go
	}
	return response{status: http.StatusNoContent}
}

// parseUserIDs reads the only parameter of the action op (confirmCompromised,
// dismiss), userIds, refusing others as OData refuses unknown action
// parameters.
func parseUserIDs(body []byte, op string) ([]string, response, bool) {
	var params map[string]json.RawMessage
	if err := json.Unmarshal(body, &params); err != nil || params == nil {
		return nil, badRequest("Invalid request body: a JSON object with 'userIds' is expected."), false
	}
	for name := range params {
		if name != "userIds" {
			return nil, badRequest("The parameter '%s' in the request payload is not a valid parameter for the operation '%s'.", name, op), false
		}
	}
	var ids []string
	if raw, ok := params["userIds"]; !ok || json.Unmarshal(raw, &ids) != nil || len(ids) == 0 {
		return nil, badRequest("The parameter 'userIds' must be a non-empty collection of user ids."), false
	}
	if len(ids) > maxCompromisedIDs {
		return nil, badRequest("Too many user ids: %d; at most %d are allowed in one request.", len(ids), maxCompromisedIDs), false
	}
	for _, id := range ids {
		if strings.TrimSpace(id) == "" {
			return nil, badRequest("The parameter 'userIds' contains an empty user id."), false
		}
	}
	return ids, response{}, true
}

// Compromised reports whether confirmCompromised has succeeded for the user
// whose id or userPrincipalName is key.
func (s *Server) Compromised(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookup(key)
	return u != nil && s.compromised[strings.ToLower(u.ID)]
}
