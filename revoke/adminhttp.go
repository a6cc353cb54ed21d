package revoke

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// AdminURL parses the base URL of an admin endpoint, named by its setting
// (e.g. SHAREPOINT_ADMIN_URL) with an example of the right form: scheme and
// host only, https, or plain http to this machine (tests), so that a bearer
// token never crosses a network in clear. Its errors never repeat the URL,
// which could hold a password in its userinfo.
func AdminURL(setting, example, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, errors.New(setting + ": not an absolute URL (want e.g. " + example + ")")
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, errors.New(setting + ": plain http is allowed only for localhost")
		}
	default:
		return nil, errors.New(setting + ": want an https URL")
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, errors.New(setting + ": want scheme and host only, e.g. " + example)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// Redact removes a secret from text a service sent back, should a proxy or
// a diagnostic ever echo the request.
func Redact(s, secret string) string {
	if secret == "" || !strings.Contains(s, secret) {
		return s
	}
	return strings.ReplaceAll(s, secret, "[token]")
}

// RetryAfterHeader reads Retry-After: seconds (fractions accepted) or an
// HTTP date; 0 when absent, unreadable or past.
func RetryAfterHeader(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 || s > 24*3600 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// Observed times every HTTP exchange through next, retries included, and
// tells observe its duration and status (0 when there was no answer).
func Observed(next http.RoundTripper, observe func(time.Duration, int)) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return observedTransport{next: next, observe: observe}
}

type observedTransport struct {
	next    http.RoundTripper
	observe func(time.Duration, int)
}

func (o observedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := o.next.RoundTrip(r)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	o.observe(time.Since(start), status)
	return resp, err
}
