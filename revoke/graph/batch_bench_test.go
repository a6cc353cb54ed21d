//go:build unix

package graph

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/revoke/bulk"
)

// The question (the issue): does JSON $batch, 20 revocations per HTTP
// request, each item throttled on its own, beat one request per user at
// Graph's write ceiling? Both modes pace every write as revoke/bulk does,
// at 0.97 × 3,000 writes per window, the window scaled from Graph's 150 s
// to REVOKEBOT_BENCH_WINDOW (default 3 s, as BenchmarkBulk).
//
// The fake runs in a child process (this test binary again, see
// TestFakeGraphProcess), so that the client's CPU, read with getrusage, is
// not mixed with the fake's; the child reports its own CPU, the HTTP
// requests it served, its 429s and how often each user was revoked.

var bvsToken = testToken

const (
	bvsWrites   = 3000
	bvsBatch    = 20 // Graph's limit on requests per $batch
	fakeProcEnv = "REVOKEBOT_FAKEGRAPH_PROCESS"
	fakeURLTag  = "fakegraph-url "
	fakeStatTag = "fakegraph-stats "
)

func bvsWindow() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("REVOKEBOT_BENCH_WINDOW")); err == nil && d > 0 {
		return d
	}
	return 3 * time.Second
}

// bvsMode is one way of sending: group users per HTTP request, inFlight
// requests at a time.
type bvsMode struct {
	name            string
	group, inFlight int
}

type bvsRow struct {
	mode                bvsMode
	users, requests     int
	conns               int64
	elapsed             time.Duration
	ratio, per1000      float64
	clientCPU, fakeCPU  time.Duration // per 1,000 users
	allocsPer, bytesPer float64       // client, per user
}

// BenchmarkBatchVsSingle revokes the same users one request each (the
// engine's way: Client.Once, 16 in flight) and in $batch requests of 20
// through msgraph-sdk-go-core's BatchRequest (1, 2 or 4 in flight), and
// prints one table. It fails unless every user is revoked exactly once.
func BenchmarkBatchVsSingle(b *testing.B) {
	sizes := []int{3_000, 10_000}
	if n, err := strconv.Atoi(os.Getenv("REVOKEBOT_BENCH_USERS")); err == nil && n > 0 {
		sizes = []int{n}
	}
	modes := []bvsMode{{"single", 1, 16}, {"batch", bvsBatch, 1}, {"batch", bvsBatch, 2}, {"batch", bvsBatch, 4}}
	window := bvsWindow()
	rows := make([]bvsRow, len(sizes)*len(modes)) // zero where -bench left a mode out
	for i, n := range sizes {
		for j, m := range modes {
			b.Run(fmt.Sprintf("%s-c%d/users=%d", m.name, m.inFlight, n), func(b *testing.B) {
				var row bvsRow
				for range b.N {
					row = bvsOne(b, m, n, window)
				}
				b.ReportMetric(row.ratio, "writes/ceiling")
				b.ReportMetric(row.per1000, "429/1000writes")
				b.ReportMetric(float64(row.requests), "requests")
				b.ReportMetric(float64(row.clientCPU)/1e6, "clientCPUms/1000users")
				b.ReportMetric(row.allocsPer, "allocs/user")
				rows[i*len(modes)+j] = row
			})
		}
	}
	fmt.Printf("\nrevokeSignInSessions at a ceiling of %d writes per %v (Graph's per 150 s, scaled), paced at 0.97 of it\n", bvsWrites, window)
	fmt.Printf("%-10s %-7s %-9s %-7s %-7s %-9s %-6s %-10s %-11s %-9s %-6s %-15s %-s\n",
		"mode", "users", "elapsed", "w/ceil", "429/1k", "requests", "conns",
		"cliCPU/1k", "fakeCPU/1k", "allocs/u", "KB/u", "elapsed/single", "cliCPU/single")
	var single bvsRow
	for _, r := range rows {
		if r.users == 0 {
			continue
		}
		if r.mode.group == 1 {
			single = r
		}
		vs := func(x, y time.Duration) string {
			if single.users != r.users || y <= 0 {
				return "-"
			}
			return strconv.FormatFloat(x.Seconds()/y.Seconds(), 'f', 3, 64)
		}
		fmt.Printf("%-10s %-7d %-9s %-7.3f %-7.2f %-9d %-6d %-10s %-11s %-9.0f %-6.1f %-15s %-s\n",
			fmt.Sprintf("%s-c%d", r.mode.name, r.mode.inFlight), r.users, r.elapsed.Round(time.Millisecond),
			r.ratio, r.per1000, r.requests, r.conns, r.clientCPU.Round(time.Millisecond), r.fakeCPU.Round(time.Millisecond),
			r.allocsPer, r.bytesPer/1024, vs(r.elapsed, single.elapsed), vs(r.clientCPU, single.clientCPU))
	}
	fmt.Println("w/ceil: users/s over the ceiling; 429/1k: 429 answers (items included) per 1,000 writes; requests: HTTP requests the fake served;")
	fmt.Println("conns: TCP connections the client opened; cliCPU/1k, fakeCPU/1k: user+system CPU per 1,000 users of the client's and the fake's process;")
	fmt.Println("allocs/u, KB/u: client heap allocations per user; /single: over the single-request row of the same size. Every user was revoked exactly once.")
}

// bvsOne runs one mode against a fresh fake tenant of n users.
func bvsOne(b *testing.B, m bvsMode, n int, window time.Duration) bvsRow {
	b.StopTimer()
	fake := startFakeProcess(b, n, bvsWrites, window)
	var conns atomic.Int64
	tr := http.DefaultTransport.(*http.Transport).Clone()
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conns.Add(1)
		return dial(ctx, network, addr)
	}
	c, err := New(Config{BaseURL: fake.url, Token: bvsToken, Transport: tr})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, n)
	for i, u := range fakegraph.Tenant(n, 1) {
		ids[i] = u.ID
	}
	send := c.Once().sendOne
	if m.group > 1 {
		send = c.sendBatch
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0, start := cpuTime(), time.Now()
	b.StartTimer()
	err = pacedRun(context.Background(), ids, m, bulk.NewPacer(bvsWrites, window), send)
	b.StopTimer()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	runtime.ReadMemStats(&after)
	st, ferr := fake.finish()
	if err != nil {
		b.Fatalf("%s: %v", m.name, err)
	}
	if ferr != nil {
		b.Fatal(ferr)
	}
	if st.Revocations != n || st.NotOnce != 0 {
		b.Fatalf("%s: %d revocations for %d users; %d users not revoked exactly once (e.g. %s)", m.name, st.Revocations, n, st.NotOnce, st.Example)
	}
	per1000 := func(d time.Duration) time.Duration { return d * 1000 / time.Duration(n) }
	return bvsRow{
		mode: m, users: n, requests: st.Requests, conns: conns.Load(), elapsed: elapsed,
		ratio:     float64(n) / elapsed.Seconds() / (bvsWrites / window.Seconds()),
		per1000:   float64(st.Throttled) * 1000 / float64(n),
		clientCPU: per1000(cpu), fakeCPU: per1000(st.CPU),
		allocsPer: float64(after.Mallocs-before.Mallocs) / float64(n),
		bytesPer:  float64(after.TotalAlloc-before.TotalAlloc) / float64(n),
	}
}

// sent is what one HTTP request did for its users.
type sent struct {
	retry     []string      // users to send again
	throttled int           // of them, answered 429
	wait      time.Duration // the longest Retry-After among them
	err       error         // a failure no retry mends
}

// sendOne revokes one user with one request; c must come from Once, so
// that the pacer, not the client, waits out a 429.
func (c *Client) sendOne(ctx context.Context, ids []string) sent {
	_, err := c.RevokeSessions(ctx, ids[0])
	switch {
	case err == nil:
		return sent{}
	case revoke.KindOf(err) == revoke.KindThrottled:
		return sent{retry: ids, throttled: 1, wait: revoke.RetryAfterOf(err)}
	case revoke.Retryable(err):
		return sent{retry: ids, wait: revoke.RetryAfterOf(err)}
	}
	return sent{err: err}
}

// sendBatch revokes up to 20 users with one POST /$batch built by
// msgraph-sdk-go-core. The SDK neither retries items nor reads their
// Retry-After: items answered 429 or 503 come back in retry.
func (c *Client) sendBatch(ctx context.Context, ids []string) sent {
	batch := msgraphgocore.NewBatchRequest(c.adapter)
	user := make(map[string]string, len(ids)) // item id -> user id
	for _, id := range ids {
		info, err := c.users().ByUserId(id).RevokeSignInSessions().ToPostRequestInformation(ctx, nil)
		if err != nil {
			return sent{err: err}
		}
		item, err := batch.AddBatchRequestStep(*info)
		if err != nil {
			return sent{err: err}
		}
		user[*item.GetId()] = id
	}
	resp, err := batch.Send(ctx, c.adapter)
	if err != nil {
		e := classify("revoke sessions in a batch", "User.RevokeSessions.All", err)
		if revoke.Retryable(e) {
			return sent{retry: ids, wait: retryAfter(err)}
		}
		return sent{err: e}
	}
	var s sent
	for _, it := range resp.GetResponses() {
		if it.GetId() == nil || it.GetStatus() == nil || user[*it.GetId()] == "" {
			return sent{err: errors.New("$batch answered an item it was not sent")}
		}
		id, status := user[*it.GetId()], int(*it.GetStatus())
		delete(user, *it.GetId())
		switch kind := revoke.KindForStatus(status); {
		case status >= 200 && status < 300:
		case kind == revoke.KindThrottled, kind == revoke.KindUnavailable:
			s.retry = append(s.retry, id)
			s.wait = max(s.wait, itemRetryAfter(it.GetHeaders()))
			if kind == revoke.KindThrottled {
				s.throttled++
			}
		default:
			return sent{err: fmt.Errorf("revoke %s in a batch: HTTP %d", id, status)}
		}
	}
	if len(user) > 0 {
		return sent{err: fmt.Errorf("$batch left %d of %d items unanswered", len(user), len(ids))}
	}
	return s
}

// itemRetryAfter reads an item's Retry-After, in seconds, maybe fractional.
func itemRetryAfter(h msgraphgocore.RequestHeader) time.Duration {
	for k, v := range h {
		if !strings.EqualFold(k, "Retry-After") {
			continue
		}
		if s, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second))
		}
	}
	return 0
}

// pacedRun sends ids as revoke/bulk's dispatcher does: one goroutine takes
// the next group (retries first) and the pacer's slot for each of its
// writes, waits for the slot, then hands the group to m.inFlight senders.
// It returns when every user is revoked, or at the first failure.
func pacedRun(ctx context.Context, ids []string, m bvsMode, p *bulk.Pacer, send func(context.Context, []string) sent) error {
	var (
		mu          sync.Mutex
		fresh       = ids
		retries     []string
		outstanding int
		failure     error
		wake        = make(chan struct{}, 1)
	)
	take := func() (group []string, wait bool) {
		mu.Lock()
		defer mu.Unlock()
		if failure != nil {
			return nil, false
		}
		k := min(m.group, len(retries))
		group, retries = append(group, retries[:k]...), retries[k:]
		k = min(m.group-len(group), len(fresh))
		group, fresh = append(group, fresh[:k]...), fresh[k:]
		outstanding += len(group)
		return group, outstanding > 0
	}
	settle := func(group []string, s sent) {
		now := time.Now()
		switch {
		case s.throttled > 0:
			p.Throttled(now, s.wait)
		case len(s.retry) > 0:
			p.Pause(now, max(s.wait, time.Second))
		}
		mu.Lock()
		outstanding -= len(group)
		retries = append(retries, s.retry...)
		if s.err != nil && failure == nil {
			failure = s.err
		}
		mu.Unlock()
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	work := make(chan []string)
	var wg sync.WaitGroup
	for range m.inFlight {
		wg.Go(func() {
			for g := range work {
				// As in the engine, a send finishes even if ctx ends.
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				settle(g, send(sctx, g))
				cancel()
			}
		})
	}
	for ctx.Err() == nil {
		g, wait := take()
		if len(g) == 0 {
			if !wait {
				break
			}
			select {
			case <-wake:
			case <-ctx.Done():
			}
			continue
		}
		if !waitUntil(ctx, p.SlotN(time.Now(), len(g))) {
			break
		}
		work <- g
	}
	close(work)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if failure == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return failure
}

func waitUntil(ctx context.Context, t time.Time) bool {
	return revoke.SleepContext(ctx, time.Until(t)) == nil
}

// cpuTime is this process's user+system CPU so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fakeStats is what the fake's process reports when its client is done.
type fakeStats struct {
	Requests, Revocations, Throttled, NotOnce int
	Example                                   string        // a user not revoked exactly once
	CPU                                       time.Duration // serving, tenant setup excluded
}

type fakeProcess struct {
	url   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

// startFakeProcess runs TestFakeGraphProcess in a child of this binary and
// reads the fake's URL from it.
func startFakeProcess(b *testing.B, users, limit int, window time.Duration) *fakeProcess {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestFakeGraphProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d,%s", fakeProcEnv, users, limit, window))
	cmd.Stderr = os.Stderr
	f := &fakeProcess{cmd: cmd}
	if f.stdin, err = cmd.StdinPipe(); err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	f.out = bufio.NewScanner(out)
	for f.out.Scan() {
		if u, ok := strings.CutPrefix(f.out.Text(), fakeURLTag); ok {
			f.url = u
			return f
		}
	}
	b.Fatalf("the fake's process printed no URL: %v", f.out.Err())
	return nil
}

// finish tells the fake its client is done and reads its report.
func (f *fakeProcess) finish() (fakeStats, error) {
	var st fakeStats
	f.stdin.Close()
	for f.out.Scan() {
		if s, ok := strings.CutPrefix(f.out.Text(), fakeStatTag); ok {
			return st, json.Unmarshal([]byte(s), &st)
		}
	}
	return st, fmt.Errorf("the fake's process printed no stats: %v", f.out.Err())
}

// TestFakeGraphProcess is the child BenchmarkBatchVsSingle starts: a fake
// tenant with a write throttle, serving until stdin closes. Run any other
// way it does nothing.
func TestFakeGraphProcess(t *testing.T) {
	spec := os.Getenv(fakeProcEnv)
	if spec == "" {
		return
	}
	var users, limit int
	var window string
	if _, err := fmt.Sscanf(strings.ReplaceAll(spec, ",", " "), "%d %d %s", &users, &limit, &window); err != nil {
		t.Fatalf("%s=%q: %v", fakeProcEnv, spec, err)
	}
	per, err := time.ParseDuration(window)
	if err != nil {
		t.Fatal(err)
	}
	g := fakegraph.New(fakegraph.Options{Token: bvsToken, LogLimit: 1, WriteLimit: limit, WriteWindow: per})
	defer g.Close()
	tenant := fakegraph.Tenant(users, 1)
	g.AddUsers(tenant...)
	var requests atomic.Int64
	g.OnRequest(func(fakegraph.Request) { requests.Add(1) })
	runtime.GC()
	cpu0 := cpuTime()
	fmt.Println(fakeURLTag + g.URL())
	_, _ = io.Copy(io.Discard, os.Stdin)
	st := fakeStats{CPU: cpuTime() - cpu0, Requests: int(requests.Load()), Revocations: g.TotalRevocations(), Throttled: g.Throttled()}
	for _, u := range tenant {
		if n := g.Revocations(u.ID); n != 1 {
			st.NotOnce++
			st.Example = fmt.Sprintf("%s revoked %d times", u.ID, n)
		}
	}
	js, _ := json.Marshal(st)
	fmt.Println(fakeStatTag + string(js))
}

// TestPacedRunRetriesThrottledItems drives both modes above the ceiling,
// so that 429s (per item, in a $batch) happen, and checks each user is
// still revoked exactly once: the benchmark itself, paced under the
// ceiling, rarely exercises the retries.
func TestPacedRunRetriesThrottledItems(t *testing.T) {
	for _, m := range []bvsMode{{"single", 1, 16}, {"batch", bvsBatch, 2}} {
		t.Run(m.name, func(t *testing.T) {
			g := fakegraph.New(fakegraph.Options{Token: bvsToken, WriteLimit: 20, WriteWindow: 100 * time.Millisecond})
			defer g.Close()
			tenant := fakegraph.Tenant(60, 2)
			g.AddUsers(tenant...)
			c, err := New(Config{BaseURL: g.URL(), Token: bvsToken})
			if err != nil {
				t.Fatal(err)
			}
			send := c.Once().sendOne
			if m.group > 1 {
				send = c.sendBatch
			}
			ids := make([]string, len(tenant))
			for i, u := range tenant {
				ids[i] = u.ID
			}
			// Paced at three times the fake's ceiling.
			if err := pacedRun(context.Background(), ids, m, bulk.NewPacer(60, 100*time.Millisecond), send); err != nil {
				t.Fatal(err)
			}
			if g.Throttled() == 0 {
				t.Error("no 429: the retry path went untested")
			}
			t.Logf("%d 429s, %d HTTP requests", g.Throttled(), len(g.Requests()))
			for _, u := range tenant {
				if n := g.Revocations(u.ID); n != 1 {
					t.Errorf("user %s revoked %d times", u.ID, n)
				}
			}
		})
	}
}
