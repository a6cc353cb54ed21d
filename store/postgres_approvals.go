package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgSchemaV5 is pgMigrations[4]: the approvals of requests that need
// several (Quorum). The key is what counts an approver once, whatever
// replica writes it; approver is COLLATE "C" so that ties on time come out
// in byte order, as on SQLite.
const pgSchemaV5 = `
CREATE TABLE approvals (
	request_id text NOT NULL REFERENCES requests (id),
	approver   text COLLATE "C" NOT NULL,
	at         timestamptz NOT NULL,
	PRIMARY KEY (request_id, approver)
);
`

func (s *pgStore) Approve(ctx context.Context, id, approver string, need int, c Change) (Request, []Approval, Record, error) {
	a, err := prepareApproval(id, approver, need, c, s.now)
	if err != nil {
		return Request{}, nil, Record{}, err
	}
	a.d.sign = s.signer
	var (
		r   Request
		as  []Approval
		rec Record
	)
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		// FOR UPDATE queues every Approve of the request, and every Decide
		// (whose UPDATE takes the same lock), on its row until this
		// transaction ends. Under READ COMMITTED the next one then reads the
		// row as this one left it, and each later statement sees the
		// approvals this one committed: the check and the count below are
		// those at the commit, so two approvals at once are both counted and
		// only the one that makes need moves the request. The locks are
		// taken in Decide's order: the request, then the chain head, then
		// the outbox head.
		rs, err := pgRequests(ctx, tx, `SELECT `+pgRequest+` FROM requests WHERE id = $1 FOR UPDATE OF requests`, a.id)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return a.notFound()
		}
		r = rs[0]
		if err := a.check(r); err != nil {
			return err
		}
		// DO NOTHING rather than a unique violation, which would abort the
		// transaction before the approvals so far could be read for the caller.
		tag, err := tx.Exec(ctx, `INSERT INTO approvals (request_id, approver, at, sig) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, a.id, a.approver, a.c.At, a.c.ApprovalSig)
		if err != nil {
			return fmt.Errorf("record approval: %w", err)
		}
		if as, err = pgApprovals(ctx, tx, a.id); err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return a.duplicate()
		}
		to, c, d := a.step(len(as))
		next, err := pgCAS(ctx, tx, a.id, StatePending, to, c)
		if errors.Is(err, errLost) {
			return casConflict(r, StatePending) // cannot happen with the row locked
		}
		if err != nil {
			return err
		}
		r = next
		rec, err = pgDecided(ctx, tx, a.id, d, a.c.At)
		return err
	})
	return a.result(r, as, rec, err)
}

func (s *pgStore) Approvals(ctx context.Context, id string) ([]Approval, error) {
	as, err := pgApprovals(ctx, s.pool, cleanText(id))
	if err != nil {
		return nil, fmt.Errorf("store: approvals of %q: %w", id, err)
	}
	return as, nil
}

// pgApprovals reads request id's approvals, oldest first, on the pool or in
// a transaction.
func pgApprovals(ctx context.Context, q pgQuerier, id string) ([]Approval, error) {
	rows, err := q.Query(ctx, `SELECT approver, at, sig FROM approvals WHERE request_id = $1 ORDER BY at, approver`, id)
	if err != nil {
		return nil, fmt.Errorf("read approvals: %w", err)
	}
	as, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Approval, error) {
		var (
			ap Approval
			at time.Time
		)
		err := row.Scan(&ap.Approver, &at, &ap.Sig)
		// pgx returns timestamptz in the local zone; the store promises UTC.
		ap.At = at.UTC()
		return ap, err
	})
	if err != nil {
		return nil, fmt.Errorf("read approvals: %w", err)
	}
	return as, nil
}
