package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestContainSeveralUsers walks a containment of two users with every
// action: one card with both, a third target not found shown apart, nothing
// done before the click, then for each user disable, sessions, SharePoint
// and compromised in that order, each result in the thread, and Graph's
// read-back as evidence.
func TestContainSeveralUsers(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.sb.SharePoint.AddUser("alice@contoso.com")
	e.sb.SharePoint.AddUser("obrien@contoso.com")
	card := e.request(uRequester, `alice@contoso.com o'brien nobody@contoso.com --disable --sharepoint --compromised --reason "phishing INC-7 <!channel>"`)
	id := e.requestID(card)
	blocks := blocksOf(card)
	for _, want := range []string{"Contain 2 users", "Alice Adams", aliceID, "Owen O'Brien", obrienID,
		"Block sign-in", "revokeSignInSessions", "RevokeAllUserSessions", "confirmCompromised",
		"phishing INC-7 &lt;!channel&gt;", "nobody@contoso.com", id} {
		if !strings.Contains(blocks, want) {
			t.Errorf("card lacks %q:\n%s", want, blocks)
		}
	}
	if strings.Contains(blocks, "<!channel>") {
		t.Error("the reason reached Slack unescaped")
	}
	// The order of the actions on the card is the order they run in.
	if i, j := strings.Index(blocks, "Block sign-in"), strings.Index(blocks, "revokeSignInSessions"); i < 0 || j < i {
		t.Error("the card does not list blocking sign-in before revoking sessions")
	}
	e.ephemeral(uRequester, "nobody@contoso.com")
	if writes := graphWrites(e.sb.Graph); len(writes) != 0 || len(e.sb.SharePoint.Requests()) != 0 {
		t.Fatalf("acted before the click: %v, %d SharePoint requests", writes, len(e.sb.SharePoint.Requests()))
	}

	e.click(uRequester, card, "revoke_confirm")
	done := e.waitAudit(id, "succeeded")
	for _, u := range []string{aliceID, obrienID} {
		got, _ := e.sb.Graph.User(u)
		if got.AccountEnabled || e.sb.Graph.Revocations(u) != 1 || !e.sb.Graph.Compromised(u) {
			t.Errorf("user %s: enabled %v, revoked %d times, compromised %v", u, got.AccountEnabled, e.sb.Graph.Revocations(u), e.sb.Graph.Compromised(u))
		}
	}
	for _, upn := range []string{"alice@contoso.com", "obrien@contoso.com"} {
		if n := e.sb.SharePoint.Revoked(upn); n != 1 {
			t.Errorf("SharePoint sessions of %s revoked %d times", upn, n)
		}
	}
	checkOrder(t, e, aliceID, "alice@contoso.com")
	checkOrder(t, e, obrienID, "obrien@contoso.com")

	e.waitAudit(id, "readback")
	thread := e.waitThread(card, "Read back from Graph")
	for _, want := range []string{"Sign-in blocked", "Sign-in sessions revoked", "SharePoint and OneDrive: sessions ended at once",
		"Marked compromised", "Read back from Graph: sign-in *blocked* (`accountEnabled` false)", "signInSessionsValidFromDateTime"} {
		if strings.Count(thread, want) != 2 {
			t.Errorf("thread does not say %q once per user:\n%s", want, thread)
		}
	}
	if !strings.Contains(done.Text, "alice@contoso.com") || !strings.Contains(done.Text, "obrien@contoso.com") {
		t.Errorf("the audit channel's record does not name both users: %s", done.Text)
	}
	st := openStore(t, e)
	trail, err := st.AuditTrail(context.Background(), id)
	if err != nil || len(trail) == 0 || !strings.Contains(trail[0].Detail, "phishing INC-7") {
		t.Fatalf("the reason is not in the durable audit log: %v %+v", err, trail)
	}
}

// graphWrites lists the writes the fake Graph received.
func graphWrites(g *fakegraph.Server) []string {
	var out []string
	for _, r := range g.Requests() {
		if r.Method != "GET" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// checkOrder asserts that a user's actions reached Graph and SharePoint in
// the order of the SPEC: disable, sessions, SharePoint, compromised.
func checkOrder(t *testing.T, e *env, id, upn string) {
	t.Helper()
	at := map[string]time.Time{}
	for _, r := range e.sb.Graph.Requests() {
		switch {
		case r.Method == "PATCH" && strings.HasSuffix(r.Path, "/users/"+id):
			at["disable"] = r.At
		case strings.HasSuffix(r.Path, "/users/"+id+"/revokeSignInSessions"):
			at["sessions"] = r.At
		case strings.HasSuffix(r.Path, "/confirmCompromised") && strings.Contains(string(r.Body), id):
			at["compromised"] = r.At
		}
	}
	for _, r := range e.sb.SharePoint.Requests() {
		if strings.Contains(string(r.Body), upn) {
			at["sharepoint"] = r.At
		}
	}
	order := []string{"disable", "sessions", "sharepoint", "compromised"}
	for i, a := range order {
		if at[a].IsZero() {
			t.Fatalf("%s: no %s request", upn, a)
		}
		if i > 0 && at[a].Before(at[order[i-1]]) {
			t.Errorf("%s: %s ran before %s", upn, a, order[i-1])
		}
	}
}

// TestContainPartialFailures: one action failing for a user is reported in
// words, with the missing permission named, and the others still run.
func TestContainPartialFailures(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	synced := fakegraph.User{ID: "99999999-9999-4999-8999-999999999999", DisplayName: "Sid Synced", UserPrincipalName: "sid@contoso.com",
		Mail: "sid@contoso.com", MailNickname: "sid", UserType: "Member", AccountEnabled: true, OnPremisesSyncEnabled: true}
	e.sb.Graph.AddUser(synced)
	e.sb.SharePoint.AddUser("alice@contoso.com")
	e.sb.SharePoint.AddUser("sid@contoso.com")
	e.sb.SharePoint.SetFeatureDisabled(true)
	e.sb.Graph.Inject(fakegraph.Fault{PathSuffix: "/confirmCompromised", Status: 403})
	card := e.request(uRequester, "alice sid --disable --sharepoint --compromised")
	id := e.requestID(card)
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(id, "failed")
	thread := e.waitThread(card, "on-premises", "Some actions failed for 2 of 2 users")
	for _, want := range []string{
		"on-premises",                     // sid cannot be disabled in Entra ID
		"IdentityRiskyUser.ReadWrite.All", // the permission confirmCompromised lacks
		"the feature is disabled",         // SharePoint's state 0
		"Some actions failed for 2 of 2 users",
	} {
		if !strings.Contains(thread+blocksOf(e.current(card)), want) {
			t.Errorf("thread lacks %q:\n%s", want, thread)
		}
	}
	// The failures did not stop the other actions.
	if e.sb.Graph.Revocations(synced.ID) != 1 || e.sb.Graph.Revocations(aliceID) != 1 {
		t.Errorf("sessions not revoked after a failed action: sid %d, alice %d", e.sb.Graph.Revocations(synced.ID), e.sb.Graph.Revocations(aliceID))
	}
	if got, _ := e.sb.Graph.User(aliceID); got.AccountEnabled {
		t.Error("alice was not disabled")
	}
	if got, _ := e.sb.Graph.User(synced.ID); !got.AccountEnabled {
		t.Error("the synced user changed in the fake, which Graph refuses")
	}
}

// TestContainRefusals: a target list with nobody found, an unconfigured
// SharePoint and more than 20 users change nothing and say why.
func TestContainRefusals(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.command(uRequester, chIncident, "nobody@contoso.com sam")
	msg := e.ephemeral(uRequester, "No Entra ID user matches `nobody@contoso.com`")
	for _, want := range []string{"Sam Smith (Sales)", "Sam Smith (Support)", "Nothing was revoked"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("reply lacks %q: %s", want, msg.Text)
		}
	}
	many := make([]string, 21)
	for i := range many {
		many[i] = "user" + string(rune('a'+i)) + "@contoso.com"
	}
	if ack := e.command(uRequester, chIncident, strings.Join(many, " ")); !strings.Contains(string(ack.Payload), "At most 20 users") {
		t.Errorf("21 users: ack %s", ack.Payload)
	}

	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	delete(e.sb.Env, "SHAREPOINT_ADMIN_URL")
	e.start(nil)
	e.command(uRequester, chIncident, "alice --sharepoint")
	e.ephemeral(uRequester, "SHAREPOINT_ADMIN_URL")
	if n := len(e.roots(chIncident)); n != 0 {
		t.Fatalf("%d cards posted for refused commands", n)
	}
	if len(graphWrites(e.sb.Graph)) != 0 {
		t.Fatal("a refused command wrote to Graph")
	}
}

// TestSignInWatch: after a revocation, a successful sign-in newer than it
// raises an alarm with the IP and app; failed and older sign-ins do not.
// A user with no such sign-in gets "none seen" at the end.
func TestSignInWatch(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(testPolicy+"verify:\n  for: 1500ms\n  every: 10s\n"), withWatchEvery(100*time.Millisecond),
		withGraphLimits(quickBudget, quickBudget))
	card := e.request(uRequester, "alice")
	id := e.requestID(card)
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(id, "watching")
	now := time.Now().UTC()
	e.sb.Graph.AddSignIns(
		fakegraph.SignIn{UserID: aliceID, UserPrincipalName: "alice@contoso.com", CreatedDateTime: now.Add(-time.Hour), IPAddress: "198.51.100.1", AppDisplayName: "Old App"},
		fakegraph.SignIn{UserID: aliceID, UserPrincipalName: "alice@contoso.com", CreatedDateTime: now.Add(time.Second), IPAddress: "198.51.100.2", AppDisplayName: "Failed App", ErrorCode: 50126},
		fakegraph.SignIn{UserID: aliceID, UserPrincipalName: "alice@contoso.com", CreatedDateTime: now.Add(2 * time.Second), IPAddress: "203.0.113.9", AppDisplayName: "Office 365 Exchange Online"},
		fakegraph.SignIn{UserID: obrienID, UserPrincipalName: "obrien@contoso.com", CreatedDateTime: now.Add(2 * time.Second), IPAddress: "192.0.2.7", AppDisplayName: "Someone Else"},
	)
	alarm := e.waitAudit(id, "alarm")
	for _, want := range []string{"203.0.113.9", "Office 365 Exchange Online", "alice@contoso.com"} {
		if !strings.Contains(alarm.Text, want) {
			t.Errorf("alarm lacks %q: %s", want, alarm.Text)
		}
	}
	e.waitAudit(id, "verified")
	thread := e.waitThread(card, "1 successful sign-in after the revocation")
	for _, unwanted := range []string{"198.51.100.1", "198.51.100.2", "192.0.2.7"} {
		if strings.Contains(thread, unwanted) {
			t.Errorf("thread raised an alarm for %s:\n%s", unwanted, thread)
		}
	}
	if strings.Count(thread, "203.0.113.9") != 1 || !strings.Contains(thread, "1 successful sign-in after the revocation") {
		t.Errorf("want exactly one alarm and a closing count:\n%s", thread)
	}

	quiet := e.request(uRequester, "bob@contoso.com")
	qid := e.requestID(quiet)
	e.click(uRequester, quiet, "revoke_confirm")
	e.waitAudit(qid, "verified")
	if th := e.waitThread(quiet, "The sign-in watch ended"); !strings.Contains(th, "no successful sign-in by bob@contoso.com after the revocation") || strings.Contains(th, "alarm") {
		t.Errorf("quiet watch:\n%s", th)
	}
}

// TestHistory: /revoke history lists the requests that named a user, newest
// first, each with its audit trail, to requesters and approvers only.
func TestHistory(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	first := e.request(uRequester, "alice")
	firstID := e.requestID(first)
	e.click(uRequester, first, "revoke_cancel")
	e.waitAudit(firstID, "cancelled")
	e.clock.Advance(time.Minute)
	second := e.request(uRequester, `alice o'brien --reason "INC-9"`)
	secondID := e.requestID(second)
	e.click(uRequester, second, "revoke_confirm")
	e.waitAudit(secondID, "succeeded")
	e.clock.Advance(time.Minute)
	other := e.request(uRequester, "obrien@contoso.com")
	otherID := e.requestID(other)

	e.command(uApprover, chIncident, "history alice@contoso.com")
	msg := e.ephemeral(uApprover, "*Requests about*")
	i, j := strings.Index(msg.Text, secondID), strings.Index(msg.Text, firstID)
	if i < 0 || j < 0 || j < i {
		t.Errorf("history lacks the two requests newest first:\n%s", msg.Text)
	}
	if strings.Contains(msg.Text, otherID) {
		t.Errorf("history lists a request about someone else:\n%s", msg.Text)
	}
	for _, want := range []string{"INC-9", "cancelled", "confirmed", "succeeded", "2 users"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("history lacks %q:\n%s", want, msg.Text)
		}
	}
	// By object ID, as a deleted user would be named.
	e.command(uRequester, chIncident, "history "+strings.ToUpper(obrienID))
	byID := e.ephemeral(uRequester, otherID)
	if !strings.Contains(byID.Text, secondID) {
		t.Errorf("history by object ID lacks %s:\n%s", secondID, byID.Text)
	}
	e.command(uStranger, chIncident, "history alice")
	e.ephemeral(uStranger, "You cannot do that")
	for _, m := range e.sb.Slack.Ephemerals(uStranger) {
		if strings.Contains(m.Text, firstID) {
			t.Fatal("a stranger saw the history")
		}
	}
	e.waitFor("the stranger's attempt in the audit channel", func(s *fakeslack.Server) bool {
		return slices.ContainsFunc(s.Messages(), func(m fakeslack.Message) bool {
			return m.Channel == chAudit && strings.Contains(m.Text, "*refused*") && strings.Contains(m.Text, uStranger)
		})
	})
}

// TestContainWithAProtectedUser: one protected account among the targets
// makes the whole request need an approver other than the requester, and
// /revoke status shows every user, the actions and the reason.
func TestContainWithAProtectedUser(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, `alice ceo@contoso.com --disable --reason "INC-11"`)
	id := e.requestID(card)
	buttons := e.sb.Slack.Buttons(card)
	if len(buttons) != 3 || buttons[0].ActionID != "revoke_approve" {
		t.Fatalf("buttons %+v, want approve/deny/cancel", buttons)
	}
	e.clickValue(uRequester, card, "revoke_confirm", id, true) // a forged confirm
	e.click(uRequester, card, "revoke_approve")
	e.ephemeral(uRequester, "You cannot")
	if len(graphWrites(e.sb.Graph)) != 0 {
		t.Fatal("the requester's own clicks ran the request")
	}
	e.click(uApprover, card, "revoke_approve")
	e.waitAudit(id, "succeeded")
	for _, u := range []string{aliceID, ceoID} {
		if got, _ := e.sb.Graph.User(u); got.AccountEnabled || e.sb.Graph.Revocations(u) != 1 {
			t.Errorf("user %s: enabled %v, revoked %d times", u, got.AccountEnabled, e.sb.Graph.Revocations(u))
		}
	}
	e.command(uRequester, chIncident, "status "+id)
	status := e.ephemeral(uRequester, "*Request `"+id+"`*")
	for _, want := range []string{"alice@contoso.com", "ceo@contoso.com", "Block sign-in, revoke sessions", "Reason: INC-11", "approved"} {
		if !strings.Contains(status.Text, want) {
			t.Errorf("status lacks %q:\n%s", want, status.Text)
		}
	}
}

// TestContainOnAReplicaWithoutSharePoint: a card made where SharePoint was
// configured and confirmed where it is not still runs every other action,
// and says which one it could not do.
func TestContainOnAReplicaWithoutSharePoint(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice --disable --sharepoint")
	id := e.requestID(card)
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	delete(e.sb.Env, "SHAREPOINT_ADMIN_URL")
	e.start(nil)
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(id, "failed")
	if got, _ := e.sb.Graph.User(aliceID); got.AccountEnabled || e.sb.Graph.Revocations(aliceID) != 1 {
		t.Errorf("alice: enabled %v, revoked %d times", got.AccountEnabled, e.sb.Graph.Revocations(aliceID))
	}
	if th := e.waitThread(card, "SharePoint session revocation"); !strings.Contains(th, "SharePoint session revocation was not done") || !strings.Contains(th, "SHAREPOINT_ADMIN_URL") {
		t.Errorf("thread:\n%s", th)
	}
	if n := len(e.sb.SharePoint.Requests()); n != 0 {
		t.Errorf("%d SharePoint requests", n)
	}
}

// TestSignInWatchSurvivesRestart: a watch cut short by a shutdown says so
// in the thread, and revokebot started again carries it on from its
// checkpoint: a sign-in made while it was down still raises the alarm, once.
func TestSignInWatchSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(testPolicy+"verify:\n  for: 3s\n  every: 10s\n"), withWatchEvery(100*time.Millisecond),
		withGraphLimits(quickBudget, quickBudget))
	card := e.request(uRequester, "alice")
	id := e.requestID(card)
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(id, "watching")
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	e.waitThread(card, "The sign-in watch paused because revokebot is restarting")
	e.sb.Graph.AddSignIns(fakegraph.SignIn{UserID: aliceID, UserPrincipalName: "alice@contoso.com",
		CreatedDateTime: time.Now().UTC().Add(time.Second), IPAddress: "203.0.113.9", AppDisplayName: "Office 365 Exchange Online"})
	e.start(nil)
	e.waitThread(card, "goes on, on replica", "Successful sign-in after the revocation", "The sign-in watch ended: 1 successful sign-in")
	if n := strings.Count(e.thread(card), "203.0.113.9"); n != 1 {
		t.Errorf("the alarm was raised %d times:\n%s", n, e.thread(card))
	}
}
