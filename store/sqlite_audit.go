package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

func (s *sqliteStore) AppendAudit(ctx context.Context, e Event) (Record, error) {
	e, err := prepareEvent(e, s.now)
	if err != nil {
		return Record{}, err
	}
	// Immediate (see sqliteParams): reading the head and writing after it is
	// one step for every process on the file, so the chain stays linear.
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return Record{}, fmt.Errorf("store: append audit: %w", err)
	}
	defer tx.Rollback()
	var (
		seq  int64
		prev string
	)
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &prev); err != nil {
		return Record{}, fmt.Errorf("store: append audit: read chain head: %w", err)
	}
	r := seal(seq+1, prev, e)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit
		(seq, time, event, request_id, actor, target, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, micros(r.Time), r.Event.Event, r.RequestID, r.Actor, r.Target, r.Detail, r.PrevHash, r.Hash); err != nil {
		return Record{}, fmt.Errorf("store: append audit: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, r.Seq, r.Hash); err != nil {
		return Record{}, fmt.Errorf("store: append audit: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Record{}, fmt.Errorf("store: append audit: %w", err)
	}
	return r, nil
}

const auditColumns = `seq, time, event, request_id, actor, target, detail, prev_hash, hash`

func (s *sqliteStore) AuditTrail(ctx context.Context, requestID string) ([]Record, error) {
	requestID = cleanText(requestID)
	rows, err := s.r.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit WHERE request_id = ? ORDER BY seq`, requestID)
	if err != nil {
		return nil, fmt.Errorf("store: audit trail of %q: %w", requestID, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("store: audit trail of %q: %w", requestID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit trail of %q: %w", requestID, err)
	}
	return out, nil
}

func (s *sqliteStore) VerifyAudit(ctx context.Context) (int, error) {
	// One read transaction: the head and the records come from the same
	// snapshot, so appends racing the check are not mistaken for tampering.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("store: verify audit: %w", err)
	}
	defer tx.Rollback()
	var (
		headSeq  int64
		headHash string
	)
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, &ChainError{Reason: "the chain head is missing"}
	}
	if err != nil {
		return 0, fmt.Errorf("store: verify audit: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY seq`)
	if err != nil {
		return 0, fmt.Errorf("store: verify audit: %w", err)
	}
	defer rows.Close()
	c := newChainCheck()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return int(c.n), fmt.Errorf("store: verify audit: %w", err)
		}
		if cerr := c.next(r); cerr != nil {
			return int(c.n), cerr
		}
	}
	if err := rows.Err(); err != nil {
		return int(c.n), fmt.Errorf("store: verify audit: %w", err)
	}
	if cerr := c.end(headSeq, headHash); cerr != nil {
		return int(c.n), cerr
	}
	return int(c.n), nil
}

func scanRecord(rows *sql.Rows) (Record, error) {
	var (
		r  Record
		us int64
	)
	err := rows.Scan(&r.Seq, &us, &r.Event.Event, &r.RequestID, &r.Actor, &r.Target, &r.Detail, &r.PrevHash, &r.Hash)
	r.Time = fromMicros(us)
	return r, err
}
