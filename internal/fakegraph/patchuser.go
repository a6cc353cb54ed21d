package fakegraph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// msgOnPremisesMastered is Graph's 400 Request_BadRequest message for a PATCH
// of a user synchronised from an on-premises directory: its properties are
// mastered there, so Entra ID refuses to change them.
const msgOnPremisesMastered = "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration."

// patchable are the user properties the fake updates, with a setter that
// checks the JSON value's type. Other writable properties are refused with a
// 400 naming the fake, so a client never believes an update it sent landed.
var patchable = map[string]func(u *User, v any) bool{
	"accountEnabled": func(u *User, v any) bool {
		b, ok := v.(bool)
		u.AccountEnabled = b
		return ok
	},
	"displayName": setString(func(u *User) *string { return &u.DisplayName }),
	"jobTitle":    setString(func(u *User) *string { return &u.JobTitle }),
	"department":  setString(func(u *User) *string { return &u.Department }),
}

func setString(field func(*User) *string) func(*User, any) bool {
	return func(u *User, v any) bool {
		switch v := v.(type) {
		case string:
			*field(u) = v
			return true
		case nil:
			*field(u) = ""
			return true
		}
		return false
	}
}

// readOnlyUserProperties are properties of microsoft.graph.user that Graph
// refuses to set ("Property 'x' is read-only and cannot be set.").
var readOnlyUserProperties = map[string]bool{
	"id": true, "createdDateTime": true, "deletedDateTime": true, "creationType": true,
	"externalUserState": true, "externalUserStateChangeDateTime": true,
	"lastPasswordChangeDateTime": true, "onPremisesSyncEnabled": true,
	"onPremisesLastSyncDateTime": true, "onPremisesSecurityIdentifier": true,
	"onPremisesDistinguishedName": true, "onPremisesDomainName": true,
	"onPremisesSamAccountName": true, "onPremisesUserPrincipalName": true,
	"onPremisesProvisioningErrors": true, "proxyAddresses": true, "assignedPlans": true,
	"provisionedPlans": true, "securityIdentifier": true, "signInActivity": true,
	"signInSessionsValidFromDateTime": true, "licenseAssignmentStates": true,
	"serviceProvisioningErrors": true, "isManagementRestricted": true,
}

// patchUser serves PATCH /users/{id}: 204 No Content on success. The body is
// checked as a whole before anything changes, so a refused update changes
// nothing, as in Graph. A passwordProfile resets the password under the
// rules of password.go; the fake counts the reset and forgets the password.
func (s *Server) patchUser(c *call) response {
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil || body == nil {
		return graphError(http.StatusBadRequest, "Request_BadRequest", "Invalid request body: a JSON object of user properties is expected.")
	}
	if dec.More() {
		return graphError(http.StatusBadRequest, "Request_BadRequest", "Invalid request body: unexpected data after the JSON object.")
	}
	updates := make(map[string]any, len(body))
	var pc *passwordChange // passwordProfile, handled apart: it is never stored (password.go)
	for name, v := range body {
		if strings.HasPrefix(name, "@") {
			// The SDK annotates every entity it sends with its type.
			if name == "@odata.type" && v == "#microsoft.graph.user" {
				continue
			}
			return graphError(http.StatusBadRequest, "Request_BadRequest", "Invalid property '"+name+"'.")
		}
		canon, ok := userProperties[strings.ToLower(name)]
		if ok {
			if resp, allowed := c.authorizeAny(patchPermissions(canon)); !allowed {
				return resp
			}
		}
		if canon == "passwordProfile" {
			var resp response
			if pc, resp, ok = parsePasswordProfile(v); !ok {
				return resp
			}
			continue
		}
		switch {
		case !ok:
			return graphError(http.StatusBadRequest, "Request_BadRequest", "Invalid property '"+name+"'.")
		case readOnlyUserProperties[canon]:
			return graphError(http.StatusBadRequest, "Request_BadRequest", "Property '"+canon+"' is read-only and cannot be set.")
		case patchable[canon] == nil:
			return badRequest("Updating '%s' is not implemented by fakegraph.", canon)
		}
		updates[canon] = v
	}

	key := c.params["id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookup(key)
	if u == nil {
		return notFound(key)
	}
	if pc != nil {
		if resp, ok := s.checkPasswordChange(u, pc); !ok {
			return resp
		}
	}
	if u.OnPremisesSyncEnabled && len(updates) > 0 {
		return graphError(http.StatusBadRequest, "Request_BadRequest", msgOnPremisesMastered)
	}
	next := u.clone()
	for name, v := range updates {
		if !patchable[name](&next, v) {
			return graphError(http.StatusBadRequest, "Request_BadRequest",
				"Invalid value specified for property '"+name+"' of resource 'User'.")
		}
	}
	s.noteWrite(u)
	*u = next
	if pc != nil {
		s.recordPasswordChange(u, pc)
	}
	return response{status: http.StatusNoContent}
}
