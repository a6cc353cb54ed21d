package graph

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

const fedID = "66666666-6666-4666-8666-666666666666"

// passwordFake adds a federated user to containFake's two and lets the
// app reset the passwords of users without a role.
func passwordFake(t *testing.T) (*fakegraph.Server, *Client) {
	t.Helper()
	g, c := containFake(t, fakegraph.Options{})
	g.AddUser(fakegraph.User{ID: fedID, UserPrincipalName: "fed@fabrikam.example", AccountEnabled: true, Federated: true})
	g.SetAppDirectoryRoles(fakegraph.RoleUserAdministrator)
	return g, c
}

func newPassword(t *testing.T) string {
	t.Helper()
	pw, err := revoke.NewPassword()
	if err != nil {
		t.Fatal(err)
	}
	return pw
}

// noSecret fails when pw shows in err, any error it wraps, or the fake's log.
func noSecret(t *testing.T, g *fakegraph.Server, err error, pw string) {
	t.Helper()
	seen := []error{err}
	for len(seen) > 0 {
		e := seen[0]
		seen = seen[1:]
		if e == nil {
			continue
		}
		for _, s := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
			if strings.Contains(s, pw) {
				t.Errorf("the password is in an error: %s", s)
			}
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			seen = append(seen, u.Unwrap())
		case interface{ Unwrap() []error }:
			seen = append(seen, u.Unwrap()...)
		}
	}
	for _, r := range g.Requests() {
		if bytes.Contains(r.Body, []byte(pw)) || strings.Contains(r.Query.Encode(), pw) {
			t.Errorf("the password is in the fake's log: %s %s", r.Path, r.Body)
		}
	}
}

func TestResetPassword(t *testing.T) {
	g, c := passwordFake(t)
	var mu sync.Mutex
	var got []string
	g.OnPasswordSet(func(_, pw string) { mu.Lock(); got = append(got, pw); mu.Unlock() })
	pw := newPassword(t)
	res, err := c.ResetPassword(context.Background(), aliceID, pw)
	if err != nil || res.At.IsZero() {
		t.Fatalf("%+v %v", res, err)
	}
	if g.PasswordResets(aliceID) != 1 || !g.ForceChange(aliceID) || len(got) != 1 || got[0] != pw {
		t.Errorf("resets %d, force %v, set %d", g.PasswordResets(aliceID), g.ForceChange(aliceID), len(got))
	}
	r := g.Requests()[0]
	if r.Method != "PATCH" || r.Path != "/v1.0/users/"+aliceID || !bytes.Contains(r.Body, []byte(`"forceChangePasswordNextSignIn":true`)) ||
		bytes.Contains(r.Body, []byte("accountEnabled")) {
		t.Errorf("request %s %s %s", r.Method, r.Path, r.Body)
	}
	noSecret(t, g, nil, pw)
}

func TestResetPasswordRefusals(t *testing.T) {
	const op, perm = "reset password", "User-PasswordProfile.ReadWrite.All"
	tests := []struct {
		name      string
		user      string
		roles     []string // nil: User Administrator
		weak      bool
		kind      revoke.ErrorKind
		federated bool
		requests  int
		fault     *fakegraph.Fault
	}{
		{"no role", aliceID, []string{}, false, revoke.KindForbidden, false, 1, nil},
		{"federated", fedID, nil, false, revoke.KindFederated, true, 1, nil},
		{"synced", syncID, nil, false, revoke.KindSynced, false, 1, nil},
		{"weak, refused before sending", aliceID, nil, true, revoke.KindBadRequest, false, 0, nil},
		{"unknown user", nobodyID, nil, false, revoke.KindNotFound, false, 1, nil},
		// Graph's complexity and banned-password refusals share the
		// federated one's status and code; only the message tells them
		// apart. Injected, as the fake's policy is the client's.
		{"complexity, from Graph", aliceID, nil, false, revoke.KindPasswordRefused, false, 1, &fakegraph.Fault{Method: "PATCH", Status: 400,
			Code: "Request_BadRequest", Message: "The specified password does not comply with password complexity requirements. Please provide a different password."}},
		{"banned, from Graph", aliceID, nil, false, revoke.KindPasswordRefused, false, 1, &fakegraph.Fault{Method: "PATCH", Status: 400,
			Code: "Request_BadRequest", Message: "The password you chose is on the banned password list of this organization."}},
		{"another bad request", aliceID, nil, false, revoke.KindBadRequest, false, 1, &fakegraph.Fault{Method: "PATCH", Status: 400,
			Code: "Request_BadRequest", Message: "Invalid value specified for property 'passwordProfile' of resource 'User'."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, c := passwordFake(t)
			if tt.roles != nil {
				g.SetAppDirectoryRoles(tt.roles...)
			}
			if tt.fault != nil {
				g.Inject(*tt.fault)
			}
			pw := newPassword(t)
			if tt.weak {
				pw = "qz7leakcanary" // two classes of four
			}
			_, err := c.ResetPassword(context.Background(), tt.user, pw)
			e := wantError(t, err, tt.kind, op, perm)
			if IsFederated(err) != tt.federated {
				t.Errorf("IsFederated %v: %v", IsFederated(err), err)
			}
			if tt.weak && !errors.Is(err, ErrWeakPassword) {
				t.Errorf("not ErrWeakPassword: %v", err)
			}
			if n := len(g.Requests()); n != tt.requests || (n > 0 && e.Attempts != 1) {
				t.Errorf("%d requests, %d attempts", n, e.Attempts)
			}
			if g.PasswordResets(tt.user) != 0 {
				t.Error("reset all the same")
			}
			noSecret(t, g, err, pw)
		})
	}
}

// TestResetPasswordScrubsEchoes: were Graph to echo the password in its
// message, the error would still not carry it.
func TestResetPasswordScrubsEchoes(t *testing.T) {
	g, c := passwordFake(t)
	pw := newPassword(t)
	g.Inject(fakegraph.Fault{Method: "PATCH", Status: 403, Message: "Refused to set '" + pw + "' for you."})
	_, err := c.ResetPassword(context.Background(), aliceID, pw)
	e := wantError(t, err, revoke.KindForbidden, "reset password", "User-PasswordProfile.ReadWrite.All")
	if e.Message != "Refused to set '[redacted]' for you." || e.Code != "Authorization_RequestDenied" {
		t.Errorf("message %q code %q", e.Message, e.Code)
	}
	noSecret(t, g, err, pw)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.ResetPassword(ctx, aliceID, pw)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "reset password") {
		t.Errorf("cancelled: %v", err)
	}
	noSecret(t, g, err, pw)
}

// TestResetPasswordRetry: a throttled reset is resent as first sent,
// uncompressed, and resets once.
func TestResetPasswordRetry(t *testing.T) {
	g, c := passwordFake(t)
	g.Inject(fakegraph.Fault{Method: "PATCH", Status: 429, RetryAfter: "0.01", Times: 1})
	pw := newPassword(t)
	if _, err := c.ResetPassword(context.Background(), aliceID, pw); err != nil {
		t.Fatal(err)
	}
	log := g.Requests()
	if len(log) != 2 || log[0].Status != 429 || log[1].Status != 204 || !bytes.Equal(log[0].Body, log[1].Body) {
		t.Fatalf("retry resent %q after %q", log[1].Body, log[0].Body)
	}
	for _, r := range log {
		if r.Header.Get("Content-Encoding") != "" {
			t.Errorf("compressed PATCH body: %v", r.Header)
		}
	}
	if g.PasswordResets(aliceID) != 1 {
		t.Errorf("%d resets", g.PasswordResets(aliceID))
	}
	noSecret(t, g, nil, pw)
}

func TestPasswordPolicy(t *testing.T) {
	for p, ok := range map[string]bool{
		"abcdefG1": true, "ABCDEF1!": true, "abc def1": true, "abcdefgh": false, "ABCdefgh": false,
		"Ab1!": false, strings.Repeat("aB1", 86): false, strings.Repeat("aB1", 85) + "x": true,
		"Abcdefg\t1": false, "Pässwörd-1234": false, "": false,
	} {
		if meetsPasswordPolicy(p) != ok {
			t.Errorf("%q: want %v", p, ok)
		}
	}
	for range 100 {
		if pw, err := revoke.NewPassword(); err != nil || !meetsPasswordPolicy(pw) {
			t.Fatalf("NewPassword gave %d characters the policy refuses (%v)", len(pw), err)
		}
	}
}

// TestForbiddenSaysWhatIsMissing: Graph's 403 reads the same whether the
// app lacks the permission or the directory role; the token's roles claim
// tells them apart. A token that is not a JWT is refused before any
// permission is looked at (401), so it never reaches the 403's words.
func TestForbiddenSaysWhatIsMissing(t *testing.T) {
	jwt := func(roles ...string) string {
		claims := `{"roles":["` + strings.Join(roles, `","`) + `"]}`
		return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".sig"
	}
	for _, tt := range []struct {
		name, token, want string
		kind              revoke.ErrorKind
	}{
		{"permission held, no role", jwt("User.Read.All", "User-PasswordProfile.ReadWrite.All"), revoke.LacksRole, revoke.KindForbidden},
		{"permission missing", jwt("User.Read.All"), revoke.LacksPermission, revoke.KindForbidden},
		{"not a JWT", "tok", "", revoke.KindForStatus(401)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := fakegraph.New(fakegraph.Options{Token: tt.token})
			t.Cleanup(g.Close)
			g.AddUser(fakegraph.User{ID: aliceID, UserPrincipalName: "alice@contoso.com", AccountEnabled: true})
			c, err := New(Config{BaseURL: g.URL(), Token: tt.token, Retry: fastRetry(1)})
			if err != nil {
				t.Fatal(err)
			}
			pw := newPassword(t)
			_, err = c.ResetPassword(context.Background(), aliceID, pw)
			if revoke.KindOf(err) != tt.kind || revoke.LacksOf(err) != tt.want {
				t.Errorf("%v: kind %v, lacks %q, want %q", err, revoke.KindOf(err), revoke.LacksOf(err), tt.want)
			}
			noSecret(t, g, err, pw)
		})
	}
}
