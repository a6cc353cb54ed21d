package revoke

import "testing"

func TestSecurityRelevant(t *testing.T) {
	for activity, want := range map[string]bool{
		"User registered security info":                 true,
		"Admin deleted security info":                   true,
		"user started password reset":                   true, // the log's own lower case
		"Reset user password":                           true,
		"Change password (self-service)":                true,
		"Consent to application":                        true,
		"Add delegated permission grant":                true,
		"Add member to role":                            true,
		"Add member to role completed (PIM activation)": true,
		" Remove member from role ":                     true,
		"Update user":                                   false, // too broad alone: every profile edit
		"Add member to group":                           false,
		"Update StsRefreshTokenValidFrom Timestamp":     false, // revokeSignInSessions' own trace
		"": false,
	} {
		if got := (DirectoryEvent{Activity: activity}).SecurityRelevant(); got != want {
			t.Errorf("%q: %t, want %t", activity, got, want)
		}
	}
}
