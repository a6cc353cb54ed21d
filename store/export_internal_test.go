package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/auditline"
	"github.com/revokebot/revokebot/signing"
)

// fixtureKey signs the fixtures' records, as the bot's key signs its own.
var fixtureKey = func() signing.Key {
	k, err := signing.Generate()
	if err != nil {
		panic(err)
	}
	return k
}()

// fillAudit makes a SQLite store at dir/audit.db holding n sealed records,
// written in one transaction: AppendAudit's one transaction a record would
// take minutes for the million the export benchmark needs.
func fillAudit(tb testing.TB, dir string, n int) string {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(dir, "audit.db")
	st, err := openSQLite(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	s := st.(*sqliteStore)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO audit (`+auditColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	defer ins.Close()
	t0 := time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)
	prev := genesisHash
	for i := range n {
		r := seal(int64(i+1), prev, Event{
			Time: t0.Add(time.Duration(i) * time.Millisecond), Event: "succeeded",
			RequestID: fmt.Sprintf("req-%07d", i/4), Actor: "U01AAAAAAA", Target: "alice@contoso.com",
			Detail: fmt.Sprintf("revoked sessions of %d users; <!channel> \"done\"", i%50),
		}, fixtureKey)
		if _, err := ins.ExecContext(ctx, r.Seq, micros(r.Time), r.Event.Event, r.RequestID, r.Actor, r.Target, r.Detail, r.PrevHash, r.Hash, r.KeyID, r.Sig); err != nil {
			tb.Fatal(err)
		}
		prev = r.Hash
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, n, prev); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestFillAuditVerifies: the benchmark's shortcut writes the chain that
// AppendAudit would, or its numbers would measure the wrong log.
func TestFillAuditVerifies(t *testing.T) {
	s, err := OpenExisting(context.Background(), "sqlite:"+fillAudit(t, t.TempDir(), 100))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.VerifyAudit(context.Background(), signing.NewKeyring(fixtureKey.Public())); n.Records != 100 || n.Unsigned != 0 || err != nil {
		t.Fatalf("VerifyAudit of the filled store = %d, %v; want 100, nil", n, err)
	}
}

// TestAppendJSONStringMatchesEncodingJSON holds the hand-written escaper to
// encoding/json with HTML escaping off, byte for byte, including the invalid
// UTF-8 the store cleans away before it could reach it.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{"", "plain", `"quoted"`, `back\slash`, "<!channel> & <@U1> >", "\x00\x01\b\f\n\r\t\x1f\x7f",
		"ünïcødé 日本 🔑", "\u2028 and \u2029", "bad \xff\xfe utf-8 \xe2\x82", "\ufffd", "/slash/"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", " ", "\"", "\\", "\n", "\x00", "\x1b", "<", "&", "é", "\u2028", "\xff", "\xe2", "🔑", "\u007f"}
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := string(appendJSONString(nil, s)) + "\n"; got != want.String() {
			t.Errorf("appendJSONString(%q) = %s, encoding/json: %s", s, got, want.String())
		}
	}
}

// toJSONLine is the record as encoding/json would write it, for comparing
// with appendJSONLine; Line's field order is the format's key order.
func toJSONLine(r Record) auditline.Line {
	return auditline.Line{Seq: r.Seq, Time: r.Time.UTC().Format(time.RFC3339Nano), Event: r.Event.Event, RequestID: r.RequestID,
		Actor: r.Actor, Target: r.Target, Detail: r.Detail, PrevHash: r.PrevHash, Hash: r.Hash, KeyID: r.KeyID, Sig: r.Sig}
}

// TestAppendJSONLineMatchesEncodingJSON: a line is what encoding/json makes of
// the documented struct, so the format has one definition a reader can check.
func TestAppendJSONLineMatchesEncodingJSON(t *testing.T) {
	r := seal(7, genesisHash, Event{Time: time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.FixedZone("CET", 3600)),
		Event: "succeeded", RequestID: "r1", Actor: "U1", Target: "bob", Detail: "<!channel> \"x\"\n&"}, fixtureKey)
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(toJSONLine(r)); err != nil {
		t.Fatal(err)
	}
	if got := string(appendJSONLine(nil, r)); got != want.String() {
		t.Errorf("appendJSONLine = %s\nencoding/json:  %s", got, want.String())
	}
}

// BenchmarkEncodeLine compares the two ways to encode a line, which is why
// appendJSONLine exists.
func BenchmarkEncodeLine(b *testing.B) {
	r := seal(123456, genesisHash, Event{Time: time.Now(), Event: "succeeded", RequestID: "req-0012345",
		Actor: "U01AAAAAAA", Target: "alice@contoso.com", Detail: "revoked sessions of 12 users; <!channel> \"done\""}, fixtureKey)
	b.Run("append", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = appendJSONLine(buf[:0], r)
		}
	})
	b.Run("json.Encoder", func(b *testing.B) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for b.Loop() {
			buf.Reset()
			if err := enc.Encode(toJSONLine(r)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
