package main

import (
	"github.com/revokebot/revokebot/internal/fakegraph"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestHealthAndReadiness: /healthz while the process lives; /readyz only
// while Socket Mode is connected and the store answers.
func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withHealthAddr())
	base := "http://" + e.sb.Env["REVOKEBOT_LISTEN"]
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz %d", code)
	}
	e.waitFor("/readyz to be 200", func(*fakeslack.Server) bool { code, _ := get("/readyz"); return code == 200 })

	// Slack goes away and will not take the bot back for a while.
	e.sb.Slack.FailNext("apps.connections.open", "internal_error", 1000, 0)
	e.sb.Slack.DropConnections()
	e.waitFor("/readyz to be 503", func(*fakeslack.Server) bool {
		code, body := get("/readyz")
		return code == 503 && strings.Contains(body, "Socket Mode connection is down")
	})
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz %d while Slack is away: the process still lives", code)
	}
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	if code, _ := get("/healthz"); code != 0 {
		t.Errorf("health endpoint still served after shutdown: %d", code)
	}
}

// TestMetrics: the SPEC's metrics count what happened.
func TestMetrics(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withHealthAddr())
	e.command(uStranger, chIncident, "alice")
	e.ephemeral(uStranger, "not on revokebot's list")
	card := e.request(uRequester, "alice --forwarding")
	e.sb.Graph.Inject(fakegraph.Fault{Method: "POST", Status: 429, RetryAfter: "0.01", Times: 2})
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	opened := e.sb.Slack.ConnectionsOpened()
	e.sb.Slack.Disconnect("refresh_requested")
	e.waitFor("a reconnect", func(s *fakeslack.Server) bool { return s.ConnectionsOpened() > opened && s.OpenConnections() == 1 })

	resp, err := http.Get("http://" + e.sb.Env["REVOKEBOT_LISTEN"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	text := string(body)
	for _, want := range []string{
		`revokebot_commands_total{outcome="accepted"} 1`,
		`revokebot_commands_total{outcome="refused"} 1`,
		`revokebot_decisions_total{decision="revoke_confirm",outcome="accepted"} 1`,
		`revokebot_revocations_total{outcome="succeeded"} 1`,
		`revokebot_graph_throttled_total 2`,
		`revokebot_graph_request_duration_seconds_count{code="429"} 2`,
		`revokebot_graph_request_duration_seconds_count{code="200"}`,
		`revokebot_exchange_request_duration_seconds_count{code="200"}`,
		`revokebot_slack_reconnects_total 1`,
		`revokebot_bulk_users{state="remaining"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}
