package fakegraph

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

var registered = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// seedMethods gives user 1 one method of every type but the password,
// which every user has.
func seedMethods(s *Server) {
	s.AddAuthMethods("1",
		AuthMethod{Type: "phone", PhoneType: "mobile", PhoneNumber: "+1 2065550123"},
		AuthMethod{Type: "phone", PhoneType: "alternateMobile", PhoneNumber: "+1 2065550124"},
		AuthMethod{Type: "email", EmailAddress: "alice@fabrikam.com"},
		AuthMethod{ID: "fido", Type: "fido2", DisplayName: "Red key", Model: "YubiKey 5 NFC", Created: registered},
		AuthMethod{ID: "app", Type: "microsoftAuthenticator", DisplayName: "Alice's iPhone", Default: true},
		AuthMethod{ID: "oath", Type: "softwareOath"},
		AuthMethod{ID: "tap", Type: "temporaryAccessPass", Created: registered},
		AuthMethod{ID: "whfb", Type: "windowsHelloForBusiness", DisplayName: "ALICE-PC", Created: registered},
		AuthMethod{ID: "mac", Type: "platformCredential", DisplayName: "Alice's Mac", Created: registered},
	)
}

// TestListAuthMethodsSDK checks that the SDK resolves every @odata.type to
// its model and reads each type's own properties.
func TestListAuthMethodsSDK(t *testing.T) {
	s := newTestServer(t, Options{})
	seedMethods(s)
	resp, err := sdkUsers(newSDKAdapter(t, s)).ByUserId("alice@contoso.com").Authentication().Methods().Get(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]models.AuthenticationMethodable{}
	for _, m := range resp.GetValue() {
		got[*m.GetId()] = m
	}
	if len(got) != 10 {
		t.Fatalf("%d methods", len(got))
	}
	if _, ok := got[PasswordMethodID].(models.PasswordAuthenticationMethodable); !ok {
		t.Errorf("password: %T", got[PasswordMethodID])
	}
	if p, ok := got[MobilePhoneMethodID].(models.PhoneAuthenticationMethodable); !ok || *p.GetPhoneNumber() != "+1 2065550123" ||
		*p.GetPhoneType() != models.MOBILE_AUTHENTICATIONPHONETYPE {
		t.Errorf("mobile: %T %+v", got[MobilePhoneMethodID], got[MobilePhoneMethodID])
	}
	if _, ok := got[AltMobilePhoneMethodID].(models.PhoneAuthenticationMethodable); !ok {
		t.Errorf("alternateMobile: %T", got[AltMobilePhoneMethodID])
	}
	if f, ok := got["fido"].(models.Fido2AuthenticationMethodable); !ok || *f.GetDisplayName() != "Red key" || *f.GetModel() != "YubiKey 5 NFC" ||
		!f.GetCreatedDateTime().Equal(registered) {
		t.Errorf("fido2: %T", got["fido"])
	}
	if a, ok := got["app"].(models.MicrosoftAuthenticatorAuthenticationMethodable); !ok || *a.GetDisplayName() != "Alice's iPhone" || a.GetCreatedDateTime() != nil {
		t.Errorf("authenticator: %T", got["app"])
	}
	for id, want := range map[string]string{"oath": "softwareOath", "tap": "temporaryAccessPass", "whfb": "windowsHelloForBusiness", "mac": "platformCredential"} {
		if typ := *got[id].GetOdataType(); typ != "#microsoft.graph."+want+"AuthenticationMethod" {
			t.Errorf("%s: %s", id, typ)
		}
	}
	if _, ok := got["tap"].(models.TemporaryAccessPassAuthenticationMethodable); !ok {
		t.Errorf("tap: %T", got["tap"])
	}
	if w, ok := got["whfb"].(models.WindowsHelloForBusinessAuthenticationMethodable); !ok || *w.GetDisplayName() != "ALICE-PC" {
		t.Errorf("whfb: %T", got["whfb"])
	}
}

// TestListAuthMethodsWire checks which types carry createdDateTime.
func TestListAuthMethodsWire(t *testing.T) {
	s := newTestServer(t, Options{})
	seedMethods(s)
	r := get(t, s, "/users/1/authentication/methods", nil)
	if r.status != 200 || r.body["@odata.context"] != "https://graph.microsoft.com/v1.0/$metadata#users('1')/authentication/methods" {
		t.Fatalf("%d %v", r.status, r.body)
	}
	byID := map[string]map[string]any{}
	for _, v := range r.body["value"].([]any) {
		m := v.(map[string]any)
		byID[m["id"].(string)] = m
	}
	for id, want := range map[string]bool{"fido": true, "tap": true, "whfb": true, "mac": true, "app": false, "oath": false, MobilePhoneMethodID: false} {
		if _, has := byID[id]["createdDateTime"]; has != want {
			t.Errorf("%s: createdDateTime present %v: %v", id, has, byID[id])
		}
	}
	if pw := byID[PasswordMethodID]; pw["createdDateTime"] != nil || pw["password"] != nil {
		t.Errorf("password %v", pw)
	}
	if _, has := byID[PasswordMethodID]["createdDateTime"]; !has {
		t.Error("the password's createdDateTime should be served as null")
	}
	if ph := byID[MobilePhoneMethodID]; ph["phoneType"] != "mobile" || ph["smsSignInState"] == nil || ph["phoneNumber"] != "+1 2065550123" {
		t.Errorf("phone %v", ph)
	}
	if oath := byID["oath"]; oath["secretKey"] != nil {
		t.Errorf("oath %v", oath)
	}
	if tap := byID["tap"]; tap["lifetimeInMinutes"] != float64(60) || tap["isUsable"] != true {
		t.Errorf("tap %v", tap)
	}
	if strings.Contains(mustJSON(t, r.body), `"default`) {
		t.Error("the default method is not readable in v1.0")
	}
}

func TestListAuthMethodsRefusals(t *testing.T) {
	s := newTestServer(t, Options{})
	for _, q := range []url.Values{{"$select": {"id"}}, {"$top": {"1"}}, {"$filter": {"id eq 'x'"}}} {
		if r := get(t, s, "/users/1/authentication/methods", q); r.status != 400 {
			t.Errorf("%v: %d", q, r.status)
		}
	}
	if r := get(t, s, "/users/nobody/authentication/methods", nil); r.status != 404 {
		t.Errorf("unknown user: %d", r.status)
	}
	// An unseeded user has just the password.
	r := get(t, s, "/users/2/authentication/methods", nil)
	if v := r.body["value"].([]any); len(v) != 1 || v[0].(map[string]any)["id"] != PasswordMethodID {
		t.Errorf("unseeded: %v", r.body)
	}
	s.Inject(Fault{PathSuffix: "/authentication/methods", Status: 504, Times: 1})
	if r := get(t, s, "/users/1/authentication/methods", nil); r.status != 504 {
		t.Errorf("timeout fault: %d", r.status)
	}
}

func TestLatency(t *testing.T) {
	s := newTestServer(t, Options{})
	s.SetLatency(80 * time.Millisecond)
	for _, path := range []string{"/users/1/authentication/methods", "/users/1"} {
		start := time.Now()
		if r := get(t, s, path, nil); r.status != 200 || time.Since(start) < 80*time.Millisecond {
			t.Errorf("%s: %d after %v", path, r.status, time.Since(start))
		}
	}
	s.SetLatency(0)
}

func del(t *testing.T, s *Server, path string) result {
	t.Helper()
	return do(t, s, http.MethodDelete, path, nil, nil)
}

func TestDeleteAuthMethods(t *testing.T) {
	s := newTestServer(t, Options{})
	seedMethods(s)
	base := "/users/1/authentication/"
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"fido2Methods/" + MobilePhoneMethodID, 404, "itemNotFound"}, // a phone under fido2Methods
		{"emailMethods/nope", 404, "itemNotFound"},
		{"passwordMethods/" + PasswordMethodID, 405, "Request_BadRequest"},
		{"phoneMethods/" + MobilePhoneMethodID, 400, "badRequest"}, // alternateMobile still there
		{"phoneMethods/" + AltMobilePhoneMethodID, 204, ""},
		{"phoneMethods/" + MobilePhoneMethodID, 204, ""},
		{"fido2Methods/FIDO", 204, ""}, // ids compare case-insensitively
		{"softwareOathMethods/oath", 204, ""},
		{"temporaryAccessPassMethods/tap", 204, ""},
		{"windowsHelloForBusinessMethods/whfb", 204, ""},
		{"platformCredentialMethods/mac", 204, ""},
		{"microsoftAuthenticatorMethods/app", 400, "badRequest"}, // default, the email remains
		{"emailMethods/" + s.AuthMethods("1")[3].ID, 204, ""},
		{"microsoftAuthenticatorMethods/app", 204, ""}, // the default goes last
		{"microsoftAuthenticatorMethods/app", 404, "itemNotFound"},
	}
	for _, tt := range tests {
		r := del(t, s, base+tt.path)
		if r.status != tt.status || r.errorCode() != tt.code {
			t.Fatalf("DELETE %s: %d %v", tt.path, r.status, r.body)
		}
		if tt.code == "badRequest" && strings.HasPrefix(tt.path, "microsoft") && r.errorMessage() != msgDefaultMethod {
			t.Errorf("default: %q", r.errorMessage())
		}
	}
	if left := s.AuthMethods("1"); len(left) != 1 || left[0].Type != "password" {
		t.Errorf("left %+v", left)
	}
	if r := del(t, s, "/users/nobody/authentication/emailMethods/x"); r.status != 404 || r.errorCode() != "Request_ResourceNotFound" {
		t.Errorf("unknown user: %d %v", r.status, r.body)
	}
}

// TestDeleteAuthMethodSDK deletes through the SDK's per-type builders.
func TestDeleteAuthMethodSDK(t *testing.T) {
	s := newTestServer(t, Options{})
	seedMethods(s)
	auth := sdkUsers(newSDKAdapter(t, s)).ByUserId("1").Authentication()
	ctx := context.Background()
	if err := auth.PhoneMethods().ByPhoneAuthenticationMethodId(AltMobilePhoneMethodID).Delete(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := auth.Fido2Methods().ByFido2AuthenticationMethodId("fido").Delete(ctx, nil); err != nil {
		t.Fatal(err)
	}
	err := auth.MicrosoftAuthenticatorMethods().ByMicrosoftAuthenticatorAuthenticationMethodId("app").Delete(ctx, nil)
	if odataCode(err) != "badRequest" {
		t.Errorf("default: %v", err)
	}
	if n := len(s.AuthMethods("1")); n != 8 {
		t.Errorf("%d methods left", n)
	}
}

func TestAddAuthMethodsRules(t *testing.T) {
	s := newTestServer(t, Options{})
	s.AddAuthMethods("1", AuthMethod{Type: "password", Created: registered}, AuthMethod{Type: "phone", PhoneNumber: "+1 1"},
		AuthMethod{Type: "phone", PhoneNumber: "+1 2"}, AuthMethod{ID: "a", Type: "email", Default: true}, AuthMethod{ID: "b", Type: "email", Default: true})
	ms := s.AuthMethods("1")
	if len(ms) != 4 || ms[0].ID != PasswordMethodID || !ms[0].Created.Equal(registered) || ms[1].PhoneNumber != "+1 2" || ms[2].Default || !ms[3].Default {
		t.Errorf("%+v", ms)
	}
	for name, bad := range map[string]AuthMethod{
		"alternateMobile alone": {Type: "phone", PhoneType: "alternateMobile"},
		"unknown type":          {Type: "sms"},
		"unknown phone type":    {Type: "phone", PhoneType: "pager"},
		"default password":      {Type: "password", Default: true},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			s.AddAuthMethods("2", bad)
		}()
	}
	if s.AuthMethods("nobody") != nil {
		t.Error("unknown user has methods")
	}
}
