package main

import (
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
	"github.com/revokebot/revokebot/store"
)

// auditSeqs are the audit channel's record numbers for a request, in the
// order the channel shows them.
func (e *env) auditSeqs(requestID string) []string {
	var out []string
	for _, m := range e.sb.Slack.Messages() {
		if m.Channel == chAudit && strings.Contains(m.Text, requestID) {
			if i := strings.Index(m.Text, " · #"); i >= 0 {
				out = append(out, strings.Fields(m.Text[i+len(" · #"):])[0])
			}
		}
	}
	return out
}

// TestOutcomeToldThroughSlackOutageAndKill: Slack's Web API answers 503
// from the click on; the bot revokes, records, is killed with SIGKILL, and
// another bot is started while Slack is still down. When Slack returns,
// every audit record and the outcome reach the thread and the audit
// channel, in order.
func TestOutcomeToldThroughSlackOutageAndKill(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	child, out := startChild(t, e)
	card := e.request(uRequester, "alice")
	id := e.requestID(card)
	end := e.sb.Slack.StartOutage(fakeslack.Outage{})
	defer end()
	e.click(uRequester, card, "revoke_confirm")
	e.waitFor("the revocation", func(*fakeslack.Server) bool { return e.sb.Graph.Revocations(aliceID) == 1 })
	st := openStore(t, e)
	e.waitFor("the outcome recorded", func(*fakeslack.Server) bool {
		r, err := st.Request(e.ctx, id)
		return err == nil && r.State == store.StateSucceeded
	})
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	e.waitFor("the killed bot's connection to close", func(s *fakeslack.Server) bool { return s.OpenConnections() == 0 })
	if strings.Contains(e.thread(card), "Graph accepted it at") {
		t.Fatalf("the outcome reached Slack during the outage\n%s", out.String())
	}
	e.start(nil)
	time.Sleep(500 * time.Millisecond) // the new bot meets the outage too
	end()
	back := time.Now()
	// A message the killed bot held when it died waits for its lease (20 s).
	// The read-back is evidence after the outcome: the killed bot may not
	// have got to it, and nobody takes it up.
	e.waitWithin(50*time.Second, "the outcome in the thread", func(*fakeslack.Server) bool {
		th := e.thread(card)
		return strings.Contains(th, "<@"+uRequester+"> confirmed") && strings.Contains(th, "Graph accepted it at")
	})
	e.waitWithin(50*time.Second, "every record in the audit channel", func(*fakeslack.Server) bool { return len(e.auditSeqs(id)) >= 5 })
	took := time.Since(back)
	// Record 1 is the signing key's announcement; the request's are 2 on:
	// requested, confirmed, started, snapshot, succeeded, and then, as far
	// as the killed bot or the next got to them, the read-back and the
	// snapshot sealed with its logs.
	seqs := e.auditSeqs(id)
	for i, s := range seqs {
		if s != strconv.Itoa(i+2) || len(seqs) < 5 || len(seqs) > 7 {
			t.Errorf("audit channel shows records %s, want 2 to 6 (and the read-back and the complete snapshot's seal) in order", strings.Join(seqs, ","))
			break
		}
	}
	e.waitFor("the card to show the outcome", func(*fakeslack.Server) bool {
		return len(e.sb.Slack.Buttons(e.current(card))) == 0 && strings.Contains(blocksOf(e.current(card)), "revoked")
	})
	if e.sb.Graph.Revocations(aliceID) != 1 {
		t.Errorf("alice revoked %d times", e.sb.Graph.Revocations(aliceID))
	}
	t.Logf("everything delivered %s after Slack's return", took.Round(time.Millisecond))
}

// TestStrangerFloodDoesNotDelayResponder: a stranger sends 1,200 /revoke
// commands while Slack answers each Web API call in 100 ms; a responder's
// card still comes within a second or two, nobody allowed is told
// "overloaded", and the stranger's refusals fold into a few records.
func TestStrangerFloodDoesNotDelayResponder(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.sb.Slack.SetLatency(100 * time.Millisecond)
	e.command(uStranger, chIncident, "alice") // the cache learns who the stranger is
	e.ephemeral(uStranger, "not on revokebot's list of requesters")

	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range 1200 {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, _ = e.sb.Slack.SlashCommand(e.ctx, fakeslack.SlashCommand{UserID: uStranger, ChannelID: chIncident, Text: fmt.Sprintf("user%d", i)})
		})
	}
	time.Sleep(50 * time.Millisecond) // the flood is under way
	start := time.Now()
	card := e.request(uRequester, "alice")
	took := time.Since(start)
	wg.Wait()
	if took > 3*time.Second {
		t.Errorf("the responder's card took %s during the flood", took)
	}
	for _, m := range e.sb.Slack.Ephemerals(uRequester) {
		if strings.Contains(m.Text, "overloaded") {
			t.Errorf("the responder was told: %s", m.Text)
		}
	}
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	st := openStore(t, e)
	n, err := st.VerifyAudit(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.Records > 20 {
		t.Errorf("%d audit records: the stranger's flood was not folded", n.Records)
	}
	t.Logf("card during the flood in %s; %d audit records in all", took.Round(time.Millisecond), n)
}

// TestReadBackLagAndThrottle: ten users blocked while Entra ID's reads keep
// showing the old state for longer than any wait, and one read answered
// 429 with Retry-After 10: the outcome is recorded and told at once, the
// read-back comes after, as its own record, and says what it could not see.
func TestReadBackLagAndThrottle(t *testing.T) {
	t.Parallel()
	// The reads lag for good, so every round of read-backs is spent: a
	// short wait between rounds leaves the same story, told sooner.
	e := startEnv(t, withTune(func(c *botConfig) { c.ReadBackWait = 200 * time.Millisecond }))
	bulkTenant(e.sb.Graph, 40)
	e.sb.Graph.LagAllReads(true)
	var names []string
	for i := 0; len(names) < 10; i++ {
		if i%10 != 3 && i%15 != 7 {
			names = append(names, fmt.Sprintf("user%05d@contoso.com", i))
		}
	}
	e.sb.Graph.Inject(fakegraph.Fault{Method: "GET", PathSuffix: "/users/b0000000-0000-4000-8000-000000000000", Status: 429, RetryAfter: "10", Times: 1})
	card := e.request(uRequester, strings.Join(names, " ")+" --disable")
	id := e.requestID(card)
	e.click(uRequester, card, "revoke_confirm")
	start := time.Now()
	e.waitAudit(id, "succeeded")
	recorded := time.Since(start)
	e.waitThread(card, "Done: every action succeeded for 10 users")
	e.waitWithin(60*time.Second, "the read-back", func(*fakeslack.Server) bool { return strings.Contains(e.thread(card), "Read back from Graph") })
	th := e.thread(card)
	if strings.Count(th, "does not show every action yet") != 10 {
		t.Errorf("the read-back does not flag the lag for each user:\n%s", th)
	}
	if strings.Contains(th, "may or may not") {
		t.Errorf("a known outcome was reported as unknown:\n%s", th)
	}
	if recorded > 8*time.Second {
		t.Errorf("the outcome waited %s for the read-back", recorded)
	}
	t.Logf("outcome recorded %s after the click", recorded.Round(time.Millisecond))
}

// TestAuditAppendFailsAfterGraphActed: the store refuses the outcome's
// record after Graph revoked: the thread and the requester are told what
// was done, directly.
func TestAuditAppendFailsAfterGraphActed(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice")
	db, err := sql.Open("sqlite", strings.TrimPrefix(e.sb.Env["REVOKEBOT_STORE"], "sqlite:")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER fail_outcome BEFORE INSERT ON audit WHEN NEW.event = 'succeeded'
		BEGIN SELECT RAISE(FAIL, 'disk on fire'); END`); err != nil {
		t.Fatal(err)
	}
	e.click(uRequester, card, "revoke_confirm")
	e.waitThread(card, "could not record the outcome", "Graph accepted it at")
	e.ephemeral(uRequester, "could not record the outcome")
	if n := e.sb.Graph.Revocations(aliceID); n != 1 {
		t.Errorf("alice revoked %d times", n)
	}
}

// TestRevokeAllCardOnALargeSlowTenant: 30,000 users and listing pages that
// take 3 s each: the approval card comes within seconds, counted with $count.
func TestRevokeAllCardOnALargeSlowTenant(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(allPolicy(3000, "1s")))
	eligible, _ := bulkTenant(e.sb.Graph, 30000)
	e.sb.Graph.SetListDelay(3 * time.Second)
	start := time.Now()
	card := e.request(uRequester, "all")
	took := time.Since(start)
	want := commas(len(eligible)+len(tenantEligible)) + " users"
	if b := blocksOf(e.current(card)); !strings.Contains(b, commas(len(eligible)+len(tenantEligible))+" users") {
		t.Errorf("card lacks %q:\n%s", want, b)
	}
	if took > 2*time.Second {
		t.Errorf("the card took %s", took)
	}
	t.Logf("card of a 30,000-user tenant in %s", took.Round(time.Millisecond))
}

// commas writes n with thousands separators, as the card does.
func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestStoreFilesArePrivate: the SQLite files are readable and writable by
// the bot's user only.
func TestStoreFilesArePrivate(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	path := strings.TrimPrefix(e.sb.Env["REVOKEBOT_STORE"], "sqlite:")
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if os.IsNotExist(err) && p != path {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %o, want 600", p, m)
		}
	}
}

// TestSignInWatchSurvivesSIGKILL: the replica watching a user's sign-ins
// is killed; the next bot carries the watch on and raises the alarm.
func TestSignInWatchSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(testPolicy+"verify:\n  for: 6s\n  every: 10s\n"), withWatchEvery(100*time.Millisecond),
		withGraphLimits(quickBudget, quickBudget))
	e.sb.Env[childOutboxLease] = "3s"
	child, _ := startChild(t, e)
	card := e.request(uRequester, "alice")
	id := e.requestID(card)
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(id, "watching")
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	e.waitFor("the killed bot's connection to close", func(s *fakeslack.Server) bool { return s.OpenConnections() == 0 })
	e.sb.Graph.AddSignIns(fakegraph.SignIn{UserID: aliceID, UserPrincipalName: "alice@contoso.com",
		CreatedDateTime: time.Now().UTC().Add(time.Second), IPAddress: "203.0.113.9", AppDisplayName: "Office 365 Exchange Online"})
	e.start(nil)
	// A thread message the killed bot held waits for its lease (3 s here).
	e.waitWithin(50*time.Second, "the watch carried on and its end", func(*fakeslack.Server) bool {
		th := e.thread(card)
		return strings.Contains(th, "Successful sign-in after the revocation") && strings.Contains(th, "The sign-in watch ended: 1 successful sign-in")
	})
}
