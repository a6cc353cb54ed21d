package fakegraph

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	aliceGUID = "aaaaaaaa-0000-4000-8000-000000000001"
	bobGUID   = "bbbbbbbb-0000-4000-8000-000000000002"
)

// auditFixture: alice is the target of four events a minute apart from
// t0-1m (a0…a3), bob of one at t0+30s (b0), which an app did.
func auditFixture(t *testing.T, opts Options) *Server {
	t.Helper()
	s := newTestServer(t, opts)
	admin := &AuditUser{ID: "ad", UserPrincipalName: "admin@contoso.com", IPAddress: "203.0.113.7"}
	alice := AuditTarget{ID: aliceGUID, Type: "User", UserPrincipalName: "alice@contoso.com"}
	for i, act := range []string{"Update user", "User registered security info", "Reset user password", "Consent to application"} {
		s.AddDirectoryAudits(DirectoryAudit{ID: "a" + string(rune('0'+i)), Category: "UserManagement",
			ActivityDisplayName: act, ActivityDateTime: t0.Add(time.Duration(i-1) * time.Minute),
			InitiatedBy: AuditInitiator{User: admin}, TargetResources: []AuditTarget{alice}})
	}
	s.AddDirectoryAudits(DirectoryAudit{ID: "b0", Category: "RoleManagement", ActivityDisplayName: "Add member to role",
		ActivityDateTime: t0.Add(30 * time.Second), LoggedByService: "Core Directory",
		InitiatedBy:     AuditInitiator{App: &AuditApp{AppID: "app-1", DisplayName: "Evil App"}},
		TargetResources: []AuditTarget{{ID: "role-1", Type: "Role", DisplayName: "Global Administrator"}, {ID: bobGUID, Type: "User"}}})
	return s
}

func TestDirectoryAuditsFilter(t *testing.T) {
	t.Parallel()
	s := auditFixture(t, Options{})
	tests := []struct {
		filter string
		want   []string
	}{
		{"", []string{"a3", "a2", "b0", "a1", "a0"}},
		{"targetResources/any(t: t/id eq '" + aliceGUID + "')", []string{"a3", "a2", "a1", "a0"}},
		{"targetResources/any(t:t/id eq '" + strings.ToUpper(aliceGUID) + "') and activityDateTime ge 2026-11-28T10:00:00Z", []string{"a3", "a2", "a1"}},
		{"activityDateTime ge 2026-11-28T10:00:00Z AND activityDateTime le 2026-11-28T10:01:00.0000000Z and targetResources/any(x:x/id eq '" + aliceGUID + "')", []string{"a2", "a1"}},
		{"activityDateTime eq 2026-11-28T10:00:30Z", []string{"b0"}},
		{"targetResources/any(t: t/displayName eq 'global administrator')", []string{"b0"}},
		{"targetResources/any(t: startswith(t/displayName, 'Global'))", []string{"b0"}},
		{"category eq 'RoleManagement'", []string{"b0"}},
		{"activityDisplayName eq 'Reset user password'", []string{"a2"}},
		{"startswith(activityDisplayName, 'User registered')", []string{"a1"}},
		{"initiatedBy/user/id eq 'ad' and activityDisplayName eq 'Update user'", []string{"a0"}},
		{"startswith(initiatedBy/user/userPrincipalName,'admin@')", []string{"a3", "a2", "a1", "a0"}},
		{"initiatedBy/app/appId eq 'app-1' and initiatedBy/app/displayName eq 'Evil App'", []string{"b0"}},
		{"loggedByService eq 'Core Directory' and id eq 'b0'", []string{"b0"}},
		// A quote in the value stays inside the literal.
		{"targetResources/any(t: t/id eq 'x'') or true or (''')", nil},
	}
	for _, tt := range tests {
		q := url.Values{}
		if tt.filter != "" {
			q.Set("$filter", tt.filter)
		}
		r := get(t, s, "/auditLogs/directoryAudits", q)
		if r.status != 200 || !slices.Equal(ids(t, r), tt.want) {
			t.Errorf("%q: %d %v, want %v", tt.filter, r.status, r.body, tt.want)
		}
	}
}

func TestDirectoryAuditJSON(t *testing.T) {
	t.Parallel()
	s := auditFixture(t, Options{})
	s.AddDirectoryAudits(DirectoryAudit{ID: "c0", Category: "UserManagement", CorrelationID: "corr", Result: "failure",
		ResultReason: "nope", ActivityDisplayName: "Change user password", ActivityDateTime: t0.Add(1234567 * time.Microsecond),
		LoggedByService: "Core Directory", OperationType: "Update",
		TargetResources: []AuditTarget{{ID: "u", Type: "User", ModifiedProperties: []ModifiedProperty{{DisplayName: "x", NewValue: `["y"]`}}}}})
	r := get(t, s, "/auditLogs/directoryAudits", url.Values{"$filter": {"id eq 'c0'"}})
	want := `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits","value":[` +
		`{"activityDateTime":"2026-11-28T10:00:01.234567Z","activityDisplayName":"Change user password","additionalDetails":[],` +
		`"category":"UserManagement","correlationId":"corr","id":"c0","initiatedBy":{"app":null,"user":null},` +
		`"loggedByService":"Core Directory","operationType":"Update","result":"failure","resultReason":"nope",` +
		`"targetResources":[{"displayName":null,"groupType":null,"id":"u","modifiedProperties":[{"displayName":"x","newValue":"[\"y\"]","oldValue":null}],"type":"User","userPrincipalName":null}]}]}`
	if got, _ := json.Marshal(r.body); string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	r = get(t, s, "/auditLogs/directoryAudits", url.Values{"$filter": {"id eq 'b0'"}})
	who := r.body["value"].([]any)[0].(map[string]any)["initiatedBy"]
	if got, _ := json.Marshal(who); string(got) != `{"app":{"appId":"app-1","displayName":"Evil App","servicePrincipalId":null,"servicePrincipalName":null},"user":null}` {
		t.Errorf("app initiator: %s", got)
	}
}

func TestDirectoryAuditsPaging(t *testing.T) {
	t.Parallel()
	s := auditFixture(t, Options{PageSize: 2})
	page := func(q url.Values) []string {
		var got []string
		next := "/auditLogs/directoryAudits?" + q.Encode()
		for pages := 0; next != ""; pages++ {
			if pages == 5 {
				t.Fatal("paging does not end")
			}
			r := do(t, s, "GET", next, nil, nil)
			if r.status != 200 {
				t.Fatalf("page %d: %d %v", pages, r.status, r.body)
			}
			got = append(got, ids(t, r)...)
			next, _ = r.body["@odata.nextLink"].(string)
			if next != "" && !strings.HasPrefix(next, s.URL()+"/auditLogs/directoryAudits?") {
				t.Fatalf("nextLink %q", next)
			}
			if pages == 0 {
				// Logged between pages: newer than any served, so absent
				// from later pages of the newest-first order.
				s.AddDirectoryAudits(DirectoryAudit{ID: "late", ActivityDateTime: t0.Add(time.Hour),
					TargetResources: []AuditTarget{{ID: aliceGUID}}})
			}
		}
		return got
	}
	filter := "targetResources/any(t:t/id eq '" + aliceGUID + "')"
	if got := page(url.Values{"$filter": {filter}}); !slices.Equal(got, []string{"a3", "a2", "a1", "a0"}) {
		t.Errorf("newest first: %v", got)
	}
	// Oldest first takes in what was logged since, at the end.
	if got := page(url.Values{"$filter": {filter}, "$orderby": {"activityDateTime asc"}}); !slices.Equal(got, []string{"a0", "a1", "a2", "a3", "late", "late"}) {
		t.Errorf("oldest first: %v", got)
	}
	r := get(t, s, "/auditLogs/directoryAudits", url.Values{"$top": {"1"}, "$orderby": {"activityDateTime desc"}})
	if !slices.Equal(ids(t, r), []string{"late"}) || r.body["@odata.nextLink"] == nil {
		t.Errorf("$top=1: %v", r.body)
	}
}

func TestDirectoryAuditsRefused(t *testing.T) {
	t.Parallel()
	s := auditFixture(t, Options{})
	tests := []struct {
		query url.Values
		msg   string
	}{
		{url.Values{"$filter": {"activityDateTime gt 2026-11-28T10:00:00Z"}}, "Invalid filter clause: 'activityDateTime gt' is not supported for directoryAudits; use ge or le."},
		{url.Values{"$filter": {"activityDateTime lt 2026-11-28T10:00:00Z"}}, ""},
		{url.Values{"$filter": {"activityDateTime ge '2026-11-28T10:00:00Z'"}}, "Invalid filter clause: A binary operator with incompatible types was detected. Found operand types 'Edm.DateTimeOffset' and 'Edm.String' for operator kind 'GreaterThanOrEqual'."},
		{url.Values{"$filter": {"createdDateTime ge 2026-11-28T10:00:00Z"}}, "Could not find a property named 'createdDateTime' on type 'microsoft.graph.directoryAudit'."},
		{url.Values{"$filter": {"result eq 'success'"}}, ""},
		{url.Values{"$filter": {"targetResources/any(t: t/id ne 'x')"}}, ""},
		{url.Values{"$filter": {"targetResources/any(t: t/type eq 'User')"}}, ""},
		{url.Values{"$filter": {"targetResources/any(t: s/id eq 'x')"}}, ""},
		{url.Values{"$filter": {"targetResources/any(t: t/id eq 'x'"}}, ""},
		{url.Values{"$filter": {"targetResources/any(t/id eq 'x')"}}, ""},
		{url.Values{"$filter": {"category eq 'A' or category eq 'B'"}}, ""},
		{url.Values{"$filter": {"category ne 'A'"}}, ""},
		{url.Values{"$filter": {"startswith(category, 'Role')"}}, ""},
		{url.Values{"$filter": {"initiatedBy/user/id eq 1"}}, ""},
		{url.Values{"$filter": {"activityDisplayName eq"}}, ""},
		{url.Values{"$orderby": {"activityDisplayName"}}, ""},
		{url.Values{"$orderby": {"activityDateTime sideways"}}, ""},
		{url.Values{"$select": {"id"}}, "Query option '$select' is not allowed here (fakegraph does not implement it for this request)."},
		{url.Values{"$top": {"0"}}, ""},
		{url.Values{"$top": {"1000"}}, "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."},
		{url.Values{"$skiptoken": {"bm9wZQ"}}, "Invalid skip token 'bm9wZQ'."},
	}
	for _, tt := range tests {
		r := get(t, s, "/auditLogs/directoryAudits", tt.query)
		if r.status != 400 || r.errorCode() != "BadRequest" || (tt.msg != "" && r.errorMessage() != tt.msg) {
			t.Errorf("%v: %d %v", tt.query, r.status, r.body)
		}
	}
	if r := do(t, s, "POST", "/auditLogs/directoryAudits", nil, []byte(`{}`)); r.status != 405 {
		t.Errorf("POST: %d", r.status)
	}
}
