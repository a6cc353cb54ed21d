package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

func (s *pgStore) AppendAudit(ctx context.Context, e Event, tell ...Tell) (Record, error) {
	e, err := prepareEvent(e, s.now)
	if err != nil {
		return Record{}, err
	}
	tells, err := prepareTells(tell, true)
	if err != nil {
		return Record{}, err
	}
	var r Record
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		var err error
		if r, err = pgAppend(ctx, tx, e, s.signer); err != nil {
			return err
		}
		return pgInsertTells(ctx, tx, tells, r.Seq, r.Time)
	})
	if err != nil {
		return Record{}, fmt.Errorf("store: append audit: %w", err)
	}
	return r, nil
}

func (s *pgStore) AuditRecord(ctx context.Context, seq int64) (Record, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit WHERE seq = $1`, seq)
	if err != nil {
		return Record{}, fmt.Errorf("store: audit record %d: %w", seq, err)
	}
	rs, err := pgx.CollectRows(rows, scanPGRecord)
	switch {
	case err != nil:
		return Record{}, fmt.Errorf("store: audit record %d: %w", seq, err)
	case len(rs) == 0:
		return Record{}, fmt.Errorf("audit record %d: %w", seq, ErrNotFound)
	}
	return rs[0], nil
}

func (s *pgStore) AuditTrail(ctx context.Context, requestID string) ([]Record, error) {
	requestID = cleanText(requestID)
	rows, err := s.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit WHERE request_id = $1 ORDER BY seq`, requestID)
	if err != nil {
		return nil, fmt.Errorf("store: audit trail of %q: %w", requestID, err)
	}
	out, err := pgx.CollectRows(rows, scanPGRecord)
	if err != nil {
		return nil, fmt.Errorf("store: audit trail of %q: %w", requestID, err)
	}
	return out, nil
}

func (s *pgStore) VerifyAudit(ctx context.Context, keys Checker) (Verified, error) {
	var v Verified
	// REPEATABLE READ: the head and the records come from one snapshot, so
	// appends racing the check are not mistaken for tampering.
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		var (
			headSeq  int64
			headHash string
		)
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash)
		if errors.Is(err, pgx.ErrNoRows) {
			return &ChainError{Reason: "the chain head is missing"}
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		c := newChainCheck(keys)
		defer func() { v = c.verified() }()
		for rows.Next() {
			r, err := scanPGRecord(rows)
			if err != nil {
				return err
			}
			if cerr := c.next(r); cerr != nil {
				return cerr
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if cerr := c.end(headSeq, headHash); cerr != nil {
			return cerr
		}
		return nil
	})
	if _, ok := errors.AsType[*ChainError](err); ok || err == nil {
		return v, err
	}
	return v, fmt.Errorf("store: verify audit: %w", err)
}

func scanPGRecord(row pgx.CollectableRow) (Record, error) {
	var r Record
	err := row.Scan(&r.Seq, &r.Time, &r.Event.Event, &r.RequestID, &r.Actor, &r.Target, &r.Detail, &r.PrevHash, &r.Hash, &r.KeyID, &r.Sig)
	r.Time = r.Time.UTC()
	return r, err
}
