package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestMain lets a test start this binary as a real revokebot process, to be
// killed the way a node failure kills it.
func TestMain(m *testing.M) {
	if args := os.Getenv(childArgs); args != "" {
		code := run(context.Background(), strings.Fields(args), os.Getenv, os.Stdout, os.Stderr)
		// The peak resident set of this process since its exec, which the
		// rusage a parent reads does not give (it may count the parent's).
		if status, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, line := range strings.Split(string(status), "\n") {
				if strings.HasPrefix(line, "VmHWM:") {
					fmt.Fprintln(os.Stderr, line)
				}
			}
		}
		os.Exit(code)
	}
	if os.Getenv("REVOKEBOT_E2E_CHILD") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := childRun(ctx)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// childArgs makes the test binary run revokebot with these arguments.
const childArgs = "REVOKEBOT_E2E_ARGS"

// childWatchEvery tells a child its sign-in watch interval (withWatchEvery).
const childWatchEvery = "REVOKEBOT_E2E_WATCH_EVERY"

// childOutboxLease tells a child how long it holds the messages it delivers,
// so that a test killing it waits less for another to deliver them.
const childOutboxLease = "REVOKEBOT_E2E_OUTBOX_LEASE"

// childRun is `revokebot run`, with the watch interval of withWatchEvery
// and the outbox lease of childOutboxLease.
func childRun(ctx context.Context) int {
	every, err := time.ParseDuration(os.Getenv(childWatchEvery))
	if err != nil {
		return run(ctx, []string{"run"}, os.Getenv, os.Stdout, os.Stderr)
	}
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "revokebot:", err)
		return 2
	}
	log := newLogger(os.Stderr, cfg.LogFormat, cfg.BotToken, cfg.AppToken, cfg.GraphToken)
	lease, _ := time.ParseDuration(os.Getenv(childOutboxLease))
	if err := serve(ctx, cfg, log, func(c *botConfig) { c.Policy.Verify.Every, c.OutboxLease = every, lease }); err != nil {
		log.Error("revokebot stopped", "error", err)
		return 1
	}
	return 0
}

// TestRevokeAllSurvivesAKilledProcess runs a /revoke all job in a child
// revokebot process, kills it with SIGKILL mid-run, and lets another bot on
// the same store take the job over once the dead one's lease has passed:
// every eligible user is revoked, and only users revoked but not yet
// recorded at the kill are revoked twice.
func TestRevokeAllSurvivesAKilledProcess(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); killAndTakeOver(t) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); killAndTakeOver(t, withStore(postgresStore(t))) })
}

func killAndTakeOver(t *testing.T, opts ...envOption) {
	tune := func(c *botConfig) { c.Bulk.ProgressEvery = 100 * time.Millisecond }
	e := startEnv(t, append([]envOption{withPolicy(allPolicy(300, "1s")), withTune(tune)}, opts...)...)
	eligible, others := bulkTenant(e.sb.Graph, 1500)
	child, _ := startChild(t, e)
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

	// A revocation the dead process sent may still be in the fake's
	// hands: it counts once answered.
	e.waitFor("the dead process's requests answered", func(*fakeslack.Server) bool {
		return !slices.ContainsFunc(e.sb.Graph.Requests(), func(r fakegraph.Request) bool { return r.Status == 0 })
	})
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

// startChild starts a revokebot process on e's fakes and store, once the
// in-process bot is stopped, and waits until its Socket Mode connection is up.
func startChild(t *testing.T, e *env) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	// The stopped bot's socket may take a moment to close; a command sent
	// before then would go to it and never be acknowledged.
	e.waitFor("the stopped bot's connection to close", func(s *fakeslack.Server) bool { return s.OpenConnections() == 0 })
	opened := e.sb.Slack.ConnectionsOpened()

	out := new(bytes.Buffer)
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "REVOKEBOT_E2E_CHILD=1")
	for k, v := range e.sb.Env {
		child.Env = append(child.Env, k+"="+v)
	}
	child.Stdout, child.Stderr = out, out
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
	return child, out
}

// shutdownBound is how long a replica may take from SIGTERM to exit with a
// /revoke all job running: the drain (30 s) bounds in-flight work, and the
// rest is a margin for the checkpoint and the lease release. Kubernetes'
// grace period (deploy/kubernetes: 60 s) must stay above it.
const shutdownBound = 35 * time.Second

// TestRevokeAllHandsOverOnSIGTERM stops a child revokebot process running a
// /revoke all job with SIGTERM, as Kubernetes does on a rollout: it exits 0
// within shutdownBound, its lease is released, and the next bot resumes the
// job at once, without waiting for a lease to run out and without revoking
// anyone twice.
func TestRevokeAllHandsOverOnSIGTERM(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); terminateAndHandOver(t) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); terminateAndHandOver(t, withStore(postgresStore(t))) })
}

func terminateAndHandOver(t *testing.T, opts ...envOption) {
	tune := func(c *botConfig) { c.Bulk.ProgressEvery = 100 * time.Millisecond }
	e := startEnv(t, append([]envOption{withPolicy(allPolicy(300, "1s")), withTune(tune)}, opts...)...)
	eligible, others := bulkTenant(e.sb.Graph, 1500)
	child, out := startChild(t, e)
	card := e.request(uRequester, "all")
	id := e.requestID(card)
	e.click(uApprover, card, "revoke_approve")
	e.waitFor("some revocations by the child", func(*fakeslack.Server) bool { return e.sb.Graph.TotalRevocations() >= 150 })

	sent := time.Now()
	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the child did not exit 0 on SIGTERM: %v\n%s", err, out.String())
		}
	case <-time.After(shutdownBound):
		t.Fatalf("the child still ran %s after SIGTERM\n%s", shutdownBound, out.String())
	}
	took := time.Since(sent)
	if strings.Contains(e.thread(card), "Finished in") {
		t.Fatal("the job finished before SIGTERM")
	}

	st := openStore(t, e)
	job, err := st.Job(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if job.Owner != "" {
		t.Fatalf("the child exited holding the job's lease (owner %q until %s)", job.Owner, job.LeaseUntil)
	}
	recorded, err := st.JobCounts(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if unrecorded := e.sb.Graph.TotalRevocations() - recorded.Revoked; unrecorded != 0 {
		t.Errorf("%d revocations Graph accepted were not recorded before exit", unrecorded)
	}
	if !strings.Contains(e.thread(card), "revokebot is restarting") {
		t.Errorf("the thread does not say the job paused for a restart:\n%s", e.thread(card))
	}

	// No clock advance: a released lease is taken at once.
	e.start(tune)
	e.waitAudit(id, "resumed")
	e.waitWithin(60*time.Second, "the job's end", func(*fakeslack.Server) bool { return strings.Contains(e.thread(card), "Finished in") })
	for _, u := range append(eligible, tenantEligible...) {
		if n := e.sb.Graph.Revocations(u); n != 1 {
			t.Fatalf("eligible user %s revoked %d times", u, n)
		}
	}
	for _, u := range others {
		if n := e.sb.Graph.Revocations(u); n != 0 {
			t.Fatalf("skipped user %s revoked", u)
		}
	}
	t.Logf("SIGTERM to exit: %s (bound %s), after %d recorded revocations", took.Round(time.Millisecond), shutdownBound, recorded.Revoked)
}
