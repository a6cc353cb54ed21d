package graph

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/revokebot/revokebot/revoke"
)

// The reads RoleHolders makes and the application permission each needs.
const (
	opRoleAssignments   = "list role holders"
	opRoleEligibilities = "list eligible role holders"
	opGroupMembers      = "list a role group's members"
)

var (
	permRoleAssignments   = revoke.PermRoleAssignmentsRead.Name
	permRoleEligibilities = revoke.PermRoleEligibilitiesRead.Name
	permGroupMembers      = revoke.PermGroupMembersRead.Name
)

// RoleHoldersRoles are the application permissions RoleHolders uses: the
// first is needed, the others only complete the list (eligible holders,
// members of groups holding roles).
var RoleHoldersRoles = []string{permRoleAssignments, permRoleEligibilities, permGroupMembers}

// memberFields are all a RoleHolder shows of a group's member.
var memberFields = []string{"id", "userPrincipalName", "displayName"}

// RoleHolders lists the users holding Microsoft Entra directory roles, for
// a tenant-wide revocation to take first: users with an active assignment
// (GET /roleManagement/directory/roleAssignments?$expand=principal), users
// eligible through Privileged Identity Management (roleEligibilitySchedules),
// and the users among the transitive members of groups holding either.
// Service principals are counted, not listed. /directoryRoles?$expand=members
// is not used: Graph cuts that expansion at 20 members without a next link.
//
// An app without RoleManagement.Read.Directory gets a KindForbidden error:
// nothing can be listed then. Eligible holders need Entra ID P2 and
// RoleEligibilitySchedule.Read.Directory, group members
// GroupMember.Read.All; without them those holders are left out and a
// RoleNote says so. Any other failure is an error: a list quietly short of
// holders would be worse than none.
func (c *Client) RoleHolders(ctx context.Context) (revoke.RoleHolders, error) {
	h := newHolderSet()
	err := walk(ctx, c, roleListing(opRoleAssignments, permRoleAssignments, "roleAssignments"),
		models.CreateUnifiedRoleAssignmentCollectionResponseFromDiscriminatorValue,
		func(a models.UnifiedRoleAssignmentable) {
			h.add(a.GetPrincipal(), revoke.RoleHold{RoleID: str(a.GetRoleDefinitionId()), Scope: str(a.GetDirectoryScopeId())})
		})
	if err != nil {
		return revoke.RoleHolders{}, err
	}
	err = walk(ctx, c, roleListing(opRoleEligibilities, permRoleEligibilities, "roleEligibilitySchedules"),
		models.CreateUnifiedRoleEligibilityScheduleCollectionResponseFromDiscriminatorValue,
		func(s models.UnifiedRoleEligibilityScheduleable) {
			h.add(s.GetPrincipal(), revoke.RoleHold{RoleID: str(s.GetRoleDefinitionId()), Scope: str(s.GetDirectoryScopeId()), Eligible: true})
		})
	if err := h.noteOrFail(revoke.GapEligible, err); err != nil {
		return revoke.RoleHolders{}, err
	}
	// Groups last, so that a group both assigned and eligible is read once.
	for _, g := range h.groups {
		err := walk(ctx, c, membersListing(g.id), models.CreateUserCollectionResponseFromDiscriminatorValue,
			func(u models.Userable) {
				for _, hold := range g.holds {
					hold.GroupID, hold.Group = g.id, g.name
					h.addUser(str(u.GetId()), str(u.GetUserPrincipalName()), str(u.GetDisplayName()), hold)
				}
			})
		if revoke.KindOf(err) == revoke.KindNotFound {
			continue // deleted since the roles were read: it holds nothing now
		}
		if failed := h.noteOrFail(revoke.GapGroupMembers, err); failed != nil {
			return revoke.RoleHolders{}, failed
		}
		if err != nil {
			break // every other group would be refused alike
		}
	}
	return h.out, nil
}

// expandQuery and memberQuery are the listings' query parameters, tagged as
// the SDK's builders tag theirs.
type expandQuery struct {
	Expand []string `uriparametername:"%24expand"`
}

type memberQuery struct {
	Count  *bool    `uriparametername:"%24count"`
	Select []string `uriparametername:"%24select"`
	Top    *int32   `uriparametername:"%24top"`
}

// roleListing reads one of roleManagement/directory's collections with
// each entry's principal.
func roleListing(op, permission, set string) listing {
	return listing{
		op: op, permission: permission,
		template: "{+baseurl}/roleManagement/directory/" + set + "{?%24expand}",
		query:    expandQuery{Expand: []string{"principal"}},
		prefix:   "/roleManagement/directory/" + set + "?",
	}
}

// membersListing reads the users among a group's transitive members, 999 a
// page (Graph's largest). The documentation makes query options on this
// path advanced queries, so every page says ConsistencyLevel: eventual and
// $count=true: harmless if Graph does not insist, needed if it does.
func membersListing(groupID string) listing {
	count, top := true, int32(999)
	return listing{
		op: opGroupMembers, permission: permGroupMembers,
		template: "{+baseurl}/groups/{group%2Did}/transitiveMembers/microsoft.graph.user{?%24count,%24select,%24top}",
		params:   map[string]string{"group%2Did": groupID},
		query:    memberQuery{Count: &count, Select: memberFields, Top: &top},
		headers:  map[string]string{"ConsistencyLevel": "eventual"},
		prefix:   "/groups/",
	}
}

// holderSet gathers holders as the listings name them, each user once.
type holderSet struct {
	out    revoke.RoleHolders
	users  map[string]int // lower-cased user id -> index in out.Users
	groups []*heldGroup   // in the order first named
	byID   map[string]*heldGroup
}

// heldGroup is a group holding roles, whose members hold them through it.
type heldGroup struct {
	id, name string
	holds    []revoke.RoleHold
}

func newHolderSet() *holderSet {
	return &holderSet{users: make(map[string]int), byID: make(map[string]*heldGroup)}
}

// add records a hold by a principal as $expand=principal gave it. A
// principal Graph left out (one deleted meanwhile) cannot be told to be a
// user, and is skipped.
func (h *holderSet) add(p models.DirectoryObjectable, hold revoke.RoleHold) {
	switch p := p.(type) {
	case models.Userable:
		h.addUser(str(p.GetId()), str(p.GetUserPrincipalName()), str(p.GetDisplayName()), hold)
	case models.Groupable:
		id := str(p.GetId())
		if id == "" {
			return
		}
		g := h.byID[strings.ToLower(id)]
		if g == nil {
			g = &heldGroup{id: id, name: str(p.GetDisplayName())}
			h.byID[strings.ToLower(id)] = g
			h.groups = append(h.groups, g)
		}
		if !slices.Contains(g.holds, hold) {
			g.holds = append(g.holds, hold)
		}
	case models.ServicePrincipalable:
		h.out.ServicePrincipals++
	}
}

func (h *holderSet) addUser(id, upn, name string, hold revoke.RoleHold) {
	if id == "" {
		return
	}
	key := strings.ToLower(id)
	i, ok := h.users[key]
	if !ok {
		i = len(h.out.Users)
		h.users[key] = i
		h.out.Users = append(h.out.Users, revoke.RoleHolder{ID: id, UPN: upn, DisplayName: name})
	}
	u := &h.out.Users[i]
	if !slices.Contains(u.Roles, hold) {
		u.Roles = append(u.Roles, hold)
	}
}

// noteOrFail turns a refusal that only leaves some holders out (no licence,
// no permission) into a note, and returns any other failure.
func (h *holderSet) noteOrFail(gap revoke.RoleGap, err error) error {
	if err == nil {
		return nil
	}
	var e *revoke.Error
	if k := revoke.KindOf(err); (k == revoke.KindUnlicensed || k == revoke.KindForbidden) && errors.As(err, &e) {
		h.out.Notes = append(h.out.Notes, revoke.RoleNote{Gap: gap, Err: e})
		return nil
	}
	return err
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
