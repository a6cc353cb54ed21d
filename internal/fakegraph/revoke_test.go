package fakegraph

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

func revoke(t *testing.T, s *Server, key string) result {
	t.Helper()
	return do(t, s, http.MethodPost, "/users/"+key+"/revokeSignInSessions", nil, nil)
}

func TestRevoke(t *testing.T) {
	clock := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	s := newTestServer(t, Options{Now: func() time.Time { return clock }})
	r := revoke(t, s, "1")
	if r.status != 200 || r.body["value"] != true ||
		r.body["@odata.context"] != "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean" {
		t.Fatalf("revoke: %d %v", r.status, r.body)
	}
	revoke(t, s, "ALICE%40contoso.com")
	revoke(t, s, "gil_fabrikam.com%23EXT%23%40contoso.onmicrosoft.com") // guests are accepted too
	if r := revoke(t, s, "nobody"); r.status != 404 || r.errorCode() != "Request_ResourceNotFound" {
		t.Errorf("unknown user: %d %v", r.status, r.body)
	}
	if s.Revocations("1") != 2 || s.Revocations("alice@contoso.com") != 2 || s.Revocations("3") != 1 ||
		s.Revocations("2") != 0 || s.Revocations("nobody") != 0 || s.TotalRevocations() != 3 {
		t.Errorf("counts: %d %d %d total %d", s.Revocations("1"), s.Revocations("3"), s.Revocations("2"), s.TotalRevocations())
	}
	if u, _ := s.User("1"); !u.SignInSessionsValidFrom.Equal(clock) {
		t.Errorf("SignInSessionsValidFrom %v", u.SignInSessionsValidFrom)
	}
	g := get(t, s, "/users/1?$select=signInSessionsValidFromDateTime", nil)
	if g.body["signInSessionsValidFromDateTime"] != "2026-11-28T03:04:05Z" {
		t.Errorf("served %v", g.body)
	}
}

func TestFaults(t *testing.T) {
	s := newTestServer(t, Options{})
	s.Inject(Fault{Method: "post", PathSuffix: "/REVOKESIGNINSESSIONS", Status: 429, RetryAfter: "0.2", Times: 2})
	s.Inject(Fault{Method: "GET", Status: 403})
	for i := range 2 {
		r := revoke(t, s, "1")
		if r.status != 429 || r.errorCode() != "TooManyRequests" || r.header.Get("Retry-After") != "0.2" {
			t.Fatalf("attempt %d: %d %v %v", i, r.status, r.body, r.header)
		}
	}
	if r := revoke(t, s, "1"); r.status != 200 || s.Revocations("1") != 1 {
		t.Fatalf("after the fault ran out: %d, %d revocations", r.status, s.Revocations("1"))
	}
	for range 3 {
		r := get(t, s, "/users/1", nil)
		if r.status != 403 || r.errorCode() != "Authorization_RequestDenied" ||
			r.errorMessage() != "Insufficient privileges to complete the operation." || r.header.Get("Retry-After") != "" {
			t.Fatalf("forever fault: %d %v", r.status, r.body)
		}
	}
	s.ClearFaults()
	for status, code := range map[int]string{503: "ServiceUnavailable", 504: "GatewayTimeout", 404: "Request_ResourceNotFound", 500: "generalException"} {
		s.Inject(Fault{Status: status, Times: 1})
		if r := get(t, s, "/users/1", nil); r.status != status || r.errorCode() != code {
			t.Errorf("status %d: %d %v", status, r.status, r.body)
		}
	}
	s.Inject(Fault{Status: 503, Code: "Custom", Times: 1})
	if r := get(t, s, "/users/1", nil); r.errorCode() != "Custom" {
		t.Errorf("custom code: %v", r.body)
	}
	if r := get(t, s, "/users/1", nil); r.status != 200 {
		t.Errorf("no fault left: %d", r.status)
	}
	// Unauthenticated requests must not use up a fault.
	s.Inject(Fault{Status: 429, Times: 1})
	do(t, s, http.MethodGet, "/users/1", http.Header{"Authorization": {"Bearer wrong"}}, nil)
	if r := get(t, s, "/users/1", nil); r.status != 429 {
		t.Errorf("fault consumed by a 401: %d", r.status)
	}
}

func TestFaultTimesUnderConcurrency(t *testing.T) {
	s := newTestServer(t, Options{})
	s.Inject(Fault{Status: 429, Times: 10})
	var wg sync.WaitGroup
	var mu sync.Mutex
	throttled := 0
	for range 40 {
		wg.Go(func() {
			if r := revoke(t, s, "1"); r.status == 429 {
				mu.Lock()
				throttled++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if throttled != 10 || s.TotalRevocations() != 30 {
		t.Errorf("throttled %d, revoked %d", throttled, s.TotalRevocations())
	}
}

func TestGzipBody(t *testing.T) {
	s := newTestServer(t, Options{})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprint(zw, `{"hello":"world"}`)
	zw.Close()
	hdr := http.Header{"Content-Encoding": {"gzip"}, "Content-Type": {"application/json"}}
	if r := do(t, s, http.MethodPost, "/users/1/revokeSignInSessions", hdr, buf.Bytes()); r.status != 200 {
		t.Fatalf("gzip body: %d %v", r.status, r.body)
	}
	if got := string(s.Requests()[0].Body); got != `{"hello":"world"}` {
		t.Errorf("logged body %q", got)
	}
	// A body labelled gzip that is not, as a buggy retry would send it.
	if r := do(t, s, http.MethodPost, "/users/1/revokeSignInSessions", hdr, []byte(`{"hello":"world"}`)); r.status != 400 {
		t.Errorf("plain body labelled gzip: %d %v", r.status, r.body)
	}
	if s.TotalRevocations() != 1 {
		t.Errorf("revocations %d", s.TotalRevocations())
	}
}

func TestOnRequestAndLog(t *testing.T) {
	s := newTestServer(t, Options{LogLimit: 3})
	var seen []Request
	var mu sync.Mutex
	s.OnRequest(func(r Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r)
		_ = s.Requests() // the hook may call back into the server
	})
	for i := range 8 {
		get(t, s, fmt.Sprintf("/users/%d?$select=mail", i%5), nil)
	}
	if len(seen) != 8 || seen[0].Status != 0 || seen[0].Query.Get("$select") != "mail" || seen[0].At.IsZero() {
		t.Fatalf("hook saw %d requests, first %+v", len(seen), seen[0])
	}
	log := s.Requests()
	if len(log) < 3 || len(log) > 6 || log[len(log)-1].Path != "/v1.0/users/2" || log[len(log)-1].Status != 200 {
		t.Errorf("log of %d, last %+v", len(log), log[len(log)-1])
	}
	s.OnRequest(nil)
	get(t, s, "/users/1", nil)
	if len(seen) != 8 {
		t.Errorf("removed hook still called")
	}
}

func TestAddUserReplaces(t *testing.T) {
	s := New(Options{})
	t.Cleanup(s.Close)
	s.AddUsers(User{ID: "a", UserPrincipalName: "a@x"}, User{ID: "b"}, User{UserPrincipalName: "gen@x"})
	s.AddUser(User{ID: "A", UserPrincipalName: "renamed@x"})
	if _, ok := s.User("a@x"); ok {
		t.Error("old UPN still resolves")
	}
	if u, ok := s.User("renamed@x"); !ok || u.ID != "A" || u.UserType != "Member" {
		t.Errorf("replaced user %+v", u)
	}
	if u, ok := s.User("gen@x"); !ok || len(u.ID) != 36 {
		t.Errorf("generated id %+v", u)
	}
	r := do(t, s, http.MethodGet, "/users?$select=id", http.Header{"Authorization": {"Bearer " + AppToken("User.Read.All")}}, nil)
	if vals := r.body["value"].([]any); len(vals) != 3 || vals[0].(map[string]any)["id"] != "A" {
		t.Errorf("order after replace: %v", vals)
	}
}
