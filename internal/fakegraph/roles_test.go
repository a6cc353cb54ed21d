package fakegraph

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	globalAdmin = "62e90394-69f5-4237-9190-012177145e10"
	userAdmin   = "fe930be7-5e62-47db-91af-98c3a49a38b1"
)

const assignmentsPath = "/roleManagement/directory/roleAssignments"
const eligibilityPath = "/roleManagement/directory/roleEligibilitySchedules"

var expandPrincipal = url.Values{"$expand": {"principal"}}

// roleFixture: user 1 is a Global Administrator, group g (holding users 2
// and 4) a User Administrator, and an application's service principal a
// Global Administrator too; user 2 is eligible for Global Administrator.
func roleFixture(t *testing.T, opts Options) *Server {
	t.Helper()
	s := newTestServer(t, opts)
	s.AddGroups(Group{ID: "g", DisplayName: "Helpdesk admins"})
	s.AddGroupMembers("g", "2", "4")
	s.AddServicePrincipals(ServicePrincipal{ID: "sp", DisplayName: "Backup app", AppID: "app-1"})
	s.AddRoleAssignments(
		RoleAssignment{ID: "a1", RoleDefinitionID: globalAdmin, PrincipalID: "1"},
		RoleAssignment{ID: "a2", RoleDefinitionID: userAdmin, PrincipalID: "G", DirectoryScopeID: "/administrativeUnits/au"},
		RoleAssignment{ID: "a3", RoleDefinitionID: globalAdmin, PrincipalID: "sp"},
	)
	s.AddRoleEligibilities(RoleAssignment{ID: "e1", RoleDefinitionID: globalAdmin, PrincipalID: "2"})
	return s
}

func TestRoleAssignments(t *testing.T) {
	s := roleFixture(t, Options{})
	r := get(t, s, assignmentsPath, expandPrincipal)
	if r.status != 200 || r.body["@odata.nextLink"] != nil {
		t.Fatalf("%d %v", r.status, r.body)
	}
	want := `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleAssignments(principal())","value":[` +
		`{"appScopeId":null,"condition":null,"directoryScopeId":"/","id":"a1","principal":{"@odata.type":"#microsoft.graph.user",` +
		`"businessPhones":[],"displayName":"Alice Smith","givenName":null,"id":"1","jobTitle":"Engineer","mail":"alice@contoso.com",` +
		`"mobilePhone":null,"officeLocation":null,"preferredLanguage":null,"surname":null,"userPrincipalName":"alice@contoso.com"},` +
		`"principalId":"1","roleDefinitionId":"` + globalAdmin + `"},` +
		`{"appScopeId":null,"condition":null,"directoryScopeId":"/administrativeUnits/au","id":"a2","principal":{"@odata.type":"#microsoft.graph.group",` +
		`"displayName":"Helpdesk admins","groupTypes":[],"id":"g","mailEnabled":false,"securityEnabled":true},` +
		`"principalId":"G","roleDefinitionId":"` + userAdmin + `"},` +
		`{"appScopeId":null,"condition":null,"directoryScopeId":"/","id":"a3","principal":{"@odata.type":"#microsoft.graph.servicePrincipal",` +
		`"appId":"app-1","displayName":"Backup app","id":"sp","servicePrincipalType":"Application"},` +
		`"principalId":"sp","roleDefinitionId":"` + globalAdmin + `"}]}`
	if got, _ := json.Marshal(r.body); string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Without $expand there is no principal; the option's case does not matter.
	for _, q := range []url.Values{nil, {"$EXPAND": {"Principal"}}} {
		r = get(t, s, assignmentsPath, q)
		first := r.body["value"].([]any)[0].(map[string]any)
		if _, has := first["principal"]; has != (q != nil) || r.status != 200 {
			t.Errorf("%v: %v", q, first)
		}
	}
}

func TestRoleAssignmentsPaging(t *testing.T) {
	s := roleFixture(t, Options{PageSize: 2})
	s.AddRoleAssignments(RoleAssignment{ID: "a4", RoleDefinitionID: userAdmin, PrincipalID: "3"},
		RoleAssignment{ID: "a5", RoleDefinitionID: userAdmin, PrincipalID: "4"})
	var got []string
	next := assignmentsPath + "?" + expandPrincipal.Encode()
	for pages := 0; next != ""; pages++ {
		if pages == 4 {
			t.Fatal("paging does not end")
		}
		r := do(t, s, http.MethodGet, next, nil, nil)
		if r.status != 200 {
			t.Fatalf("page %d: %d %v", pages, r.status, r.body)
		}
		for _, v := range r.body["value"].([]any) {
			a := v.(map[string]any)
			if a["principal"] == nil {
				t.Errorf("page %d lost $expand: %v", pages, a)
			}
			got = append(got, a["id"].(string))
		}
		next, _ = r.body["@odata.nextLink"].(string)
		if next != "" && (!strings.HasPrefix(next, s.URL()+assignmentsPath+"?") || !strings.Contains(next, "$expand=principal")) {
			t.Fatalf("nextLink %q", next)
		}
		if pages == 0 {
			// An assignment made between pages comes at the end, once.
			s.AddRoleAssignments(RoleAssignment{ID: "late", RoleDefinitionID: userAdmin, PrincipalID: "1"})
		}
	}
	if want := []string{"a1", "a2", "a3", "a4", "a5", "late"}; !slices.Equal(got, want) {
		t.Errorf("pages gave %v, want %v", got, want)
	}
}

func TestRoleListsRefused(t *testing.T) {
	s := roleFixture(t, Options{})
	members := get(t, s, "/groups/g/transitiveMembers/microsoft.graph.user", url.Values{"$top": {"1"}})
	foreign, _ := url.Parse(members.body["@odata.nextLink"].(string))
	tests := []struct {
		path  string
		query url.Values
		msg   string
	}{
		{assignmentsPath, url.Values{"$expand": {"roleDefinition"}}, "Expanding 'roleDefinition' is not implemented by fakegraph."},
		{assignmentsPath, url.Values{"$expand": {"principal($select=id)"}}, "Expanding 'principal($select=id)' is not implemented by fakegraph."},
		{assignmentsPath, url.Values{"$expand": {"principal,manager"}}, "Could not find a property named 'manager' on type 'microsoft.graph.unifiedRoleAssignment'."},
		{eligibilityPath, url.Values{"$expand": {"owner"}}, "Could not find a property named 'owner' on type 'microsoft.graph.unifiedRoleEligibilitySchedule'."},
		{assignmentsPath, url.Values{"$filter": {"principalId eq '1'"}}, "Query option '$filter' is not allowed here (fakegraph does not implement it for this request)."},
		{assignmentsPath, url.Values{"$top": {"1"}}, ""},
		{assignmentsPath, url.Values{"$skiptoken": {"bogus"}}, "Invalid skip token 'bogus'."},
		// A token of another listing is not one of this.
		{eligibilityPath, url.Values{"$skiptoken": foreign.Query()["$skiptoken"]}, ""},
	}
	for _, tt := range tests {
		r := get(t, s, tt.path, tt.query)
		if r.status != 400 || r.errorCode() != "BadRequest" || (tt.msg != "" && r.errorMessage() != tt.msg) {
			t.Errorf("%s %v: %d %v", tt.path, tt.query, r.status, r.body)
		}
	}
	if r := do(t, s, http.MethodDelete, assignmentsPath, nil, nil); r.status != 405 {
		t.Errorf("DELETE: %d", r.status)
	}
	// An app without RoleManagement.Read.Directory: the fake models no
	// permissions, a test denies the path.
	s.Inject(Fault{PathSuffix: "/roleAssignments", Status: 403, Times: 1})
	if r := get(t, s, assignmentsPath, expandPrincipal); r.status != 403 || r.errorCode() != "Authorization_RequestDenied" {
		t.Errorf("denied: %d %v", r.status, r.body)
	}
}

func TestRoleEligibilitySchedules(t *testing.T) {
	clock := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	s := roleFixture(t, Options{Now: func() time.Time { return clock }, PageSize: 1})
	s.AddRoleEligibilities(RoleAssignment{ID: "e2", RoleDefinitionID: userAdmin, PrincipalID: "g"})
	r := get(t, s, eligibilityPath, expandPrincipal)
	next, _ := r.body["@odata.nextLink"].(string)
	if want := s.URL() + eligibilityPath + "?$expand=principal&$skiptoken=" + encodeOffset("roleEligibilitySchedules", 1); next != want {
		t.Errorf("nextLink %q, want %q", next, want)
	}
	delete(r.body, "@odata.nextLink")
	want := `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleEligibilitySchedules(principal())",` +
		`"value":[{"appScopeId":null,"createdDateTime":"2026-11-28T03:04:05Z","createdUsing":"e1","directoryScopeId":"/","id":"e1",` +
		`"memberType":"Direct","modifiedDateTime":null,"principal":{"@odata.type":"#microsoft.graph.user","businessPhones":[],` +
		`"displayName":"Bob O'Brien","givenName":null,"id":"2","jobTitle":null,"mail":"o'brien@contoso.com","mobilePhone":null,` +
		`"officeLocation":null,"preferredLanguage":null,"surname":null,"userPrincipalName":"obrien@contoso.com"},"principalId":"2",` +
		`"roleDefinitionId":"` + globalAdmin + `","scheduleInfo":{"expiration":{"duration":null,"endDateTime":null,"type":"noExpiration"},` +
		`"recurrence":null,"startDateTime":"2026-11-28T03:04:05Z"},"status":"Provisioned"}]}`
	if got, _ := json.Marshal(r.body); r.status != 200 || string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	r = do(t, s, http.MethodGet, next, nil, nil)
	vals := r.body["value"].([]any)
	if len(vals) != 1 || vals[0].(map[string]any)["principal"].(map[string]any)["@odata.type"] != "#microsoft.graph.group" || r.body["@odata.nextLink"] != nil {
		t.Errorf("second page: %v", r.body)
	}
}

// TestRoleEligibilityWithoutP2: PIM needs P2; active assignments do not.
func TestRoleEligibilityWithoutP2(t *testing.T) {
	s := roleFixture(t, Options{NoP2: true})
	r := get(t, s, eligibilityPath, expandPrincipal)
	if r.status != 400 || r.errorCode() != "AadPremiumLicenseRequired" || r.errorMessage() != msgNeedsP2 {
		t.Errorf("eligibility: %d %v", r.status, r.body)
	}
	if r := get(t, s, assignmentsPath, expandPrincipal); r.status != 200 || len(r.body["value"].([]any)) != 3 {
		t.Errorf("assignments: %d %v", r.status, r.body)
	}
}

func TestAddRolesNeedsAPrincipal(t *testing.T) {
	s := roleFixture(t, Options{})
	for _, add := range []func(){
		func() { s.AddRoleAssignments(RoleAssignment{RoleDefinitionID: globalAdmin, PrincipalID: "nobody"}) },
		// Roles are held by object id; a UPN names no principal.
		func() {
			s.AddRoleEligibilities(RoleAssignment{RoleDefinitionID: globalAdmin, PrincipalID: "alice@contoso.com"})
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			add()
		}()
	}
	r := get(t, s, assignmentsPath, nil)
	if n := len(r.body["value"].([]any)); n != 3 {
		t.Errorf("%d assignments after refused additions", n)
	}
}
