package revoke

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"2", 2 * time.Second},
		{" 31 ", 31 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"-1", 0},
		{"soon", 0},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second},
		{now.Add(-10 * time.Second).Format(http.TimeFormat), 0},
	} {
		if got := RetryAfterHeader(tc.v, now); got != tc.want {
			t.Errorf("RetryAfterHeader(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// TestAdminURL: https, or plain http to this machine only, scheme and host
// only, and an error that never repeats the URL.
func TestAdminURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://outlook.office365.com": true, "https://outlook.office365.com/": true, "http://127.0.0.1:8080": true,
		"http://localhost:1": true, "http://outlook.office365.com": false, "ftp://x": false, "outlook.office365.com": false,
		"https://user:s3cret@outlook.office365.com": false, "https://outlook.office365.com/adminapi": false, "https://x?q=1": false,
	} {
		u, err := AdminURL("X_URL", "https://example.com", raw)
		if (err == nil) != ok {
			t.Errorf("AdminURL(%q) = %v, %v; want ok %v", raw, u, err, ok)
		}
		if err != nil && (strings.Contains(err.Error(), "s3cret") || !strings.HasPrefix(err.Error(), "X_URL: ")) {
			t.Errorf("AdminURL(%q): error %q", raw, err)
		}
	}
}

// TestRedact: a secret echoed back is replaced wherever it stands.
func TestRedact(t *testing.T) {
	if got := Redact("a tok b tok", "tok"); got != "a [token] b [token]" {
		t.Errorf("Redact = %q", got)
	}
	if got := Redact("nothing", ""); got != "nothing" {
		t.Errorf("Redact with no secret = %q", got)
	}
}
