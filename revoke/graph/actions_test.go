package graph

import (
	"maps"
	"slices"
	"testing"

	"github.com/revokebot/revokebot/revoke"
)

func TestActionRoles(t *testing.T) {
	for a, want := range map[revoke.Action][]string{
		revoke.ActionDisable:     {"User.EnableDisableAccount.All", "User.Read.All"},
		revoke.ActionSessions:    {"User.RevokeSessions.All", "User.Read.All"},
		revoke.ActionCompromised: {"IdentityRiskyUser.ReadWrite.All", "User.Read.All"},
		revoke.ActionSharePoint:  nil,
		"unknown":                nil,
	} {
		if got := ActionRoles(a); !slices.Equal(got, want) {
			t.Errorf("ActionRoles(%s) = %v, want %v", a, got, want)
		}
	}
	// Callers get their own slices.
	ActionRoles(revoke.ActionDisable)[0] = "changed"
	WatchRoles()[0] = "changed"
	if ActionRoles(revoke.ActionDisable)[0] != "User.EnableDisableAccount.All" || WatchRoles()[0] != "AuditLog.Read.All" {
		t.Error("roles are shared")
	}
}

func TestCanDo(t *testing.T) {
	type can struct{ disable, sessions, compromised, watch, password, mfa, consents, mailbox bool }
	tests := []struct {
		name  string
		roles []string
		want  can
	}{
		{"nothing", nil, can{}},
		{"the documented minimum for revocation", []string{"User.RevokeSessions.All", "User.Read.All"}, can{sessions: true}},
		{"all least-privileged permissions", []string{"User.Read.All", "User.EnableDisableAccount.All", "User.RevokeSessions.All",
			"IdentityRiskyUser.ReadWrite.All", "AuditLog.Read.All", "User-PasswordProfile.ReadWrite.All", "UserAuthenticationMethod.ReadWrite.All",
			"DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Application.Read.All", "MailboxSettings.ReadWrite"}, can{true, true, true, true, true, true, true, true}},
		// Graph refuses a password reset to User.ReadWrite.All alone.
		{"a password needs its own permission", []string{"User.Read.All", "User.ReadWrite.All"}, can{disable: true, sessions: true}},
		{"an action's own permission is not enough", []string{"User.EnableDisableAccount.All", "User.RevokeSessions.All",
			"IdentityRiskyUser.ReadWrite.All"}, can{}},
		{"case does not matter", []string{"user.read.all", "USER.ENABLEDISABLEACCOUNT.ALL"}, can{disable: true}},
		{"User.ReadWrite.All covers the user actions", []string{"User.ReadWrite.All"}, can{disable: true, sessions: true}},
		{"Directory.ReadWrite.All too", []string{"Directory.ReadWrite.All"}, can{disable: true, sessions: true}},
		{"Directory.Read.All covers reading users only", []string{"Directory.Read.All", "IdentityRiskyUser.ReadWrite.All"}, can{compromised: true}},
		{"reading risky users is not writing them", []string{"User.Read.All", "IdentityRiskyUser.Read.All"}, can{}},
		{"the sign-in log alone", []string{"AuditLog.Read.All"}, can{watch: true}},
	}
	for _, tt := range tests {
		got := CanDo(tt.roles)
		want := map[revoke.Action]bool{
			revoke.ActionDisable: tt.want.disable, revoke.ActionSessions: tt.want.sessions, revoke.ActionCompromised: tt.want.compromised,
			revoke.ActionResetPassword: tt.want.password, revoke.ActionMFA: tt.want.mfa, revoke.ActionConsents: tt.want.consents, revoke.ActionMailbox: tt.want.mailbox,
		}
		if !maps.Equal(got, want) || CanWatch(tt.roles) != tt.want.watch {
			t.Errorf("%s: CanDo = %v, CanWatch = %v; want %v, %v", tt.name, got, CanWatch(tt.roles), want, tt.want.watch)
		}
	}
}
