package fakegraph

import (
	"net/http"
	"slices"
	"strings"
)

// The authentication methods service answers in its own style, with
// lower-camel codes. msgDefaultMethod is its text for deleting the default
// method while others remain, as captured in
// https://github.com/microsoftgraph/microsoft-graph-docs/issues/14470
// (2021; the service also repeats the message in innerError, which the
// fake does not).
const (
	codeMethodBadRequest = "badRequest"
	msgDefaultMethod     = "Cannot delete default method with other methods configured. Please change default method before deletion."
	// The phone delete documentation
	// (https://learn.microsoft.com/graph/api/phoneauthenticationmethod-delete)
	// says a user cannot have an alternateMobile without a mobile; the
	// service's wording for refusing that delete was not found, so this
	// is the fake's, kept to the same code.
	msgMobileWithAlternate = "Cannot delete the mobile phone method while an alternateMobile phone method exists. Update the mobile number, or delete the alternateMobile method first."
)

// methodNotFound answers a method id the user does not have under the
// requested type's collection, including the id of a method of another
// type: Graph resolves the id within that collection only.
func methodNotFound() response {
	return graphError(http.StatusNotFound, "itemNotFound", "The requested authentication method was not found.")
}

// deleteAuthMethod serves DELETE /users/{id}/authentication/{typ}Methods/{methodId}:
// 204 No Content. There is no generic delete in Graph and no delete of the
// password method at all (see containRoutes).
func (s *Server) deleteAuthMethod(c *call, typ string) response {
	key := c.params["id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookup(key)
	if u == nil {
		return notFound(key)
	}
	ukey := strings.ToLower(u.ID)
	list := s.methodsOf(ukey)
	i := slices.IndexFunc(list, func(m *AuthMethod) bool {
		return m.Type == typ && strings.EqualFold(m.ID, c.params["methodId"])
	})
	if i < 0 {
		return methodNotFound()
	}
	m := list[i]
	if m.Default && slices.ContainsFunc(list, func(o *AuthMethod) bool { return o != m && o.Type != "password" }) {
		// The default goes last: a client deletes the others first, then
		// retries it.
		return graphError(http.StatusBadRequest, codeMethodBadRequest, msgDefaultMethod)
	}
	if typ == "phone" && m.PhoneType == "mobile" && hasPhone(list, "alternateMobile") {
		return graphError(http.StatusBadRequest, codeMethodBadRequest, msgMobileWithAlternate)
	}
	s.cs.authMethods[ukey] = slices.Delete(list, i, i+1)
	return response{status: http.StatusNoContent}
}
