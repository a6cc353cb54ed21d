package fakegraph

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// proofQuery selects what a read-back checks.
var proofQuery = url.Values{"$select": {"accountEnabled,signInSessionsValidFromDateTime"}}

// contain disables user key and revokes its sessions, as the bot does.
func contain(t *testing.T, s *Server, key string) {
	t.Helper()
	if r := patch(t, s, key, `{"accountEnabled":false}`); r.status != 204 {
		t.Fatalf("disable %s: %d %v", key, r.status, r.body)
	}
	if r := revoke(t, s, key); r.status != 200 {
		t.Fatalf("revoke %s: %d %v", key, r.status, r.body)
	}
}

// wantProof reads key back and checks what it shows: contained means
// disabled with sessions valid from at; otherwise enabled, never revoked.
func wantProof(t *testing.T, s *Server, key string, contained bool, at string) {
	t.Helper()
	r := get(t, s, "/users/"+key, proofQuery)
	var wantFrom any
	if contained {
		wantFrom = at
	}
	if r.status != 200 || r.body["accountEnabled"] != !contained || r.body["signInSessionsValidFromDateTime"] != wantFrom {
		t.Fatalf("read of %s: %d %v, want contained=%v", key, r.status, r.body, contained)
	}
}

func lagServer(t *testing.T) *Server {
	clock := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	return newTestServer(t, Options{Now: func() time.Time { return clock }})
}

const lagAt = "2026-11-28T03:04:05Z"

func TestLagReadsCount(t *testing.T) {
	s := lagServer(t)
	contain(t, s, "1")
	s.LagReads("alice@contoso.com", 3) // by UPN: the lag is the user's
	// A read without $select uses one up too.
	if r := get(t, s, "/users/1", nil); r.status != 200 || r.body["id"] != "1" {
		t.Fatalf("plain read: %d %v", r.status, r.body)
	}
	wantProof(t, s, "1", false, "")
	wantProof(t, s, "alice%40contoso.com", false, "")
	wantProof(t, s, "1", true, lagAt)
	wantProof(t, s, "1", true, lagAt)
	// The writes took effect all along; only what GET showed lagged.
	if u, _ := s.User("1"); u.AccountEnabled || s.Revocations("1") != 1 {
		t.Errorf("accessor: %+v, %d revocations", u, s.Revocations("1"))
	}
	// Other users were not lagged.
	contain(t, s, "3")
	wantProof(t, s, "3", true, lagAt)
}

func TestLagReadsFor(t *testing.T) {
	s := lagServer(t)
	s.LagReadsFor("1", 300*time.Millisecond) // before the writes works too
	start := time.Now()
	contain(t, s, "1")
	for range 3 {
		wantProof(t, s, "1", false, "")
	}
	if time.Since(start) >= 300*time.Millisecond {
		t.Skip("machine too slow to read within the lag")
	}
	time.Sleep(time.Until(start.Add(350 * time.Millisecond)))
	wantProof(t, s, "1", true, lagAt)
}

func TestLagAllReads(t *testing.T) {
	s := lagServer(t)
	s.LagAllReads(true)
	s.LagReads("2", 5)
	contain(t, s, "1")
	contain(t, s, "3")
	for range 3 {
		wantProof(t, s, "1", false, "")
		wantProof(t, s, "3", false, "")
	}
	// Listings are fresh.
	if r := get(t, s, "/users", url.Values{"$filter": {"accountEnabled eq true"}, "$select": {"id"}}); len(r.body["value"].([]any)) != 1 {
		t.Errorf("listing lagged: %v", r.body)
	}
	s.LagAllReads(false)
	wantProof(t, s, "1", true, lagAt)
	wantProof(t, s, "3", true, lagAt)
	// LagAllReads(false) ended user 2's own lag as well.
	contain(t, s, "2")
	wantProof(t, s, "2", true, lagAt)
}

// TestLagShowsStateBeforeTheLatestWrites: a fresh read means the replicas
// caught up, so a later lag hides only the writes made after it.
func TestLagShowsStateBeforeTheLatestWrites(t *testing.T) {
	s := lagServer(t)
	if r := patch(t, s, "1", `{"accountEnabled":false}`); r.status != 204 {
		t.Fatal(r.status)
	}
	if r := get(t, s, "/users/1", proofQuery); r.body["accountEnabled"] != false {
		t.Fatalf("fresh read %v", r.body)
	}
	revoke(t, s, "1")
	s.LagReads("1", 1)
	if r := get(t, s, "/users/1", proofQuery); r.body["accountEnabled"] != false || r.body["signInSessionsValidFromDateTime"] != nil {
		t.Errorf("lagged read %v, want disabled and not yet revoked", r.body)
	}
	// LagReads(0) ends a lag; AddUser replacing a user is set-up, not a write.
	s.LagReads("1", 5)
	s.LagReads("1", 0)
	wantProof(t, s, "1", true, lagAt)
	revoke(t, s, "4")
	s.AddUser(User{ID: "4", UserPrincipalName: "nomail@contoso.com", AccountEnabled: true})
	s.LagReads("4", 1)
	if r := get(t, s, "/users/4", proofQuery); r.body["accountEnabled"] != true || r.body["signInSessionsValidFromDateTime"] != nil {
		t.Errorf("replaced user %v", r.body)
	}
	defer func() {
		if recover() == nil {
			t.Error("lagging an unknown user did not panic")
		}
	}()
	s.LagReads("nobody", 1)
}

// TestFaultThrottlesUserReads: answering the next N reads of one user with
// 429 and Retry-After needs no lag-specific API: a Fault on GET with the
// user's path as suffix does it, and leaves the user's lagged reads alone.
func TestFaultThrottlesUserReads(t *testing.T) {
	s := lagServer(t)
	contain(t, s, "1")
	s.LagReads("1", 1)
	s.Inject(Fault{Method: http.MethodGet, PathSuffix: "/users/1", Status: 429, RetryAfter: "10", Times: 2})
	for i := range 2 {
		r := get(t, s, "/users/1", proofQuery)
		if r.status != 429 || r.errorCode() != "TooManyRequests" || r.header.Get("Retry-After") != "10" {
			t.Fatalf("read %d: %d %v %v", i, r.status, r.body, r.header)
		}
	}
	// Another user's reads and the user's writes are not throttled.
	if r := get(t, s, "/users/4", nil); r.status != 200 {
		t.Errorf("other user: %d", r.status)
	}
	if r := revoke(t, s, "1"); r.status != 200 {
		t.Errorf("write: %d", r.status)
	}
	wantProof(t, s, "1", false, "") // the lagged read was still there
	wantProof(t, s, "1", true, lagAt)
}
