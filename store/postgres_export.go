package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ExportAudit reads in a REPEATABLE READ, READ ONLY transaction, as
// VerifyAudit does, so the export is one snapshot however long it takes and
// works on a store opened with OpenExisting. pgx hands rows over as they
// arrive from the server, so memory does not grow with the log.
func (s *pgStore) ExportAudit(ctx context.Context, since time.Time, fn func(Record) error) error {
	// Closing rows part-way reads the rest of the result to the end, which for
	// a long log stopped early (a closed pipe) is a needless wait. Cancelling
	// ctx first makes pgx drop the connection instead; the pool replaces it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("store: export audit: %w", err)
	}
	defer tx.Rollback(ctx) // read-only: nothing to commit
	q, args := `SELECT `+auditColumns+` FROM audit ORDER BY seq`, []any(nil)
	if !since.IsZero() {
		q, args = `SELECT `+auditColumns+` FROM audit WHERE time >= $1 ORDER BY seq`, []any{time.UnixMicro(sinceMicros(since)).UTC()}
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: export audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanPGRecord(rows)
		if err != nil {
			return fmt.Errorf("store: export audit: %w", err)
		}
		if err := fn(r); err != nil {
			cancel()
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export audit: %w", err)
	}
	return nil
}

func (s *pgStore) AuditHead(ctx context.Context) (int64, string, error) {
	var (
		seq  int64
		hash string
	)
	err := s.pool.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", &ChainError{Reason: "the chain head is missing"}
	}
	if err != nil {
		return 0, "", fmt.Errorf("store: audit head: %w", err)
	}
	return seq, hash, nil
}

func (s *pgStore) AuditHashes(ctx context.Context, seqs []int64) (map[int64]string, error) {
	if err := checkAuditHashes(seqs); err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(seqs))
	if len(seqs) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, hash FROM audit WHERE seq = ANY($1)`, seqs)
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
