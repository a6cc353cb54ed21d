package fakegraph

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

const confirmPath = "/identityProtection/riskyUsers/confirmCompromised"

func confirm(t *testing.T, s *Server, body string) result {
	t.Helper()
	return do(t, s, http.MethodPost, confirmPath, http.Header{"Content-Type": {"application/json"}}, []byte(body))
}

func idsBody(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	b, _ := json.Marshal(map[string]any{"userIds": ids})
	return string(b)
}

func TestConfirmCompromised(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		body      string
		status    int
		code, msg string
		confirmed []string // users confirmed afterwards, of 1..4
	}{
		{"two users", Options{}, `{"userIds":["1","3"]}`, 204, "", "", []string{"1", "3"}},
		{"ids are case-insensitive", Options{}, `{"userIds":["A"]}`, 204, "", "", []string{"a"}},
		{"no P2 licence", Options{NoP2: true}, `{"userIds":["1"]}`, 403, "Forbidden", "Your tenant is not licensed for this feature.", nil},
		{"one unknown id fails the call", Options{}, `{"userIds":["1","nobody"]}`, 400, "BadRequest", "Invalid user ids: nobody.", nil},
		{"a UPN is not a user id", Options{}, `{"userIds":["alice@contoso.com"]}`, 400, "BadRequest", "Invalid user ids: alice@contoso.com.", nil},
		{"61 ids", Options{}, idsBody(61), 400, "BadRequest", "Too many user ids: 61; at most 60 are allowed in one request.", nil},
		{"60 ids pass the count check", Options{}, idsBody(60), 400, "BadRequest", "", nil},
		{"empty list", Options{}, `{"userIds":[]}`, 400, "BadRequest", "The parameter 'userIds' must be a non-empty collection of user ids.", nil},
		{"no list", Options{}, `{}`, 400, "BadRequest", "The parameter 'userIds' must be a non-empty collection of user ids.", nil},
		{"not strings", Options{}, `{"userIds":[1]}`, 400, "BadRequest", "", nil},
		{"empty id", Options{}, `{"userIds":[" "]}`, 400, "BadRequest", "", nil},
		{"extra parameter", Options{}, `{"userIds":["1"],"reason":"x"}`, 400, "BadRequest",
			"The parameter 'reason' in the request payload is not a valid parameter for the operation 'confirmCompromised'.", nil},
		{"not JSON", Options{}, `{"userIds":`, 400, "BadRequest", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, tt.opts)
			s.AddUser(User{ID: "a", UserPrincipalName: "a@contoso.com"})
			r := confirm(t, s, tt.body)
			if r.status != tt.status || r.errorCode() != tt.code || (tt.msg != "" && r.errorMessage() != tt.msg) {
				t.Fatalf("%d %v", r.status, r.body)
			}
			want := map[string]bool{}
			for _, id := range tt.confirmed {
				want[id] = true
			}
			for _, id := range []string{"1", "2", "3", "4", "a"} {
				if s.Compromised(id) != want[id] {
					t.Errorf("Compromised(%s) = %v", id, s.Compromised(id))
				}
			}
		})
	}
}

func TestCompromisedByUPN(t *testing.T) {
	s := newTestServer(t, Options{})
	confirm(t, s, `{"userIds":["1"]}`)
	if !s.Compromised("ALICE@contoso.com") || s.Compromised("nobody") {
		t.Error("Compromised looks users up like /users/{key}")
	}
}

func TestConfirmCompromisedRate(t *testing.T) {
	// An hour-long window makes the second call's 429 certain however slow
	// the machine.
	s := newTestServer(t, Options{RiskWindow: time.Hour})
	if r := confirm(t, s, `{"userIds":["1"]}`); r.status != 204 {
		t.Fatalf("first: %d %v", r.status, r.body)
	}
	for i := range 2 {
		r := confirm(t, s, `{"userIds":["2"]}`)
		// Microsoft's throttling page: these resources "don't return a
		// Retry-After header on 429 Too Many Requests responses".
		ra := r.header.Get("Retry-After")
		if r.status != 429 || r.errorCode() != "TooManyRequests" || ra != "" {
			t.Fatalf("call %d: %d %v Retry-After %q", i+2, r.status, r.body, ra)
		}
	}
	if s.Compromised("2") || !s.Compromised("1") {
		t.Error("a throttled call confirmed its user")
	}
	// The limit is Identity Protection's own: directory writes are not held up.
	if r := revoke(t, s, "2"); r.status != 200 {
		t.Errorf("revoke while confirmCompromised is throttled: %d", r.status)
	}
	// Faults still win, as for the write throttle.
	s.Inject(Fault{PathSuffix: "/confirmCompromised", Status: 403, Times: 1})
	if r := confirm(t, s, `{"userIds":["2"]}`); r.status != 403 || r.errorCode() != "Authorization_RequestDenied" {
		t.Errorf("fault: %d %v", r.status, r.body)
	}
}

func TestConfirmCompromisedWindowPasses(t *testing.T) {
	const window = 20 * time.Millisecond
	s := newTestServer(t, Options{RiskWindow: window})
	confirm(t, s, `{"userIds":["1"]}`)
	time.Sleep(window)
	if r := confirm(t, s, `{"userIds":["2"]}`); r.status != 204 {
		t.Fatalf("a call a whole window later: %d %v", r.status, r.body)
	}
	unlimited := newTestServer(t, Options{RiskWindow: -1})
	for i := range 3 {
		if r := confirm(t, unlimited, `{"userIds":["1"]}`); r.status != 204 {
			t.Fatalf("call %d without a limit: %d", i, r.status)
		}
	}
}
