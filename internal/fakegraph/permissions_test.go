package fakegraph

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// allPermissions lists every permission the fake's table names.
func allPermissions() []string {
	var out []string
	add := func(ps []string) {
		for _, p := range ps {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	for _, ps := range routePermissions {
		add(ps)
	}
	for _, prop := range []string{"accountEnabled", "passwordProfile", "displayName"} {
		add(patchPermissions(prop))
	}
	return out
}

// newOpenServer is newTestServer accepting any token, so that each
// request's roles claim decides.
func newOpenServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.ReportsWindow == 0 {
		opts.ReportsWindow = -1
	}
	s := New(opts)
	t.Cleanup(s.Close)
	s.AddUsers(filterUsers...)
	return s
}

// allBut is every permission the table names except accepted.
func allBut(accepted []string) []string {
	return slices.DeleteFunc(allPermissions(), func(p string) bool { return slices.Contains(accepted, p) })
}

func TestEveryRouteHasPermissions(t *testing.T) {
	t.Parallel()
	for _, rt := range routes {
		if _, ok := permissionsFor(rt); !ok {
			t.Errorf("%s %s: not in routePermissions, so every token is refused", rt.method, rt.pattern)
		}
	}
	for key := range routePermissions {
		method, pattern, _ := strings.Cut(key, " ")
		if !slices.ContainsFunc(routes, func(rt route) bool { return rt.method == method && rt.pattern == pattern }) {
			t.Errorf("routePermissions has %q, which no route serves", key)
		}
	}
}

// TestRoutesRefuseWithoutPermission: every route answers 403 to a token
// holding every other permission, in its service's shape (Exchange's
// ErrorAccessDenied for Outlook's routes, the audit logs'
// Authentication_MSGraphPermissionMissing, the directory's
// Authorization_RequestDenied for the others), and lets each permission it
// accepts past the check.
func TestRoutesRefuseWithoutPermission(t *testing.T) {
	t.Parallel()
	s := newOpenServer(t, Options{RiskWindow: -1})
	for _, rt := range routes {
		accepted, _ := permissionsFor(rt)
		if len(accepted) == 0 {
			continue
		}
		path := "/" + strings.NewReplacer("{id}", "1", "{methodId}", "m1", "{ruleId}", "r1").Replace(rt.pattern)
		var body []byte
		if rt.method != http.MethodGet && rt.method != http.MethodDelete {
			body = []byte(`{"userIds":["1"],"isEnabled":false}`)
		}
		hdr := func(roles ...string) http.Header {
			return http.Header{"Authorization": {"Bearer " + AppToken(roles...)}, "Content-Type": {"application/json"}}
		}
		code := "Authorization_RequestDenied"
		if strings.Contains(rt.pattern, "/mailFolders/") {
			code = "ErrorAccessDenied"
		}
		if strings.HasPrefix(rt.pattern, "auditLogs/") {
			code = "Authentication_MSGraphPermissionMissing"
		}
		if r := do(t, s, rt.method, path, hdr(allBut(accepted)...), body); r.status != 403 || r.errorCode() != code {
			t.Errorf("%s %s without %v: %d %s, want 403 %s", rt.method, path, accepted, r.status, r.errorCode(), code)
		}
		for _, p := range accepted {
			if r := do(t, s, rt.method, path, hdr(p), body); r.status == 403 {
				t.Errorf("%s %s with %s: refused", rt.method, path, p)
			}
		}
	}
}

// TestPatchUserPermissionByProperty: disabling takes
// User.EnableDisableAccount.All, which does not let the password be set.
func TestPatchUserPermissionByProperty(t *testing.T) {
	t.Parallel()
	s := newOpenServer(t, Options{})
	enable := http.Header{"Authorization": {"Bearer " + AppToken("User.EnableDisableAccount.All")}, "Content-Type": {"application/json"}}
	if r := do(t, s, http.MethodPatch, "/users/1", enable, []byte(`{"accountEnabled":false}`)); r.status != 204 {
		t.Errorf("disable with User.EnableDisableAccount.All: %d %v", r.status, r.body)
	}
	pw := []byte(`{"passwordProfile":{"password":"Correct-Horse-Battery-9","forceChangePasswordNextSignIn":true}}`)
	if r := do(t, s, http.MethodPatch, "/users/1", enable, pw); r.status != 403 || r.errorCode() != "Authorization_RequestDenied" {
		t.Errorf("password with User.EnableDisableAccount.All: %d %v", r.status, r.body)
	}
	if r := do(t, s, http.MethodPatch, "/users/1", enable, []byte(`{"displayName":"x"}`)); r.status != 403 {
		t.Errorf("displayName with User.EnableDisableAccount.All: %d %v", r.status, r.body)
	}
}

// TestSDKSeesForbidden: the real client gets Graph's OData 403.
func TestSDKSeesForbidden(t *testing.T) {
	t.Parallel()
	s := newOpenServer(t, Options{})
	ctx := t.Context()
	_, err := sdkUsers(newSDKAdapterWith(t, s, AppToken("User.Read.All"))).ByUserId("1").RevokeSignInSessions().PostAsRevokeSignInSessionsPostResponse(ctx, nil)
	if odataCode(err) != "Authorization_RequestDenied" {
		t.Fatalf("revoke with User.Read.All only: %v", err)
	}
	if _, err := sdkUsers(newSDKAdapterWith(t, s, AppToken("User.RevokeSessions.All"))).ByUserId("1").RevokeSignInSessions().PostAsRevokeSignInSessionsPostResponse(ctx, nil); err != nil {
		t.Fatalf("revoke with User.RevokeSessions.All: %v", err)
	}
	if _, err := sdkUsers(newSDKAdapterWith(t, s, AppToken("User.RevokeSessions.All"))).ByUserId("1").Get(ctx, nil); odataCode(err) != "Authorization_RequestDenied" {
		t.Fatalf("read a user with User.RevokeSessions.All only: %v", err)
	}
}
