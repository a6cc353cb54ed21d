package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

func (s *sqliteStore) AppendAudit(ctx context.Context, e Event, tell ...Tell) (Record, error) {
	e, err := prepareEvent(e, s.now)
	if err != nil {
		return Record{}, err
	}
	tells, err := prepareTells(tell, true)
	if err != nil {
		return Record{}, err
	}
	t := s.turn.take(s.signer, e)
	defer t.release()
	var r Record
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if r, err = sqliteAppend(ctx, tx, e, s.signer, t); err != nil {
			return err
		}
		return sqliteInsertTells(ctx, tx, tells, r.Seq, r.Time)
	})
	if err != nil {
		return Record{}, fmt.Errorf("store: append audit: %w", err)
	}
	return r, nil
}

func (s *sqliteStore) AuditRecord(ctx context.Context, seq int64) (Record, error) {
	r, err := scanRecord(s.r.QueryRowContext(ctx, `SELECT `+auditColumns+` FROM audit WHERE seq = ?`, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("audit record %d: %w", seq, ErrNotFound)
	}
	if err != nil {
		return Record{}, fmt.Errorf("store: audit record %d: %w", seq, err)
	}
	return r, nil
}

const auditColumns = `seq, time, event, request_id, actor, target, detail, prev_hash, hash, key_id, sig`

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

func (s *sqliteStore) VerifyAudit(ctx context.Context, keys Checker) (Verified, error) {
	// One read transaction: the head and the records come from the same
	// snapshot, so appends racing the check are not mistaken for tampering.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Verified{}, fmt.Errorf("store: verify audit: %w", err)
	}
	defer tx.Rollback()
	var (
		headSeq  int64
		headHash string
	)
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash)
	if errors.Is(err, sql.ErrNoRows) {
		return Verified{}, &ChainError{Reason: "the chain head is missing"}
	}
	if err != nil {
		return Verified{}, fmt.Errorf("store: verify audit: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY seq`)
	if err != nil {
		return Verified{}, fmt.Errorf("store: verify audit: %w", err)
	}
	defer rows.Close()
	c := newChainCheck(keys)
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return c.verified(), fmt.Errorf("store: verify audit: %w", err)
		}
		if cerr := c.next(r); cerr != nil {
			return c.verified(), cerr
		}
	}
	if err := rows.Err(); err != nil {
		return c.verified(), fmt.Errorf("store: verify audit: %w", err)
	}
	if cerr := c.end(headSeq, headHash); cerr != nil {
		return c.verified(), cerr
	}
	return c.verified(), nil
}

func scanRecord(rows interface{ Scan(...any) error }) (Record, error) {
	var (
		r  Record
		us int64
	)
	err := rows.Scan(&r.Seq, &us, &r.Event.Event, &r.RequestID, &r.Actor, &r.Target, &r.Detail, &r.PrevHash, &r.Hash, &r.KeyID, &r.Sig)
	r.Time = fromMicros(us)
	return r, err
}
