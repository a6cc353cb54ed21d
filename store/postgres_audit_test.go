package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// TestPostgresTamper alters the tables behind the store's back, as someone
// with database access would, and expects VerifyAudit to name the first
// broken record, in the same words as for SQLite.
func TestPostgresTamper(t *testing.T) {
	for _, c := range []struct {
		name    string
		tamper  []string
		rehash  []int64 // records the attacker re-hashes after the change
		wantSeq int64
		reason  string
	}{
		{"changed field", []string{`UPDATE audit SET actor = 'U0EVIL' WHERE seq = 3`}, nil, 3, "hash does not match its content"},
		{"changed time", []string{`UPDATE audit SET time = time + interval '1 microsecond' WHERE seq = 2`}, nil, 2, "hash does not match its content"},
		{"deleted middle", []string{`DELETE FROM audit WHERE seq = 3`}, nil, 3, "missing"},
		{"deleted first", []string{`DELETE FROM audit WHERE seq = 1`}, nil, 1, "missing"},
		{"deleted newest", []string{`DELETE FROM audit WHERE seq >= 4`}, nil, 4, "missing: the log ends at record 3 but its head says 5"},
		{"truncated", []string{`TRUNCATE audit`}, nil, 1, "missing: the log ends at record 0 but its head says 5"},
		{"re-hashed altered record", []string{`UPDATE audit SET detail = 'nothing happened' WHERE seq = 3`}, []int64{3}, 4, "previous hash does not match the record before it"},
		{"swapped order", []string{
			`UPDATE audit SET seq = -2 WHERE seq = 2`, `UPDATE audit SET seq = 2 WHERE seq = 3`, `UPDATE audit SET seq = 3 WHERE seq = -2`,
		}, nil, 2, "previous hash does not match the record before it"},
		{"inserted middle", []string{
			`UPDATE audit SET seq = seq + 10 WHERE seq >= 4`, `UPDATE audit SET seq = seq - 9 WHERE seq >= 14`,
			`INSERT INTO audit SELECT 4, time, 'cancelled', request_id, actor, target, detail, hash, '', '', '' FROM audit WHERE seq = 3`,
		}, []int64{4}, 5, "previous hash does not match the record before it"},
		{"appended without the head", []string{
			`INSERT INTO audit SELECT 6, time, event, request_id, actor, target, detail, hash, '', '', '' FROM audit WHERE seq = 5`,
		}, []int64{6}, 6, "not in the chain head, which ends at record 5"},
		{"head removed", []string{`DELETE FROM audit_head`}, nil, 0, "the chain head is missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			dsn, _ := pgSchema(t)
			s := openPG(t, dsn)
			for i := range 5 {
				if _, err := s.AppendAudit(ctx, store.Event{Time: time.Unix(1710425366, int64(i)*1000), Event: "requested",
					RequestID: "r1", Actor: "U01", Target: "alice@contoso.com", Detail: fmt.Sprint("step ", i)}); err != nil {
					t.Fatal(err)
				}
			}
			// The triggers only stop slips; an attacker drops them first.
			pgExec(t, dsn, append([]string{`DROP TRIGGER audit_no_update ON audit`, `DROP TRIGGER audit_no_delete ON audit`,
				`DROP TRIGGER audit_no_truncate ON audit`}, c.tamper...)...)
			for _, seq := range c.rehash {
				pgRehash(t, dsn, seq)
			}
			_, err := s.VerifyAudit(ctx, nil)
			var ce *store.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("VerifyAudit = %v, want a *ChainError", err)
			}
			if ce.Seq != c.wantSeq || ce.Reason != c.reason {
				t.Errorf("VerifyAudit = %q, want record %d: %s", err, c.wantSeq, c.reason)
			}
		})
	}
}

// pgRehash recomputes one record's hash from the documentation alone.
func pgRehash(t *testing.T, dsn string, seq int64) {
	t.Helper()
	c := pgConn(t, dsn)
	var (
		at                                            time.Time
		event, reqID, actor, target, detail, prevHash string
	)
	if err := c.QueryRow(context.Background(), `SELECT time, event, request_id, actor, target, detail, prev_hash FROM audit WHERE seq = $1`, seq).
		Scan(&at, &event, &reqID, &actor, &target, &detail, &prevHash); err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, f := range []string{"revokebot-audit-v1", strconv.FormatInt(seq, 10), at.UTC().Format(time.RFC3339Nano),
		event, reqID, actor, target, detail, prevHash} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		h.Write([]byte(f))
	}
	if _, err := c.Exec(context.Background(), `UPDATE audit SET hash = $1 WHERE seq = $2`, hex.EncodeToString(h.Sum(nil)), seq); err != nil {
		t.Fatal(err)
	}
}

func TestPostgresAuditIsAppendOnlyInSQL(t *testing.T) {
	ctx := context.Background()
	dsn, _ := pgSchema(t)
	s := openPG(t, dsn)
	if _, err := s.AppendAudit(ctx, store.Event{Event: "requested"}); err != nil {
		t.Fatal(err)
	}
	c := pgConn(t, dsn)
	for _, q := range []string{`UPDATE audit SET actor = 'x'`, `DELETE FROM audit`, `TRUNCATE audit`} {
		if _, err := c.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want a refusal", q, err)
		}
	}
}
