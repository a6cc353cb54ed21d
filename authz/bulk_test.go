package authz

import "testing"

func TestSkipReason(t *testing.T) {
	p := Policy{Protected: []string{"breakglass@contoso.com", "0b5e3a1c-0000-4000-8000-000000000001"}}
	incl := p
	incl.RevokeAll = RevokeAll{IncludeGuests: true, IncludeDisabled: true}
	member := Account{ID: "u1", UPN: "alice@contoso.com", Enabled: true}
	cases := []struct {
		name   string
		p      Policy
		a      Account
		reason string
	}{
		{"enabled member", p, member, ""},
		{"guest", p, Account{ID: "u2", UPN: "bob_fabrikam.com#EXT#@contoso.com", Guest: true, Enabled: true}, SkipGuest},
		{"disabled", p, Account{ID: "u3", UPN: "carol@contoso.com"}, SkipDisabled},
		{"disabled guest counts as guest", p, Account{ID: "u4", Guest: true}, SkipGuest},
		{"protected by UPN, any case", p, Account{ID: "u5", UPN: "BreakGlass@Contoso.com", Enabled: true}, SkipProtected},
		{"protected by object ID", p, Account{ID: "0B5E3A1C-0000-4000-8000-000000000001", Enabled: true}, SkipProtected},
		{"protected wins over guest", p, Account{ID: "u6", Mail: "breakglass@contoso.com", Guest: true}, SkipProtected},
		{"guests included", incl, Account{ID: "u7", Guest: true, Enabled: true}, ""},
		{"disabled included", incl, Account{ID: "u8"}, ""},
		{"protected even when all included", incl, Account{ID: "u9", UPN: "breakglass@contoso.com"}, SkipProtected},
	}
	for _, c := range cases {
		if got := c.p.SkipReason(c.a); got != c.reason {
			t.Errorf("%s: SkipReason = %q, want %q", c.name, got, c.reason)
		}
	}
}

func TestMayStop(t *testing.T) {
	p := Policy{Requesters: Principals{Users: []string{"UREQ", "UOTHER"}}, Approvers: Principals{Users: []string{"UAPP"}, Groups: []string{"SAPP"}}}
	for _, c := range []struct {
		a  Actor
		ok bool
	}{
		{Actor{UserID: "UREQ"}, true},
		{Actor{UserID: "UAPP"}, true},
		{Actor{UserID: "UGRP", Groups: []string{"SAPP"}}, true},
		{Actor{UserID: "UOTHER"}, false},
		{Actor{UserID: "USTRANGER"}, false},
	} {
		reason, ok := p.MayStop("UREQ", c.a)
		if ok != c.ok || (!ok && reason == "") {
			t.Errorf("MayStop(%s) = %q, %v; want ok=%v with a reason when refused", c.a.UserID, reason, ok, c.ok)
		}
	}
}

func TestRevokeAllPolicyKeys(t *testing.T) {
	p, err := ParsePolicy([]byte("requesters: {users: [U01]}\nrevoke_all: {writes: 2400, per: 150s, concurrency: 8}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.RevokeAll.Writes != 2400 || p.RevokeAll.Per.Seconds() != 150 || p.RevokeAll.Concurrency != 8 {
		t.Errorf("revoke_all = %+v", p.RevokeAll)
	}
	d, _ := ParsePolicy([]byte("requesters: {users: [U01]}\n"))
	if d.RevokeAll.Writes != DefaultWrites || d.RevokeAll.Per != DefaultPer || d.RevokeAll.Concurrency != DefaultConcurrency {
		t.Errorf("defaults = %+v", d.RevokeAll)
	}
	for _, bad := range []string{"writes: 0", "writes: many", "writes: 1.5", "per: 0s", "per: soon", "concurrency: 1000"} {
		if _, err := ParsePolicy([]byte("requesters: {users: [U01]}\nrevoke_all: {" + bad + "}\n")); err == nil {
			t.Errorf("revoke_all {%s}: no error", bad)
		}
	}
}
