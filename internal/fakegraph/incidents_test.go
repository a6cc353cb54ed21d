package fakegraph

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestListIncidents: the filter on lastUpdateDateTime and severity, the
// alerts only when expanded, pages of $top by @odata.nextLink, a $top over
// 50 refused in Graph's words, and an unknown property refused.
func TestListIncidents(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := newTestServer(t, Options{Now: func() time.Time { return t0 }})
	for i := range 7 {
		sev := "medium"
		if i%2 == 0 {
			sev = "high"
		}
		s.AddIncidents(Incident{DisplayName: "inc", Severity: sev, LastUpdateDateTime: t0.Add(time.Duration(i) * time.Minute),
			Alerts: []IncidentAlert{{ID: "a", Title: "Suspicious inbox rule", Severity: sev, Users: []UserAccount{{UserPrincipalName: "alice@contoso.com", AzureADUserID: "1"}}}}})
	}
	q := url.Values{"$filter": {"lastUpdateDateTime ge 2026-12-01T09:02:00Z and severity eq 'high'"}, "$top": {"1"}, "$expand": {"alerts"}}
	var ids []string
	for path := "/security/incidents?" + q.Encode(); path != ""; {
		r := get(t, s, path, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %v", path, r.status, r.body)
		}
		for _, v := range r.body["value"].([]any) {
			inc := v.(map[string]any)
			ids = append(ids, inc["id"].(string))
			ev := inc["alerts"].([]any)[0].(map[string]any)["evidence"].([]any)[0].(map[string]any)
			if ev["@odata.type"] != "#microsoft.graph.security.userEvidence" || ev["userAccount"].(map[string]any)["userPrincipalName"] != "alice@contoso.com" {
				t.Errorf("evidence %v", ev)
			}
		}
		path, _ = r.body["@odata.nextLink"].(string)
	}
	if strings.Join(ids, ",") != "7,5,3" {
		t.Errorf("incidents %v, want the high ones updated since 09:02, newest first", ids)
	}
	if r := get(t, s, "/security/incidents", nil); r.status != 200 || r.body["value"].([]any)[0].(map[string]any)["alerts"] != nil {
		t.Errorf("alerts without $expand: %v", r.body)
	}
	if r := get(t, s, "/security/incidents", url.Values{"$top": {"51"}}); r.status != 400 ||
		r.errorMessage() != "The limit of '50' for Top query has been exceeded. The value from the incoming request is '51'." {
		t.Errorf("$top 51: %d %q", r.status, r.errorMessage())
	}
	if r := get(t, s, "/security/incidents", url.Values{"$filter": {"riskLevel eq 'high'"}}); r.status != 400 ||
		!strings.Contains(r.errorMessage(), "Could not find a property named 'riskLevel' on type 'microsoft.graph.security.incident'") {
		t.Errorf("unknown property: %d %q", r.status, r.errorMessage())
	}
}

// TestIncidentComments: a comment is kept and every comment answered; a
// token that may only read is refused, as is an unknown incident.
func TestIncidentComments(t *testing.T) {
	s := newTestServer(t, Options{})
	s.AddIncidents(Incident{ID: "42", DisplayName: "Password spray", Severity: "high"})
	post := func(token, id, body string) result {
		return do(t, s, http.MethodPost, "/security/incidents/"+id+"/comments",
			http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}, []byte(body))
	}
	r := post(testToken, "42", `{"@odata.type":"microsoft.graph.security.alertComment","comment":"revokebot: contained"}`)
	if r.status != 200 || len(r.body["value"].([]any)) != 1 || len(s.IncidentComments("42")) != 1 || s.IncidentComments("42")[0].Comment != "revokebot: contained" {
		t.Fatalf("comment: %d %v", r.status, r.body)
	}
	readOnly := AppToken("SecurityIncident.Read.All")
	ro := New(Options{Token: readOnly})
	t.Cleanup(ro.Close)
	ro.AddIncidents(Incident{ID: "42", Severity: "high"})
	if r := do(t, ro, http.MethodPost, "/security/incidents/42/comments", http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + readOnly}},
		[]byte(`{"comment":"x"}`)); r.status != 403 || len(ro.IncidentComments("42")) != 0 {
		t.Errorf("read-only token: %d %v", r.status, r.body)
	}
	if r := post(testToken, "43", `{"comment":"x"}`); r.status != 404 {
		t.Errorf("unknown incident: %d", r.status)
	}
	if r := post(testToken, "42", `{"comment":"x","severity":"low"}`); r.status != 400 {
		t.Errorf("unknown property: %d", r.status)
	}
}

// TestSecurityBudget: /security takes 150 requests a minute, then 429.
func TestSecurityBudget(t *testing.T) {
	s := newTestServer(t, Options{})
	for i := range SecurityLimit {
		if r := get(t, s, "/security/incidents", nil); r.status != 200 {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	if r := get(t, s, "/security/incidents", nil); r.status != 429 {
		t.Fatalf("request %d: %d, want 429", SecurityLimit+1, r.status)
	}
}

// TestListRiskyUsers: the users at risk, filtered on level and the time
// their risk changed, paged.
func TestListRiskyUsers(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := newTestServer(t, Options{RiskWindow: -1, Now: func() time.Time { return now }})
	s.SetRisk("1", "high")
	now = now.Add(time.Hour)
	s.SetRisk("2", "medium")
	r := get(t, s, "/identityProtection/riskyUsers", url.Values{"$filter": {"riskLevel eq 'high' and riskLastUpdatedDateTime ge 2026-12-01T08:00:00Z"}})
	if r.status != 200 || len(r.body["value"].([]any)) != 1 || r.body["value"].([]any)[0].(map[string]any)["id"] != "1" {
		t.Fatalf("high: %d %v", r.status, r.body)
	}
	r = get(t, s, "/identityProtection/riskyUsers", url.Values{"$top": {"1"}})
	next, _ := r.body["@odata.nextLink"].(string)
	if r.body["value"].([]any)[0].(map[string]any)["id"] != "2" || next == "" {
		t.Fatalf("first page: %v", r.body)
	}
	if r := get(t, s, next, nil); r.body["value"].([]any)[0].(map[string]any)["id"] != "1" {
		t.Fatalf("second page: %v", r.body)
	}
	if r := get(t, s, "/identityProtection/riskyUsers", url.Values{"$top": {"501"}}); r.status != 400 {
		t.Errorf("$top 501: %d", r.status)
	}
}
