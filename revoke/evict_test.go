package revoke

import (
	"strings"
	"testing"
)

func TestNewPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		p, err := NewPassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != PasswordLength || seen[p] {
			t.Fatalf("%d characters, repeated %v", len(p), seen[p])
		}
		seen[p] = true
		for _, set := range []string{pwLower, pwUpper, pwDigit, pwSymbol} {
			if !strings.ContainsAny(p, set) {
				t.Fatalf("a password lacks a class of %q", set)
			}
		}
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+1 2065550123": "•••••••0123", "+44 7700 900461": "••••••••0461", "123456": "••••56", "12": "••", "": "",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRuleSuspicious(t *testing.T) {
	for _, tc := range []struct {
		r    Rule
		sus  bool
		does string
	}{
		{Rule{Name: "move newsletters"}, false, ""},
		{Rule{ForwardTo: []string{"x@evil.example"}}, true, "forwards to x@evil.example"},
		{Rule{RedirectTo: []string{"a@b.c", "d@e.f"}, Delete: true}, true, "redirects to a@b.c, d@e.f; deletes"},
		{Rule{ForwardAsAttach: []string{"y@evil.example"}, Delete: true, PermanentDelete: true}, true, "forwards as attachment to y@evil.example; deletes permanently"},
	} {
		if tc.r.Suspicious() != tc.sus || tc.r.Does() != tc.does {
			t.Errorf("%+v: %v %q", tc.r, tc.r.Suspicious(), tc.r.Does())
		}
	}
}
