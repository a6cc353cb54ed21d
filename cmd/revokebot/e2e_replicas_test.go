package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

// postgresStore makes a fresh schema in the test PostgreSQL and returns a
// REVOKEBOT_STORE URL that uses it; the schema is dropped afterwards.
func postgresStore(t testing.TB) string {
	t.Helper()
	base := os.Getenv("REVOKEBOT_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("REVOKEBOT_TEST_POSTGRES_URL is unset: skipping the tests with replicas on PostgreSQL")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "rb_e2e_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// replicas starts n bots sharing one fake Slack (each with its own Socket
// Mode connection, envelopes spread at random) and one PostgreSQL schema.
func replicas(t testing.TB, n int, opts ...envOption) (*env, []*syncBuffer) {
	t.Helper()
	dbURL := postgresStore(t)
	e := startEnv(t, append(opts, withStore(dbURL))...)
	logs := []*syncBuffer{e.logs}
	for range n - 1 {
		l := &syncBuffer{}
		stop, err := e.sb.Start(l, e.tuned(nil))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := stop(); err != nil {
				t.Errorf("replica stopped with an error: %v", err)
			}
		})
		logs = append(logs, l)
	}
	if got := e.sb.Slack.OpenConnections(); got != n {
		t.Fatalf("%d Socket Mode connections, want %d", got, n)
	}
	return e, logs
}

var requestIDInLog = regexp.MustCompile(`"request_id":"(rb-[a-z2-7]+)"`)

func idsLogged(log, msg string) map[string]bool {
	ids := map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `"msg":"`+msg+`"`) {
			if m := requestIDInLog.FindStringSubmatch(line); m != nil {
				ids[m[1]] = true
			}
		}
	}
	return ids
}

// TestReplicasShareDecisions: commands and clicks land on either replica at
// random; a card posted by one is confirmed on the other, and a storm of
// duplicate clicks spread over both executes a request once.
func TestReplicasShareDecisions(t *testing.T) {
	t.Parallel()
	e, logs := replicas(t, 2)
	const n = 16
	var cards []fakeslack.Message
	for range n {
		cards = append(cards, e.request(uRequester, "alice"))
	}
	var wg sync.WaitGroup
	for _, card := range cards {
		id := e.requestID(card)
		for range 3 { // three clicks each: a double-click and a retry
			wg.Go(func() { e.clickValue(uRequester, card, "revoke_confirm", id, true) })
		}
	}
	wg.Wait()
	for _, card := range cards {
		e.waitAudit(e.requestID(card), "succeeded")
	}
	time.Sleep(200 * time.Millisecond) // room for a wrongly repeated execution to show
	if got := e.sb.Graph.Revocations(aliceID); got != n {
		t.Fatalf("%d revocations for %d requests: a request ran more than once", got, n)
	}
	posted := []map[string]bool{idsLogged(logs[0].String(), "request posted"), idsLogged(logs[1].String(), "request posted")}
	revoked := []map[string]bool{idsLogged(logs[0].String(), "sessions revoked"), idsLogged(logs[1].String(), "sessions revoked")}
	crossed := 0
	for id := range posted[0] {
		if revoked[1][id] {
			crossed++
		}
	}
	for id := range posted[1] {
		if revoked[0][id] {
			crossed++
		}
	}
	if len(posted[0]) == 0 || len(posted[1]) == 0 || crossed == 0 {
		t.Fatalf("work was not spread: posted %d/%d, confirmed on the other replica %d", len(posted[0]), len(posted[1]), crossed)
	}
	if n, err := openStore(t, e).VerifyAudit(e.ctx, nil); err != nil || n.Records < 4*16 {
		t.Fatalf("one audit chain across replicas: %d %v", n, err)
	}
}

// TestReplicasExpireOnce: both replicas sweep; the expiry is done and
// posted once.
func TestReplicasExpireOnce(t *testing.T) {
	t.Parallel()
	e, _ := replicas(t, 2)
	card := e.request(uRequester, "alice")
	// The card is in Slack a moment before its ts is in the store; expiry
	// ten minutes later never meets that moment, a test clock can.
	st := openStore(t, e)
	e.waitFor("the card's ts in the store", func(*fakeslack.Server) bool {
		r, err := st.Request(e.ctx, e.requestID(card))
		return err == nil && r.RootTS != ""
	})
	e.clock.Advance(11 * time.Minute)
	e.waitAudit(e.requestID(card), "expired")
	e.waitThread(card, "No decision before")
	time.Sleep(200 * time.Millisecond)
	if got := strings.Count(e.thread(card), "No decision before"); got != 1 {
		t.Fatalf("expiry posted %d times", got)
	}
}

// TestReplicasTakeOverBulkJob: the replica running a /revoke all job shuts
// down mid-run; the other resumes it from the checkpoint, says so, and
// every eligible user is revoked exactly once.
func TestReplicasTakeOverBulkJob(t *testing.T) {
	t.Parallel()
	dbURL := postgresStore(t)
	tune := func(c *botConfig) { c.Bulk.ProgressEvery = 100 * time.Millisecond }
	e := startEnv(t, withStore(dbURL), withPolicy(allPolicy(400, "1s")), withTune(tune))
	second := &syncBuffer{}
	stopSecond, err := e.sb.Start(second, e.tuned(tune))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stopSecond() })
	eligible, others := bulkTenant(e.sb.Graph, 1500)
	card := e.request(uRequester, "all")
	id := e.requestID(card)
	e.click(uApprover, card, "revoke_approve")
	e.waitFor("some revocations", func(*fakeslack.Server) bool { return e.sb.Graph.TotalRevocations() >= 150 })
	runner, survivor := e.stop, second
	if strings.Contains(second.String(), "bulk job claimed") {
		runner, survivor = stopSecond, e.logs
	}
	if err := runner(); err != nil {
		t.Fatal(err)
	}
	e.waitAudit(id, "resumed")
	e.waitWithin(60*time.Second, "the job's end", func(*fakeslack.Server) bool { return strings.Contains(e.thread(card), "Finished in") })
	if !strings.Contains(survivor.String(), "bulk job claimed") {
		t.Fatal("the job did not move to the surviving replica")
	}
	for _, u := range append(eligible, tenantEligible...) {
		if n := e.sb.Graph.Revocations(u); n != 1 {
			t.Fatalf("eligible user %s revoked %d times across the takeover, want 1", u, n)
		}
	}
	for _, u := range others {
		if n := e.sb.Graph.Revocations(u); n != 0 {
			t.Fatalf("skipped user %s revoked", u)
		}
	}
}
