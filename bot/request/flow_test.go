package request

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// TestFlowRevoke: a command, its card, a confirm, the revocation, the
// outcome recorded before the outbox tells the thread and the audit
// channel, in order.
func TestFlowRevoke(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.command(uReq, chInc, "alice@contoso.com")
	r := f.newest()
	if r.State != store.StatePending || r.RootTS == "" {
		t.Fatalf("request %+v", r)
	}
	if f.revoker.count() != 0 {
		t.Fatal("revoked before the click")
	}
	f.click(uReq, ActionConfirm, r)
	r = f.get(r.ID)
	if r.State != store.StateSucceeded || f.revoker.count() != 1 {
		t.Fatalf("state %s after %d revocations", r.State, f.revoker.count())
	}
	if got := f.events(r.ID); got != "requested,confirmed,started,snapshot,succeeded" {
		t.Fatalf("events %s", got)
	}
	if f.pending() == 0 {
		t.Fatal("nothing waits in the outbox: was it told directly?")
	}
	f.deliver()
	th := f.msg.text(chInc)
	for _, want := range []string{"confirmed", "Revoking the sign-in sessions of alice@contoso.com", "Graph accepted it at"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}
	audit := f.msg.text(chAudit)
	if i, j := strings.Index(audit, "*requested* · #1"), strings.Index(audit, "*succeeded* · #5"); i < 0 || j < i {
		t.Errorf("audit channel out of order:\n%s", audit)
	}
	// A second click changes nothing.
	f.click(uReq, ActionConfirm, r)
	if f.revoker.count() != 1 || !strings.Contains(f.msg.private(uReq), "already confirmed") {
		t.Fatalf("a late click: %d revocations, %q", f.revoker.count(), f.msg.private(uReq))
	}
}

// TestFlowContain: several users and actions, a failing one reported, each
// user's outcome recorded as it is known, the read-back its own record.
func TestFlowContain(t *testing.T) {
	t.Parallel()
	lag := &replicaLag{n: 2, at: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	f := newFlow(t, func(c *Config) { c.Prover = lag })
	f.disable.err, f.disable.failN = &revoke.Error{Kind: revoke.KindSynced}, 1
	f.command(uReq, chInc, "alice carol@contoso.com --disable --sharepoint --compromised --reason \"INC-9 <!channel>\"")
	r := f.newest()
	f.click(uReq, ActionConfirm, r)
	r = f.get(r.ID)
	if r.State != store.StateFailed {
		t.Fatalf("state %s, want failed (one disable failed)", r.State)
	}
	if f.revoker.count() != 2 || f.comp.count() != 2 {
		t.Fatalf("revoked %d, compromised %d", f.revoker.count(), f.comp.count())
	}
	f.w.exec.readBack(f.ctx, r, []userOutcome{{User: alice, RevokedAt: lag.at, Actions: []actionOutcome{{Action: revoke.ActionSessions, OK: true}}}})
	if got := f.events(r.ID); got != "requested,confirmed,started,snapshot,outcome,outcome,failed,readback,readback" {
		t.Fatalf("events %s", got)
	}
	f.deliver()
	th := f.msg.text(chInc)
	for _, want := range []string{"on-premises", "Some actions failed for 1 of 2 users", "Read back from Graph", "INC-9 &lt;!channel&gt;"} {
		if !strings.Contains(th+f.msg.text(chAudit), want) {
			t.Errorf("lacks %q:\n%s", want, th)
		}
	}
	if strings.Contains(th, "<!channel>") {
		t.Error("a reason reached Slack unescaped")
	}
}

// TestFlowRefusals: a stranger, a wrong channel and a failed group lookup
// are refused and audited; an outsider's repeats fold into one record.
func TestFlowRefusals(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.command(uStr, chInc, "alice")
	f.command(uReq, "COTHER", "alice")
	if got := f.msg.private(uStr); !strings.Contains(got, "not on revokebot's list of requesters") || !strings.Contains(got, "was recorded") {
		t.Errorf("stranger told %q", got)
	}
	if got := f.msg.private(uReq); !strings.Contains(got, "not accepted in this channel") {
		t.Errorf("requester told %q", got)
	}
	for range 5 {
		f.command(uStr, chInc, "status rb-aaaaaaaa")
	}
	if got := f.msg.private(uStr); strings.Count(got, "with your other recent ones") != 5 {
		t.Errorf("repeats not folded: %q", got)
	}
	f.w.tell.recordFolded(f.ctx, true)
	f.deliver()
	audit := f.msg.text(chAudit)
	if n := strings.Count(audit, "*refused*"); n != 3 {
		t.Errorf("%d refusals in the audit channel, want 3 (two, then one folded record):\n%s", n, audit)
	}
	if !strings.Contains(audit, "was refused 5 times more in the minute after") {
		t.Errorf("the folded record lacks its count:\n%s", audit)
	}

	f.groups.err = &SendError{Code: "ratelimited", Temporary: true}
	f.clock.Advance(groupTTL)
	f.command(uGroupie, chInc, "alice")
	if got := f.msg.private(uGroupie); !strings.Contains(got, "could not check your user-group membership") {
		t.Errorf("groupie told %q", got)
	}
	if f.revoker.count() != 0 {
		t.Fatal("a refusal revoked")
	}
}

// TestFlowProtected: a protected account needs an approver; the requester
// cannot approve, a stranger cannot deny, an approver can.
func TestFlowProtected(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.command(uReq, chInc, "boss@contoso.com")
	r := f.newest()
	if !r.NeedsApproval {
		t.Fatal("a protected account without approval")
	}
	f.click(uReq, ActionApprove, r)
	f.click(uStr, ActionDeny, r)
	f.click(uReq, ActionConfirm, r)
	if f.revoker.count() != 0 {
		t.Fatal("revoked without an approver")
	}
	f.click(uReq, ActionStop, r) // no job to stop: audited, and not as an approval
	f.click(uApp, ActionApprove, r)
	if r = f.get(r.ID); r.State != store.StateSucceeded || r.DecidedBy != uApp {
		t.Fatalf("state %s by %s", r.State, r.DecidedBy)
	}
	if got := f.events(r.ID); got != "requested,refused,refused,refused,refused,approved,started,snapshot,succeeded" {
		t.Fatalf("events %s", got)
	}
	trail, err := f.st.AuditTrail(f.ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := trail[4].Detail; !strings.Contains(d, "clicked stop") || strings.Contains(d, "approved again") {
		t.Errorf("the stop on a pending request is recorded as %q", d)
	}
}

// TestFlowExpiry: a click after the deadline, or one whose group lookup
// took it past the deadline, expires the request instead of running it.
func TestFlowExpiry(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.command(uGroupie, chInc, "alice")
	r := f.newest()
	f.groups.onCall = func() { f.clock.Advance(11 * time.Minute) }
	f.groups.members["SRESP"] = []string{uGroupie}
	f.clock.Advance(groupTTL) // the cached membership is stale: the click looks it up
	f.click(uGroupie, ActionConfirm, r)
	if r = f.get(r.ID); r.State != store.StateExpired || f.revoker.count() != 0 {
		t.Fatalf("state %s after %d revocations", r.State, f.revoker.count())
	}
	if got := f.msg.private(uGroupie); !strings.Contains(got, "expired before your click") {
		t.Errorf("clicker told %q", got)
	}

	f.groups.onCall = nil
	f.command(uReq, chInc, "carol")
	r = f.newest()
	f.clock.Advance(11 * time.Minute)
	f.w.sweepOnce(f.ctx)
	if r = f.get(r.ID); r.State != store.StateExpired {
		t.Fatalf("the sweep left it %s", r.State)
	}
}

// TestFlowLostCompareAndSet: a click that loses the race to another
// decision tells the clicker what happened and runs nothing.
func TestFlowLostCompareAndSet(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.command(uReq, chInc, "alice")
	r := f.newest()
	if _, err := f.st.Transition(f.ctx, r.ID, store.StatePending, store.StateCancelled, store.Change{DecidedBy: uApp}); err != nil {
		t.Fatal(err)
	}
	d := Decision{Verdict: Move, To: store.StateRunning, Event: EvConfirmed}
	f.w.decide.move(f.ctx, f.w.log, ClickEvent{Action: ActionConfirm, RequestID: r.ID, Actor: uReq, Channel: chInc}, r, d,
		func(s string) { f.msg.privates = append(f.msg.privates, uReq+": "+s) })
	if f.revoker.count() != 0 || !strings.Contains(f.msg.private(uReq), "cancelled") {
		t.Fatalf("lost CAS: %d revocations, told %q", f.revoker.count(), f.msg.private(uReq))
	}
}

// TestFlowStoreFails: when the outcome cannot be recorded after Graph
// acted, the thread and the requester are told directly; nothing is lost
// without a word.
func TestFlowStoreFails(t *testing.T) {
	t.Parallel()
	// A bubble: retryRecord's waits between tries (1 s, 2 s) pass on its
	// fake clock at once.
	synctest.Test(t, func(t *testing.T) {
		f := newFlow(t, nil)
		f.command(uReq, chInc, "alice")
		r := f.newest()
		f.flaky().failTo[store.StateRunning] = 3 // the decision cannot be recorded, retries included
		f.click(uReq, ActionConfirm, r)
		if got := f.msg.private(uReq); !strings.Contains(got, "could not record your decision") || f.revoker.count() != 0 {
			t.Fatalf("a failed decision: told %q, %d revocations", got, f.revoker.count())
		}
		f.flaky().failTo[store.StateSucceeded] = 3 // the end cannot be recorded
		f.click(uReq, ActionConfirm, r)
		if f.revoker.count() != 1 {
			t.Fatalf("%d revocations", f.revoker.count())
		}
		if got := f.msg.private(uReq); !strings.Contains(got, "could not record the outcome") || !strings.Contains(got, "Graph accepted it at") {
			t.Errorf("requester told %q", got)
		}
		if th := f.msg.text(chInc); !strings.Contains(th, "could not record the outcome") {
			t.Errorf("thread:\n%s", th)
		}
	})
}

// TestFlowRecovery: a request whose worker died is ended; what its audit
// log holds is reported as done, the rest as unknown.
func TestFlowRecovery(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.command(uReq, chInc, "alice carol --disable")
	r := f.newest()
	sig, _ := f.w.signRun(r, uReq) // as the confirm click signs it
	r, err := f.st.Transition(f.ctx, r.ID, store.StatePending, store.StateRunning, store.Change{DecidedBy: uReq, At: f.clock.Now(), Sig: sig})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.tell.append(f.ctx, f.w.tell.event(r, EvOutcome, systemActor, ":white_check_mark: *alice@contoso.com* done"), nil); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(orphanAfter + time.Second)
	f.w.exec.tendRunning(f.ctx)
	r = f.get(r.ID)
	if r.State != store.StateFailed || !strings.Contains(r.Detail, "Recorded before it stopped") || !strings.Contains(r.Detail, "alice@contoso.com") {
		t.Fatalf("recovered as %s: %s", r.State, r.Detail)
	}
	if f.disable.count() != 0 {
		t.Fatal("recovery ran the actions again")
	}
}

// TestFlowOutbox: Slack failing keeps messages in the outbox, retried in
// order; a message Slack refuses for good is given up after a few tries.
func TestFlowOutbox(t *testing.T) {
	t.Parallel()
	// A bubble: the outbox's retry backoff is on the wall clock, which
	// the sleeps below move at once.
	synctest.Test(t, func(t *testing.T) {
		f := newFlow(t, nil)
		f.command(uReq, chInc, "alice")
		r := f.newest()
		f.msg.failWith(&SendError{Code: "503 Service Unavailable", Temporary: true})
		f.click(uReq, ActionConfirm, r)
		before := f.pending()
		f.w.outbox.deliverDue(f.ctx)
		if f.pending() != before || before == 0 {
			t.Fatalf("outbox %d then %d during an outage", before, f.pending())
		}
		f.msg.failWith(nil)
		time.Sleep(1100 * time.Millisecond) // the first retry's backoff, on the bubble's clock
		for range 20 {
			f.w.outbox.deliverDue(f.ctx)
			if f.pending() == 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if f.pending() != 0 {
			t.Fatalf("%d messages left after Slack came back", f.pending())
		}
		if th := f.msg.text(chInc); !strings.Contains(th, "Graph accepted it at") {
			t.Errorf("outcome not told:\n%s", th)
		}

		// A channel the bot left is kept waiting for someone to act; a message
		// Slack refuses for what it is is given up after a few tries.
		tryAll := func(n int) {
			for i := range n {
				at := time.Now().Add(time.Duration(i+1) * time.Hour)
				msgs, _ := f.st.ClaimMessages(f.ctx, "test-replica", at, at.Add(time.Minute), 8)
				for _, m := range msgs {
					f.w.outbox.deliverOne(f.ctx, m)
				}
			}
		}
		f.msg.failWith(&SendError{Code: "not_in_channel"})
		alarm, err := f.w.tell.audit(f.ctx, r, EvAlarm, systemActor, "test")
		if err != nil {
			t.Fatal(err)
		}
		tryAll(2 * outboxPermanentTries)
		if f.pending() == 0 {
			t.Fatal("messages to a channel the bot left were given up")
		}
		f.msg.failWith(&SendError{Code: "msg_too_long"})
		tryAll(3 * outboxPermanentTries)
		if f.pending() != 0 {
			t.Fatalf("%d messages still held after Slack refused them for good", f.pending())
		}
		// Each give-up is on the record, the line's and the reply's; the
		// lines of those records, refused in turn, are given up unrecorded.
		var gaveUp []string
		_ = f.st.ExportAudit(f.ctx, time.Time{}, func(rec store.Record) error {
			if rec.Event.Event == string(EvUndelivered) {
				gaveUp = append(gaveUp, rec.Detail)
				if seq, ok := givenUpLine(rec); ok && seq != alarm.Seq {
					t.Errorf("record %d names line #%d given up, want #%d", rec.Seq, seq, alarm.Seq)
				}
			}
			return nil
		})
		want := fmt.Sprintf("record #%d: Slack refused its ", alarm.Seq)
		if len(gaveUp) != 2 || !strings.HasPrefix(gaveUp[0], want) || !strings.HasPrefix(gaveUp[1], want) ||
			!strings.Contains(strings.Join(gaveUp, "\n"), "its line in the audit channel "+chAudit+" for good (`msg_too_long`, ") {
			t.Fatalf("undelivered records:\n%s", strings.Join(gaveUp, "\n"))
		}
	})
}

// TestFlowStatusAndHistory: read-only commands for insiders only.
func TestFlowStatusAndHistory(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.command(uReq, chInc, "alice")
	r := f.newest()
	f.command(uApp, chInc, "status "+r.ID)
	f.command(uReq, chInc, "history alice@contoso.com")
	f.command(uReq, chInc, "history nobody@contoso.com")
	got := f.msg.private(uApp) + f.msg.private(uReq)
	for _, want := range []string{"waiting for a decision", "Requests about", "No Entra ID user matches"} {
		if !strings.Contains(got, want) {
			t.Errorf("replies lack %q:\n%s", want, got)
		}
	}
}

// TestFlowDispatch: the event loop's routing, without waiting on anything.
func TestFlowDispatch(t *testing.T) {
	t.Parallel()
	f := newFlow(t, func(c *Config) { c.QueueSize = 1 })
	if ack := f.w.Command(CommandEvent{User: uStr, Channel: chInc, Text: "help"}); !strings.Contains(ack.Text, "revokes every sign-in session") {
		t.Errorf("help: %q", ack.Text)
	}
	if ack := f.w.Command(CommandEvent{User: uStr, Channel: chInc, Text: "alice"}); ack.Text != "" || f.w.outs.len() != 1 {
		t.Errorf("an unknown stranger: ack %q, %d queued for outsiders", ack.Text, f.w.outs.len())
	}
	f.w.groups.MemberOf(f.ctx, uStr, []string{"SRESP"}) // the cache now knows the stranger is in no group
	if ack := f.w.Command(CommandEvent{User: uStr, Channel: chInc, Text: "alice"}); !strings.Contains(ack.Text, "You cannot do that") {
		t.Errorf("a known stranger is not refused in the ack: %q", ack.Text)
	}
	if ack := f.w.Command(CommandEvent{User: uReq, Channel: chInc, Text: "alice"}); ack.Text != "" || f.w.jobs.len() != 1 {
		t.Errorf("a requester: ack %q, %d queued", ack.Text, f.w.jobs.len())
	}
	if ack := f.w.Command(CommandEvent{User: uReq, Channel: chInc, Text: "alice"}); ack.Text != busy {
		t.Errorf("a full queue: ack %q", ack.Text)
	}
	if ack := f.w.Command(CommandEvent{User: uReq, Channel: "COTHER", Text: "alice"}); !strings.Contains(ack.Text, "not accepted in this channel") {
		t.Errorf("a wrong channel: ack %q", ack.Text)
	}
	f.w.Click(ClickEvent{Action: ActionConfirm, RequestID: "rb-x", Actor: uStr, Channel: chInc})
	if f.w.outs.len() != 4 { // the unknown stranger, two refusals to record, the click
		t.Errorf("a stranger's click is not with the outsiders: %d queued", f.w.outs.len())
	}
}

// TestFlowStartAndDrain: the workflow's own loops start, take work and
// stop, telling what was recorded before it goes.
func TestFlowStartAndDrain(t *testing.T) {
	t.Parallel()
	f := newFlow(t, func(c *Config) { c.SweepEvery = 10 * time.Millisecond })
	ctx, cancel := context.WithCancel(f.ctx)
	f.w.Start(ctx)
	f.w.Command(CommandEvent{User: uReq, Channel: chInc, Text: "alice", TriggerID: "t1"})
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(f.msg.text(chAudit), "*requested*") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	f.w.Drain(time.Second)
	if !strings.Contains(f.msg.text(chAudit), "*requested*") {
		t.Fatalf("the command was not told:\n%s", f.msg.text(chAudit))
	}
}

// TestFlowCommandEdges: a mention resolved through the profile, a target
// not found beside one found, an action this bot lacks, and a card Slack
// will not take.
func TestFlowCommandEdges(t *testing.T) {
	t.Parallel()
	f := newFlow(t, func(c *Config) { c.SharePoint = nil })
	f.command(uReq, chInc, "<@UALICE> nobody@contoso.com")
	r := f.newest()
	if len(r.Subjects) != 1 || r.Subjects[0] != alice.ID {
		t.Fatalf("subjects %v", r.Subjects)
	}
	if got := f.msg.private(uReq); !strings.Contains(got, "No Entra ID user matches `nobody@contoso.com`") {
		t.Errorf("told %q", got)
	}
	f.command(uReq, chInc, "<@UNOBODY>")
	f.command(uReq, chInc, "alice --sharepoint")
	if got := f.msg.private(uReq); !strings.Contains(got, "Slack could not tell who") || !strings.Contains(got, "SHAREPOINT_ADMIN_URL") {
		t.Errorf("told %q", got)
	}
	f.msg.failWith(&SendError{Code: "not_in_channel"})
	f.command(uReq, chInc, "carol")
	f.msg.failWith(nil)
	failed, err := f.st.InState(f.ctx, store.StateFailed)
	if err != nil || len(failed) != 1 || !strings.Contains(f.msg.private(uReq), "/invite @revokebot") {
		t.Errorf("a card Slack refused: %d failed (%v), told %q", len(failed), err, f.msg.private(uReq))
	}
}

// TestFlowQuorum: two of three approvers, none the requester; the same
// approver twice counts once; a deny after one approval ends it.
func TestFlowQuorum(t *testing.T) {
	t.Parallel()
	f := newFlow(t, func(c *Config) {
		c.Policy.Approvers.Users = []string{uApp, "UAPP2", "UAPP3"}
		c.Policy.ApprovalsRequired = 2
	})
	f.command(uReq, chInc, "boss@contoso.com")
	r := f.newest()
	f.click(uReq, ActionApprove, r)
	f.click(uApp, ActionApprove, r)
	f.click(uApp, ActionApprove, r)
	if r = f.get(r.ID); r.State != store.StatePending || f.revoker.count() != 0 {
		t.Fatalf("after one approver: %s, %d revocations", r.State, f.revoker.count())
	}
	if got := f.msg.private(uApp); !strings.Contains(got, "1 of 2") || !strings.Contains(got, "already approved") {
		t.Errorf("the approver was told %q", got)
	}
	f.deliver()
	shown := false
	for _, p := range f.msg.posts {
		shown = shown || (p.Update && strings.Contains(fmt.Sprint(p.Msg.Blocks), "approved by <@UAPP> (1 of 2), 1 approver more needed"))
	}
	if !shown {
		t.Errorf("the card never showed the approval so far: %+v", f.msg.posts)
	}
	f.click("UAPP2", ActionApprove, r)
	if r = f.get(r.ID); r.State != store.StateSucceeded || f.revoker.count() != 1 {
		t.Fatalf("after two approvers: %s, %d revocations", r.State, f.revoker.count())
	}
	if got := f.events(r.ID); got != "requested,refused,approved,refused,approved,started,snapshot,succeeded" {
		t.Errorf("events %s", got)
	}

	f.command(uReq, chInc, "boss@contoso.com")
	r = f.newest()
	f.click(uApp, ActionApprove, r)
	f.click("UAPP3", ActionDeny, r)
	f.click("UAPP2", ActionApprove, r)
	if r = f.get(r.ID); r.State != store.StateDenied || f.revoker.count() != 1 {
		t.Fatalf("deny after one approval: %s, %d revocations", r.State, f.revoker.count())
	}
}
