package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/auditline"
	"github.com/revokebot/revokebot/internal/fakeslack"
	"github.com/revokebot/revokebot/store"
)

// Goals of `audit verify --slack` on 100,000 records and as many channel
// lines: under 30 s, and memory that does not grow with the log. What it
// holds at once is a page of history (999 messages, decoded by slack-go)
// and a page of lookups, so the process's peak at three times the log is
// compared with its peak at 100,000.
const (
	anchorCeiling    = 30 * time.Second
	anchorRSSCeiling = 1.5 // peak resident set at 300,000 over that at 100,000
)

// anchoredLog fills a sandbox's SQLite store with n sealed records, written
// straight into the file (appending them one by one would take minutes), and
// its audit channel with one line for each, as the outbox posts them.
func anchoredLog(tb testing.TB, sb *sandbox, n int) {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, sb.Env["REVOKEBOT_STORE"])
	if err != nil {
		tb.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", strings.TrimPrefix(sb.Env["REVOKEBOT_STORE"], "sqlite:"))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO audit (seq, time, event, request_id, actor, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	prev := strings.Repeat("0", 64)
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		when := at.Add(time.Duration(i) * time.Millisecond)
		l := auditline.Line{Seq: int64(i), Time: when.Format(time.RFC3339Nano),
			Event: "outcome", RequestID: "r" + strconv.Itoa(i/20), Actor: uRequester,
			Target: fmt.Sprintf("user%d@contoso.com", i), Detail: "sessions revoked", PrevHash: prev}
		l.Hash = auditline.Hash(l)
		if _, err := ins.Exec(l.Seq, when.UnixMicro(), l.Event, l.RequestID, l.Actor, l.Target, l.Detail, l.PrevHash, l.Hash); err != nil {
			tb.Fatal(err)
		}
		sb.Slack.AddMessage(fakeslack.Message{Channel: chAudit,
			Text: fmt.Sprintf(":heavy_check_mark: *outcome* · #%d `%.12s` · `%s` · %s · %s", i, l.Hash, l.RequestID, l.Target, l.Detail)})
		prev = l.Hash
	}
	if _, err := tx.Exec(`UPDATE audit_head SET seq = ?, hash = ?`, n, prev); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// runChild runs revokebot with args in a child process of its own (see
// TestMain), so that its memory is its own and not the fakes', and returns
// its output and its peak resident set (VmHWM).
func runChild(tb testing.TB, env map[string]string, args ...string) (string, int64) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childArgs+"="+strings.Join(args, " "))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("revokebot %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	_, after, ok := strings.Cut(string(out), "VmHWM:")
	if !ok {
		tb.Skip("no /proc/self/status here: the peak resident set cannot be read")
	}
	kb, err := strconv.ParseInt(strings.Fields(after)[0], 10, 64)
	if err != nil {
		tb.Fatalf("VmHWM: %q", after)
	}
	return string(out), kb << 10
}

// BenchmarkAuditVerifySlack runs `revokebot audit verify --slack` on 100,000
// and 300,000 records, each line in the fake audit channel, read through the
// real slack-go client a page of 999 at a time.
func BenchmarkAuditVerifySlack(b *testing.B) {
	for range b.N {
		var took [2]time.Duration
		var rss [2]int64
		for i, n := range []int{100_000, 300_000} {
			b.StopTimer()
			sb, err := newSandbox(b.TempDir(), testPolicy, fakeslack.Options{})
			if err != nil {
				b.Fatal(err)
			}
			anchoredLog(b, sb, n)
			b.StartTimer()
			start := time.Now()
			var out string
			out, rss[i] = runChild(b, sb.Env, "audit", "verify", "--slack")
			took[i] = time.Since(start)
			b.StopTimer()
			sb.Close()
			if !strings.Contains(out, fmt.Sprintf("agrees with the log: %d lines", n)) {
				b.Fatalf("%d records:\n%s", n, out)
			}
		}
		growth := float64(rss[1]) / float64(rss[0])
		b.ReportMetric(took[0].Seconds(), "s-at-100k")
		b.ReportMetric(float64(took[0])/float64(anchorCeiling), "time/ceiling")
		b.ReportMetric(growth, "rss-300k/100k")
		fmt.Printf("audit verify --slack (own process, real slack-go, SQLite): 100,000 records in %v, peak RSS %.1f MiB, time/ceiling %.3f (ceiling %v); 300,000 in %v, peak RSS %.1f MiB; RSS 300k/100k %.2f (ceiling %.1f)\n",
			took[0].Round(time.Millisecond), float64(rss[0])/(1<<20), float64(took[0])/float64(anchorCeiling), anchorCeiling,
			took[1].Round(time.Millisecond), float64(rss[1])/(1<<20), growth, anchorRSSCeiling)
	}
}
