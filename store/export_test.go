package store_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/auditline"
	"github.com/revokebot/revokebot/store"
)

// verifyLines checks the chain from the lines alone: consecutive seqs from
// the first line's, each prev_hash the hash before it (prev for the first),
// and each hash recomputed. It returns the first break, or "".
func verifyLines(lines []auditline.Line, prev string) string {
	for i, l := range lines {
		switch {
		case i > 0 && l.Seq != lines[i-1].Seq+1:
			return fmt.Sprintf("line %d: seq %d after %d", i+1, l.Seq, lines[i-1].Seq)
		case l.PrevHash != prev:
			return fmt.Sprintf("line %d (seq %d): prev_hash does not match", i+1, l.Seq)
		case auditline.Hash(l) != l.Hash:
			return fmt.Sprintf("line %d (seq %d): hash does not match its content", i+1, l.Seq)
		}
		prev = l.Hash
	}
	return ""
}

func readLines(t *testing.T, data []byte) []auditline.Line {
	t.Helper()
	var out []auditline.Line
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var l auditline.Line
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %d: %v: %s", len(out)+1, err, sc.Text())
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func writeJSONL(t *testing.T, s store.Store, since time.Time) ([]byte, int64) {
	t.Helper()
	var buf bytes.Buffer
	n, err := store.WriteJSONL(context.Background(), s, since, &buf)
	if err != nil {
		t.Fatalf("WriteJSONL: %v", err)
	}
	return buf.Bytes(), n
}

// TestJSONLVerifiesFromLinesAlone: an export carries everything needed to
// check the chain, and that check catches a change to any one field.
func TestJSONLVerifiesFromLinesAlone(t *testing.T) {
	ctx := context.Background()
	s := openFile(t, filepath.Join(t.TempDir(), "revokebot.db"))
	t0 := time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)
	details := []string{`said "yes"`, "two\nlines", "<!channel> & <@U01>", "ünïcødé 日本 🔑", `a\b`, "\u2028", ""}
	for i := range 50 {
		e := store.Event{Time: t0.Add(time.Duration(i) * time.Second), Event: "noted", RequestID: fmt.Sprint("r", i%7),
			Actor: "U01", Target: "alice@contoso.com", Detail: details[i%len(details)]}
		if _, err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	data, n := writeJSONL(t, s, time.Time{})
	lines := readLines(t, data)
	if n != 50 || len(lines) != 50 || lines[0].Seq != 1 {
		t.Fatalf("WriteJSONL wrote %d, read back %d lines; want 50 from seq 1", n, len(lines))
	}
	if bad := verifyLines(lines, strings.Repeat("0", 64)); bad != "" {
		t.Fatalf("the export does not verify: %s", bad)
	}
	if seq, hash, err := s.AuditHead(ctx); err != nil || seq != 50 || hash != lines[49].Hash {
		t.Errorf("AuditHead = %d, %s, %v; want the last line's", seq, hash, err)
	}
	if !bytes.Contains(data, []byte(`"detail":"<!channel> & <@U01>"`)) || !bytes.HasPrefix(data, []byte(`{"seq":1,"time":"2025-03-14T15:09:26.535897Z","event":"noted","request_id":"r0",`)) {
		t.Errorf("the lines are not in the documented form:\n%s", data[:300])
	}

	// Any one field of any one line, changed, breaks the check.
	for i, alter := range []func(*auditline.Line){
		func(l *auditline.Line) { l.Seq++ },
		func(l *auditline.Line) { l.Time = strings.Replace(l.Time, "15:09:", "15:10:", 1) },
		func(l *auditline.Line) { l.Event = "denied" },
		func(l *auditline.Line) { l.RequestID += "x" },
		func(l *auditline.Line) { l.Actor = "U02" },
		func(l *auditline.Line) { l.Target = "bob@contoso.com" },
		func(l *auditline.Line) { l.Detail += " " },
		func(l *auditline.Line) { l.PrevHash = strings.Repeat("0", 64) },
		func(l *auditline.Line) { l.Hash = auditline.Hash(auditline.Line{}) },
	} {
		altered := append([]auditline.Line(nil), lines...)
		alter(&altered[20])
		if bad := verifyLines(altered, strings.Repeat("0", 64)); bad == "" {
			t.Errorf("alteration %d of line 21 went unnoticed", i)
		}
	}

	// From the middle: the first line's prev_hash anchors the rest.
	since := t0.Add(30 * time.Second)
	data, n = writeJSONL(t, s, since)
	tail := readLines(t, data)
	if n != 20 || len(tail) != 20 || tail[0].Seq != 31 {
		t.Fatalf("since the 31st record: %d lines from seq %d, want 20 from 31", len(tail), tail[0].Seq)
	}
	if tail[0].PrevHash != lines[29].Hash {
		t.Errorf("the first line's prev_hash is not record 30's hash")
	}
	if bad := verifyLines(tail, tail[0].PrevHash); bad != "" {
		t.Errorf("the tail does not verify: %s", bad)
	}
	if got, err := s.AuditHashes(ctx, []int64{30}); err != nil || got[30] != tail[0].PrevHash {
		t.Errorf("AuditHashes(30) = %v, %v; want the tail's anchor", got, err)
	}
}

// TestExportReadOnlyAndSnapshot: export works on a store opened read-only,
// and records appended while an export runs are not in it.
func TestExportReadOnlyAndSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "revokebot.db")
	rw := openFile(t, path)
	testExportReadOnlyAndSnapshot(t, rw, func() store.Store {
		ro, err := store.OpenExisting(context.Background(), "sqlite:"+path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ro.Close() })
		return ro
	})
}

// TestPostgresExportReadOnlyAndSnapshot is TestExportReadOnlyAndSnapshot on
// PostgreSQL, where the snapshot is the REPEATABLE READ transaction.
func TestPostgresExportReadOnlyAndSnapshot(t *testing.T) {
	dsn, _ := pgSchema(t)
	testExportReadOnlyAndSnapshot(t, openPG(t, dsn), func() store.Store {
		ro, err := store.OpenExisting(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ro.Close() })
		return ro
	})
}

func testExportReadOnlyAndSnapshot(t *testing.T, rw store.Store, openRO func() store.Store) {
	ctx := context.Background()
	const n = 200
	for i := range n {
		if _, err := rw.AppendAudit(ctx, store.Event{Event: "noted", Actor: "U01", Detail: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	ro := openRO()
	data, written := writeJSONL(t, ro, time.Time{})
	if written != n {
		t.Fatalf("read-only WriteJSONL wrote %d lines, want %d", written, n)
	}
	lines := readLines(t, data)
	if bad := verifyLines(lines, strings.Repeat("0", 64)); bad != "" {
		t.Fatalf("read-only export does not verify: %s", bad)
	}
	if seq, hash, err := ro.AuditHead(ctx); err != nil || seq != n || hash != lines[n-1].Hash {
		t.Errorf("read-only AuditHead = %d, %s, %v", seq, hash, err)
	}
	if m, err := ro.AuditHashes(ctx, []int64{1, n, n + 1}); err != nil || len(m) != 2 || m[n] != lines[n-1].Hash {
		t.Errorf("read-only AuditHashes = %v, %v", m, err)
	}
	// Append from inside the export, on the other handle: the export began
	// before, so it must neither see the new records nor wait for them.
	seen := 0
	err := ro.ExportAudit(ctx, time.Time{}, func(store.Record) error {
		if seen++; seen == 1 {
			for range 5 {
				if _, err := rw.AppendAudit(ctx, store.Event{Event: "late", Actor: "U01"}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil || seen != n {
		t.Errorf("export during appends yielded %d records, %v; want the %d of its snapshot", seen, err, n)
	}
	if seq, _, err := ro.AuditHead(ctx); err != nil || seq != n+5 {
		t.Errorf("AuditHead after the appends = %d, %v; want %d", seq, err, n+5)
	}
}
