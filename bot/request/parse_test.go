package request

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/revokebot/revokebot/revoke"
)

func TestParse(t *testing.T) {
	t.Parallel()
	addr := func(v string) Target { return Target{Kind: TargetAddress, Value: v} }
	for _, tc := range []struct {
		text string
		want Command
	}{
		{"", Command{Kind: CmdHelp}},
		{"   ", Command{Kind: CmdHelp}},
		{"HELP", Command{Kind: CmdHelp}},
		{"alice@contoso.com", Command{Kind: CmdRevoke, Targets: []Target{addr("alice@contoso.com")}}},
		{"  alice@contoso.com   ", Command{Kind: CmdRevoke, Targets: []Target{addr("alice@contoso.com")}}},
		{"<mailto:alice@contoso.com|alice@contoso.com>", Command{Kind: CmdRevoke, Targets: []Target{addr("alice@contoso.com")}}},
		{"alice_fabrikam.com#EXT#@contoso.onmicrosoft.com", Command{Kind: CmdRevoke, Targets: []Target{addr("alice_fabrikam.com#EXT#@contoso.onmicrosoft.com")}}},
		{"alice", Command{Kind: CmdRevoke, Targets: []Target{{TargetAlias, "alice"}}}},
		{"o'brien", Command{Kind: CmdRevoke, Targets: []Target{{TargetAlias, "o'brien"}}}},
		{"8F1C2D3E-0000-4000-8000-00000000ABCD", Command{Kind: CmdRevoke, Targets: []Target{{TargetObjectID, "8f1c2d3e-0000-4000-8000-00000000abcd"}}}},
		{"<@U01ALICE|alice>", Command{Kind: CmdRevoke, Targets: []Target{{TargetSlackUser, "U01ALICE"}}}},
		{"<@W01ALICE>", Command{Kind: CmdRevoke, Targets: []Target{{TargetSlackUser, "W01ALICE"}}}},
		{"alice bob alice", Command{Kind: CmdRevoke, Targets: []Target{{TargetAlias, "alice"}, {TargetAlias, "bob"}}}},
		{`alice --compromised --DISABLE --sharepoint --disable --reason "phishing INC-42"`, Command{Kind: CmdRevoke,
			Targets: []Target{{TargetAlias, "alice"}}, Actions: []revoke.Action{revoke.ActionDisable, revoke.ActionSharePoint, revoke.ActionCompromised},
			Reason: "phishing INC-42"}},
		{"alice --reason “curly quotes”", Command{Kind: CmdRevoke, Targets: []Target{{TargetAlias, "alice"}}, Reason: "curly quotes"}},
		{"All", Command{Kind: CmdAll}},
		{"status RB-abcdefgh", Command{Kind: CmdStatus, RequestID: "rb-abcdefgh"}},
		{"history alice@contoso.com", Command{Kind: CmdHistory, Targets: []Target{addr("alice@contoso.com")}}},
	} {
		if got := Parse(tc.text); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.text, got, tc.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"<!channel>":             "is not a user",
		"<!here>":                "is not a user",
		"<#C0123|incident>":      "is not a user",
		"<https://evil.example>": "is not a user",
		"<@channel>":             "is not a user",
		"<@S0GROUP>":             "is not a user mention",
		"all bob":                "stands alone",
		"help me":                "takes nothing",
		"status":                 "Usage: `/revoke status",
		"status 1; drop table":   "Usage",
		"history":                "Usage: `/revoke history",
		"alice --force":          "is not an option",
		"alice --reason":         "needs a text",
		`alice --reason "open`:   "not closed",
		"--disable":              "Name a user",
		"alice)or(1":             "is not a user",
		"a@b":                    "not a valid user principal name",
		"x@contoso.com@evil.com": "not a valid",
		"alice\x00":              "control characters",
		"u1 u2 u3 u4 u5 u6 u7 u8 u9 u10 u11 u12 u13 u14 u15 u16 u17 u18 u19 u20 u21": "At most 20",
	} {
		got := Parse(text)
		if got.Kind != CmdInvalid || !strings.Contains(got.Error, want) {
			t.Errorf("Parse(%q) = %+v, want an error containing %q", text, got, want)
		}
		if strings.ContainsAny(strings.ReplaceAll(got.Error, "<@", ""), "<>") && !strings.Contains(got.Error, "&lt;") {
			t.Errorf("Parse(%q): error echoes unescaped input: %q", text, got.Error)
		}
	}
}

// FuzzParse checks that no text makes Parse panic, and that whatever it
// accepts is well formed and whatever it echoes is escaped.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "alice", "<@U1|x>", "all", "status rb-abcd", `a --reason "x y"`,
		"<!channel>", "x' or 1 eq 1", "“", "history <@W1>", "a@b.co --disable"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c := Parse(text)
		switch c.Kind {
		case CmdInvalid:
			if c.Error == "" {
				t.Fatal("invalid without an error")
			}
			// Everything echoed is escaped, so no < or > of the input survives.
			if strings.ContainsAny(c.Error, "<>") {
				t.Fatalf("error echoes unescaped input: %q", c.Error)
			}
			if len(c.Error) > 1200 {
				t.Fatalf("error of %d bytes: input echoed unclipped", len(c.Error))
			}
		case CmdRevoke:
			if len(c.Targets) == 0 || len(c.Targets) > MaxTargets {
				t.Fatalf("%d targets", len(c.Targets))
			}
		}
		for _, tg := range c.Targets {
			if tg.Value == "" || strings.ContainsAny(tg.Value, " \t\n<>") {
				t.Fatalf("bad target %+v", tg)
			}
			if !utf8.ValidString(tg.Value) && utf8.ValidString(text) {
				t.Fatalf("invalid utf8 target from valid text")
			}
		}
	})
}
