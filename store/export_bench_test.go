package store

import (
	"context"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/revokebot/revokebot/signing"
)

// exportGoal is the rate `revokebot audit export` must reach on SQLite.
const exportGoal = 100_000 // records/s

// benchCount reads a record count from the environment, so a longer or
// shorter run needs no edit.
func benchCount(b *testing.B, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("%s=%q: want a positive count", name, v)
		}
		return n
	}
	return def
}

// BenchmarkExportAudit measures WriteJSONL from a read-only SQLite store to
// io.Discard: records/s against the goal, and the peak Go heap during
// exports of a small and a ten times larger log, whose ratio shows whether
// memory stays flat. REVOKEBOT_BENCH_EXPORT_N (100,000) and
// REVOKEBOT_BENCH_EXPORT_BIG (1,000,000) set the sizes; -benchtime 1x runs
// each export once.
func BenchmarkExportAudit(b *testing.B) {
	small := benchCount(b, "REVOKEBOT_BENCH_EXPORT_N", 100_000)
	big := benchCount(b, "REVOKEBOT_BENCH_EXPORT_BIG", 1_000_000)
	// Stores are filled on first use and kept, in the parent's temporary
	// directory and closed by it, for every sub-benchmark.
	parent, stores := b, map[int]Store{}
	open := func(b *testing.B, n int) Store {
		if s := stores[n]; s != nil {
			return s
		}
		start := time.Now()
		s, err := OpenExisting(context.Background(), "sqlite:"+fillAudit(b, parent.TempDir(), n))
		if err != nil {
			b.Fatal(err)
		}
		parent.Cleanup(func() { s.Close() })
		b.Logf("filled a store with %d records in %v", n, time.Since(start).Round(time.Millisecond))
		stores[n] = s
		return s
	}
	export := func(b *testing.B, s Store, want int) {
		n, err := WriteJSONL(context.Background(), s, time.Time{}, io.Discard)
		if err != nil || n != int64(want) {
			b.Fatalf("WriteJSONL = %d, %v; want %d", n, err, want)
		}
	}

	b.Run("throughput", func(b *testing.B) {
		s := open(b, small)
		export(b, s, small) // warm the page cache: the goal is for the export, not the disk
		b.ResetTimer()
		for b.Loop() {
			export(b, s, small)
		}
		rate := float64(small) * float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "records/s")
		b.ReportMetric(rate/exportGoal, "x_of_goal")
		b.Logf("%.0f records/s: %.2f× the goal of %d records/s", rate, rate/exportGoal, exportGoal)
	})

	b.Run("heap", func(b *testing.B) {
		sizes := [2]int{small, big}
		ss := [2]Store{open(b, small), open(b, big)}
		var peaks [2]uint64
		for b.Loop() {
			for i, n := range sizes {
				b.StopTimer()
				runtime.GC()
				b.StartTimer()
				start := time.Now()
				peaks[i] = max(peaks[i], peakHeapDuring(func() { export(b, ss[i], n) }))
				b.Logf("exported %d records at %.0f records/s", n, float64(n)/time.Since(start).Seconds())
			}
		}
		const mib = 1 << 20
		ratio := float64(peaks[1]) / float64(peaks[0])
		b.ReportMetric(float64(peaks[0])/mib, "MiB_peak_small")
		b.ReportMetric(float64(peaks[1])/mib, "MiB_peak_big")
		b.ReportMetric(ratio, "peak_ratio")
		b.Logf("peak HeapInuse: %.1f MiB exporting %d records, %.1f MiB exporting %d; ratio %.2f (goal ≤ 2)",
			float64(peaks[0])/mib, small, float64(peaks[1])/mib, big, ratio)
	})
}

// peakHeapDuring runs f while sampling HeapInuse every 2 ms and returns the
// highest sample: the Go heap in use, garbage awaiting collection included.
func peakHeapDuring(f func()) uint64 {
	var (
		peak atomic.Uint64
		wg   sync.WaitGroup
		done = make(chan struct{})
	)
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > peak.Load() {
			peak.Store(m.HeapInuse)
		}
	}
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				sample()
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	sample()
	return peak.Load()
}

// BenchmarkVerifyAuditSigned measures VerifyAudit with signatures checked
// on a log of REVOKEBOT_BENCH_VERIFY_N (30,000) and ten times that
// (REVOKEBOT_BENCH_VERIFY_BIG, 300,000) signed records: records/s, and the
// peak Go heap of each, whose ratio shows whether memory stays flat (goal
// ≤ 2).
func BenchmarkVerifyAuditSigned(b *testing.B) {
	sizes := [2]int{benchCount(b, "REVOKEBOT_BENCH_VERIFY_N", 30_000), benchCount(b, "REVOKEBOT_BENCH_VERIFY_BIG", 300_000)}
	var ss [2]Store
	for i, n := range sizes {
		start := time.Now()
		s, err := OpenExisting(context.Background(), "sqlite:"+fillAudit(b, b.TempDir(), n))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		b.Logf("filled a store with %d signed records in %v", n, time.Since(start).Round(time.Millisecond))
		ss[i] = s
	}
	keys := signing.NewKeyring(fixtureKey.Public())
	var peaks [2]uint64
	for b.Loop() {
		for i, n := range sizes {
			b.StopTimer()
			runtime.GC()
			b.StartTimer()
			start := time.Now()
			peaks[i] = max(peaks[i], peakHeapDuring(func() {
				if v, err := ss[i].VerifyAudit(context.Background(), keys); err != nil || v.Records != n || v.Unsigned != 0 {
					b.Fatalf("VerifyAudit = %+v, %v; want %d signed records", v, err, n)
				}
			}))
			b.Logf("verified %d signed records at %.0f records/s", n, float64(n)/time.Since(start).Seconds())
		}
	}
	const mib = 1 << 20
	ratio := float64(peaks[1]) / float64(peaks[0])
	b.ReportMetric(float64(peaks[1])/mib, "MiB_peak_big")
	b.ReportMetric(ratio, "peak_ratio")
	b.Logf("peak HeapInuse: %.1f MiB verifying %d records, %.1f MiB verifying %d; ratio %.2f (goal ≤ 2)",
		float64(peaks[0])/mib, sizes[0], float64(peaks[1])/mib, sizes[1], ratio)
}
