package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestMain lets a test start this binary as a real revokebot process, to be
// killed the way a node failure kills it.
func TestMain(m *testing.M) {
	if os.Getenv("REVOKEBOT_E2E_CHILD") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, []string{"run"}, os.Getenv, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// TestRevokeAllSurvivesAKilledProcess runs a /revoke all job in a child
// revokebot process, kills it with SIGKILL mid-run, and lets another bot on
// the same store take the job over once the dead one's lease has passed:
// every eligible user is revoked, and only users revoked but not yet
// recorded at the kill are revoked twice.
func TestRevokeAllSurvivesAKilledProcess(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { killAndTakeOver(t) })
	t.Run("postgres", func(t *testing.T) { killAndTakeOver(t, withStore(postgresStore(t))) })
}

func killAndTakeOver(t *testing.T, opts ...envOption) {
	tune := func(c *botConfig) { c.Bulk.ProgressEvery = 100 * time.Millisecond }
	e := startEnv(t, append([]envOption{withPolicy(allPolicy(300, "1s")), withTune(tune)}, opts...)...)
	eligible, others := bulkTenant(e.sb.Graph, 1500)
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	// The stopped bot's socket may take a moment to close; a command sent
	// before then would go to it and never be acknowledged.
	e.waitFor("the stopped bot's connection to close", func(s *fakeslack.Server) bool { return s.OpenConnections() == 0 })
	opened := e.sb.Slack.ConnectionsOpened()

	var out bytes.Buffer
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "REVOKEBOT_E2E_CHILD=1")
	for k, v := range e.sb.Env {
		child.Env = append(child.Env, k+"="+v)
	}
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	wait, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	if err := e.sb.Slack.WaitConnections(wait, 1); err != nil {
		t.Fatalf("the child process did not connect: %v\n%s", err, out.String())
	}
	if e.sb.Slack.ConnectionsOpened() <= opened {
		t.Fatalf("the open connection is not the child's\n%s", out.String())
	}
	card := e.request(uRequester, "all")
	id := e.requestID(card)
	e.click(uApprover, card, "revoke_approve")
	e.waitFor("some revocations by the child", func(*fakeslack.Server) bool { return e.sb.Graph.TotalRevocations() >= 150 })
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	if strings.Contains(e.thread(card), "Finished in") {
		t.Fatal("the job finished before the kill")
	}

	st := openStore(t, e)
	recorded, err := st.JobCounts(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	unrecorded := e.sb.Graph.TotalRevocations() - recorded.Revoked

	// The dead process's lease (30 s of real time) has passed on the
	// survivor's clock.
	e.clock.Advance(2 * time.Minute)
	e.start(tune)
	e.waitAudit(id, "resumed")
	e.waitWithin(60*time.Second, "the job's end", func(*fakeslack.Server) bool { return strings.Contains(e.thread(card), "Finished in") })
	if !strings.Contains(e.thread(card), "stopped renewing its lease") {
		t.Errorf("the thread does not say the job was taken over:\n%s", e.thread(card))
	}
	twice := 0
	for _, u := range append(eligible, tenantEligible...) {
		switch n := e.sb.Graph.Revocations(u); {
		case n == 0:
			t.Fatalf("eligible user %s never revoked", u)
		case n == 2:
			twice++
		case n > 2:
			t.Fatalf("user %s revoked %d times", u, n)
		}
	}
	for _, u := range others {
		if n := e.sb.Graph.Revocations(u); n != 0 {
			t.Fatalf("skipped user %s revoked", u)
		}
	}
	if twice > unrecorded {
		t.Errorf("%d users revoked twice; only %d were revoked but unrecorded at the kill", twice, unrecorded)
	}
	t.Logf("killed after %d recorded revocations; %d unrecorded at the kill, %d revoked twice", recorded.Revoked, unrecorded, twice)
}
