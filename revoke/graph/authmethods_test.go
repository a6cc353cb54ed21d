package graph

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

var registered = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func TestAuthMethods(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	g.AddAuthMethods(aliceID,
		fakegraph.AuthMethod{Type: "phone", PhoneType: "mobile", PhoneNumber: "+1 2065550123"},
		fakegraph.AuthMethod{Type: "phone", PhoneType: "alternateMobile", PhoneNumber: "+1 2065550124"},
		fakegraph.AuthMethod{ID: "mail", Type: "email", EmailAddress: "alice@fabrikam.com"},
		fakegraph.AuthMethod{ID: "fido", Type: "fido2", DisplayName: "Red key", Model: "YubiKey 5 NFC", Created: registered},
		fakegraph.AuthMethod{ID: "bare", Type: "fido2"},
		fakegraph.AuthMethod{ID: "app", Type: "microsoftAuthenticator", DisplayName: "Alice's iPhone", Default: true},
		fakegraph.AuthMethod{ID: "oath", Type: "softwareOath"},
		fakegraph.AuthMethod{ID: "tap", Type: "temporaryAccessPass", Created: registered},
		fakegraph.AuthMethod{ID: "whfb", Type: "windowsHelloForBusiness", DisplayName: "ALICE-PC", Created: registered},
		fakegraph.AuthMethod{ID: "mac", Type: "platformCredential", DisplayName: "Alice's Mac", Created: registered},
		fakegraph.AuthMethod{ID: "ext", Type: "external", DisplayName: "Duo", Created: registered},
		fakegraph.AuthMethod{ID: "ext2", Type: "external"},
	)
	ms, err := c.AuthMethods(context.Background(), aliceID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]revoke.Method{
		fakegraph.PasswordMethodID:       {Type: "password", Label: "password"},
		fakegraph.MobilePhoneMethodID:    {Type: "phone", Label: "mobile " + revoke.MaskPhone("+1 2065550123")},
		fakegraph.AltMobilePhoneMethodID: {Type: "phone", Label: "alternate mobile " + revoke.MaskPhone("+1 2065550124")},
		"mail":                           {Type: "email", Label: "a**@fabrikam.com"},
		"fido":                           {Type: "fido2", Label: "Red key (YubiKey 5 NFC)", Created: registered},
		"bare":                           {Type: "fido2", Label: "security key"},
		"app":                            {Type: "microsoftAuthenticator", Label: "Alice's iPhone"},
		"oath":                           {Type: "softwareOath", Label: "software OATH token"},
		"tap":                            {Type: "temporaryAccessPass", Label: "Temporary Access Pass", Created: registered},
		"whfb":                           {Type: "windowsHelloForBusiness", Label: "ALICE-PC", Created: registered},
		"mac":                            {Type: "platformCredential", Label: "Alice's Mac", Created: registered},
		// The SDK has no model for it; the client reads the wire's words.
		"ext":  {Type: "external", Label: "Duo"},
		"ext2": {Type: "external", Label: "external authentication method"},
	}
	if len(ms) != len(want) {
		t.Fatalf("%d methods: %+v", len(ms), ms)
	}
	for _, m := range ms {
		w, ok := want[m.ID]
		w.ID = m.ID
		if !ok || m != w {
			t.Errorf("got %+v, want %+v", m, w)
		}
		if strings.Contains(m.Label, "206555") || strings.Contains(m.Label, "alice@") {
			t.Errorf("%s gives a number or address away: %q", m.ID, m.Label)
		}
	}
	if ms[0].Type != "password" || !ms[0].Password() {
		t.Errorf("the password first: %+v", ms[0])
	}
	if !strings.HasSuffix(want[fakegraph.MobilePhoneMethodID].Label, "••••0123") {
		t.Errorf("mobile label %q", want[fakegraph.MobilePhoneMethodID].Label)
	}
	if r := g.Requests()[0]; r.Method != "GET" || r.Path != "/v1.0/users/"+aliceID+"/authentication/methods" || len(r.Query) != 0 {
		t.Errorf("request %s %s %v", r.Method, r.Path, r.Query)
	}
}

func TestAuthMethodsRefusals(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	ctx := context.Background()
	_, err := c.AuthMethods(ctx, "99999999-9999-4999-8999-999999999999")
	wantError(t, err, revoke.KindNotFound, "list authentication methods", "UserAuthenticationMethod.Read.All")
	g.Inject(fakegraph.Fault{PathSuffix: "/authentication/methods", Status: 403})
	_, err = c.AuthMethods(ctx, aliceID)
	wantError(t, err, revoke.KindForbidden, "list authentication methods", "UserAuthenticationMethod.Read.All")
	g.ClearFaults()
	// Graph's 60 s timeout is a 504, retried as any other.
	g.Inject(fakegraph.Fault{PathSuffix: "/authentication/methods", Status: 504, Times: 1})
	if ms, err := c.AuthMethods(ctx, aliceID); err != nil || len(ms) != 1 {
		t.Errorf("after a 504: %+v %v", ms, err)
	}
	n := len(g.Requests())
	_, err = c.AuthMethods(ctx, "")
	wantError(t, err, revoke.KindBadRequest, "list authentication methods", "UserAuthenticationMethod.Read.All")
	if len(g.Requests()) != n {
		t.Error("an empty user id was sent")
	}
}

// TestRemoveAuthMethodsDefaultLast: the default method comes first in the
// list, Graph refuses it while others remain, and it goes last.
func TestRemoveAuthMethodsDefaultLast(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	ctx := context.Background()
	g.AddAuthMethods(aliceID,
		fakegraph.AuthMethod{ID: "app", Type: "microsoftAuthenticator", DisplayName: "Alice's iPhone", Default: true},
		fakegraph.AuthMethod{ID: "fido", Type: "fido2", DisplayName: "Red key"},
		fakegraph.AuthMethod{ID: "mail", Type: "email", EmailAddress: "alice@fabrikam.com"},
	)
	ms, err := c.AuthMethods(ctx, aliceID)
	if err != nil || len(ms) != 4 || ms[1].ID != "app" {
		t.Fatalf("%+v %v", ms, err)
	}
	removed, failed := c.RemoveAuthMethods(ctx, aliceID, ms)
	if len(failed) != 0 || len(removed) != 3 || removed[2].ID != "app" {
		t.Fatalf("removed %+v, failed %v", removed, failed)
	}
	if left := g.AuthMethods(aliceID); len(left) != 1 || left[0].Type != "password" {
		t.Errorf("left %+v", left)
	}
	var deletes []string
	for _, r := range g.Requests() {
		if r.Method == "DELETE" {
			deletes = append(deletes, r.Path[strings.LastIndex(r.Path, "/")+1:]+" "+strconv.Itoa(r.Status))
		}
		if strings.Contains(r.Path, "passwordMethods") {
			t.Errorf("the password was touched: %s %s", r.Method, r.Path)
		}
	}
	if got := strings.Join(deletes, ", "); got != "app 400, fido 204, mail 204, app 204" {
		t.Errorf("deletes %s", got)
	}
}

func TestRemoveAuthMethodsPhonesAndFailures(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	ctx := context.Background()
	g.AddAuthMethods(aliceID,
		fakegraph.AuthMethod{Type: "phone", PhoneType: "mobile", PhoneNumber: "+1 2065550123"},
		fakegraph.AuthMethod{Type: "phone", PhoneType: "alternateMobile", PhoneNumber: "+1 2065550124"},
	)
	ms, err := c.AuthMethods(ctx, aliceID)
	if err != nil {
		t.Fatal(err)
	}
	// The mobile is refused while the alternate remains, with the same
	// code: the same order cures it.
	gone := revoke.Method{ID: "gone", Type: "fido2"}
	removed, failed := c.RemoveAuthMethods(ctx, aliceID, append(ms, gone))
	if len(removed) != 2 || removed[0].ID != fakegraph.AltMobilePhoneMethodID || len(failed) != 1 {
		t.Fatalf("removed %+v, failed %v", removed, failed)
	}
	if revoke.KindOf(failed["gone"]) != revoke.KindNotFound || IsDefaultMethod(failed["gone"]) {
		t.Errorf("gone: %v", failed["gone"])
	}

	// A default that cannot go because another method cannot either
	// keeps its refusal.
	g.AddAuthMethods(aliceID,
		fakegraph.AuthMethod{ID: "app", Type: "microsoftAuthenticator", Default: true},
		fakegraph.AuthMethod{ID: "mail", Type: "email", EmailAddress: "a@b.example"},
	)
	g.Inject(fakegraph.Fault{Method: "DELETE", PathSuffix: "/mail", Status: 403})
	removed, failed = c.RemoveAuthMethods(ctx, aliceID, []revoke.Method{{ID: "app", Type: "microsoftAuthenticator"}, {ID: "mail", Type: "email"}})
	if len(removed) != 0 || !IsDefaultMethod(failed["app"]) || revoke.KindOf(failed["app"]) != revoke.KindBadRequest ||
		revoke.KindOf(failed["mail"]) != revoke.KindForbidden {
		t.Errorf("removed %+v, failed %v", removed, failed)
	}
}

func TestDeleteAuthMethod(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	ctx := context.Background()
	// The password is refused before any request, however it is named.
	for _, m := range []revoke.Method{{ID: fakegraph.PasswordMethodID, Type: "password"}, {ID: "x", Type: "password"}} {
		err := c.DeleteAuthMethod(ctx, aliceID, m)
		if e := wantError(t, err, revoke.KindBadRequest, "remove an authentication method", "UserAuthenticationMethod.ReadWrite.All"); e.Status != 0 {
			t.Errorf("status %d", e.Status)
		}
	}
	err := c.DeleteAuthMethod(ctx, aliceID, revoke.Method{ID: "x", Type: "hardwareOath"})
	wantError(t, err, revoke.KindBadRequest, "remove an authentication method", "UserAuthenticationMethod.ReadWrite.All")
	if n := len(g.Requests()); n != 0 {
		t.Fatalf("%d requests", n)
	}
	if n := len(g.AuthMethods(aliceID)); n != 1 {
		t.Errorf("%d methods", n)
	}

	g.AddAuthMethods(aliceID,
		fakegraph.AuthMethod{ID: "app", Type: "microsoftAuthenticator", Default: true},
		fakegraph.AuthMethod{ID: "oath", Type: "softwareOath"},
		fakegraph.AuthMethod{ID: "tap", Type: "temporaryAccessPass"},
		fakegraph.AuthMethod{ID: "whfb", Type: "windowsHelloForBusiness"},
		fakegraph.AuthMethod{ID: "mac", Type: "platformCredential"},
		fakegraph.AuthMethod{ID: "ext", Type: "external"},
	)
	err = c.DeleteAuthMethod(ctx, aliceID, revoke.Method{ID: "app", Type: "microsoftAuthenticator"})
	if e := wantError(t, err, revoke.KindBadRequest, "remove an authentication method", "UserAuthenticationMethod.ReadWrite.All"); !IsDefaultMethod(err) ||
		e.Status != 400 || e.Code != "badRequest" || e.Attempts != 1 {
		t.Errorf("default: %v", err)
	}
	for _, m := range []revoke.Method{{ID: "oath", Type: "softwareOath"}, {ID: "tap", Type: "temporaryAccessPass"},
		{ID: "whfb", Type: "windowsHelloForBusiness"}, {ID: "mac", Type: "platformCredential"}, {ID: "ext", Type: "external"},
		{ID: "app", Type: "microsoftAuthenticator"}} {
		if err := c.DeleteAuthMethod(ctx, aliceID, m); err != nil {
			t.Errorf("%s: %v", m.Type, err)
		}
	}
	if n := len(g.AuthMethods(aliceID)); n != 1 {
		t.Errorf("%d methods left", n)
	}
	err = c.DeleteAuthMethod(ctx, "99999999-9999-4999-8999-999999999999", revoke.Method{ID: "x", Type: "email"})
	if wantError(t, err, revoke.KindNotFound, "remove an authentication method", "UserAuthenticationMethod.ReadWrite.All"); IsDefaultMethod(err) {
		t.Error("a 404 read as the default")
	}
	g.Inject(fakegraph.Fault{Method: "DELETE", Status: 400, Code: "BadRequest"})
	if err := c.DeleteAuthMethod(ctx, aliceID, revoke.Method{ID: "x", Type: "email"}); IsDefaultMethod(err) {
		t.Errorf("Graph's generic BadRequest read as the default: %v", err)
	}
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"alice@contoso.com":     "a**@contoso.com",
		" Bob@Fabrikam.example": "B**@Fabrikam.example",
		"x@y":                   "x**@y",
		"\"a@b\"@contoso.com":   "\"**@contoso.com",
		"émile@contoso.fr":      "é**@contoso.fr",
		"@contoso.com":          "**@contoso.com",
		"no-at-sign":            "n**",
		"":                      "**",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}
