package fakegraph

import (
	"net/http"
	"strings"
	"time"
)

// msgNeedsP2 is what Privileged Identity Management answers, with 400 and
// code AadPremiumLicenseRequired, in a tenant without Microsoft Entra ID P2
// or Governance: captured in January 2026 from GET
// /v1.0/roleManagement/directory/roleEligibilityScheduleInstances; the
// schedules themselves are assumed to answer alike.
const (
	codeNeedsP2 = "AadPremiumLicenseRequired"
	msgNeedsP2  = "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license."
)

// RoleAssignment is a principal's hold on a Microsoft Entra directory role:
// an active assignment (AddRoleAssignments) or a Privileged Identity
// Management eligibility schedule (AddRoleEligibilities). Its fields map
// onto unifiedRoleAssignment and unifiedRoleEligibilitySchedule.
type RoleAssignment struct {
	ID string // id; generated when empty
	// RoleDefinitionID is roleDefinitionId; for a built-in role its
	// template id, e.g. Global Administrator's
	// 62e90394-69f5-4237-9190-012177145e10.
	RoleDefinitionID string
	PrincipalID      string // principalId: the object id of a user, group or service principal
	DirectoryScopeID string // directoryScopeId; "/" (the whole tenant) when empty
}

// roleRecord is a stored assignment or schedule and when it was made.
type roleRecord struct {
	RoleAssignment
	created time.Time
}

// AddRoleAssignments stores active role assignments, which GET
// /roleManagement/directory/roleAssignments serves in the order added. It
// panics when a principal is not a user (by object id), group or service
// principal already added.
func (s *Server) AddRoleAssignments(as ...RoleAssignment) {
	s.addRoles(&s.roleAssignments, as)
}

// AddRoleEligibilities stores PIM eligibility schedules, which GET
// /roleManagement/directory/roleEligibilitySchedules serves in the order
// added (unless Options.NoP2). Principals are checked as for
// AddRoleAssignments.
func (s *Server) AddRoleEligibilities(as ...RoleAssignment) {
	s.addRoles(&s.roleEligibilities, as)
}

func (s *Server) addRoles(list *[]*roleRecord, as []RoleAssignment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range as {
		if s.principalJSON(a.PrincipalID) == nil {
			panic("fakegraph: no user, group or service principal " + a.PrincipalID + " to hold role " + a.RoleDefinitionID)
		}
		if a.ID == "" {
			a.ID = newGUID()
		}
		if a.DirectoryScopeID == "" {
			a.DirectoryScopeID = "/"
		}
		*list = append(*list, &roleRecord{RoleAssignment: a, created: s.opts.Now().UTC()})
	}
}

// principalJSON renders the principal as $expand=principal serves it, nil
// when there is no such object; s.mu must be held. A user comes with the
// default property set of GET /users/{id}, read fresh: only that read lags.
func (s *Server) principalJSON(id string) map[string]any {
	key := strings.ToLower(id)
	if u := s.userByID(key); u != nil {
		m := userJSON(u, nil)
		m["@odata.type"] = "#microsoft.graph.user"
		return m
	}
	if g := s.groups[key]; g != nil {
		return groupJSON(&g.Group)
	}
	if sp := s.servicePrincipals[key]; sp != nil {
		return servicePrincipalJSON(sp)
	}
	return nil
}

// roleNavigation are the navigation properties of unifiedRoleAssignment
// and unifiedRoleScheduleBase, lower-cased: valid to expand in Graph, of
// which the fake implements principal only.
var roleNavigation = map[string]bool{"principal": true, "roledefinition": true, "directoryscope": true, "appscope": true}

// expandsPrincipal reads $expand, refusing what the fake does not
// implement (nested options such as principal($select=id) included)
// rather than answering as if it had.
func expandsPrincipal(c *call, entity string) (bool, response, bool) {
	principal := false
	for _, v := range c.queryOption("$expand") {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			switch {
			case strings.EqualFold(item, "principal"):
				principal = true
			case roleNavigation[strings.ToLower(item)] || strings.Contains(item, "("):
				return false, badRequest("Expanding '%s' is not implemented by fakegraph.", item), false
			default:
				return false, badRequest("Could not find a property named '%s' on type 'microsoft.graph.%s'.", item, entity), false
			}
		}
	}
	return principal, response{}, true
}

// listRoleAssignments serves GET /roleManagement/directory/roleAssignments,
// paged at Options.PageSize, each with its principal under $expand=principal.
func (s *Server) listRoleAssignments(c *call) response {
	return s.listRoles(c, "roleAssignments", "unifiedRoleAssignment", s.roleAssignmentsList, func(r *roleRecord) map[string]any {
		return map[string]any{
			"id":               r.ID,
			"roleDefinitionId": r.RoleDefinitionID,
			"principalId":      r.PrincipalID,
			"directoryScopeId": r.DirectoryScopeID,
			"appScopeId":       nil,
			"condition":        nil,
		}
	})
}

// listRoleEligibilitySchedules serves GET
// /roleManagement/directory/roleEligibilitySchedules like
// listRoleAssignments. Without P2 (Options.NoP2) it is refused before the
// request is even read, as a licence check would.
func (s *Server) listRoleEligibilitySchedules(c *call) response {
	if s.opts.NoP2 {
		return graphError(http.StatusBadRequest, codeNeedsP2, msgNeedsP2)
	}
	return s.listRoles(c, "roleEligibilitySchedules", "unifiedRoleEligibilitySchedule", s.roleEligibilitiesList, func(r *roleRecord) map[string]any {
		created := r.created.Format("2006-01-02T15:04:05.9999999Z")
		return map[string]any{
			"id":               r.ID,
			"roleDefinitionId": r.RoleDefinitionID,
			"principalId":      r.PrincipalID,
			"directoryScopeId": r.DirectoryScopeID,
			"appScopeId":       nil,
			"memberType":       "Direct",
			"status":           "Provisioned",
			"createdUsing":     r.ID,
			"createdDateTime":  created,
			"modifiedDateTime": nil,
			"scheduleInfo": map[string]any{
				"startDateTime": created,
				"recurrence":    nil,
				"expiration":    map[string]any{"type": "noExpiration", "endDateTime": nil, "duration": nil},
			},
		}
	})
}

// The lists are read under s.mu, through these so listRoles can take either.
func (s *Server) roleAssignmentsList() []*roleRecord   { return s.roleAssignments }
func (s *Server) roleEligibilitiesList() []*roleRecord { return s.roleEligibilities }

// listRoles pages through one of the role lists. They only grow at the end,
// so a position is a stable skiptoken.
func (s *Server) listRoles(c *call, set, entity string, list func() []*roleRecord, render func(*roleRecord) map[string]any) response {
	principal, resp, ok := expandsPrincipal(c, entity)
	if !ok {
		return resp
	}
	odataContext := metadataBase + "#roleManagement/directory/" + set
	if principal {
		odataContext += "(principal())"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	records := list()
	return s.offsetPage(c, set, len(records), s.opts.PageSize, map[string]any{"@odata.context": odataContext}, func(i int) map[string]any {
		m := render(records[i])
		if principal {
			m["principal"] = s.principalJSON(records[i].PrincipalID)
		}
		return m
	})
}
