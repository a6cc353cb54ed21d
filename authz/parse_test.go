package authz

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParsePolicyFull(t *testing.T) {
	p, err := ParsePolicy([]byte(`
requesters:
  users: [U01AAAAAAA]
  groups: [S01BBBBBBB]
approvers:
  users: [U01CCCCCCC]
  groups: []
channels: [C01INCIDENT]
audit_channel: C01AUDIT
protected:
  - breakglass@contoso.com
confirm_timeout: 5m
approval_timeout: 1h
revoke_all:
  include_guests: true
  include_disabled: false
actions: [sessions, disable]
verify:
  for: 15m
  every: 30s
`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Requesters.Users[0] != "U01AAAAAAA" || p.Requesters.Groups[0] != "S01BBBBBBB" ||
		p.Approvers.Users[0] != "U01CCCCCCC" || len(p.Approvers.Groups) != 0 ||
		p.Channels[0] != "C01INCIDENT" || p.AuditChannel != "C01AUDIT" ||
		p.ConfirmTimeout != 5*time.Minute || p.ApprovalTimeout != time.Hour ||
		!p.RevokeAll.IncludeGuests || p.RevokeAll.IncludeDisabled ||
		len(p.Actions) != 2 || p.Verify.For != 15*time.Minute || p.Verify.Every != 30*time.Second {
		t.Fatalf("parsed %+v", p)
	}
	if !p.IsProtected("x", "BreakGlass@Contoso.com") || p.IsProtected("alice@contoso.com", "") {
		t.Fatal("protected matching")
	}
}

func TestParsePolicyDefaults(t *testing.T) {
	p, err := ParsePolicy([]byte("requesters:\n  users: [U1AAAA]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.ConfirmTimeout != DefaultConfirmTimeout || p.ApprovalTimeout != DefaultApprovalTimeout {
		t.Errorf("timeouts %v %v", p.ConfirmTimeout, p.ApprovalTimeout)
	}
	if len(p.Approvers.Users) != 1 || p.Approvers.Users[0] != "U1AAAA" {
		t.Errorf("approvers should default to requesters: %+v", p.Approvers)
	}
	if len(p.Actions) != 1 || p.Actions[0] != "sessions" {
		t.Errorf("actions %v", p.Actions)
	}
}

func TestParsePolicyErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"requesters:\n  users: [U1AAAA]\ncolour: blue\n", "colour: unknown key, line 3"},
		{"requesters:\n  users: [U1AAAA]\n  admins: [U2]\n", "requesters.admins: unknown key"},
		{"requesters:\n  users: [alice]\n", `requesters.users[0]: "alice" is not a Slack user ID`},
		{"requesters:\n  groups: [U1AAAA]\n", "requesters.groups[0]"},
		{"requesters:\n  users: U1AAAA\n", "requesters.users: want a list"},
		{"requesters:\n  users: [U1AAAA]\nconfirm_timeout: 10 minutes\n", `confirm_timeout: "10 minutes" is not a duration`},
		{"requesters:\n  users: [U1AAAA]\nconfirm_timeout: 0s\n", "confirm_timeout: \"0s\" must be more than zero"},
		{"requesters:\n  users: [U1AAAA]\nverify:\n  for: 1h\n  every: 9s\n", `verify.every: "9s" is too often: at least 10s, line 5`},
		{"requesters:\n  users: [U1AAAA]\nchannels: [general]\n", `channels[0]: "general" is not a channel ID`},
		{"requesters:\n  users: [U1AAAA]\naudit_channel: [C1AAAA]\n", "audit_channel: want a string"},
		{"requesters:\n  users: [U1AAAA]\nrevoke_all:\n  include_guests: maybe\n", "revoke_all.include_guests: want true or false"},
		{"requesters:\n  users: [U1AAAA]\nactions: [nuke]\n", `actions[0]: "nuke" is not one of`},
		{"requesters:\n  users: [U1AAAA]\nprotected: [42]\n", "protected[0]: want a string"},
		{"channels: [C1AAAA]\n", "requesters: name at least one"},
		{"requesters: [\n", "not valid YAML"},
		{"- a\n- b\n", "policy: want a mapping"},
	} {
		_, err := ParsePolicy([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.yaml, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error is not one line: %q", tc.yaml, err)
		}
	}
}

func TestParseApprovalsRequired(t *testing.T) {
	base := "requesters:\n  users: [U01]\napprovers:\n  users: [U02, U03, U04]\n"
	p, err := ParsePolicy([]byte(base))
	if err != nil || p.Quorum() != 1 {
		t.Fatalf("default: %d %v", p.Quorum(), err)
	}
	if p, err = ParsePolicy([]byte(base + "approvals_required: 2\n")); err != nil || p.Quorum() != 2 {
		t.Fatalf("2 of 3: %d %v", p.Quorum(), err)
	}
	for text, want := range map[string]string{
		"approvals_required: 4\n":   "approvals_required: 4, but the policy names only 3 approvers",
		"approvals_required: 0\n":   "approvals_required: 0 is not between 1 and 20",
		"approvals_required: two\n": "approvals_required: want a whole number",
	} {
		if _, err := ParsePolicy([]byte(base + text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
	// With a group of approvers, the policy cannot count them: allowed.
	if _, err := ParsePolicy([]byte(base + "approvals_required: 5\n")); err == nil {
		t.Error("5 of 3 named users accepted")
	}
	if _, err := ParsePolicy([]byte("requesters:\n  users: [U01]\napprovers:\n  groups: [S01]\napprovals_required: 5\n")); err != nil {
		t.Errorf("5 of a group: %v", err)
	}
}

// TestExamplePolicyParses keeps the example policy in deploy/ true.
func TestExamplePolicyParses(t *testing.T) {
	data, err := os.ReadFile("../deploy/revokebot.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePolicy(data); err != nil {
		t.Fatalf("deploy/revokebot.example.yaml: %v", err)
	}
}

// TestParseProtected: a protected entry is a UPN or e-mail address or an
// object ID, the forms IsProtected can match; anything else protects nobody
// and is refused, naming the entry.
func TestParseProtected(t *testing.T) {
	for entry, ok := range map[string]bool{
		"breakglass@contoso.com":                         true,
		"Break.Glass+ops@Contoso.CO.uk":                  true,
		"gina_fabrikam.com#EXT#@contoso.onmicrosoft.com": true, // a guest's UPN
		"44444444-4444-4444-8444-444444444444":           true,
		"ABCDEF01-2345-6789-ABCD-EF0123456789":           true,
		"breakglass":                                     false, // a mail alias: IsProtected never sees it
		"Cleo CEO":                                       false,
		"U01AAAAAAA":                                     false,
		"breakglass@":                                    false,
		"@contoso.com":                                   false,
		"breakglass@localhost":                           false,
		"<mailto:ceo@contoso.com|ceo@contoso.com>":       false,
		"4444444-4444-4444-8444-444444444444":            false,
		"44444444-4444-4444-8444-444444444444 (the CEO)": false,
		"ceo@contoso.com, cfo@contoso.com":               false,
	} {
		p, err := ParsePolicy([]byte("requesters:\n  users: [U1AAAA]\nprotected:\n  - ceo@contoso.com\n  - '" + entry + "'\n"))
		switch {
		case ok && (err != nil || !slices.Equal(p.Protected, []string{"ceo@contoso.com", entry})):
			t.Errorf("%q refused: %v", entry, err)
		case !ok && (err == nil || err.Error() != `protected[1]: "`+entry+`" is not a UPN, e-mail address or object ID (GUID), line 5`):
			t.Errorf("%q: got %v", entry, err)
		}
	}
	if !IsObjectID("44444444-4444-4444-8444-444444444444") || IsObjectID("ceo@contoso.com") {
		t.Error("IsObjectID")
	}
}
