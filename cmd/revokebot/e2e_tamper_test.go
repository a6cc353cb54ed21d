package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revokebot/revokebot/internal/auditline"
	"github.com/revokebot/revokebot/internal/fakeslack"
	"github.com/revokebot/revokebot/signing"
)

// tamperPolicy needs two approvers for /revoke all, so that an approval
// added in the database could complete a quorum.
var tamperPolicy = strings.Replace(allPolicy(1000, "1s"), "users: [U0APPROVER]", "users: [U0APPROVER, U0APPROVER2]", 1) +
	"approvals_required: 2\n"

// TestTamperAsRuntimeRole: what the PostgreSQL runtime role (whose password
// sits in the bot's Secret) can write does not make the bot act. Each
// attack is refused, recorded as tampered and told; Graph sees nothing; and
// `audit verify` names the forged record.
func TestTamperAsRuntimeRole(t *testing.T) {
	t.Parallel()
	app := runtimeRole(t)
	e := startEnv(t, withStore(app), withPolicy(tamperPolicy))
	bulkTenant(e.sb.Graph, 30)
	conn, err := pgx.Connect(e.ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	sqlDo := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(e.ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	refused := func(card fakeslack.Message) {
		t.Helper()
		id := e.requestID(card)
		e.waitAudit(id, "tampered")
		e.waitThread(card, "revokebot refused to act on this request")
		var state string
		if err := conn.QueryRow(e.ctx, `SELECT state FROM requests WHERE id = $1`, id).Scan(&state); err != nil || state != "failed" {
			t.Errorf("request %s is %s (%v), want failed", id, state, err)
		}
	}

	t.Run("a denied job moved to running", func(t *testing.T) {
		card := e.request(uRequester, "all")
		e.click(uApprover, card, "revoke_deny")
		e.waitAudit(e.requestID(card), "denied")
		sqlDo(`UPDATE requests SET state = 'running' WHERE id = $1`, e.requestID(card))
		refused(card)
	})
	t.Run("a pending target swapped", func(t *testing.T) {
		card := e.request(uRequester, "alice")
		sqlDo(`UPDATE requests SET target = convert_to(replace(convert_from(target, 'UTF8'), $1, $2), 'UTF8') WHERE id = $3`,
			aliceID, bobID, e.requestID(card))
		e.click(uRequester, card, "revoke_confirm")
		refused(card)
	})
	t.Run("an approval inserted", func(t *testing.T) {
		card := e.request(uRequester, "all")
		sqlDo(`INSERT INTO approvals (request_id, approver, at, sig) VALUES ($1, 'U0APPROVER2', now(), 'AAAA')`, e.requestID(card))
		e.click(uApprover, card, "revoke_approve")
		refused(card)
		if th := e.thread(card); !strings.Contains(th, "approvals revokebot did not sign: <@U0APPROVER2>") {
			t.Errorf("the thread does not name the forged approval:\n%s", th)
		}
	})
	var forged int64
	t.Run("a record appended with a valid chain hash", func(t *testing.T) {
		card := e.request(uRequester, "alice")
		id := e.requestID(card)
		e.waitAudit(id, "requested")
		tx, err := conn.Begin(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(context.Background())
		var prev string
		if err := tx.QueryRow(e.ctx, `SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE`).Scan(&forged, &prev); err != nil {
			t.Fatal(err)
		}
		forged++
		at := time.Now().UTC().Truncate(time.Microsecond)
		l := auditline.Line{Seq: forged, Time: at.Format(time.RFC3339Nano), Event: "approved", RequestID: id,
			Actor: "U0CISO", Target: "alice@contoso.com", Detail: "approved by the CISO", PrevHash: prev}
		l.Hash = auditline.Hash(l)
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO audit (seq, time, event, request_id, actor, target, detail, prev_hash, hash, key_id, sig)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', '')`, []any{l.Seq, at, l.Event, id, l.Actor, l.Target, l.Detail, prev, l.Hash}},
			{`UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, []any{l.Seq, l.Hash}},
			{`WITH head AS (UPDATE outbox_head SET seq = seq + 2 WHERE id = 1 RETURNING seq)
				INSERT INTO outbox (seq, kind, order_key, request_id, channel, audit_seq, attempts, next_at, owner, lease_until, last_error, created_at)
				SELECT head.seq - 1, 'audit', 'audit:' || $1::text, '', $1::text, $2::bigint, 0, NULL::timestamptz, '', NULL::timestamptz, '', now() FROM head
				UNION ALL SELECT head.seq, 'reply', 'thread:' || $3::text, $3::text, '', $2::bigint, 0, NULL::timestamptz, '', NULL::timestamptz, '', now() FROM head`,
				[]any{chAudit, l.Seq, id}},
		} {
			if _, err := tx.Exec(e.ctx, q.sql, q.args...); err != nil {
				t.Fatalf("%s: %v", q.sql, err)
			}
		}
		if err := tx.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.waitFor("the refusal to post it", func(s *fakeslack.Server) bool {
			return strings.Contains(e.everything(), "refused to post audit record #"+strconv.FormatInt(forged, 10))
		})
		if strings.Contains(e.everything(), "approved by the CISO") {
			t.Errorf("the bot posted the forged record:\n%s", e.everything())
		}
	})
	if e.sb.Graph.TotalRevocations() != 0 {
		t.Fatalf("%d revocations: the database made the bot act", e.sb.Graph.TotalRevocations())
	}
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	code, out := e.audit("verify")
	if want := "audit record " + strconv.FormatInt(forged, 10) + ": not signed"; code != 1 || !strings.Contains(out, want) {
		t.Fatalf("audit verify: exit %d, want 1 and %q:\n%s", code, want, out)
	}
}

// TestPostgresNeedsAKey: with a PostgreSQL store and no key the bot does not
// start: a one-line error naming the setting, exit 2, before any connection.
func TestPostgresNeedsAKey(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test",
		"REVOKEBOT_STORE": "postgres://revokebot@127.0.0.1:1/none", "REVOKEBOT_CONFIG": writePolicy(t, testPolicy),
	}
	var out strings.Builder
	code := run(context.Background(), []string{"run"}, func(k string) string { return env[k] }, &out, &out)
	if code != 2 || !strings.Contains(out.String(), "REVOKEBOT_SIGNING_KEY_FILE: required with a PostgreSQL store") {
		t.Fatalf("exit %d, want 2 naming REVOKEBOT_SIGNING_KEY_FILE:\n%s", code, out.String())
	}
	env["REVOKEBOT_SIGNING_KEY_FILE"] = t.TempDir() + "/missing.key"
	out.Reset()
	if code := run(context.Background(), []string{"run"}, func(k string) string { return env[k] }, &out, &out); code != 2 ||
		!strings.Contains(out.String(), "missing.key does not exist") {
		t.Fatalf("a missing key file: exit %d, want 2:\n%s", code, out.String())
	}
}

// writePolicy writes a policy file and returns its path.
func writePolicy(t *testing.T, policy string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "revokebot.yaml")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKeyRotation: a new key signs from its first start, which the audit
// channel is told of; the whole log then verifies with both public keys as
// the channel showed them, and not with the new one alone.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	e.waitAudit(e.requestID(e.request(uRequester, "alice")), "requested")
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(t.TempDir(), "new.key")
	if _, err := signing.Create(fresh); err != nil {
		t.Fatal(err)
	}
	e.sb.Env["REVOKEBOT_SIGNING_KEY_FILE"] = fresh
	e.start(nil)
	e.waitAudit(e.requestID(e.request(uRequester, "bob")), "requested")
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, l := range e.auditLines("public key `") {
		keys = append(keys, strings.SplitN(strings.SplitN(l, "public key `", 2)[1], "`", 2)[0])
	}
	if len(keys) != 2 {
		t.Fatalf("the audit channel announced %d keys, want 2", len(keys))
	}
	if code, out := e.audit("verify"); code != 1 || !strings.Contains(out, "signed by a key revokebot was not given") {
		t.Fatalf("with the new key alone: exit %d, want 1:\n%s", code, out)
	}
	if code, out := e.audit("verify", "--public-key", keys[0], "--public-key", keys[1]); code != 0 || !strings.Contains(out, "audit log intact") {
		t.Fatalf("with both keys: exit %d, want 0:\n%s", code, out)
	}
	if code, _ := e.audit("verify", "--public-key", "not-a-key"); code != 2 {
		t.Errorf("a malformed --public-key: exit %d, want 2", code)
	}
}
