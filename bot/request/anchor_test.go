package request

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// memLog is an audit log of hashes by number, with a head, and the records
// an export reads.
type memLog struct {
	hashes   map[int64]string
	head     int64
	asked    int // AuditHashes calls
	records  []store.Record
	exported int // ExportAudit calls
}

func (l *memLog) ExportAudit(ctx context.Context, _ time.Time, fn func(store.Record) error) error {
	l.exported++
	for _, r := range l.records {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (l *memLog) AuditHead(context.Context) (int64, string, error) {
	return l.head, l.hashes[l.head], nil
}

func (l *memLog) AuditHashes(_ context.Context, seqs []int64) (map[int64]string, error) {
	l.asked++
	if len(seqs) > anchorBatch {
		return nil, errors.New("too many")
	}
	out := map[int64]string{}
	for _, s := range seqs {
		if h, ok := l.hashes[s]; ok {
			out[s] = h
		}
	}
	return out, nil
}

func hashOf(seq int64) string {
	sum := sha256.Sum256([]byte(fmt.Sprint(seq)))
	return hex.EncodeToString(sum[:])
}

// newMemLog holds n records and a channel showing each once, newest first,
// in pages of size, with chatter between the lines.
func newMemLog(n int64) (*memLog, []string) {
	l := &memLog{hashes: map[int64]string{}, head: n}
	var lines []string
	for s := n; s >= 1; s-- {
		l.hashes[s] = hashOf(s)
		lines = append(lines, auditLine(store.Record{Seq: s, Hash: hashOf(s),
			Event: store.Event{Event: "outcome", RequestID: "r1", Target: "alice@contoso.com", Detail: "done"}}))
		if s%5 == 0 {
			lines = append(lines, "someone's reply in the channel")
		}
	}
	return l, lines
}

func pages(lines []string, size int) ChannelHistory {
	return func(_ context.Context, page func([]string) error) error {
		for len(lines) > 0 {
			n := min(size, len(lines))
			if err := page(lines[:n]); err != nil {
				return err
			}
			lines = lines[n:]
		}
		return nil
	}
}

func TestParseAuditLineReadsWhatAuditLineWrites(t *testing.T) {
	t.Parallel()
	rec := store.Record{Seq: 1234, Hash: hashOf(3), Event: store.Event{Event: "succeeded", RequestID: "r9",
		Target: "#77 `000000000000`", Detail: "quotes #88 `111111111111`"}}
	seq, prefix, ok := ParseAuditLine(auditLine(rec))
	if !ok || seq != 1234 || prefix != hashOf(3)[:12] {
		t.Fatalf("ParseAuditLine(%q) = %d %q %v", auditLine(rec), seq, prefix, ok)
	}
	for _, text := range []string{"", "hello", "*succeeded* · #0 `000000000000`", "*x* · #12 `abc`",
		"see *succeeded* · #5 `0123456789ab` above", "*succeeded* · #99999999999999999999 `0123456789ab`"} {
		if _, _, ok := ParseAuditLine(text); ok {
			t.Errorf("ParseAuditLine(%q) took it for an audit line", text)
		}
	}
	// An event without an icon still parses.
	if seq, _, ok := ParseAuditLine("*custom* · #7 `0123456789ab` · done"); !ok || seq != 7 {
		t.Errorf("iconless line: %d %v", seq, ok)
	}
}

func TestCheckAnchor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("intact", func(t *testing.T) {
		l, lines := newMemLog(2500)
		r, err := CheckAnchor(ctx, l, pages(lines, 999))
		if err != nil || r.Break != nil || r.Lines != 2500 || r.Highest != 2500 || r.Head != 2500 {
			t.Fatalf("%+v %v", r, err)
		}
		if l.asked != 4 { // 2,500 lines and 500 of chatter: 4 pages of 999
			t.Errorf("%d lookups for 4 pages", l.asked)
		}
	})
	t.Run("head rewound", func(t *testing.T) {
		l, lines := newMemLog(100)
		l.head = 90 // records 91-100 cut off, the head moved back to 90
		for s := int64(91); s <= 100; s++ {
			delete(l.hashes, s)
		}
		r, err := CheckAnchor(ctx, l, pages(lines, 30))
		if err != nil || r.Break == nil || r.Break.Seq != 91 || !strings.Contains(r.Break.Error(), "the log ends at record 90") {
			t.Fatalf("%+v %v", r.Break, err)
		}
	})
	t.Run("rewritten and resealed", func(t *testing.T) {
		l, lines := newMemLog(100)
		for s := int64(40); s <= 100; s++ {
			l.hashes[s] = hashOf(-s) // a consistent new chain from 40 on
		}
		r, err := CheckAnchor(ctx, l, pages(lines, 7))
		if err != nil || r.Break == nil || r.Break.Seq != 40 || !strings.Contains(r.Break.Error(), "holds it with hash "+l.hashes[40]) {
			t.Fatalf("%+v %v", r.Break, err)
		}
	})
	t.Run("record missing", func(t *testing.T) {
		l, lines := newMemLog(50)
		delete(l.hashes, 12)
		r, _ := CheckAnchor(ctx, l, pages(lines, 999))
		if r.Break == nil || r.Break.Seq != 12 || !strings.Contains(r.Break.Error(), "the log lacks it") {
			t.Fatalf("%+v", r.Break)
		}
	})
	t.Run("channel contradicts itself", func(t *testing.T) {
		l, lines := newMemLog(10)
		forged := auditLine(store.Record{Seq: 4, Hash: hashOf(99), Event: store.Event{Event: "outcome"}})
		r, _ := CheckAnchor(ctx, l, pages(append([]string{forged}, lines...), 999))
		if r.Break == nil || r.Break.Seq != 4 {
			t.Fatalf("%+v", r.Break)
		}
	})
	t.Run("repeats and a channel behind the log", func(t *testing.T) {
		l, lines := newMemLog(30)
		l.head, l.hashes[31] = 31, hashOf(31) // one record not delivered yet
		r, err := CheckAnchor(ctx, l, pages(append(lines, lines...), 999))
		if err != nil || r.Break != nil || r.Lines != 60 || r.Highest != 30 || r.Head != 31 {
			t.Fatalf("%+v %v", r, err)
		}
	})
	t.Run("history error", func(t *testing.T) {
		l, _ := newMemLog(3)
		boom := errors.New("not_in_channel")
		_, err := CheckAnchor(ctx, l, func(context.Context, func([]string) error) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
	})
}
