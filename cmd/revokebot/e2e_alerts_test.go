package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

const alertsPolicy = testPolicy + "alerts:\n  channel: C0INCIDENT\n  defender:\n    min_severity: high\n  risky_users:\n    min_level: high\n  actions: [sessions, mfa]\n"

// withAlertsEvery looks at the detections every d, under alerts.every's
// floor of 30 s, in every bot the env starts.
func withAlertsEvery(d time.Duration) envOption { return func(o *envOptions) { o.alerts = d } }

// waitLooks waits until Graph has answered n more looks at the incidents:
// room for a card opened twice to show.
func (e *env) waitLooks(n int) {
	e.t.Helper()
	after := e.incidentLooks()
	e.waitFor(fmt.Sprintf("%d more looks", n), func(*fakeslack.Server) bool { return e.incidentLooks() >= after+n })
}

// incidentLooks counts the reads of the incidents Graph answered.
func (e *env) incidentLooks() int { return e.incidentLooksBefore(time.Now().Add(time.Hour)) }

// incidentLooksBefore counts the reads of incidents made before t (a
// card's post: the next look may start right after it).
func (e *env) incidentLooksBefore(t time.Time) int {
	k := 0
	for _, r := range e.sb.Graph.Requests() {
		if strings.HasSuffix(r.Path, "/security/incidents") && r.Status == 200 && r.At.Before(t) {
			k++
		}
	}
	return k
}

// alertCards are the alert cards posted in the incident channel.
func (e *env) alertCards() []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range e.roots(chIncident) {
		if strings.Contains(blocksOf(m), "Alert: contain") {
			out = append(out, m)
		}
	}
	return out
}

// TestAlertCardEndToEnd: a high-severity Defender incident of attack
// disruption naming alice, disabled already, makes one card within two
// looks, saying so; a low-severity one makes none; a stranger's confirm
// is refused, a requester's runs it, and the incident gets the outcome as
// a comment. Further looks make no second card.
func TestAlertCardEndToEnd(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(alertsPolicy), withAlertsEvery(200*time.Millisecond), withGraphLimits(quickBudget, quickBudget), withHealthAddr())
	u, _ := e.sb.Graph.User(aliceID)
	u.AccountEnabled = false
	e.sb.Graph.AddUser(u)
	e.sb.Graph.AddIncidents(
		fakegraph.Incident{ID: "7001", DisplayName: "BEC financial fraud (attack disruption)", Severity: "high",
			Alerts: []fakegraph.IncidentAlert{{ID: "da7001", Title: "Suspicious inbox forwarding", Severity: "high",
				Users: []fakegraph.UserAccount{{UserPrincipalName: "alice@contoso.com", AzureADUserID: aliceID}}}}},
		fakegraph.Incident{ID: "7002", DisplayName: "Unusual sign-in", Severity: "low",
			Alerts: []fakegraph.IncidentAlert{{ID: "la7002", Title: "Atypical travel", Severity: "low",
				Users: []fakegraph.UserAccount{{UserPrincipalName: "bob@contoso.com"}}}}},
	)
	e.waitFor("an alert card", func(*fakeslack.Server) bool { return len(e.alertCards()) > 0 })
	if n := e.incidentLooksBefore(e.alertCards()[0].PostedAt); n > 2 {
		t.Errorf("the card came after %d looks, want two at most", n)
	}
	card := e.alertCards()[0]
	blocks := blocksOf(card)
	for _, want := range []string{"*Microsoft Defender XDR* incident <https://security.microsoft.com/incidents/7001", "automatic attack disruption", "alice@contoso.com", "Dismiss"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("card lacks %q:\n%s", want, blocks)
		}
	}
	id := e.requestID(card)
	e.waitAudit(id, "alerted")

	// Another incident for alice while her card is open: a line in its
	// thread, no second card.
	e.sb.Graph.AddIncidents(fakegraph.Incident{ID: "7003", DisplayName: "Mass download", Severity: "high",
		Alerts: []fakegraph.IncidentAlert{{ID: "ma7003", Title: "Unusual volume of downloads", Severity: "high",
			Users: []fakegraph.UserAccount{{UserPrincipalName: "alice@contoso.com", AzureADUserID: aliceID}}}}})
	e.waitThread(card, "Another alert names this user")

	e.click(uStranger, card, "revoke_confirm")
	e.waitFor("the stranger told", func(s *fakeslack.Server) bool { return len(s.Ephemerals(uStranger)) > 0 })
	e.click(uOther, card, "revoke_confirm")
	e.waitAudit(id, "succeeded")
	if n := e.sb.Graph.Revocations(aliceID); n != 1 {
		t.Fatalf("alice revoked %d times", n)
	}
	e.waitFor("the outcome written back", func(*fakeslack.Server) bool {
		return slices.ContainsFunc(e.sb.Graph.IncidentComments("7001"), func(c fakegraph.IncidentComment) bool {
			return strings.Contains(c.Comment, id) && strings.Contains(c.Comment, "otto@contoso.com")
		})
	})
	e.waitAudit(id, "writtenback")
	// Whoever confirmed the card is its requester in the record.
	e.command(uOther, chIncident, "history alice@contoso.com")
	if h := e.ephemeral(uOther, id); !strings.Contains(h.Text, "`"+id+"` · ") || !strings.Contains(h.Text, "by <@"+uOther+">") {
		t.Errorf("history does not name the confirmer as the card's requester:\n%s", h.Text)
	}
	e.waitLooks(3)
	if n := len(e.alertCards()); n != 1 {
		t.Fatalf("%d alert cards, want 1", n)
	}
	if n := len(e.sb.Graph.IncidentComments("7001")); n != 1 {
		t.Fatalf("%d comments, want 1", n)
	}
	resp, err := http.Get("http://" + e.sb.Env["REVOKEBOT_LISTEN"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`revokebot_alert_looks_total{outcome="read",source="defender"}`, `revokebot_alert_looks_total{outcome="read",source="risky_users"}`,
		`revokebot_alert_cards_total{outcome="opened",source="defender"} 1`, `revokebot_alert_cards_total{outcome="folded",source="defender"} 1`,
		`revokebot_alert_watermark_lag_seconds{source="defender"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestReplicasOpenOneAlertCardEach: two replicas on PostgreSQL look at the
// same incidents; each user an incident names gets exactly one card, and
// when the replica looking stops, the other carries on and loses none.
func TestReplicasOpenOneAlertCardEach(t *testing.T) {
	t.Parallel()
	e, _ := replicas(t, 2, withPolicy(alertsPolicy), withAlertsEvery(100*time.Millisecond), withGraphLimits(quickBudget, quickBudget))
	users := fakegraph.Tenant(12, 77)
	e.sb.AddUsers(users...)
	incident := func(i int, u fakegraph.User) fakegraph.Incident {
		return fakegraph.Incident{ID: fmt.Sprintf("88%02d", i), DisplayName: "Suspicious mailbox activity", Severity: "high",
			Alerts: []fakegraph.IncidentAlert{{ID: fmt.Sprintf("a88%02d", i), Title: "Inbox rule to RSS folder", Severity: "high",
				Users: []fakegraph.UserAccount{{UserPrincipalName: u.UserPrincipalName, AzureADUserID: u.ID}}}}}
	}
	for i, u := range users[:6] {
		e.sb.Graph.AddIncidents(incident(i, u))
	}
	e.waitFor("six cards", func(*fakeslack.Server) bool { return len(e.alertCards()) >= 6 })
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	for i, u := range users[6:] {
		e.sb.Graph.AddIncidents(incident(6+i, u))
	}
	e.waitWithin(30*time.Second, "twelve cards", func(*fakeslack.Server) bool { return len(e.alertCards()) >= 12 })
	e.waitLooks(3)
	per := map[string]int{}
	for _, c := range e.alertCards() {
		for _, u := range users {
			if strings.Contains(blocksOf(c), u.ID) {
				per[u.ID]++
			}
		}
	}
	for _, u := range users {
		if per[u.ID] != 1 {
			t.Errorf("%s has %d cards, want 1", u.UserPrincipalName, per[u.ID])
		}
	}
	if n := len(e.alertCards()); n != 12 {
		t.Errorf("%d cards, want 12", n)
	}
}

// TestAlertCardsAcrossRestart: revokebot stopped between looks repeats no
// card when started again, and cards the incident that came meanwhile.
func TestAlertCardsAcrossRestart(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(alertsPolicy), withAlertsEvery(100*time.Millisecond), withGraphLimits(quickBudget, quickBudget))
	naming := func(id, upn, objectID string) fakegraph.Incident {
		return fakegraph.Incident{ID: id, DisplayName: "Password spray", Severity: "high",
			Alerts: []fakegraph.IncidentAlert{{ID: "a" + id, Title: "Password spray", Severity: "high",
				Users: []fakegraph.UserAccount{{UserPrincipalName: upn, AzureADUserID: objectID}}}}}
	}
	e.sb.Graph.AddIncidents(naming("9001", "alice@contoso.com", aliceID))
	e.waitFor("the first card", func(*fakeslack.Server) bool { return len(e.alertCards()) == 1 })
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	e.sb.Graph.AddIncidents(naming("9002", "ceo@contoso.com", ceoID))
	e.start(nil)
	e.waitFor("the card of the incident that came meanwhile", func(*fakeslack.Server) bool { return len(e.alertCards()) == 2 })
	e.waitLooks(3)
	if n := len(e.alertCards()); n != 2 {
		t.Fatalf("%d cards after the restart, want 2", n)
	}
	if !strings.Contains(blocksOf(e.alertCards()[1]), "protected") {
		t.Errorf("the protected user's alert card does not ask for an approver:\n%s", blocksOf(e.alertCards()[1]))
	}
	// Identity Protection holds eve at high risk: a card of its own.
	e.sb.Graph.SetRisk(evilID, "high")
	e.waitFor("the risky user's card", func(*fakeslack.Server) bool { return len(e.alertCards()) == 3 })
	if b := blocksOf(e.alertCards()[2]); !strings.Contains(b, "*Entra ID Protection* holds this account at *high* risk") || !strings.Contains(b, "eve@contoso.com") {
		t.Errorf("risky user's card:\n%s", b)
	}
}
