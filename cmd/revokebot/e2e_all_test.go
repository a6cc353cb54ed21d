package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// allPolicy is testPolicy with a /revoke all ceiling scaled down in time, so
// that a job of thousands of users takes a second or two.
func allPolicy(writes int, per string) string {
	return testPolicy + fmt.Sprintf("revoke_all:\n  writes: %d\n  per: %s\n  concurrency: 16\n", writes, per)
}

// bulkTenant adds n users to the fake tenant: every 10th a guest, every
// 15th disabled, the rest enabled members; it returns the eligible IDs and
// the others.
func bulkTenant(g *fakegraph.Server, n int) (eligible, others []string) {
	users := make([]fakegraph.User, n)
	for i := range users {
		u := fakegraph.User{ID: fmt.Sprintf("b0000000-0000-4000-8000-%012d", i), DisplayName: fmt.Sprintf("User %d", i),
			UserPrincipalName: fmt.Sprintf("user%05d@contoso.com", i), UserType: "Member", AccountEnabled: true}
		switch {
		case i%10 == 3:
			u.UserType, u.UserPrincipalName = "Guest", fmt.Sprintf("guest%05d_fabrikam.com#EXT#@contoso.onmicrosoft.com", i)
			others = append(others, u.ID)
		case i%15 == 7:
			u.AccountEnabled = false
			others = append(others, u.ID)
		default:
			eligible = append(eligible, u.ID)
		}
		users[i] = u
	}
	g.AddUsers(users...)
	return eligible, others
}

// tenantEligible and tenantOthers split tenant() by the test policy's rules.
var (
	tenantEligible = []string{aliceID, evilID, obrienID, twin1ID, twin2ID}
	tenantOthers   = []string{bobID, guestID, ceoID} // disabled, guest, protected
)

func TestRevokeAllNeedsASecondPerson(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(allPolicy(600, "1s")))
	card := e.request(uRequester, "all")
	text := e.everything()
	for _, want := range []string{"5 users", "1 disabled account", "1 guest,", "1 protected account", "Estimated duration"} {
		if !strings.Contains(blocksOf(e.current(card)), want) {
			t.Errorf("card lacks %q:\n%s", want, blocksOf(e.current(card)))
		}
	}
	if strings.Contains(text, "<!channel>") {
		t.Fatal("directory text reached Slack unescaped")
	}
	id := e.requestID(card)

	e.click(uRequester, card, "revoke_approve")
	e.ephemeral(uRequester, "cannot approve your own request")
	// A confirm button the card never showed (a forged or replayed payload).
	e.clickValue(uRequester, card, "revoke_confirm", id, true)
	e.ephemeral(uRequester, "needs an approver")
	e.click(uOther, card, "revoke_approve")
	e.ephemeral(uOther, "not on revokebot's list of approvers")
	e.click(uStranger, card, "revoke_deny")
	e.ephemeral(uStranger, "not on revokebot's list of approvers")
	if n := e.sb.Graph.TotalRevocations(); n != 0 {
		t.Fatalf("%d revocations before approval", n)
	}
	e.waitFor("four refusals in the thread", func(*fakeslack.Server) bool { return strings.Count(e.thread(card), "refused") >= 4 })
	if got := strings.Count(e.thread(card), "refused"); got != 4 {
		t.Errorf("thread shows %d refusals, want 4:\n%s", got, e.thread(card))
	}

	e.click(uApprover, card, "revoke_approve")
	e.waitAudit(id, "succeeded")
	for _, u := range tenantEligible {
		if n := e.sb.Graph.Revocations(u); n != 1 {
			t.Errorf("eligible user %s revoked %d times, want 1", u, n)
		}
	}
	for _, u := range tenantOthers {
		if n := e.sb.Graph.Revocations(u); n != 0 {
			t.Errorf("skipped user %s revoked %d times", u, n)
		}
	}
	e.waitThread(card, "Finished in", "5 users revoked, 0 failed, 3 skipped")
	// A late and a duplicate approval change nothing.
	e.clickValue(uApprover, card, "revoke_approve", id, true)
	e.ephemeral(uApprover, "already approved")
	if n := e.sb.Graph.TotalRevocations(); n != len(tenantEligible) {
		t.Errorf("%d revocations after a late click, want %d", n, len(tenantEligible))
	}
}

func TestRevokeAllDeniedOrExpired(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(allPolicy(600, "1s")))
	denied := e.request(uRequester, "all")
	e.click(uApprover, denied, "revoke_deny")
	e.waitAudit(e.requestID(denied), "denied")

	expired := e.request(uRequester, "all")
	id := e.requestID(expired)
	e.clock.Advance(31 * time.Minute)
	e.waitAudit(id, "expired")
	e.clickValue(uApprover, expired, "revoke_approve", id, true)
	e.ephemeral(uApprover, "expired")
	time.Sleep(100 * time.Millisecond)
	if n := e.sb.Graph.TotalRevocations(); n != 0 {
		t.Fatalf("%d revocations after a denial and an expiry", n)
	}
}

// TestRevokeAllBigTenantThroughStorms runs a multi-page tenant (ten pages
// of the fake's 100) through 429 storms and 503s: every eligible user is
// revoked, nobody else is. The size is what the storms need to land in the
// middle of the listing and the writes; BenchmarkRevokeAll takes the scale.
func TestRevokeAllBigTenantThroughStorms(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(allPolicy(3000, "1s")), withTune(func(c *botConfig) {
		c.Bulk.ProgressEvery = 200 * time.Millisecond
	}))
	eligible, others := bulkTenant(e.sb.Graph, 1000)
	e.sb.Graph.Inject(fakegraph.Fault{Method: "POST", PathSuffix: "/revokeSignInSessions", Status: 429, RetryAfter: "0.05", Times: 60})
	e.sb.Graph.Inject(fakegraph.Fault{Method: "POST", PathSuffix: "/revokeSignInSessions", Status: 503, Times: 20})
	card := e.request(uRequester, "all")
	id := e.requestID(card)
	e.click(uApprover, card, "revoke_approve")
	e.waitWithin(60*time.Second, "the job's end", func(s *fakeslack.Server) bool {
		return strings.Contains(e.thread(card), "Finished in")
	})
	e.waitAudit(id, "succeeded")
	for _, u := range append(eligible, tenantEligible...) {
		if n := e.sb.Graph.Revocations(u); n != 1 {
			t.Fatalf("eligible user %s revoked %d times, want exactly 1", u, n)
		}
	}
	for _, u := range append(others, tenantOthers...) {
		if n := e.sb.Graph.Revocations(u); n != 0 {
			t.Fatalf("skipped user %s revoked %d times", u, n)
		}
	}
	// The progress message's last edit and the audit line go by different
	// ways, in either order.
	var progress fakeslack.Message
	e.waitFor("the finished job's progress message without its stop button", func(*fakeslack.Server) bool {
		progress = e.progressMessage(card)
		return len(e.sb.Slack.Buttons(progress)) == 0
	})
	if !strings.Contains(progress.Text, "0 remaining") {
		t.Errorf("final progress: %q", progress.Text)
	}
}

// progressMessage finds the job's progress message in the card's thread.
func (e *env) progressMessage(card fakeslack.Message) fakeslack.Message {
	e.t.Helper()
	for _, m := range e.sb.Slack.Thread(card.Channel, card.TS) {
		if strings.HasPrefix(m.Text, "Revoking every user:") {
			return m
		}
	}
	e.t.Fatalf("no progress message in the thread:\n%s", e.thread(card))
	return fakeslack.Message{}
}

func TestRevokeAllStop(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(allPolicy(200, "1s")), withTune(func(c *botConfig) {
		c.Bulk.ProgressEvery = 100 * time.Millisecond
		c.Bulk.Poll = 50 * time.Millisecond
	}))
	eligible, _ := bulkTenant(e.sb.Graph, 3000)
	card := e.request(uRequester, "all")
	id := e.requestID(card)
	e.click(uApprover, card, "revoke_approve")
	e.waitFor("some revocations", func(*fakeslack.Server) bool { return e.sb.Graph.TotalRevocations() >= 50 })
	progress := e.progressMessage(card)

	e.click(uStranger, progress, "revoke_stop")
	e.ephemeral(uStranger, "cannot stop this job")
	e.click(uRequester, progress, "revoke_stop")
	e.waitAudit(id, "stopped")
	stoppedAt := e.sb.Graph.TotalRevocations()
	time.Sleep(300 * time.Millisecond)
	if n := e.sb.Graph.TotalRevocations(); n != stoppedAt {
		t.Errorf("revocations went on after the stop: %d then %d", stoppedAt, n)
	}
	if stoppedAt >= len(eligible) {
		t.Fatalf("the job finished (%d revocations) before the stop landed", stoppedAt)
	}
	th := e.waitThread(card, "Stopped by <@"+uRequester+">")
	if !strings.Contains(th, "Stopped by <@"+uRequester+">") || !strings.Contains(th, "not revoked") {
		t.Errorf("summary does not say who stopped it and what was left:\n%s", th)
	}
	// The file is attached after the summary is recorded.
	e.waitFor("the file of users not revoked", func(s *fakeslack.Server) bool { return len(s.Files()) > 0 })
	files := e.sb.Slack.Files()
	if len(files) != 1 || files[0].ThreadTS != card.TS || !strings.HasSuffix(files[0].Name, ".csv") {
		t.Fatalf("want one CSV file in the thread, got %+v", files)
	}
	csv := string(files[0].Content)
	c, err := openStore(t, e).JobCounts(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(csv, "\n") - 1; lines != c.Pending+c.Failed || c.Pending == 0 {
		t.Errorf("the CSV lists %d users; the job left %d pending and %d failed", lines, c.Pending, c.Failed)
	}
	if !strings.HasPrefix(csv, "object_id,user_principal_name,outcome,attempts,reason\n") || !strings.Contains(csv, ",not revoked,") {
		t.Errorf("CSV: %.300s", csv)
	}
	e.clickValue(uApprover, progress, "revoke_stop", id, true)
	e.ephemeral(uApprover, "no running job")
	if !strings.Contains(th, "not fully listed") && !strings.Contains(th, "Every user was listed") {
		t.Errorf("summary does not say how far the listing got:\n%s", th)
	}
}

// TestRevokeAllResumesAfterRestart stops the bot mid-job and starts it
// again on the same store: it says it resumed, finishes, and revokes every
// eligible user exactly once (a graceful stop lets in-flight calls finish).
func TestRevokeAllResumesAfterRestart(t *testing.T) {
	t.Parallel()
	tune := func(c *botConfig) { c.Bulk.ProgressEvery = 100 * time.Millisecond }
	e := startEnv(t, withPolicy(allPolicy(400, "1s")), withTune(tune))
	eligible, others := bulkTenant(e.sb.Graph, 1500)
	card := e.request(uRequester, "all")
	id := e.requestID(card)
	e.click(uApprover, card, "revoke_approve")
	e.waitFor("some revocations", func(*fakeslack.Server) bool { return e.sb.Graph.TotalRevocations() >= 200 })
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.thread(card), "resumes from its checkpoint") {
		t.Errorf("no pause notice in the thread:\n%s", e.thread(card))
	}
	before := e.sb.Graph.TotalRevocations()
	e.start(tune)
	e.waitAudit(id, "resumed")
	e.waitWithin(60*time.Second, "the job's end", func(*fakeslack.Server) bool { return strings.Contains(e.thread(card), "Finished in") })
	if before >= len(eligible) {
		t.Fatalf("the job had finished (%d) before the restart", before)
	}
	for _, u := range append(eligible, tenantEligible...) {
		if n := e.sb.Graph.Revocations(u); n != 1 {
			t.Fatalf("eligible user %s revoked %d times across the restart, want 1", u, n)
		}
	}
	for _, u := range others {
		if n := e.sb.Graph.Revocations(u); n != 0 {
			t.Fatalf("skipped user %s revoked", u)
		}
	}
}

// TestRevokeAllReportsFailures: users Graph refuses are reported, twenty
// inline with the reason and all of them in a CSV file in the thread.
func TestRevokeAllReportsFailures(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(allPolicy(3000, "1s")))
	eligible, _ := bulkTenant(e.sb.Graph, 300)
	e.sb.Graph.Inject(fakegraph.Fault{Method: "POST", PathSuffix: "/revokeSignInSessions", Status: 404, Times: 25})
	card := e.request(uRequester, "all")
	id := e.requestID(card)
	e.click(uApprover, card, "revoke_approve")
	e.waitAudit(id, "failed")
	th := e.waitThread(card, "…and 5 more.")
	if !strings.Contains(th, "25 failed") || strings.Count(th, "not found (deleted?)") != 20 || !strings.Contains(th, "…and 5 more.") {
		t.Errorf("summary does not list 20 failures and count the rest:\n%s", th)
	}
	// The file is attached after the summary is recorded.
	e.waitFor("the file of users not revoked", func(s *fakeslack.Server) bool { return len(s.Files()) > 0 })
	files := e.sb.Slack.Files()
	if len(files) != 1 || strings.Count(string(files[0].Content), ",failed,") != 25 {
		t.Fatalf("want a CSV with the 25 failed users, got %+v", files)
	}
	revoked := 0
	for _, u := range append(eligible, tenantEligible...) {
		revoked += e.sb.Graph.Revocations(u)
	}
	if want := len(eligible) + len(tenantEligible) - 25; revoked != want {
		t.Errorf("%d revoked, want %d", revoked, want)
	}
}
