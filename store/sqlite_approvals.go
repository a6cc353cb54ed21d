package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// sqliteSchemaV5 is sqliteMigrations[4]: the approvals of requests that
// need several (Quorum). The key is what counts an approver once; as for
// bulk_jobs, REFERENCES is not enforced, and Approve reads the request
// before it writes.
const sqliteSchemaV5 = `
CREATE TABLE approvals (
	request_id TEXT NOT NULL REFERENCES requests (id),
	approver   TEXT NOT NULL,
	at         INTEGER NOT NULL,  -- Unix microseconds, UTC
	PRIMARY KEY (request_id, approver)
) WITHOUT ROWID;
`

func (s *sqliteStore) Approve(ctx context.Context, id, approver string, need int, c Change) (Request, []Approval, Record, error) {
	a, err := prepareApproval(id, approver, need, c, s.now)
	if err != nil {
		return Request{}, nil, Record{}, err
	}
	a.d.sign = s.signer
	if a.d.audit != nil {
		a.d.turn = s.turn.take(s.signer, *a.d.audit)
		defer a.d.turn.release()
	}
	var (
		r   Request
		as  []Approval
		rec Record
	)
	// The transaction is immediate (see sqliteParams): it holds the write
	// lock from BEGIN, so from the read of the request to the commit no
	// other writer, in this process or another on the file, can change the
	// request or its approvals. The count is then the count at the commit.
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = scanRequest(tx.QueryRowContext(ctx, `SELECT `+sqliteRequest+` FROM requests WHERE id = ?`, a.id))
		if errors.Is(err, sql.ErrNoRows) {
			return a.notFound()
		}
		if err != nil {
			return err
		}
		if err := a.check(r); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO approvals (request_id, approver, at, sig) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, a.id, a.approver, micros(a.c.At), a.c.ApprovalSig)
		if err != nil {
			return fmt.Errorf("record approval: %w", err)
		}
		added, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("record approval: %w", err)
		}
		if as, err = sqliteApprovals(ctx, tx, a.id); err != nil {
			return err
		}
		if added == 0 {
			return a.duplicate()
		}
		to, c, d := a.step(len(as))
		next, err := sqliteCAS(ctx, tx, a.id, StatePending, to, c)
		if errors.Is(err, errLost) {
			return casConflict(r, StatePending) // cannot happen with the lock held
		}
		if err != nil {
			return err
		}
		r = next
		rec, err = sqliteDecided(ctx, tx, a.id, d, a.c.At)
		return err
	})
	return a.result(r, as, rec, err)
}

func (s *sqliteStore) Approvals(ctx context.Context, id string) ([]Approval, error) {
	as, err := sqliteApprovals(ctx, s.r, cleanText(id))
	if err != nil {
		return nil, fmt.Errorf("store: approvals of %q: %w", id, err)
	}
	return as, nil
}

// sqliteApprovals reads request id's approvals, oldest first, on the reading
// handle or in a transaction. Approvers that tie on time are in byte order,
// as PostgreSQL is asked to put them.
func sqliteApprovals(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, id string) ([]Approval, error) {
	rows, err := q.QueryContext(ctx, `SELECT approver, at, sig FROM approvals WHERE request_id = ? ORDER BY at, approver`, id)
	if err != nil {
		return nil, fmt.Errorf("read approvals: %w", err)
	}
	defer rows.Close()
	var out []Approval
	for rows.Next() {
		var (
			ap Approval
			at int64
		)
		if err := rows.Scan(&ap.Approver, &at, &ap.Sig); err != nil {
			return nil, fmt.Errorf("read approvals: %w", err)
		}
		ap.At = fromMicros(at)
		out = append(out, ap)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read approvals: %w", err)
	}
	return out, nil
}
