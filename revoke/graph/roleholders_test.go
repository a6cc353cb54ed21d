package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

const (
	globalAdmin   = "62e90394-69f5-4237-9190-012177145e10"
	userAdmin     = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	securityAdmin = "194ae4cb-b126-40b2-bd5b-6091b380977d"
)

// roleFake is a tenant where alice is a Global Administrator; bob a User
// Administrator in one administrative unit and eligible for Global
// Administrator; the group "secops" (carol, and through the nested group
// "tier1" dave, and through "tier2" inside that erin) holds Security
// Administrator; a backup application's service principal is a Global
// Administrator; eve is eligible for User Administrator, and so is the
// group "oncall" (frank). zed holds nothing.
func roleFake(t *testing.T, opts fakegraph.Options) (*fakegraph.Server, *Client) {
	t.Helper()
	opts.Token = testToken
	g := fakegraph.New(opts)
	t.Cleanup(g.Close)
	for _, name := range []string{"alice", "bob", "carol", "dave", "erin", "eve", "frank", "zed"} {
		g.AddUser(fakegraph.User{ID: name + "-id", UserPrincipalName: name + "@contoso.com", DisplayName: strings.ToUpper(name[:1]) + name[1:]})
	}
	g.AddGroups(fakegraph.Group{ID: "secops-id", DisplayName: "SecOps"}, fakegraph.Group{ID: "tier1-id"},
		fakegraph.Group{ID: "tier2-id"}, fakegraph.Group{ID: "oncall-id", DisplayName: "On call"})
	g.AddGroupMembers("tier2-id", "erin-id")
	g.AddGroupMembers("tier1-id", "dave-id", "tier2-id")
	g.AddGroupMembers("secops-id", "carol-id", "tier1-id")
	g.AddGroupMembers("oncall-id", "frank-id")
	g.AddServicePrincipals(fakegraph.ServicePrincipal{ID: "backup-sp", DisplayName: "Backup", AppID: "backup-app"})
	g.AddRoleAssignments(
		fakegraph.RoleAssignment{RoleDefinitionID: globalAdmin, PrincipalID: "alice-id"},
		fakegraph.RoleAssignment{RoleDefinitionID: globalAdmin, PrincipalID: "backup-sp"},
		fakegraph.RoleAssignment{RoleDefinitionID: userAdmin, PrincipalID: "bob-id", DirectoryScopeID: "/administrativeUnits/emea"},
		fakegraph.RoleAssignment{RoleDefinitionID: securityAdmin, PrincipalID: "secops-id"},
	)
	g.AddRoleEligibilities(
		fakegraph.RoleAssignment{RoleDefinitionID: globalAdmin, PrincipalID: "bob-id"},
		fakegraph.RoleAssignment{RoleDefinitionID: userAdmin, PrincipalID: "eve-id"},
		fakegraph.RoleAssignment{RoleDefinitionID: userAdmin, PrincipalID: "oncall-id"},
	)
	c, err := New(Config{BaseURL: g.URL(), Token: testToken, Retry: fastRetry(2)})
	if err != nil {
		t.Fatal(err)
	}
	return g, c
}

func holder(name string, roles ...revoke.RoleHold) revoke.RoleHolder {
	return revoke.RoleHolder{ID: name + "-id", UPN: name + "@contoso.com", DisplayName: strings.ToUpper(name[:1]) + name[1:], Roles: roles}
}

var (
	secops = revoke.RoleHold{RoleID: securityAdmin, Scope: "/", GroupID: "secops-id", Group: "SecOps"}
	oncall = revoke.RoleHold{RoleID: userAdmin, Scope: "/", Eligible: true, GroupID: "oncall-id", Group: "On call"}
)

// wholeList is what roleFake holds, in the order RoleHolders finds it.
var wholeList = []revoke.RoleHolder{
	holder("alice", revoke.RoleHold{RoleID: globalAdmin, Scope: "/"}),
	// Two roles, one of them only eligible: listed once.
	holder("bob", revoke.RoleHold{RoleID: userAdmin, Scope: "/administrativeUnits/emea"},
		revoke.RoleHold{RoleID: globalAdmin, Scope: "/", Eligible: true}),
	holder("eve", revoke.RoleHold{RoleID: userAdmin, Scope: "/", Eligible: true}),
	holder("carol", secops),
	holder("dave", secops),
	holder("erin", secops), // two groups deep
	holder("frank", oncall),
}

func TestRoleHolders(t *testing.T) {
	g, c := roleFake(t, fakegraph.Options{})
	got, err := c.RoleHolders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := revoke.RoleHolders{Users: wholeList, ServicePrincipals: 1}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if got.Users[1].Eligible() || !got.Users[2].Eligible() {
		t.Error("Eligible: bob holds a role now, eve does not")
	}
	var paths []string
	for _, r := range g.Requests() {
		paths = append(paths, r.Path)
		if r.Status != 200 {
			t.Errorf("%s %v answered %d", r.Path, r.Query, r.Status)
		}
		if strings.HasPrefix(r.Path, "/v1.0/roleManagement/") && (r.Query.Get("$expand") != "principal" || len(r.Query) != 1) {
			t.Errorf("%s: query %v", r.Path, r.Query)
		}
		if strings.HasPrefix(r.Path, "/v1.0/groups/") && (r.Header.Get("ConsistencyLevel") != "eventual" ||
			r.Query.Get("$count") != "true" || r.Query.Get("$select") != "id,userPrincipalName,displayName" || r.Query.Get("$top") != "999") {
			t.Errorf("%s: query %v, ConsistencyLevel %q", r.Path, r.Query, r.Header.Get("ConsistencyLevel"))
		}
	}
	// Each group holding a role is read once; nested ones are not read
	// at all: transitiveMembers flattens them.
	wantPaths := []string{"/v1.0/roleManagement/directory/roleAssignments", "/v1.0/roleManagement/directory/roleEligibilitySchedules",
		"/v1.0/groups/secops-id/transitiveMembers/microsoft.graph.user", "/v1.0/groups/oncall-id/transitiveMembers/microsoft.graph.user"}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Errorf("requested %v", paths)
	}
}

// TestRoleHoldersPaging: one user or group a page, every listing.
func TestRoleHoldersPaging(t *testing.T) {
	g, c := roleFake(t, fakegraph.Options{PageSize: 1})
	got, err := c.RoleHolders(context.Background())
	if err != nil || !reflect.DeepEqual(got.Users, wholeList) || got.ServicePrincipals != 1 {
		t.Fatalf("%+v %v", got, err)
	}
	pages := map[string]int{}
	for _, r := range g.Requests() {
		pages[r.Path]++
		if r.Status != 200 || (strings.HasPrefix(r.Path, "/v1.0/groups/") && r.Header.Get("ConsistencyLevel") != "eventual") {
			t.Errorf("%s %v answered %d, ConsistencyLevel %q", r.Path, r.Query, r.Status, r.Header.Get("ConsistencyLevel"))
		}
	}
	want := map[string]int{"/v1.0/roleManagement/directory/roleAssignments": 4, "/v1.0/roleManagement/directory/roleEligibilitySchedules": 3,
		"/v1.0/groups/secops-id/transitiveMembers/microsoft.graph.user": 3, "/v1.0/groups/oncall-id/transitiveMembers/microsoft.graph.user": 1}
	if !reflect.DeepEqual(pages, want) {
		t.Errorf("pages %v", pages)
	}
}

func TestRoleHoldersWithoutRoleManagementRead(t *testing.T) {
	g, c := roleFake(t, fakegraph.Options{})
	g.Inject(fakegraph.Fault{PathSuffix: "/roleAssignments", Status: 403})
	_, err := c.RoleHolders(context.Background())
	e := wantError(t, err, revoke.KindForbidden, "list role holders", "RoleManagement.Read.Directory")
	if e.Attempts != 1 || len(g.Requests()) != 1 {
		t.Errorf("%d attempts, %d requests", e.Attempts, len(g.Requests()))
	}
}

// TestRoleHoldersPartial: refusals that only leave some holders out become
// notes; the rest is listed.
func TestRoleHoldersPartial(t *testing.T) {
	direct := wholeList[:1:1]
	bobNow := holder("bob", wholeList[1].Roles[0])
	groups := []revoke.RoleHolder{holder("carol", secops), holder("dave", secops), holder("erin", secops)}
	tests := []struct {
		name  string
		opts  fakegraph.Options
		fault fakegraph.Fault
		users []revoke.RoleHolder
		note  revoke.RoleNote
		text  string
	}{
		{"tenant without P2", fakegraph.Options{NoP2: true}, fakegraph.Fault{},
			append(append(direct, bobNow), groups...),
			revoke.RoleNote{Gap: revoke.GapEligible, Err: &revoke.Error{Kind: revoke.KindUnlicensed, Op: "list eligible role holders",
				Permission: "RoleEligibilitySchedule.Read.Directory", Status: 400, Code: "AadPremiumLicenseRequired"}},
			"PIM-eligible role holders are not listed: the tenant has no Microsoft Entra ID P2 licence"},
		{"no RoleEligibilitySchedule.Read.Directory", fakegraph.Options{}, fakegraph.Fault{PathSuffix: "/roleEligibilitySchedules", Status: 403},
			append(append(direct, bobNow), groups...),
			revoke.RoleNote{Gap: revoke.GapEligible, Err: &revoke.Error{Kind: revoke.KindForbidden, Op: "list eligible role holders",
				Permission: "RoleEligibilitySchedule.Read.Directory", Status: 403, Code: "Authorization_RequestDenied"}},
			"PIM-eligible role holders are not listed: the app lacks RoleEligibilitySchedule.Read.Directory"},
		{"no GroupMember.Read.All", fakegraph.Options{}, fakegraph.Fault{PathSuffix: "/microsoft.graph.user", Status: 403},
			wholeList[:3],
			revoke.RoleNote{Gap: revoke.GapGroupMembers, Err: &revoke.Error{Kind: revoke.KindForbidden, Op: "list a role group's members",
				Permission: "GroupMember.Read.All", Status: 403, Code: "Authorization_RequestDenied"}},
			"members of groups holding roles are not listed: the app lacks GroupMember.Read.All"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, c := roleFake(t, tt.opts)
			if tt.fault.Status != 0 {
				g.Inject(tt.fault)
			}
			got, err := c.RoleHolders(context.Background())
			if err != nil || !reflect.DeepEqual(got.Users, tt.users) || len(got.Notes) != 1 {
				t.Fatalf("%+v %v", got, err)
			}
			n := got.Notes[0]
			if n.Gap != tt.note.Gap || n.Err.Kind != tt.note.Err.Kind || n.Err.Op != tt.note.Err.Op || n.Err.Permission != tt.note.Err.Permission ||
				n.Err.Status != tt.note.Err.Status || n.Err.Code != tt.note.Err.Code || n.String() != tt.text {
				t.Errorf("note %+v %q", n.Err, n)
			}
			groupReads := 0
			for _, r := range g.Requests() {
				if strings.HasPrefix(r.Path, "/v1.0/groups/") {
					groupReads++
				}
			}
			// Once a group's members are refused, the next group is not asked.
			if want := map[revoke.RoleGap]int{revoke.GapEligible: 1, revoke.GapGroupMembers: 1}[n.Gap]; groupReads != want {
				t.Errorf("%d reads of group members", groupReads)
			}
		})
	}
}

func TestRoleHoldersRetriesAndFailures(t *testing.T) {
	ctx := context.Background()
	g, c := roleFake(t, fakegraph.Options{})
	// Throttled once on the first page and once on a group: retried.
	g.Inject(fakegraph.Fault{PathSuffix: "/roleAssignments", Status: 429, RetryAfter: "0", Times: 1})
	g.Inject(fakegraph.Fault{PathSuffix: "/microsoft.graph.user", Status: 503, Times: 1})
	if got, err := c.RoleHolders(ctx); err != nil || !reflect.DeepEqual(got.Users, wholeList) {
		t.Fatalf("after retries: %+v %v", got, err)
	}
	// A group deleted between the role listing and the read holds nothing.
	g.Inject(fakegraph.Fault{PathSuffix: "/groups/oncall-id/transitiveMembers/microsoft.graph.user", Status: 404, Times: 1})
	if got, err := c.RoleHolders(ctx); err != nil || len(got.Notes) != 0 || !reflect.DeepEqual(got.Users, wholeList[:6]) {
		t.Fatalf("deleted group: %+v %v", got, err)
	}
	// Eligibility that stays unavailable is not a missing licence: an
	// error, not a shorter list.
	g.Inject(fakegraph.Fault{PathSuffix: "/roleEligibilitySchedules", Status: 503})
	_, err := c.RoleHolders(ctx)
	if e := wantError(t, err, revoke.KindUnavailable, "list eligible role holders", "RoleEligibilitySchedule.Read.Directory"); e.Attempts != 2 {
		t.Errorf("%d attempts", e.Attempts)
	}
	g.ClearFaults()
	g.Inject(fakegraph.Fault{PathSuffix: "/secops-id/transitiveMembers/microsoft.graph.user", Status: 400})
	_, err = c.RoleHolders(ctx)
	wantError(t, err, revoke.KindBadRequest, "list a role group's members", "GroupMember.Read.All")
}

// TestRoleHoldersFollowsOnlyThisGraph: a next link in another case is this
// Graph's; one leaving it ends the listing with an error, not a request
// elsewhere.
func TestRoleHoldersFollowsOnlyThisGraph(t *testing.T) {
	var paths []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		next := srv.URL + "/v1.0/rolemanagement/directory/roleassignments?$skiptoken=p2"
		if len(paths) > 1 {
			next = "https://elsewhere.example/v1.0/roleManagement/directory/roleAssignments?$skiptoken=p3"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"value": []any{map[string]any{"id": fmt.Sprint(len(paths)), "roleDefinitionId": globalAdmin, "principalId": "u",
				"principal": map[string]any{"@odata.type": "#microsoft.graph.user", "id": "u"}}},
			"@odata.nextLink": next,
		})
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL + "/v1.0", Token: testToken, Retry: fastRetry(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RoleHolders(context.Background())
	wantError(t, err, revoke.KindOther, "list role holders", "RoleManagement.Read.Directory")
	if !reflect.DeepEqual(paths, []string{"/v1.0/roleManagement/directory/roleAssignments", "/v1.0/rolemanagement/directory/roleassignments"}) {
		t.Errorf("requested %v", paths)
	}
}
