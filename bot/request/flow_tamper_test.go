package request

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/auditline"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/signing"
	"github.com/revokebot/revokebot/store"
)

// The tests below are the attacks of someone who can write the database
// and does not hold the bot's key: each is refused, recorded as tampered
// and told, and nothing reaches Graph.

// attack runs SQL on the flow's database behind the bot's back.
func (f *flow) attack(stmts ...string) {
	f.t.Helper()
	db, err := sql.Open("sqlite", f.dbPath)
	if err != nil {
		f.t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			f.t.Fatalf("%s: %v", s, err)
		}
	}
}

// wantTampered checks that request id ended failed with a tampered record,
// told in its thread (when it has one) and the audit channel.
func (f *flow) wantTampered(id string, thread bool) {
	f.t.Helper()
	f.deliver()
	if r := f.get(id); r.State != store.StateFailed && r.State != store.StateDenied {
		f.t.Errorf("request is %s after tampering, want failed", r.State)
	}
	if ev := f.events(id); !strings.Contains(ev, string(EvTampered)) {
		f.t.Errorf("events %s: no tampered record", ev)
	}
	if a := f.msg.text(chAudit); !strings.Contains(a, "refused to act on this request") {
		f.t.Errorf("audit channel:\n%s", a)
	}
	if th := f.msg.text(chInc); thread && !strings.Contains(th, "refused to act on this request") {
		f.t.Errorf("thread:\n%s", th)
	}
}

// TestTamperDeniedJobFlippedToRunning: a denied /revoke all moved to running
// in the database is not resumed by the sweep.
func TestTamperDeniedJobFlippedToRunning(t *testing.T) {
	t.Parallel()
	f := allFlow(t, 30, true)
	f.command(uReq, chInc, "all")
	r := f.newest()
	f.click(uApp, ActionDeny, r)
	if f.get(r.ID).State != store.StateDenied {
		t.Fatal("deny did not land")
	}
	f.attack(`UPDATE requests SET state = 'running' WHERE id = '` + r.ID + `'`)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	f.w.runs.open(ctx)
	f.w.exec.tendRunning(f.ctx)
	f.w.runs.wait()
	if n := f.revoker.count(); n != 0 {
		t.Fatalf("%d users revoked by a job nobody approved", n)
	}
	f.wantTampered(r.ID, true)
	if th := f.msg.text(chInc); !strings.Contains(th, "no decision signed by revokebot let it run") {
		t.Errorf("thread does not say why:\n%s", th)
	}
	// The next sweep finds nothing to resume.
	f.w.exec.tendRunning(f.ctx)
	if got := strings.Count(f.events(r.ID), string(EvTampered)); got != 1 {
		t.Errorf("%d tampered records, want 1", got)
	}
}

// TestTamperSwappedTarget: the card showed alice; the database now says
// carol. The confirm runs nothing.
func TestTamperSwappedTarget(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.command(uReq, chInc, "alice --disable")
	r := f.newest()
	f.attack(`UPDATE requests SET target = CAST(replace(replace(CAST(target AS TEXT), '` + alice.ID + `', '` + carol.ID + `'), 'alice@', 'carol@') AS BLOB) WHERE id = '` + r.ID + `'`)
	if !strings.Contains(string(f.get(r.ID).Target), carol.ID) {
		t.Fatal("the attack did not change the target")
	}
	f.click(uReq, ActionConfirm, r)
	if f.revoker.count()+f.disable.count() != 0 {
		t.Fatal("a swapped target was acted on")
	}
	f.wantTampered(r.ID, true)
	if p := f.msg.private(uReq); !strings.Contains(p, "refused to run this request") {
		t.Errorf("requester told %q", p)
	}
}

// TestTamperInsertedApproval: two approvals needed; one inserted in the
// database and one real make the store count two, and the request still
// does not run.
func TestTamperInsertedApproval(t *testing.T) {
	t.Parallel()
	f := allFlow(t, 20, true)
	f.w.policy.ApprovalsRequired = 2
	f.w.policy.Approvers.Users = append(f.w.policy.Approvers.Users, "UAPP2")
	f.command(uReq, chInc, "all")
	r := f.newest()
	f.attack(`INSERT INTO approvals (request_id, approver, at, sig) VALUES ('` + r.ID + `', 'UAPP2', 1, 'AAAA')`)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	f.w.runs.open(ctx)
	f.click(uApp, ActionApprove, r)
	f.w.runs.wait()
	if n := f.revoker.count(); n != 0 {
		t.Fatalf("%d users revoked on a forged approval", n)
	}
	f.wantTampered(r.ID, true)
	if th := f.msg.text(chInc); !strings.Contains(th, "approvals revokebot did not sign: <@UAPP2>") {
		t.Errorf("thread does not name the forged approval:\n%s", th)
	}
}

// TestTamperForgedAuditRecord: a record appended with a valid chain hash
// and its outbox rows is not posted by the bot, is recorded as tampered,
// and VerifyAudit names it.
func TestTamperForgedAuditRecord(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.command(uReq, chInc, "alice")
	r := f.newest()
	f.deliver()
	seq, prev, err := f.st.AuditHead(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 1, 0, 0, time.UTC)
	l := auditline.Line{Seq: seq + 1, Time: at.Format(time.RFC3339Nano), Event: "approved", RequestID: r.ID,
		Actor: "U0CISO", Target: "alice@contoso.com", Detail: "approved by the CISO", PrevHash: prev}
	l.Hash = auditline.Hash(l)
	f.attack(
		`INSERT INTO audit (seq, time, event, request_id, actor, target, detail, prev_hash, hash, key_id, sig) VALUES (`+
			itoa(l.Seq)+`, `+itoa(at.UnixMicro())+`, 'approved', '`+r.ID+`', 'U0CISO', 'alice@contoso.com', 'approved by the CISO', '`+prev+`', '`+l.Hash+`', '', '')`,
		`UPDATE audit_head SET seq = `+itoa(l.Seq)+`, hash = '`+l.Hash+`' WHERE id = 1`,
		`INSERT INTO outbox (kind, order_key, request_id, channel, audit_seq, attempts, owner, last_error, created_at)
			VALUES ('audit', 'audit:`+chAudit+`', '', '`+chAudit+`', `+itoa(l.Seq)+`, 0, '', '', 1),
			       ('reply', 'thread:`+r.ID+`', '`+r.ID+`', '', `+itoa(l.Seq)+`, 0, '', '', 1)`,
	)
	f.deliver()
	if all := f.msg.everything(); strings.Contains(all, "approved by the CISO") {
		t.Errorf("the bot posted the forged record:\n%s", all)
	}
	if a := f.msg.text(chAudit); !strings.Contains(a, "refused to post audit record #"+itoa(l.Seq)) {
		t.Errorf("audit channel does not name the forged record:\n%s", a)
	}
	_, err = f.st.VerifyAudit(f.ctx, signing.NewKeyring(f.w.cfg.Key.Public()))
	if ce, ok := errors.AsType[*store.ChainError](err); !ok || ce.Seq != l.Seq {
		t.Errorf("VerifyAudit = %v, want record %d named", err, l.Seq)
	}
	if f.get(r.ID).State != store.StatePending {
		t.Error("a forged record changed the request")
	}
}

// TestKeyAnnouncedOnce: the audit channel learns the key, once.
func TestKeyAnnouncedOnce(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.w.tell.announceKey(f.ctx)
	f.w.tell.announceKey(f.ctx)
	trail, err := f.st.AuditTrail(f.ctx, keyRequestID(f.w.cfg.Key.ID()))
	if err != nil || len(trail) != 1 {
		t.Fatalf("%d key records, %v; want 1", len(trail), err)
	}
	f.deliver()
	if a := f.msg.text(chAudit); !strings.Contains(a, f.w.cfg.Key.ID()) || !strings.Contains(a, f.w.cfg.Key.Public().String()) {
		t.Errorf("audit channel does not show the key:\n%s", a)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestTamperedWatch: a paused sign-in watch whose checkpoint was made to
// name a user its request does not is ended as tampered, not run.
func TestTamperedWatch(t *testing.T) {
	t.Parallel()
	f := newFlow(t, func(c *Config) {
		c.SignIns = sightings{}
		c.Policy.Verify.For, c.Policy.Verify.Every = 300*time.Millisecond, 50*time.Millisecond
	})
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	f.command(uReq, chInc, "alice")
	r := f.newest()
	f.w.runs.shutdown() // the watch is recorded, not run: a replica that stopped
	f.click(uReq, ActionConfirm, r)
	f.attack(`UPDATE tasks SET state = CAST(replace(CAST(state AS TEXT), '` + alice.ID + `', '` + mallory.ID + `') AS BLOB)`)
	f.w.runs = newBulkRuns()
	f.w.runs.open(ctx)
	f.w.watch.resumeWatches(f.ctx)
	f.w.runs.wait()
	ev := f.events(r.ID)
	if !strings.Contains(ev, string(EvTampered)) || strings.Contains(ev, string(EvWatching)) {
		t.Fatalf("events %s: want the watch refused as tampered, never begun", ev)
	}
	if tasks, err := f.st.OpenTasks(f.ctx, watchKind); err != nil || len(tasks) != 0 {
		t.Fatalf("open watches %v %v: the refused watch is still open", tasks, err)
	}
}

// TestTamperCopiedSignature: a row of the attacker's words carrying a
// genuine record's hash and signature is not posted: the hash must be the
// content's.
func TestTamperCopiedSignature(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.command(uReq, chInc, "alice")
	r := f.newest()
	f.deliver()
	seq, _, err := f.st.AuditHead(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.st.AuditRecord(f.ctx, seq)
	if err != nil {
		t.Fatal(err)
	}
	n := itoa(seq + 1)
	f.attack(`INSERT INTO audit (seq, time, event, request_id, actor, target, detail, prev_hash, hash, key_id, sig) VALUES (`+n+`, 1, 'approved', '`+r.ID+`', 'U0CISO', 'alice', 'approved by the CISO', '`+rec.Hash+`', '`+rec.Hash+`', '`+rec.KeyID+`', '`+rec.Sig+`')`,
		`UPDATE audit_head SET seq = `+n+`, hash = '`+rec.Hash+`' WHERE id = 1`,
		`INSERT INTO outbox (kind, order_key, request_id, channel, audit_seq, attempts, owner, last_error, created_at)
			VALUES ('audit', 'audit:`+chAudit+`', '', '`+chAudit+`', `+n+`, 0, '', '', 1),
			       ('reply', 'thread:`+r.ID+`', '`+r.ID+`', '', `+n+`, 0, '', '', 1)`)
	f.deliver()
	if strings.Contains(f.msg.everything(), "approved by the CISO") {
		t.Fatalf("the bot posted words under a copied signature:\n%s", f.msg.everything())
	}
	if a := f.msg.text(chAudit); !strings.Contains(a, "its hash is not its content's") {
		t.Errorf("audit channel does not say why it refused:\n%s", a)
	}
}

// TestTamperSwappedAddress: the card was for alice's mailbox; the database
// now gives alice carol's UPN, which the Exchange actions act on. The
// statement covers the addresses, so nothing runs.
func TestTamperSwappedAddress(t *testing.T) {
	t.Parallel()
	mb := &mailboxes{on: map[string][]revoke.Protocol{alice.UPN: {revoke.ProtocolPOP}, carol.UPN: {revoke.ProtocolPOP, revoke.ProtocolIMAP}}}
	f := newFlow(t, func(c *Config) { c.Protocols = mb })
	f.command(uReq, chInc, "alice --protocols")
	r := f.newest()
	f.attack(`UPDATE requests SET target = CAST(replace(CAST(target AS TEXT), '` + alice.UPN + `', '` + carol.UPN + `') AS BLOB) WHERE id = '` + r.ID + `'`)
	f.click(uReq, ActionConfirm, r)
	if len(mb.on[carol.UPN]) != 2 || f.revoker.count() != 0 {
		t.Fatalf("acted on a swapped address: mailboxes %v, %d revocations", mb.on, f.revoker.count())
	}
	f.wantTampered(r.ID, true)
}

// TestTamperProtectedRowFlipped: a finished /revoke all whose protected
// account's row is moved back to pending, under another UPN, and the job
// to running: the resumed job still does not revoke the protected account.
func TestTamperProtectedRowFlipped(t *testing.T) {
	t.Parallel()
	tn := tenant{n: 20}
	vip := tn.users()[1]
	f := newFlow(t, func(c *Config) {
		c.Lister, c.BulkRevoker, c.Counter = tn, c.Revoker, counter{tn}
		c.Directory = directory{users: []revoke.User{vip}}
		c.Policy.Protected = []string{vip.UPN}
		c.Bulk = BulkTuning{ProgressEvery: 20 * time.Millisecond, Flush: 10 * time.Millisecond, Poll: 10 * time.Millisecond}
	})
	f.command(uReq, chInc, "all")
	r := f.newest()
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	f.w.runs.open(ctx)
	f.click(uApp, ActionApprove, r)
	f.waitState(r.ID, store.StateSucceeded)
	f.w.runs.wait()
	if f.revoker.revoked(vip.ID) {
		t.Fatal("the protected account was revoked by the job itself")
	}
	f.attack(`UPDATE bulk_users SET outcome = 'pending', upn = 'nobody@contoso.com' WHERE request_id = '`+r.ID+`' AND user_id = '`+vip.ID+`'`,
		`UPDATE requests SET state = 'running' WHERE id = '`+r.ID+`'`,
		`UPDATE bulk_jobs SET owner = '', lease_until = NULL WHERE request_id = '`+r.ID+`'`)
	f.w.exec.tendRunning(f.ctx)
	f.w.runs.wait()
	if f.revoker.revoked(vip.ID) {
		t.Fatal("a protected account's row moved back to pending in the database was revoked")
	}
}

// revoked reports whether the fake was asked to act on id.
func (a *actor) revoked(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Contains(a.calls, id)
}
