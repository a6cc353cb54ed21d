package fakegraph

import (
	"encoding/json"
	"net/http"
	"strings"
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
// each listed user then counts as confirmed compromised (riskAction).
func (s *Server) confirmCompromised(c *call) response {
	return s.riskAction(c, "confirmCompromised", func(id string) {
		s.compromised[id] = true
		s.noteCompromised(id) // risk.go
	})
}

// riskAction serves an Identity Protection action on a list of users
// (confirmCompromised, dismiss): the licence, then the payload (the
// per-tenant rate is limits.go's, before any route); Graph's own order is
// not documented. A payload naming any user Graph does not know by object
// id (deleted users included) fails whole; else apply runs for each lower-cased id, under s.mu, and
// the answer is 204 No Content.
func (s *Server) riskAction(c *call, op string, apply func(id string)) response {
	if s.opts.NoP2 {
		return graphError(http.StatusForbidden, "Forbidden", msgNotLicensed)
	}
	ids, resp, ok := parseUserIDs(c.body, op)
	if !ok {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var unknown []string
	for _, id := range ids {
		// Risky users are keyed by object id; a user principal name is not one.
		if s.userByID(id) == nil {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		// The exact wording of this refusal is not documented.
		return badRequest("Invalid user ids: %s.", strings.Join(unknown, ", "))
	}
	for _, id := range ids {
		apply(strings.ToLower(id))
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
