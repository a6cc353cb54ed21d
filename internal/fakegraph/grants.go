package fakegraph

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Grant is a delegated permission grant (oAuth2PermissionGrant): a client
// application's right to call a resource API as a user.
type Grant struct {
	ID string // id; generated in Graph's 43-character form when empty
	// ClientID is the object id of the client's service principal (not
	// its appId); GET /servicePrincipals/{ClientID} names the app.
	ClientID string
	// ConsentType is "Principal" (one user's consent) or "AllPrincipals"
	// (an admin's, for the whole tenant); it defaults by PrincipalID.
	ConsentType string
	PrincipalID string // the consenting user's object id; empty for AllPrincipals
	ResourceID  string // object id of the resource API's service principal
	Scope       string // space-separated delegated permissions, e.g. "Mail.Read offline_access"
}

// grantRecord is a stored grant and its insertion number, which skiptokens
// name so that deleting grants between pages skips none.
type grantRecord struct {
	Grant
	seq int64
}

// AddGrants stores delegated permission grants, served in the order added;
// one with the id of a grant already there replaces it. It panics on a
// ConsentType other than Principal or AllPrincipals, or one that disagrees
// with PrincipalID.
func (s *Server) AddGrants(gs ...Grant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range gs {
		if g.ConsentType == "" {
			g.ConsentType = "AllPrincipals"
			if g.PrincipalID != "" {
				g.ConsentType = "Principal"
			}
		}
		if (g.ConsentType == "Principal") != (g.PrincipalID != "") || (g.ConsentType != "Principal" && g.ConsentType != "AllPrincipals") {
			panic("fakegraph: grant with consentType " + g.ConsentType + " and principalId '" + g.PrincipalID + "'")
		}
		if g.ID == "" {
			var b [32]byte
			_, _ = rand.Read(b[:])
			g.ID = base64.RawURLEncoding.EncodeToString(b[:])
		}
		if i := slices.IndexFunc(s.cs.grants, func(r *grantRecord) bool { return r.ID == g.ID }); i >= 0 {
			s.cs.grants[i].Grant = g
			continue
		}
		s.cs.nextGrant++
		s.cs.grants = append(s.cs.grants, &grantRecord{Grant: g, seq: s.cs.nextGrant})
	}
}

// Grants returns the grants that exist, in the order added.
func (s *Server) Grants() []Grant {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Grant, len(s.cs.grants))
	for i, r := range s.cs.grants {
		out[i] = r.Grant
	}
	return out
}

// grantFilter is the only $filter form the fake reads: principalId or
// clientId eq a quoted id, property names case-insensitive as in Graph.
var grantFilter = regexp.MustCompile(`(?i)^\s*(principalId|clientId)\s+eq\s+'((?:[^']|'')*)'\s*$`)

// listGrants serves GET /oauth2PermissionGrants, paged at Options.PageSize
// or $top.
func (s *Server) listGrants(c *call) response {
	top, bad, ok := s.pageTop(c, 999)
	if !ok {
		return bad
	}
	match := func(*Grant) bool { return true }
	if v := c.queryOption("$filter"); len(v) > 0 {
		m := grantFilter.FindStringSubmatch(v[0])
		if m == nil {
			return badRequest("The filter '%s' is not implemented by fakegraph for oauth2PermissionGrants; only principalId eq '...' and clientId eq '...' are.", v[0])
		}
		id := strings.ReplaceAll(m[2], "''", "'")
		byPrincipal := strings.EqualFold(m[1], "principalId")
		match = func(g *Grant) bool {
			if byPrincipal {
				return strings.EqualFold(g.PrincipalID, id)
			}
			return strings.EqualFold(g.ClientID, id)
		}
	}
	after := int64(0)
	if v := c.queryOption("$skiptoken"); len(v) > 0 {
		n, ok := decodeOffset("grants", v[0])
		if !ok {
			return badRequest("Invalid skip token '%s'.", v[0])
		}
		after = int64(n)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	body := map[string]any{"@odata.context": metadataBase + "#oauth2PermissionGrants"}
	page := []map[string]any{}
	last := int64(0)
	for _, r := range s.cs.grants {
		if r.seq <= after || !match(&r.Grant) {
			continue
		}
		if len(page) == top {
			body["@odata.nextLink"] = s.pageLink(c.escapedPath(), c.query, encodeOffset("grants", int(last)))
			break
		}
		page = append(page, map[string]any{
			"id":          r.ID,
			"clientId":    r.ClientID,
			"consentType": r.ConsentType,
			"principalId": nullable(r.PrincipalID),
			"resourceId":  r.ResourceID,
			"scope":       r.Scope,
		})
		last = r.seq
	}
	body["value"] = page
	return jsonResponse(http.StatusOK, body)
}

// deleteGrant serves DELETE /oauth2PermissionGrants/{id}: 204 No Content.
// Tokens already issued under the grant stay valid until they expire.
func (s *Server) deleteGrant(c *call) response {
	id := c.params["id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.cs.grants, func(r *grantRecord) bool { return r.ID == id })
	if i < 0 {
		return notFound(id)
	}
	s.cs.grants = slices.Delete(s.cs.grants, i, i+1)
	return response{status: http.StatusNoContent}
}

// getServicePrincipal serves GET /servicePrincipals/{id}, by object id,
// from the service principals AddServicePrincipals stored, with $select
// as for users: selectable properties the fake does not model are null.
func (s *Server) getServicePrincipal(c *call) response {
	sel, err := parseSelectOf(c.queryOption("$select"), servicePrincipalProperties, "servicePrincipal")
	if err != nil {
		return badRequest("%s", err.Error())
	}
	id := c.params["id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := s.servicePrincipals[strings.ToLower(id)]
	if sp == nil {
		return notFound(id)
	}
	full := servicePrincipalJSON(sp)
	delete(full, "@odata.type")
	full["accountEnabled"] = true
	full["appDisplayName"] = nullable(sp.DisplayName)
	set := "servicePrincipals"
	out := full
	if sel != nil {
		set += "(" + strings.Join(sel, ",") + ")"
		out = map[string]any{"id": sp.ID}
		for _, name := range sel {
			out[name] = full[name] // nil for a property the fake does not model
		}
	}
	out["@odata.context"] = metadataBase + "#" + set + "/$entity"
	return jsonResponse(http.StatusOK, out)
}

// servicePrincipalProperties maps lower-cased names to canonical ones for
// the properties of microsoft.graph.servicePrincipal in v1.0.
var servicePrincipalProperties = func() map[string]string {
	m := make(map[string]string)
	for _, name := range strings.Fields(`accountEnabled addIns alternativeNames appDescription
		appDisplayName appId applicationTemplateId appOwnerOrganizationId appRoleAssignmentRequired
		appRoles createdDateTime deletedDateTime description disabledByMicrosoftStatus displayName
		homepage id info keyCredentials loginUrl logoutUrl notes notificationEmailAddresses
		oauth2PermissionScopes passwordCredentials preferredSingleSignOnMode
		preferredTokenSigningKeyThumbprint replyUrls resourceSpecificApplicationPermissions
		samlSingleSignOnSettings servicePrincipalNames servicePrincipalType signInAudience tags
		tokenEncryptionKeyId verifiedPublisher`) {
		m[strings.ToLower(name)] = name
	}
	return m
}()

// parseSelectOf reads $select against the properties of entity (a
// lower-cased name -> canonical name map), nil when absent, as parseSelect
// does for users.
func parseSelectOf(values []string, props map[string]string, entity string) ([]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	sel := []string{}
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			canon, ok := props[strings.ToLower(name)]
			if !ok {
				return nil, &filterError{"Could not find a property named '" + name + "' on type 'microsoft.graph." + entity + "'."}
			}
			if !slices.Contains(sel, canon) {
				sel = append(sel, canon)
			}
		}
	}
	return sel, nil
}
