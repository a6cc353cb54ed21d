package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// crowd adds n members to the tenant, crowd1@contoso.com and on, enabled
// or not, and returns their IDs and the targets naming them.
func crowd(e *env, n int, enabled bool) (ids []string, targets string) {
	var names []string
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("c0000000-0000-4000-8000-%012d", i)
		upn := fmt.Sprintf("crowd%d@contoso.com", i)
		e.sb.Graph.AddUsers(fakegraph.User{ID: id, DisplayName: fmt.Sprintf("Crowd %d", i), UserPrincipalName: upn, Mail: upn,
			MailNickname: fmt.Sprintf("crowd%d", i), UserType: "Member", AccountEnabled: enabled})
		ids = append(ids, id)
		names = append(names, upn)
	}
	return ids, strings.Join(names, " ")
}

// signInReads counts the watch's reads of each user's sign-in log: those
// from a recent instant, not the evidence snapshot's one read of the day
// before the click, which runs beside the watch.
func signInReads(g *fakegraph.Server, ids []string) map[string]int {
	out := map[string]int{}
	for _, r := range g.Requests() {
		if r.Method != "GET" || !strings.EqualFold(r.Path, "/v1.0/auditLogs/signIns") {
			continue
		}
		filter := r.Query.Get("$filter")
		_, from, _ := strings.Cut(filter, "createdDateTime ge ")
		if since, err := time.Parse(time.RFC3339, strings.Fields(from + " x")[0]); err == nil && r.At.Sub(since) > 12*time.Hour {
			continue
		}
		for _, id := range ids {
			if strings.Contains(filter, id) {
				out[id]++
			}
		}
	}
	return out
}

// TestWatchUnderReportsBudget: a watch of 8 users, more than Graph's
// reports budget reads in one window, reads every user at every look,
// draws no 429 and drops nobody; a sign-in of the last user is raised.
func TestWatchUnderReportsBudget(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(testPolicy+"verify:\n  for: 2500ms\n  every: 10s\n"), withWatchEvery(300*time.Millisecond),
		withGraphLimits(250*time.Millisecond, 0))
	ids, targets := crowd(e, 8, true)
	card := e.request(uRequester, targets)
	id := e.requestID(card)
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(id, "watching")
	e.sb.Graph.AddSignIns(fakegraph.SignIn{UserID: ids[7], UserPrincipalName: "crowd8@contoso.com",
		CreatedDateTime: time.Now().UTC().Add(time.Second), IPAddress: "203.0.113.8", AppDisplayName: "Outlook"})
	alarm := e.waitAudit(id, "alarm")
	if !strings.Contains(alarm.Text, "crowd8@contoso.com") || !strings.Contains(alarm.Text, "203.0.113.8") {
		t.Errorf("alarm: %s", alarm.Text)
	}
	e.waitAudit(id, "verified")
	reads := signInReads(e.sb.Graph, ids)
	looks := reads[ids[0]]
	for i, uid := range ids {
		if reads[uid] != looks {
			t.Errorf("crowd%d read %d times, crowd1 %d: a user was left out of a look", i+1, reads[uid], looks)
		}
	}
	if looks < 3 {
		t.Errorf("%d looks in 2.5 s", looks)
	}
	if n := e.sb.Graph.ReportsThrottled(); n != 0 {
		t.Errorf("%d reads drew a 429", n)
	}
	if th := e.thread(card); strings.Contains(th, "so it is not watched") || strings.Contains(th, "at this look") {
		t.Errorf("a user was dropped or read late:\n%s", th)
	}
}

// TestReleaseUnderRiskLimit: releasing 5 users at risk, under Identity
// Protection's one request per second of the tenant (reads included), reads
// each user's risk for the card, re-enables and dismisses every one, and
// leaves no 429 unanswered. The second is shrunk to quickBudget in the fake
// and the bot alike, as the tests above shrink the reports window: one
// request per window all the same, in a fraction of the wall time.
func TestReleaseUnderRiskLimit(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withGraphLimits(0, quickBudget))
	ids, targets := crowd(e, 5, false)
	for _, id := range ids {
		e.sb.Graph.SetRisk(id, "high")
	}
	card := e.request(uRequester, "release "+targets)
	e.waitFor("the release card filled in", func(*fakeslack.Server) bool {
		return !strings.Contains(blocksOf(e.current(card)), "still being read")
	})
	if got := strings.Count(blocksOf(e.current(card)), "it will be dismissed"); got != 5 {
		t.Fatalf("%d users at risk on the card:\n%s", got, blocksOf(e.current(card)))
	}
	e.click(uApprover, card, "revoke_approve")
	e.waitAudit(e.requestID(card), "succeeded")
	for i, id := range ids {
		u, _ := e.sb.Graph.User(id)
		level, state, _ := e.sb.Graph.Risk(id)
		if !u.AccountEnabled || state != "dismissed" {
			t.Errorf("crowd%d: enabled %v, risk %s %s", i+1, u.AccountEnabled, level, state)
		}
	}
	if n := e.sb.Graph.RiskThrottled(); n != 0 {
		t.Errorf("%d Identity Protection requests drew a 429", n)
	}
}

// TestMFACardFillsInUnderReportsBudget: a card for 20 users' methods, which
// Graph's reports budget reads in four windows, is posted at once saying
// what is still being listed, fills in with every user's methods, and the
// click removes them all, an external method among them.
func TestMFACardFillsInUnderReportsBudget(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withGraphLimits(300*time.Millisecond, 0))
	ids, targets := crowd(e, 20, true)
	for i, id := range ids {
		e.sb.Graph.AddAuthMethods(id, fakegraph.AuthMethod{ID: fmt.Sprintf("key-%d", i+1), Type: "fido2", DisplayName: fmt.Sprintf("Key %d", i+1)})
	}
	e.sb.Graph.AddAuthMethods(ids[0], fakegraph.AuthMethod{ID: "ext-duo", Type: "external", DisplayName: "Duo"})
	card := e.request(uRequester, targets+" --mfa")
	if first := blocksOf(card); !strings.Contains(first, "Still listing what will be removed") {
		t.Errorf("the first card waited for every listing:\n%s", first)
	}
	e.waitFor("the card filled in", func(*fakeslack.Server) bool {
		return !strings.Contains(blocksOf(e.current(card)), "Still listing")
	})
	filled := blocksOf(e.current(card))
	for _, want := range []string{"Key 1", "Key 20", "external authentication method: Duo"} {
		if !strings.Contains(filled, want) {
			t.Errorf("the filled card lacks %q:\n%s", want, filled)
		}
	}
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	for i, id := range ids {
		if left := e.sb.Graph.AuthMethods(id); len(left) != 1 || left[0].Type != "password" {
			t.Errorf("crowd%d keeps %+v", i+1, left)
		}
	}
	if n := e.sb.Graph.ReportsThrottled(); n != 0 {
		t.Errorf("%d reports requests drew a 429", n)
	}
}
