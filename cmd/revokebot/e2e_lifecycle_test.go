package main

import (
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/bot/request"
	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
	"github.com/revokebot/revokebot/signing"
	"github.com/revokebot/revokebot/store"
)

// TestCardExpires: after confirm_timeout the card says so, a late click
// changes nothing, and the expiry is audited once.
func TestCardExpires(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice")
	id := e.requestID(card)
	e.clock.Advance(9 * time.Minute)
	time.Sleep(100 * time.Millisecond) // several sweeps
	if len(e.sb.Slack.Buttons(e.current(card))) == 0 {
		t.Fatal("expired before confirm_timeout")
	}
	e.clock.Advance(61 * time.Second)
	e.waitAudit(id, "expired")
	e.waitFor("the card to say it expired", func(*fakeslack.Server) bool {
		c := e.current(card)
		return len(e.sb.Slack.Buttons(c)) == 0 && strings.Contains(blocksOf(c), "Expired")
	})
	e.clickValue(uRequester, card, "revoke_confirm", id, true)
	e.ephemeral(uRequester, "This request expired")
	if e.sb.Graph.TotalRevocations() != 0 {
		t.Fatal("revoked after expiry")
	}
	e.waitThread(card, "No decision before")
	if n := strings.Count(e.thread(card), "No decision before"); n != 1 {
		t.Fatalf("expiry posted %d times", n)
	}
}

// TestExpiredClickBeforeSweep: a click after the deadline but before the sweep ran is refused.
func TestExpiredClickBeforeSweep(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withTune(func(c *botConfig) { c.SweepEvery = time.Hour }))
	card := e.request(uRequester, "alice")
	e.clock.Advance(11 * time.Minute)
	e.click(uRequester, card, "revoke_confirm")
	e.ephemeral(uRequester, "expired before your click")
	e.waitAudit(e.requestID(card), "expired")
	if e.sb.Graph.TotalRevocations() != 0 {
		t.Fatal("revoked after expiry")
	}
}

// TestPendingCardSurvivesRestart: state lives in the store, so a card posted
// before a restart is confirmed after it.
func TestPendingCardSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice")
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the old connection to close", func(s *fakeslack.Server) bool { return s.OpenConnections() == 0 })
	e.start(nil)
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	if e.sb.Graph.Revocations(aliceID) != 1 {
		t.Fatal("not revoked after restart")
	}
	if n, err := openStore(t, e).VerifyAudit(e.ctx, nil); err != nil || n.Records < 4 {
		t.Fatalf("audit chain across restart: %d %v", n, err)
	}
}

// TestSurvivesDisconnects: Slack's disconnect messages and dropped sockets
// are followed by a reconnect, and commands keep working.
func TestSurvivesDisconnects(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	opened := e.sb.Slack.ConnectionsOpened()
	e.sb.Slack.Disconnect("refresh_requested")
	e.waitFor("a reconnect after disconnect", func(s *fakeslack.Server) bool {
		return s.ConnectionsOpened() > opened && s.OpenConnections() == 1
	})
	e.request(uRequester, "alice")
	opened = e.sb.Slack.ConnectionsOpened()
	e.sb.Slack.DropConnections()
	e.waitFor("a reconnect after a dropped socket", func(s *fakeslack.Server) bool {
		return s.ConnectionsOpened() > opened && s.OpenConnections() == 1
	})
	card := e.request(uRequester, "bob")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
}

// TestOneBotPerSQLiteFile: a second revokebot on the same store refuses to
// start instead of sharing the file's requests.
func TestOneBotPerSQLiteFile(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	cfg, err := loadConfig(e.sb.getenv)
	if err != nil {
		t.Fatal(err)
	}
	err = serve(e.ctx, cfg, newLogger(e.logs, "json"), nil)
	if err == nil || !strings.Contains(err.Error(), "another revokebot is already using") {
		t.Fatalf("second bot on the same store: %v", err)
	}
	card := e.request(uRequester, "alice")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
}

// TestBusyIsSaidNotSwallowed: with every worker busy and the queue full, a
// command is still acknowledged at once and told to try again; the queued
// ones are all served once Graph answers.
func TestBusyIsSaidNotSwallowed(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withTune(func(c *botConfig) { c.Workers, c.QueueSize = 1, 1 }))
	held, release := make(chan struct{}, 10), make(chan struct{})
	e.sb.Graph.OnRequest(func(fakegraph.Request) {
		held <- struct{}{}
		<-release
	})
	e.command(uRequester, chIncident, "alice") // the one worker waits on Graph
	<-held
	if ack := e.command(uRequester, chIncident, "bob"); len(ack.Payload) != 0 { // queued
		t.Fatalf("queued command answered %s", ack.Payload)
	}
	ack := e.command(uRequester, chIncident, "ceo@contoso.com")
	if !strings.Contains(string(ack.Payload), "overloaded") {
		t.Fatalf("third command: ack payload %q, want the busy answer", ack.Payload)
	}
	close(release)
	e.waitFor("both queued commands served", func(*fakeslack.Server) bool { return len(e.roots(chIncident)) == 2 })
}

// TestShutdownLetsARevocationFinish: a stop while Graph is answering waits
// for the revocation and records its outcome; nothing is left "running".
func TestShutdownLetsARevocationFinish(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice")
	held, release := make(chan struct{}, 1), make(chan struct{})
	e.sb.Graph.OnRequest(func(r fakegraph.Request) {
		if r.Method == "POST" {
			held <- struct{}{}
			<-release
		}
	})
	e.click(uRequester, card, "revoke_confirm")
	<-held
	stopped := make(chan error, 1)
	go func() { stopped <- e.stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("stopped (%v) while a revocation was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	req, err := openStore(t, e).Request(e.ctx, e.requestID(card))
	if err != nil || req.State != "succeeded" || e.sb.Graph.Revocations(aliceID) != 1 {
		t.Fatalf("after shutdown: %+v %v", req, err)
	}
	e.waitAudit(req.ID, "succeeded")
}

// TestCrashWhileRunningIsReported: a request left running by a crash is not
// run a second time after the restart; once no job could still be working on
// it, the thread says it may not have taken effect.
func TestCrashWhileRunningIsReported(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice")
	id := e.requestID(card)
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(e.ctx, e.sb.Env["REVOKEBOT_STORE"])
	if err != nil {
		t.Fatal(err)
	}
	// What a crash between the confirm and Graph's answer leaves behind:
	// the confirm, signed with the bot's key.
	req, err := st.Request(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.Load(strings.TrimPrefix(e.sb.Env["REVOKEBOT_STORE"], "sqlite:") + ".key")
	if err != nil {
		t.Fatal(err)
	}
	sig := request.RunSignature(key, req, uRequester)
	if _, err := st.Transition(e.ctx, id, store.StatePending, store.StateRunning, store.Change{DecidedBy: uRequester, Sig: sig}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	e.start(nil)
	// Within a job's time limit the request may still be running elsewhere
	// (another replica): it is left alone.
	time.Sleep(100 * time.Millisecond)
	if req, _ := openStore(t, e).Request(e.ctx, id); req.State != store.StateRunning {
		t.Fatalf("a request that may still be running was ended: %s", req.State)
	}
	e.clock.Advance(7 * time.Minute)
	e.waitAudit(id, "failed")
	e.waitFor("the thread to say so", func(*fakeslack.Server) bool { return strings.Contains(e.thread(card), "Interrupted") })
	if e.sb.Graph.TotalRevocations() != 0 {
		t.Fatal("a possibly half-done request was run again")
	}
}
