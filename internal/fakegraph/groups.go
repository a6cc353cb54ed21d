package fakegraph

import (
	"slices"
	"strconv"
	"strings"
)

// Group is a directory group as the fake stores it: enough to hold a
// directory role and to list its members. Entra lets only role-assignable
// groups hold roles and lets no group be nested in those; the fake checks
// neither, so a test can show a client flattening nested membership the way
// transitiveMembers does for any other group.
type Group struct {
	ID          string // object id; AddGroups generates one when empty
	DisplayName string // displayName
}

// ServicePrincipal is an application's identity in the tenant. It can hold
// directory roles; it is not a user and has no sign-in sessions.
type ServicePrincipal struct {
	ID          string // object id; AddServicePrincipals generates one when empty
	DisplayName string // displayName
	AppID       string // appId, the application (client) id
}

// groupRecord is a stored group with its direct members' lower-cased ids
// (users or groups), in the order they were added.
type groupRecord struct {
	Group
	members []string
}

// AddGroups stores each group. A group with the same ID (compared
// case-insensitively) is replaced, keeping its members.
func (s *Server) AddGroups(gs ...Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = make(map[string]*groupRecord)
	}
	for _, g := range gs {
		if g.ID == "" {
			g.ID = newGUID()
		}
		if old := s.groups[strings.ToLower(g.ID)]; old != nil {
			old.Group = g
			continue
		}
		s.groups[strings.ToLower(g.ID)] = &groupRecord{Group: g}
	}
}

// AddServicePrincipals stores each service principal; one with the same ID
// is replaced.
func (s *Server) AddServicePrincipals(sps ...ServicePrincipal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.servicePrincipals == nil {
		s.servicePrincipals = make(map[string]*ServicePrincipal)
	}
	for _, sp := range sps {
		if sp.ID == "" {
			sp.ID = newGUID()
		}
		s.servicePrincipals[strings.ToLower(sp.ID)] = &sp
	}
}

// AddGroupMembers adds direct members to the group: each id names a user
// (by object id, not UPN) or another group, which makes its members the
// group's transitive members. A member already there is not added twice.
// It panics when the group or a member does not exist, since a test that
// adds nobody proves nothing.
func (s *Server) AddGroupMembers(groupID string, memberIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[strings.ToLower(groupID)]
	if g == nil {
		panic("fakegraph: no group " + groupID)
	}
	for _, id := range memberIDs {
		key := strings.ToLower(id)
		if s.userByID(key) == nil && s.groups[key] == nil {
			panic("fakegraph: no user or group " + id + " to add to group " + groupID)
		}
		if !slices.Contains(g.members, key) {
			g.members = append(g.members, key)
		}
	}
}

// userByID finds a user by object id only, as membership and role
// assignments refer to them; s.mu must be held.
func (s *Server) userByID(id string) *User {
	if u := s.lookup(id); u != nil && strings.EqualFold(u.ID, id) {
		return u
	}
	return nil
}

// transitiveUsers returns the users among the group's members and its
// nested groups' members, each once, breadth first: the group's own members
// in the order added, then those of the groups it holds. A cycle of groups,
// which Entra refuses but a test could build, ends rather than loops.
// s.mu must be held.
func (s *Server) transitiveUsers(g *groupRecord) []*User {
	var out []*User
	seenUser := map[string]bool{}
	seenGroup := map[string]bool{strings.ToLower(g.ID): true}
	queue := []*groupRecord{g}
	for len(queue) > 0 {
		g, queue = queue[0], queue[1:]
		for _, id := range g.members {
			if u := s.userByID(id); u != nil {
				if !seenUser[id] {
					seenUser[id] = true
					out = append(out, u)
				}
				continue
			}
			if sub := s.groups[id]; sub != nil && !seenGroup[id] {
				seenGroup[id] = true
				queue = append(queue, sub)
			}
		}
	}
	return out
}

// listTransitiveUsers serves GET /groups/{id}/transitiveMembers/microsoft.graph.user
// (and the SDK's spelling, .../graph.user): the group's users, direct or
// through nested groups, paged, with $select as for GET /users. Graph's
// documentation makes query options on this path advanced queries
// (ConsistencyLevel: eventual and $count=true); whether Graph refuses them
// without is not settled, so the fake accepts either and a client should
// send them.
func (s *Server) listTransitiveUsers(c *call) response {
	top, bad, ok := s.pageTop(c, 999)
	if !ok {
		return bad
	}
	count := false
	if v := c.queryOption("$count"); len(v) > 0 {
		b, err := strconv.ParseBool(strings.TrimSpace(v[0]))
		if err != nil {
			return badRequest("Invalid value '%s' for query option '$count'.", v[0])
		}
		count = b
	}
	sel, err := parseSelect(c.queryOption("$select"))
	if err != nil {
		return badRequest("%s", err.Error())
	}
	key := c.params["id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[strings.ToLower(key)]
	if g == nil {
		return notFound(key)
	}
	users := s.transitiveUsers(g)
	body := map[string]any{"@odata.context": metadataBase + "#" + entitySet(sel)}
	if count {
		body["@odata.count"] = len(users)
	}
	return s.offsetPage(c, "members", len(users), top, body, func(i int) map[string]any {
		return userJSON(users[i], sel)
	})
}

// groupJSON and servicePrincipalJSON render a role's principal as
// $expand=principal does, with the properties the fake models and the type
// annotation a client tells the kinds apart by.
func groupJSON(g *Group) map[string]any {
	return map[string]any{
		"@odata.type":     "#microsoft.graph.group",
		"id":              g.ID,
		"displayName":     nullable(g.DisplayName),
		"securityEnabled": true,
		"mailEnabled":     false,
		"groupTypes":      []string{},
	}
}

func servicePrincipalJSON(sp *ServicePrincipal) map[string]any {
	return map[string]any{
		"@odata.type":          "#microsoft.graph.servicePrincipal",
		"id":                   sp.ID,
		"displayName":          nullable(sp.DisplayName),
		"appId":                nullable(sp.AppID),
		"servicePrincipalType": "Application",
	}
}

// nullable serves an empty string as null, as Graph serves unset properties.
func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}
