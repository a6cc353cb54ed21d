package fakegraph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// secret marks the passwords of these tests, so a leak is found wherever
// it surfaces. Its strong form passes the default policy.
const (
	secret      = "Qz7!leak-canary"
	weakSecret  = "qz7leakcanary" // two classes only
	adminRoleID = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
)

func resetBody(password string, force bool) string {
	return fmt.Sprintf(`{"passwordProfile":{"password":%q,"forceChangePasswordNextSignIn":%v}}`, password, force)
}

// patchRaw PATCHes body to /users/key and returns the status and the raw
// answer, for checking that no password is echoed.
func patchRaw(t *testing.T, s *Server, key, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPatch, s.URL()+"/users/"+key, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// passwordServer has users 1 (no role), 2 (a role, directly), 5 (a role
// through a group), 6 (federated) and 4 (synced, from filterUsers).
func passwordServer(t *testing.T, roles ...string) *Server {
	s := newTestServer(t, Options{})
	s.AddUsers(User{ID: "5", UserPrincipalName: "five@contoso.com"}, User{ID: "6", UserPrincipalName: "six@fed.example", Federated: true})
	s.AddGroups(Group{ID: "g", DisplayName: "Helpdesk admins"})
	s.AddGroups(Group{ID: "outer"})
	s.AddGroupMembers("g", "5")
	s.AddGroupMembers("outer", "g")
	s.AddRoleAssignments(RoleAssignment{RoleDefinitionID: adminRoleID, PrincipalID: "2"}, RoleAssignment{RoleDefinitionID: adminRoleID, PrincipalID: "outer"})
	s.SetAppDirectoryRoles(roles...)
	return s
}

func TestPasswordReset(t *testing.T) {
	tests := []struct {
		name      string
		roles     []string
		key, body string
		status    int
		code, msg string
	}{
		{"no role", nil, "1", resetBody(secret, true), 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
		{"user admin, plain user", []string{RoleUserAdministrator}, "1", resetBody(secret, true), 204, "", ""},
		{"user admin, admin target", []string{RoleUserAdministrator}, "2", resetBody(secret, true), 403, "Authorization_RequestDenied", ""},
		{"user admin, admin through nested group", []string{RoleUserAdministrator}, "5", resetBody(secret, true), 403, "Authorization_RequestDenied", ""},
		{"privileged auth admin, admin target", []string{RolePrivilegedAuthenticationAdministrator}, "2", resetBody(secret, true), 204, "", ""},
		{"global admin", []string{RoleGlobalAdministrator}, "5", resetBody(secret, false), 204, "", ""},
		{"roles before federation", nil, "6", resetBody(secret, true), 403, "Authorization_RequestDenied", ""},
		{"federated", []string{RoleUserAdministrator}, "six@fed.example", resetBody(secret, true), 400, "Request_BadRequest", msgFederatedPassword},
		{"synced", []string{RoleUserAdministrator}, "4", resetBody(secret, true), 400, "Request_BadRequest", msgOnPremisesMastered},
		{"weak", []string{RoleUserAdministrator}, "1", resetBody(weakSecret, true), 400, "Request_BadRequest", msgPasswordComplexity},
		{"short", []string{RoleUserAdministrator}, "1", resetBody("Aa1!", true), 400, "Request_BadRequest", msgPasswordComplexity},
		{"non-ASCII", []string{RoleUserAdministrator}, "1", resetBody("Pässwörd-1234", true), 400, "Request_BadRequest", msgPasswordComplexity},
		{"with MFA flag", []string{RoleUserAdministrator}, "1", `{"passwordProfile":{"password":"` + secret + `","forceChangePasswordNextSignInWithMfa":true}}`, 204, "", ""},
		{"annotated, with accountEnabled", []string{RoleUserAdministrator}, "1",
			`{"@odata.type":"#microsoft.graph.user","accountEnabled":true,"passwordProfile":{"@odata.type":"#microsoft.graph.passwordProfile","password":"` + secret + `"}}`, 204, "", ""},
		{"not an object", []string{RoleUserAdministrator}, "1", `{"passwordProfile":"` + secret + `"}`, 400, "Request_BadRequest", ""},
		{"unknown profile property", []string{RoleUserAdministrator}, "1", `{"passwordProfile":{"password":"` + secret + `","hint":"x"}}`, 400, "Request_BadRequest", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := passwordServer(t, tt.roles...)
			status, raw := patchRaw(t, s, tt.key, tt.body)
			r := result{status: status}
			if len(raw) > 0 {
				if err := json.Unmarshal(raw, &r.body); err != nil {
					t.Fatalf("%s: %v", raw, err)
				}
			}
			if r.status != tt.status || r.errorCode() != tt.code || (tt.msg != "" && r.errorMessage() != tt.msg) {
				t.Fatalf("%d %s", status, raw)
			}
			resets := 0
			if tt.status == 204 {
				resets = 1
			}
			if got := s.PasswordResets(tt.key); got != resets {
				t.Errorf("PasswordResets %d, want %d", got, resets)
			}
			if wantForce := tt.status == 204 && strings.Contains(tt.body, "true}"); s.ForceChange(tt.key) != wantForce {
				t.Errorf("ForceChange %v", s.ForceChange(tt.key))
			}
			assertNoSecret(t, s, raw)
		})
	}
}

// assertNoSecret fails when either password appears in an answer or in
// the request log.
func assertNoSecret(t *testing.T, s *Server, answers ...[]byte) {
	t.Helper()
	for _, a := range answers {
		if bytes.Contains(a, []byte(secret)) || bytes.Contains(a, []byte(weakSecret)) {
			t.Errorf("answer echoes the password: %s", a)
		}
	}
	for _, req := range s.Requests() {
		if bytes.Contains(req.Body, []byte(secret)) || bytes.Contains(req.Body, []byte(weakSecret)) {
			t.Errorf("request log holds the password: %s", req.Body)
		}
	}
}

func TestPasswordNeverLogged(t *testing.T) {
	s := passwordServer(t, RoleUserAdministrator)
	var hooked [][]byte
	s.OnRequest(func(r Request) { hooked = append(hooked, r.Body) })
	_, a := patchRaw(t, s, "1", `{"PasswordProfile":{"Password":"`+secret+`"}}`) // names are case-insensitive
	_, b := patchRaw(t, s, "1", `{"passwordProfile":{"password":"`+secret+`"`)   // not JSON
	_, c := patchRaw(t, s, "1", resetBody(weakSecret, true))
	_, items := postBatch(t, s, batchOf(
		`{"id":"1","method":"PATCH","url":"/users/1","headers":{"Content-Type":"application/json"},"body":`+resetBody(secret, true)+`}`,
		`{"id":"2","method":"PATCH","url":"/users/2","headers":{"Content-Type":"application/json"},"body":`+resetBody(weakSecret, true)+`}`,
	), nil)
	if itemStatus(items["1"]) != 204 || itemStatus(items["2"]) != 403 || s.PasswordResets("1") != 2 {
		t.Fatalf("batch %v, resets %d", items, s.PasswordResets("1"))
	}
	assertNoSecret(t, s, a, b, c, hooked[0], hooked[1], hooked[2], hooked[3], []byte(mustJSON(t, items)))
	reqs := s.Requests()
	if !bytes.Contains(reqs[0].Body, []byte(`"[redacted]"`)) || !bytes.Contains(reqs[3].Body, []byte(`"[redacted]"`)) {
		t.Errorf("redacted bodies: %s / %s", reqs[0].Body, reqs[3].Body)
	}
	// Bodies without a password stay as sent.
	patchRaw(t, s, "1", `{"displayName":"Alice"}`)
	if reqs = s.Requests(); string(reqs[len(reqs)-1].Body) != `{"displayName":"Alice"}` {
		t.Errorf("plain body %s", reqs[len(reqs)-1].Body)
	}
}

// TestPasswordResetSDK resets through the SDK's user PATCH, and re-enables
// an account as release does.
func TestPasswordResetSDK(t *testing.T) {
	s := passwordServer(t, RoleUserAdministrator)
	u := sdkUsers(newSDKAdapter(t, s)).ByUserId("1")
	body := models.NewUser()
	pp := models.NewPasswordProfile()
	pw, force := secret, true
	pp.SetPassword(&pw)
	pp.SetForceChangePasswordNextSignIn(&force)
	body.SetPasswordProfile(pp)
	if _, err := u.Patch(context.Background(), body, nil); err != nil {
		t.Fatal(err)
	}
	if s.PasswordResets("1") != 1 || !s.ForceChange("alice@contoso.com") {
		t.Errorf("resets %d force %v", s.PasswordResets("1"), s.ForceChange("1"))
	}
	if _, err := sdkUsers(newSDKAdapter(t, s)).ByUserId("2").Patch(context.Background(), body, nil); odataCode(err) != "Authorization_RequestDenied" {
		t.Errorf("admin target: %v", err)
	}
	enable := models.NewUser()
	on := true
	enable.SetAccountEnabled(&on)
	if _, err := sdkUsers(newSDKAdapter(t, s)).ByUserId("2").Patch(context.Background(), enable, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.User("2"); !got.AccountEnabled {
		t.Error("accountEnabled=true did not land")
	}
	assertNoSecret(t, s)
}

func TestPasswordPolicy(t *testing.T) {
	for p, ok := range map[string]bool{
		"abcdefG1": true, "ABCDEF1!": true, "abc def1": true, "abcdefgh": false, "ABCdefgh": false,
		"Ab1!": false, strings.Repeat("aB1", 86): false, strings.Repeat("aB1", 85) + "x": true, "Abcdefg\t1": false,
	} {
		if meetsPasswordPolicy(p) != ok {
			t.Errorf("%q: want %v", p, ok)
		}
	}
}
