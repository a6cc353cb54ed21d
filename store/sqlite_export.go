package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ExportAudit is one SELECT: SQLite runs a statement in one read
// transaction, which in WAL mode is a snapshot that appends do not disturb,
// and rows come from the b-tree one at a time as Next asks for them. It
// reads through s.r, which on a store opened with OpenExisting is read-only.
func (s *sqliteStore) ExportAudit(ctx context.Context, since time.Time, fn func(Record) error) error {
	q, args := `SELECT `+auditColumns+` FROM audit ORDER BY seq`, []any(nil)
	if !since.IsZero() {
		// No index on time: the filter reads the log once in Seq order, which
		// is the order an export wants anyway.
		q, args = `SELECT `+auditColumns+` FROM audit WHERE time >= ? ORDER BY seq`, []any{sinceMicros(since)}
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: export audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return fmt.Errorf("store: export audit: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export audit: %w", err)
	}
	return nil
}

func (s *sqliteStore) AuditHead(ctx context.Context) (int64, string, error) {
	var (
		seq  int64
		hash string
	)
	err := s.r.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", &ChainError{Reason: "the chain head is missing"}
	}
	if err != nil {
		return 0, "", fmt.Errorf("store: audit head: %w", err)
	}
	return seq, hash, nil
}

func (s *sqliteStore) AuditHashes(ctx context.Context, seqs []int64) (map[int64]string, error) {
	if err := checkAuditHashes(seqs); err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(seqs))
	if len(seqs) == 0 {
		return out, nil
	}
	args := make([]any, len(seqs))
	for i, seq := range seqs {
		args[i] = seq
	}
	marks := strings.Repeat(",?", len(seqs))[1:]
	rows, err := s.r.QueryContext(ctx, `SELECT seq, hash FROM audit WHERE seq IN (`+marks+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit hashes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq  int64
			hash string
		)
		if err := rows.Scan(&seq, &hash); err != nil {
			return nil, fmt.Errorf("store: audit hashes: %w", err)
		}
		out[seq] = hash
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit hashes: %w", err)
	}
	return out, nil
}
