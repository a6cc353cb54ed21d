package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

var exportTests = []contractTest{
	{"ExportAuditEmpty", testExportEmpty},
	{"ExportAudit", testExport},
	{"ExportAuditSince", testExportSince},
	{"ExportAuditStopsAtError", testExportStops},
	{"AuditHashes", testAuditHashes},
}

var genesis = strings.Repeat("0", 64)

// export collects what ExportAudit yields; the contract's logs are small.
func export(t *testing.T, s store.Store, since time.Time) []store.Record {
	t.Helper()
	var out []store.Record
	if err := s.ExportAudit(context.Background(), since, func(r store.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatalf("ExportAudit(since %v): %v", since, err)
	}
	return out
}

func head(t *testing.T, s store.Store) (int64, string) {
	t.Helper()
	seq, hash, err := s.AuditHead(context.Background())
	if err != nil {
		t.Fatalf("AuditHead: %v", err)
	}
	return seq, hash
}

func testExportEmpty(t *testing.T, s store.Store) {
	if got := export(t, s, time.Time{}); len(got) != 0 {
		t.Errorf("ExportAudit of an empty log yielded %d records", len(got))
	}
	if seq, hash := head(t, s); seq != 0 || hash != genesis {
		t.Errorf("AuditHead of an empty log = %d, %s; want 0 and the genesis hash", seq, hash)
	}
}

// awkwardDetails are the text a JSON encoding or a driver could mangle.
var awkwardDetails = []string{
	`say "no"`, "two\nlines\r\n\ttabbed", "<!channel> & <@U01>", "ünïcødé ✓ 日本 🔑", `back\slash`, "\u2028\u2029", "",
}

// appendEvents appends one record per detail, a second apart from base.
func appendEvents(t *testing.T, s store.Store, details []string) []store.Record {
	t.Helper()
	var recs []store.Record
	for i, d := range details {
		r, err := s.AppendAudit(context.Background(), store.Event{Time: base.Add(time.Duration(i) * time.Second),
			Event: "noted", RequestID: fmt.Sprint("r", i%3), Actor: "U01", Target: "alice@contoso.com", Detail: d})
		if err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		recs = append(recs, r)
	}
	return recs
}

func testExport(t *testing.T, s store.Store) {
	ctx := context.Background()
	recs := appendEvents(t, s, awkwardDetails)
	got := export(t, s, time.Time{})
	if len(got) != len(recs) {
		t.Fatalf("ExportAudit yielded %d records, want %d", len(got), len(recs))
	}
	for i, r := range got {
		want, err := s.AuditRecord(ctx, int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if !sameRecord(r, want) || !sameRecord(r, recs[i]) || r.Time.Location() != time.UTC {
			t.Errorf("export[%d] = %+v, want %+v as AuditRecord and AppendAudit returned it", i, r, want)
		}
	}
	last := recs[len(recs)-1]
	if seq, hash := head(t, s); seq != last.Seq || hash != last.Hash {
		t.Errorf("AuditHead = %d, %s; want the last record's %d, %s", seq, hash, last.Seq, last.Hash)
	}
}

// testExportSince: since filters by each record's Time, not by its position,
// to the nanosecond, and the records still come in Seq order.
func testExportSince(t *testing.T, s store.Store) {
	ctx := context.Background()
	recs := appendEvents(t, s, []string{"a", "b", "c", "d"}) // base, +1s, +2s, +3s
	// An event reported late: appended last, timed before all the others.
	late, err := s.AppendAudit(ctx, store.Event{Time: base.Add(-time.Hour), Event: "late", Actor: "U02"})
	if err != nil {
		t.Fatal(err)
	}
	recs = append(recs, late)
	seqs := func(rs []store.Record) string {
		var out []string
		for _, r := range rs {
			out = append(out, fmt.Sprint(r.Seq))
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		name  string
		since time.Time
		want  string
	}{
		{"exactly the second record", recs[1].Time, "2 3 4"},
		{"in another zone", recs[1].Time.In(time.FixedZone("X", -7*3600)), "2 3 4"},
		{"the instant given for the second record", base.Add(time.Second), "3 4"}, // its nanoseconds were not kept
		{"a nanosecond after the second record", recs[1].Time.Add(time.Nanosecond), "3 4"},
		{"a nanosecond before the second record", recs[1].Time.Add(-time.Nanosecond), "2 3 4"},
		{"before everything", base.Add(-2 * time.Hour), "1 2 3 4 5"},
		{"the late record", late.Time, "1 2 3 4 5"},
		{"after everything", base.Add(time.Hour), ""},
	} {
		got := export(t, s, c.since)
		if seqs(got) != c.want {
			t.Errorf("since %s: seqs [%s], want [%s]", c.name, seqs(got), c.want)
		}
		for _, r := range got {
			if !sameRecord(r, recs[r.Seq-1]) {
				t.Errorf("since %s: record %d = %+v, want %+v", c.name, r.Seq, r, recs[r.Seq-1])
			}
		}
	}
}

// testExportStops: fn's error ends the export at once and comes back as it
// is, and the store works afterwards (a backend may drop the connection it
// was reading on rather than read the rest).
func testExportStops(t *testing.T, s store.Store) {
	ctx := context.Background()
	details := make([]string, 300)
	for i := range details {
		details[i] = fmt.Sprint("detail ", i)
	}
	recs := appendEvents(t, s, details)
	errStop := errors.New("stop here")
	calls := 0
	err := s.ExportAudit(ctx, time.Time{}, func(r store.Record) error {
		if calls++; calls == 2 {
			return errStop
		}
		return nil
	})
	if err != errStop || calls != 2 {
		t.Errorf("ExportAudit = %v after %d calls; want errStop itself after 2", err, calls)
	}
	wrapped := fmt.Errorf("write: %w", errStop)
	err = s.ExportAudit(ctx, time.Time{}, func(store.Record) error { return wrapped })
	if !errors.Is(err, errStop) {
		t.Errorf("ExportAudit = %v, want the wrapped errStop", err)
	}
	if got := export(t, s, time.Time{}); len(got) != len(recs) {
		t.Errorf("after a stopped export, ExportAudit yielded %d records, want %d", len(got), len(recs))
	}
	if seq, _ := head(t, s); seq != int64(len(recs)) {
		t.Errorf("after a stopped export, AuditHead = %d, want %d", seq, len(recs))
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.ExportAudit(cancelled, time.Time{}, func(store.Record) error { return nil }); err == nil {
		t.Error("ExportAudit with a cancelled context succeeded")
	}
}

func testAuditHashes(t *testing.T, s store.Store) {
	ctx := context.Background()
	if m, err := s.AuditHashes(ctx, nil); err != nil || m == nil || len(m) != 0 {
		t.Errorf("AuditHashes(nil) = %v, %v; want an empty map", m, err)
	}
	if m, err := s.AuditHashes(ctx, []int64{1}); err != nil || len(m) != 0 {
		t.Errorf("AuditHashes on an empty log = %v, %v; want an empty map", m, err)
	}
	recs := appendEvents(t, s, []string{"a", "b", "c", "d", "e"})
	m, err := s.AuditHashes(ctx, []int64{4, 0, -1, 2, 6, 1 << 40, 2})
	if err != nil {
		t.Fatalf("AuditHashes: %v", err)
	}
	if len(m) != 2 || m[2] != recs[1].Hash || m[4] != recs[3].Hash {
		t.Errorf("AuditHashes = %v, want only 2: %s and 4: %s", m, recs[1].Hash, recs[3].Hash)
	}
	all := make([]int64, store.MaxAuditHashes)
	for i := range all {
		all[i] = int64(i + 1)
	}
	if m, err := s.AuditHashes(ctx, all); err != nil || len(m) != len(recs) {
		t.Errorf("AuditHashes of %d seqs = %d hashes, %v; want %d", len(all), len(m), err, len(recs))
	}
	if m, err := s.AuditHashes(ctx, append(all, 1001)); err == nil {
		t.Errorf("AuditHashes accepted %d seqs: %v", len(all)+1, m)
	}
}
