package revoke

import "testing"

func TestRoleNoteString(t *testing.T) {
	tests := []struct {
		note RoleNote
		want string
	}{
		{RoleNote{Gap: GapEligible, Err: &Error{Kind: KindUnlicensed, Permission: "RoleEligibilitySchedule.Read.Directory"}},
			"PIM-eligible role holders are not listed: the tenant has no Microsoft Entra ID P2 licence"},
		{RoleNote{Gap: GapGroupMembers, Err: &Error{Kind: KindForbidden, Permission: "GroupMember.Read.All"}},
			"members of groups holding roles are not listed: the app lacks GroupMember.Read.All"},
		// Without a permission to name, Graph's own answer is the reason.
		{RoleNote{Gap: GapGroupMembers, Err: &Error{Kind: KindForbidden, Op: "list a role group's members", Status: 403, Code: "Authorization_RequestDenied"}},
			"members of groups holding roles are not listed: list a role group's members: HTTP 403 Authorization_RequestDenied"},
		{RoleNote{Gap: GapEligible}, "PIM-eligible role holders are not listed"},
		{RoleNote{}, "some role holders are not listed"},
	}
	for _, tt := range tests {
		if got := tt.note.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.note, got, tt.want)
		}
	}
}

func TestRoleHolderEligible(t *testing.T) {
	eligible := RoleHold{RoleID: "r", Scope: "/", Eligible: true}
	active := RoleHold{RoleID: "r", Scope: "/", GroupID: "g", Group: "Admins"}
	if !(RoleHolder{Roles: []RoleHold{eligible}}).Eligible() {
		t.Error("only eligible: Eligible() is false")
	}
	if (RoleHolder{Roles: []RoleHold{eligible, active}}).Eligible() {
		t.Error("an active hold through a group: Eligible() is true")
	}
}
