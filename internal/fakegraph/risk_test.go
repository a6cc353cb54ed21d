package fakegraph

import (
	"net/http"
	"testing"
	"time"
)

const dismissPath = "/identityProtection/riskyUsers/dismiss"

func dismiss(t *testing.T, s *Server, body string) result {
	t.Helper()
	return do(t, s, http.MethodPost, dismissPath, http.Header{"Content-Type": {"application/json"}}, []byte(body))
}

func TestDismissRisk(t *testing.T) {
	clock := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s := newTestServer(t, Options{RiskWindow: -1, Now: func() time.Time { return clock }})
	s.SetRisk("alice@contoso.com", "high")
	r := get(t, s, "/identityProtection/riskyUsers/1", nil)
	if r.status != 200 || r.body["riskLevel"] != "high" || r.body["riskState"] != "atRisk" || r.body["riskDetail"] != "none" ||
		r.body["userPrincipalName"] != "alice@contoso.com" || r.body["riskLastUpdatedDateTime"] != "2026-11-28T10:00:00Z" {
		t.Fatalf("before: %d %v", r.status, r.body)
	}
	if r := dismiss(t, s, `{"userIds":["1","2"]}`); r.status != 204 {
		t.Fatalf("dismiss: %d %v", r.status, r.body)
	}
	r = get(t, s, "/identityProtection/riskyUsers/1", nil)
	if r.body["riskLevel"] != "none" || r.body["riskState"] != "dismissed" || r.body["riskDetail"] != "adminDismissedAllRiskForUser" {
		t.Errorf("after: %v", r.body)
	}
	if level, state, ok := s.Risk("1"); level != "none" || state != "dismissed" || !ok {
		t.Errorf("Risk: %s %s %v", level, state, ok)
	}
	// User 2 was never at risk: dismissing it changed nothing.
	if r := get(t, s, "/identityProtection/riskyUsers/2", nil); r.status != 404 {
		t.Errorf("never at risk: %d %v", r.status, r.body)
	}
	if _, _, ok := s.Risk("2"); ok {
		t.Error("Risk(2) ok")
	}
	for body, msg := range map[string]string{
		`{"userIds":["1","nobody"]}`: "Invalid user ids: nobody.",
		`{"userIds":["1"],"x":1}`:    "The parameter 'x' in the request payload is not a valid parameter for the operation 'dismiss'.",
		`{"userIds":[]}`:             "",
	} {
		if r := dismiss(t, s, body); r.status != 400 || (msg != "" && r.errorMessage() != msg) {
			t.Errorf("%s: %d %v", body, r.status, r.body)
		}
	}
	if r := get(t, s, "/identityProtection/riskyUsers/alice%40contoso.com", nil); r.status != 404 {
		t.Errorf("by UPN: %d", r.status)
	}
}

func TestConfirmThenDismissShareTheLimit(t *testing.T) {
	s := newTestServer(t, Options{RiskWindow: time.Hour})
	if r := confirm(t, s, `{"userIds":["1"]}`); r.status != 204 {
		t.Fatalf("confirm: %d", r.status)
	}
	if level, state, _ := s.Risk("1"); level != "high" || state != "confirmedCompromised" {
		t.Errorf("after confirm: %s %s", level, state)
	}
	// Identity Protection sends no Retry-After, and its reads count too.
	if r := dismiss(t, s, `{"userIds":["1"]}`); r.status != 429 || r.header.Get("Retry-After") != "" {
		t.Errorf("dismiss within the window: %d %v", r.status, r.header)
	}
	if r := get(t, s, "/identityProtection/riskyUsers/1", nil); r.status != 429 {
		t.Errorf("a read within the window: %d", r.status)
	}
}

func TestRiskNeedsP2(t *testing.T) {
	s := newTestServer(t, Options{NoP2: true, RiskWindow: -1})
	s.SetRisk("1", "low")
	if r := dismiss(t, s, `{"userIds":["1"]}`); r.status != 403 {
		t.Errorf("dismiss: %d", r.status)
	}
	if r := get(t, s, "/identityProtection/riskyUsers/1", nil); r.status != 403 {
		t.Errorf("get: %d", r.status)
	}
}

// TestPasswordResetRemediatesRisk: an admin-set password remediates the
// user's risk, as Identity Protection records it.
func TestPasswordResetRemediatesRisk(t *testing.T) {
	s := passwordServer(t, RoleUserAdministrator)
	s.SetRisk("1", "medium")
	if status, raw := patchRaw(t, s, "1", resetBody(secret, true)); status != 204 {
		t.Fatalf("%d %s", status, raw)
	}
	r := get(t, s, "/identityProtection/riskyUsers/1", nil)
	if r.body["riskLevel"] != "none" || r.body["riskState"] != "remediated" || r.body["riskDetail"] != "adminGeneratedTemporaryPassword" {
		t.Errorf("%v", r.body)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("SetRisk accepted level none")
			}
		}()
		s.SetRisk("1", "none")
	}()
}
