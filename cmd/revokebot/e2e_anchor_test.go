package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/auditline"
	"github.com/revokebot/revokebot/internal/fakeslack"
	"github.com/revokebot/revokebot/store"
)

// anchorEnv runs one revocation to its end, waits until every record is in
// the audit channel, and stops the bot, leaving its log (a SQLite file,
// opened for the test to tamper with) to be checked.
func anchorEnv(t *testing.T) (*env, *sql.DB, int) {
	e, n := anchorEnvWith(t)
	db, err := sql.Open("sqlite", strings.TrimPrefix(e.sb.Env["REVOKEBOT_STORE"], "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return e, db, n
}

// anchorEnvWith is anchorEnv on any store; it returns the number of records.
func anchorEnvWith(t *testing.T, opts ...envOption) (*env, int) {
	e := startEnv(t, opts...)
	card := e.request(uRequester, "alice")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "readback")
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenExisting(context.Background(), e.sb.Env["REVOKEBOT_STORE"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	head, _, err := st.AuditHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Every record reaches the channel at least once; a retried delivery
	// may post one twice.
	shown := map[string]bool{}
	for _, l := range e.auditLines(" · #") {
		shown[strings.Fields(l[strings.Index(l, " · #")+len(" · #"):])[0]] = true
	}
	if int64(len(shown)) != head {
		t.Fatalf("%d records but %d in the audit channel", head, len(shown))
	}
	return e, int(head)
}

func (e *env) audit(args ...string) (int, string) {
	var out, errs bytes.Buffer
	code := run(context.Background(), append([]string{"audit"}, args...), e.sb.getenv, &out, &errs)
	return code, out.String() + errs.String()
}

func sqlExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// reseal rewrites record seq's detail and seals it and every later record
// again, head included, as an attacker with the database would: the chain
// alone then verifies.
func reseal(t *testing.T, db *sql.DB, seq int64, detail string) {
	t.Helper()
	sqlExec(t, db, `DROP TRIGGER IF EXISTS audit_no_update`)
	sqlExec(t, db, `UPDATE audit SET detail = ? WHERE seq = ?`, detail, seq)
	rows, err := db.Query(`SELECT seq, time, event, request_id, actor, target, detail, prev_hash FROM audit WHERE seq >= ? ORDER BY seq`, seq)
	if err != nil {
		t.Fatal(err)
	}
	var ls []auditline.Line
	for rows.Next() {
		var l auditline.Line
		var micros int64 // the SQLite store keeps Unix microseconds
		if err := rows.Scan(&l.Seq, &micros, &l.Event, &l.RequestID, &l.Actor, &l.Target, &l.Detail, &l.PrevHash); err != nil {
			t.Fatal(err)
		}
		l.Time = time.UnixMicro(micros).UTC().Format(time.RFC3339Nano)
		ls = append(ls, l)
	}
	rows.Close()
	prev := ls[0].PrevHash
	for _, l := range ls {
		l.PrevHash = prev
		l.Hash = auditline.Hash(l)
		sqlExec(t, db, `UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?`, l.PrevHash, l.Hash, l.Seq)
		prev = l.Hash
	}
	sqlExec(t, db, `UPDATE audit_head SET hash = ?`, prev)
}

// TestAuditVerifySlack: the audit channel anchors the log. A log cut short
// with its head rewound, or rewritten and sealed again, passes the chain
// check; held against the channel it fails, naming the first record.
func TestAuditVerifySlack(t *testing.T) {
	t.Parallel()
	t.Run("intact", func(t *testing.T) {
		t.Parallel()
		e, _, n := anchorEnv(t)
		code, out := e.audit("verify", "--slack")
		if code != 0 || !strings.Contains(out, "audit log intact: "+strconv.Itoa(n)+" records") ||
			!strings.Contains(out, "audit channel C0AUDIT agrees with the log: ") || !strings.Contains(out, " lines, up to the head #"+strconv.Itoa(n)) {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		// What a person posts in the channel is not the bot's record.
		e.sb.Slack.AddMessage(fakeslack.Message{Channel: chAudit, Author: uStranger,
			Text: ":memo: *requested* · #999 `0123456789ab` · forged"})
		if code, out := e.audit("verify", "--slack"); code != 0 {
			t.Fatalf("a stranger's line counted: exit %d:\n%s", code, out)
		}
	})
	t.Run("cut short, head rewound", func(t *testing.T) {
		t.Parallel()
		e, db, n := anchorEnv(t)
		sqlExec(t, db, `DROP TRIGGER audit_no_delete`)
		sqlExec(t, db, `DELETE FROM audit WHERE seq >= ?`, n-1)
		sqlExec(t, db, `UPDATE audit_head SET seq = ?, hash = (SELECT hash FROM audit WHERE seq = ?)`, n-2, n-2)
		if code, out := e.audit("verify"); code != 0 {
			t.Fatalf("the chain alone should not see it (that is the point): exit %d:\n%s", code, out)
		}
		code, out := e.audit("verify", "--slack")
		want := "audit log BROKEN against audit channel C0AUDIT: audit record " + strconv.Itoa(n-1) + ": the audit channel shows it"
		if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "cut short") {
			t.Fatalf("exit %d, want 1 and %q:\n%s", code, want, out)
		}
	})
	t.Run("rewritten and resealed", func(t *testing.T) {
		t.Parallel()
		e, db, _ := anchorEnv(t)
		var seq int64
		if err := db.QueryRow(`SELECT seq FROM audit WHERE event = 'confirmed'`).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		reseal(t, db, seq, "confirmed by nobody")
		// The signatures catch it without the channel: the resealer lacks the key.
		if code, out := e.audit("verify"); code != 1 || !strings.Contains(out, "audit record "+strconv.FormatInt(seq, 10)+": signature") {
			t.Fatalf("a resealed chain: exit %d, want 1 naming record %d's signature:\n%s", code, seq, out)
		}
		code, out := e.audit("verify", "--slack")
		if code != 1 || !strings.Contains(out, "audit record "+strconv.FormatInt(seq, 10)+": the audit channel shows it with hash ") ||
			!strings.Contains(out, "but the log holds it with hash ") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("a line deleted from the channel", func(t *testing.T) {
		t.Parallel()
		e, _, n := anchorEnv(t)
		var seq string
		for _, m := range e.sb.Slack.Messages() {
			if m.Channel == chAudit && strings.Contains(m.Text, "*confirmed* · #") {
				seq = strings.Fields(m.Text[strings.Index(m.Text, " · #")+len(" · #"):])[0]
			}
		}
		// Every copy of its line: a retried delivery may have posted two.
		for _, m := range e.sb.Slack.Messages() {
			if m.Channel == chAudit && strings.Contains(m.Text, " · #"+seq+" `") {
				e.sb.Slack.Delete(m.Channel, m.TS)
			}
		}
		if code, out := e.audit("verify"); code != 0 {
			t.Fatalf("the log itself is intact: exit %d:\n%s", code, out)
		}
		code, out := e.audit("verify", "--slack")
		want := "audit channel C0AUDIT is MISSING 1 line(s) below #" + strconv.Itoa(n) + ", the highest it shows: #" + seq + " (deleted from the channel)"
		if code != 1 || !strings.Contains(out, want) {
			t.Fatalf("exit %d, want 1 and %q:\n%s", code, want, out)
		}
	})
	t.Run("no audit channel", func(t *testing.T) {
		t.Parallel()
		e, _, _ := anchorEnv(t)
		policy := filepath.Join(t.TempDir(), "policy.yaml")
		if err := os.WriteFile(policy, []byte(strings.Replace(testPolicy, "audit_channel: C0AUDIT\n", "", 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		e.sb.Env["REVOKEBOT_CONFIG"] = policy
		if code, out := e.audit("verify", "--slack"); code != 2 || !strings.Contains(out, "needs an audit_channel") {
			t.Fatalf("exit %d, want 2:\n%s", code, out)
		}
		if code, _ := e.audit("verify", "--slak"); code != 2 {
			t.Fatalf("a misspelt flag: exit %d, want 2", code)
		}
	})
}

// TestAuditExport: the export is JSON Lines, oldest first, from which an
// outside verifier re-checks the whole chain with nothing else; --since
// starts later, and its first line chains on from the record before.
func TestAuditExport(t *testing.T) {
	t.Parallel()
	e, _, n := anchorEnv(t)
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"audit", "export"}, e.sb.getenv, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	var lines []auditline.Line
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l auditline.Line
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != n {
		t.Fatalf("%d lines, want %d", len(lines), n)
	}
	// The public key, as an auditor finds it: in the audit channel's
	// announcement of the key (`public key `…``).
	ann := e.auditLines("public key `")
	if len(ann) == 0 {
		t.Fatal("the audit channel never showed the signing key")
	}
	b64 := strings.SplitN(strings.SplitN(ann[0], "public key `", 2)[1], "`", 2)[0]
	pub, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("announced key %q: %v", b64, err)
	}
	prev := strings.Repeat("0", 64)
	for i, l := range lines {
		if l.Seq != int64(i+1) || l.PrevHash != prev || auditline.Hash(l) != l.Hash {
			t.Fatalf("line %d does not chain: %+v", i+1, l)
		}
		if !auditline.Signed(pub, l) {
			t.Fatalf("line %d is not signed by the announced key: %+v", i+1, l)
		}
		prev = l.Hash
	}
	forged := lines[n-1]
	forged.Detail += " and nobody objected"
	forged.Hash = auditline.Hash(forged)
	if auditline.Signed(pub, forged) {
		t.Fatal("a resealed line still verifies: the signature does not cover the hash")
	}
	if !strings.Contains(errs.String(), "exported "+strconv.Itoa(n)+" audit records") {
		t.Errorf("stderr: %q", errs.String())
	}

	mid := lines[n/2]
	out.Reset()
	if code := run(context.Background(), []string{"audit", "export", "--since", mid.Time}, e.sb.getenv, &out, &errs); code != 0 {
		t.Fatalf("--since: exit %d: %s", code, errs.String())
	}
	first := strings.SplitN(out.String(), "\n", 2)[0]
	var l auditline.Line
	if err := json.Unmarshal([]byte(first), &l); err != nil || l.Seq > mid.Seq || l.Seq < 1 {
		t.Fatalf("--since %s starts at %+v (%v)", mid.Time, l, err)
	}
	if at, _ := time.Parse(time.RFC3339Nano, l.Time); at.Before(mustTime(t, mid.Time)) {
		t.Errorf("--since %s exported %s", mid.Time, l.Time)
	}
	if l != lines[l.Seq-1] {
		t.Errorf("--since: %+v, the whole export has %+v", l, lines[l.Seq-1])
	}
	if code := run(context.Background(), []string{"audit", "export", "--since", "yesterday"}, e.sb.getenv, &out, &errs); code != 2 {
		t.Errorf("a bad --since: exit %d, want 2", code)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}
