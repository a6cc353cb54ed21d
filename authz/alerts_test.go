package authz

import (
	"strings"
	"testing"
	"time"
)

const alertsBase = "requesters:\n  users: [U01AAAAAAA]\nchannels: [C01INCIDENT]\naudit_channel: C01AUDIT\n"

// TestParseAlerts: the SPEC's example parses, with its defaults where the
// file is silent; absent, alerts are off.
func TestParseAlerts(t *testing.T) {
	p, err := ParsePolicy([]byte(alertsBase + `alerts:
  channel: C01INCIDENT
  every: 1m
  defender:
    min_severity: medium
  risky_users:
    min_level: high
  actions: [sessions, disable]
  quiet: 12h
`))
	if err != nil {
		t.Fatal(err)
	}
	a := p.Alerts
	if a == nil || a.Channel != "C01INCIDENT" || a.Every != time.Minute || a.Defender.Min != LevelMedium || a.RiskyUsers.Min != LevelHigh ||
		strings.Join(a.Actions, ",") != "sessions,disable" || a.Quiet != 12*time.Hour {
		t.Fatalf("alerts %+v", a)
	}
	p, err = ParsePolicy([]byte(alertsBase + "alerts:\n  channel: C01INCIDENT\n  defender:\n"))
	if err != nil || p.Alerts.Defender.Min != LevelHigh || p.Alerts.RiskyUsers != nil || p.Alerts.Every != DefaultAlertsEvery ||
		p.Alerts.Quiet != DefaultAlertsQuiet || strings.Join(p.Alerts.Actions, ",") != "sessions" {
		t.Fatalf("defaults: %+v %v", p.Alerts, err)
	}
	if p, err := ParsePolicy([]byte(alertsBase)); err != nil || p.Alerts != nil {
		t.Fatalf("no alerts section: %+v %v", p.Alerts, err)
	}
	if LevelOf("informational") != 0 || LevelOf("high") != LevelHigh || LevelMedium.String() != "medium" {
		t.Error("levels")
	}
}

// TestParseAlertsErrors: each mistake is one error naming its key.
func TestParseAlertsErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"alerts:\n  channel: C01INCIDENT\n  sentinel:\n    min_severity: high\n", "alerts.sentinel: unknown key"},
		{"alerts:\n  channel: C01INCIDENT\n  every: 10s\n  defender:\n", "alerts.every: \"10s\" is too often: at least 30s"},
		{"alerts:\n  channel: C01OTHER\n  defender:\n", "alerts.channel: C01OTHER is not one of the policy's channels"},
		{"alerts:\n  channel: C01AUDIT\n  defender:\n", "alerts.channel: C01AUDIT is not one of the policy's channels"},
		{"alerts:\n  defender:\n", "alerts.channel: name the channel"},
		{"alerts:\n  channel: C01INCIDENT\n", "alerts: name at least one source (defender, risky_users)"},
		{"alerts:\n  channel: C01INCIDENT\n  defender:\n    min_severity: critical\n", "alerts.defender.min_severity: \"critical\" is not one of low, medium, high"},
		{"alerts:\n  channel: C01INCIDENT\n  risky_users:\n    min_severity: high\n", "alerts.risky_users.min_severity: unknown key"},
		{"alerts:\n  channel: C01INCIDENT\n  defender:\n  actions: [nuke]\n", "alerts.actions[0]: \"nuke\" is not one of"},
		{"alerts:\n  channel: C01INCIDENT\n  defender:\n  quiet: soon\n", "alerts.quiet: \"soon\" is not a duration"},
	} {
		_, err := ParsePolicy([]byte(alertsBase + tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.yaml, err, tc.want)
		}
	}
	// Without a channels list, any channel but the audit channel will do.
	if _, err := ParsePolicy([]byte("requesters:\n  users: [U01AAAAAAA]\naudit_channel: C01AUDIT\nalerts:\n  channel: C01AUDIT\n  defender:\n")); err == nil ||
		!strings.Contains(err.Error(), "it is the audit channel") {
		t.Errorf("alerts in the audit channel: %v", err)
	}
}
