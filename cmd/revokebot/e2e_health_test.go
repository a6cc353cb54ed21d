package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestHealthAndReadiness: /healthz while the process lives; /readyz only
// while Socket Mode is connected and the store answers.
func TestHealthAndReadiness(t *testing.T) {
	e := startEnv(t)
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
