package fakegraph

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func patch(t *testing.T, s *Server, key, body string) result {
	t.Helper()
	return do(t, s, http.MethodPatch, "/users/"+key, http.Header{"Content-Type": {"application/json"}}, []byte(body))
}

func TestPatchUser(t *testing.T) {
	tests := []struct {
		name         string
		before       string // a body PATCHed to user 1 first, if any
		key, body    string
		status       int
		code, msg    string
		enabledAfter bool // user 1's accountEnabled at the end (it starts true)
	}{
		{"disable", "", "1", `{"accountEnabled":false}`, 204, "", "", false},
		{"by UPN, as the SDK annotates it", "", "alice%40contoso.com", `{"@odata.type":"#microsoft.graph.user","accountEnabled":false}`, 204, "", "", false},
		{"enable again", `{"accountEnabled":false}`, "1", `{"accountEnabled":true}`, 204, "", "", true},
		{"empty update changes nothing", `{"accountEnabled":false}`, "1", `{}`, 204, "", "", false},
		{"unknown user", "", "nobody", `{"accountEnabled":false}`, 404, "Request_ResourceNotFound",
			"Resource 'nobody' does not exist or one of its queried reference-property objects are not present.", true},
		{"unknown property", "", "1", `{"accountEnabled":false,"favouriteColour":"red"}`, 400, "Request_BadRequest", "Invalid property 'favouriteColour'.", true},
		{"read-only property", "", "1", `{"accountEnabled":false,"onPremisesSyncEnabled":false}`, 400, "Request_BadRequest",
			"Property 'onPremisesSyncEnabled' is read-only and cannot be set.", true},
		{"other annotation", "", "1", `{"@odata.type":"#microsoft.graph.group","accountEnabled":false}`, 400, "Request_BadRequest",
			"Invalid property '@odata.type'.", true},
		{"wrong type", "", "1", `{"accountEnabled":"false"}`, 400, "Request_BadRequest",
			"Invalid value specified for property 'accountEnabled' of resource 'User'.", true},
		{"null", "", "1", `{"accountEnabled":null}`, 400, "Request_BadRequest",
			"Invalid value specified for property 'accountEnabled' of resource 'User'.", true},
		{"not JSON", "", "1", `{"accountEnabled":`, 400, "Request_BadRequest", "", true},
		{"not an object", "", "1", `[false]`, 400, "Request_BadRequest", "", true},
		{"writable but not modelled", "", "1", `{"city":"Oslo"}`, 400, "BadRequest", "Updating 'city' is not implemented by fakegraph.", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, Options{})
			if tt.before != "" {
				if r := patch(t, s, "1", tt.before); r.status != 204 {
					t.Fatalf("before: %d %v", r.status, r.body)
				}
			}
			r := patch(t, s, tt.key, tt.body)
			if r.status != tt.status || r.errorCode() != tt.code || (tt.msg != "" && r.errorMessage() != tt.msg) {
				t.Fatalf("%d %v", r.status, r.body)
			}
			if tt.status == 204 && (r.body != nil || r.header.Get("Content-Type") != "") {
				t.Errorf("204 with a body: %v %v", r.body, r.header)
			}
			if u, _ := s.User("1"); u.AccountEnabled != tt.enabledAfter {
				t.Errorf("accountEnabled %v, want %v", u.AccountEnabled, tt.enabledAfter)
			}
		})
	}
}

func TestPatchSyncedUserRefused(t *testing.T) {
	s := newTestServer(t, Options{})
	r := patch(t, s, "4", `{"accountEnabled":false}`)
	if r.status != 400 || r.errorCode() != "Request_BadRequest" ||
		r.errorMessage() != "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration." {
		t.Fatalf("synced user: %d %v", r.status, r.body)
	}
	if u, _ := s.User("4"); !u.AccountEnabled {
		t.Error("the refused update changed the user")
	}
}

func TestPatchOtherFields(t *testing.T) {
	s := newTestServer(t, Options{})
	if r := patch(t, s, "1", `{"displayName":"Alice S.","jobTitle":null,"department":"Ops"}`); r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if u, _ := s.User("1"); u.DisplayName != "Alice S." || u.JobTitle != "" || u.Department != "Ops" || !u.AccountEnabled {
		t.Errorf("user %+v", u)
	}
}

// TestPatchThenReadBack reads the two properties that prove containment.
func TestPatchThenReadBack(t *testing.T) {
	clock := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s := newTestServer(t, Options{Now: func() time.Time { return clock }})
	sel := url.Values{"$select": {"accountEnabled,signInSessionsValidFromDateTime"}}
	if r := get(t, s, "/users/1", sel); r.body["accountEnabled"] != true || r.body["signInSessionsValidFromDateTime"] != nil {
		t.Fatalf("before: %v", r.body)
	}
	patch(t, s, "1", `{"accountEnabled":false}`)
	revoke(t, s, "1")
	r := get(t, s, "/users/1", sel)
	if r.status != 200 || r.body["accountEnabled"] != false || r.body["signInSessionsValidFromDateTime"] != "2026-11-28T10:00:00Z" {
		t.Errorf("after: %d %v", r.status, r.body)
	}
}

func TestPatchIsAThrottledWrite(t *testing.T) {
	s := newTestServer(t, Options{WriteLimit: 1, WriteWindow: time.Hour})
	if r := patch(t, s, "1", `{"accountEnabled":false}`); r.status != 204 {
		t.Fatalf("first write: %d", r.status)
	}
	if r := patch(t, s, "1", `{"accountEnabled":true}`); r.status != 429 || r.header.Get("Retry-After") == "" || s.Throttled() != 1 {
		t.Fatalf("second write: %d %v", r.status, r.header)
	}
	if u, _ := s.User("1"); u.AccountEnabled {
		t.Error("a throttled PATCH changed the user")
	}
	s.Inject(Fault{Method: "PATCH", PathSuffix: "/users/1", Status: 403, Times: 1})
	if r := patch(t, s, "1", `{"accountEnabled":true}`); r.status != 403 || r.errorCode() != "Authorization_RequestDenied" {
		t.Errorf("fault: %d %v", r.status, r.body)
	}
	if r := do(t, newTestServer(t, Options{}), http.MethodPut, "/users/1", nil, []byte(`{}`)); r.status != 405 {
		t.Errorf("PUT: %d", r.status)
	}
}
