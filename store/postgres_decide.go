package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgQuerier is what the pool and a transaction have in common, so that one
// statement serves a write on its own and one with more to write beside it.
type pgQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func (s *pgStore) Transition(ctx context.Context, id string, from, to State, c Change) (Request, error) {
	r, _, err := s.Decide(ctx, id, from, to, c)
	return r, err
}

func (s *pgStore) Decide(ctx context.Context, id string, from, to State, c Change) (Request, Record, error) {
	if err := checkTransition(id, from, to); err != nil {
		return Request{}, Record{}, err
	}
	id, c = cleanText(id), prepareChange(c, s.now)
	d, err := prepareDecision(c)
	d.sign = s.signer
	if err != nil {
		return Request{}, Record{}, err
	}
	var (
		r   Request
		rec Record
	)
	if d.audit == nil && len(d.tells) == 0 && !d.job {
		// Nothing else to write: one statement, without the round trips of
		// a transaction around it.
		r, err = pgCAS(ctx, s.pool, id, from, to, c)
	} else {
		// The request's row stays locked from the compare-and-set to the
		// commit, and the chain head and outbox head are taken after it, in
		// that order, as AppendAudit and Enqueue take them: no two writers
		// can wait for each other in a circle.
		err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
			var err error
			if r, err = pgCAS(ctx, tx, id, from, to, c); err != nil {
				return err
			}
			rec, err = pgDecided(ctx, tx, id, d, c.At)
			return err
		})
	}
	if err == nil {
		return r, rec, nil
	}
	if !errors.Is(err, errLost) {
		return Request{}, Record{}, fmt.Errorf("store: request %q %s -> %s: %w", id, from, to, err)
	}
	cur, err := s.Request(ctx, id)
	if err != nil {
		return Request{}, Record{}, err
	}
	return cur, Record{}, casConflict(cur, from)
}

// pgCAS is the compare-and-set of Decide and Approve, as sqliteCAS is
// SQLite's: request id moves from `from` to `to` with c's fields only if it
// is in `from` and, when c.Unexpired, unexpired at c.At; errLost when not.
// Under READ COMMITTED a second UPDATE of the same row waits for the first
// to commit and then re-checks the WHERE clause against the new row, so
// exactly one wins; RETURNING reads the row this statement wrote.
func pgCAS(ctx context.Context, q pgQuerier, id string, from, to State, c Change) (Request, error) {
	rs, err := pgRequests(ctx, q, `UPDATE requests
		SET state = $1, decided_by = COALESCE(NULLIF($2::text, ''), decided_by),
			detail = COALESCE(NULLIF($3::text, ''), detail), updated_at = $4,
			decision_sig = COALESCE(NULLIF($8::text, ''), decision_sig),
			requester = COALESCE(NULLIF($9::text, ''), requester), sig = COALESCE(NULLIF($10::text, ''), sig)
		WHERE id = $5 AND state = $6 AND (NOT $7::boolean OR expires_at IS NULL OR expires_at > $4)
		RETURNING `+pgRequest, string(to), c.DecidedBy, c.Detail, c.At, id, string(from), c.Unexpired, c.Sig, c.Requester, c.RequestSig)
	if err != nil {
		return Request{}, err
	}
	if len(rs) == 0 {
		return Request{}, errLost
	}
	return rs[0], nil
}

// pgDecided writes, in tx and after a won compare-and-set of request id,
// what the change carries besides the state, as sqliteDecided does: d's
// record, its messages and, when d.job, the bulk job. The request's row is
// locked already; the chain head and the outbox head are taken after it.
func pgDecided(ctx context.Context, tx pgx.Tx, id string, d decision, at time.Time) (Record, error) {
	var (
		rec Record
		err error
	)
	if d.audit != nil {
		if rec, err = pgAppend(ctx, tx, *d.audit, d.sign); err != nil {
			return Record{}, fmt.Errorf("append audit: %w", err)
		}
	}
	if err := pgInsertTells(ctx, tx, d.tells, rec.Seq, at); err != nil {
		return Record{}, fmt.Errorf("tell: %w", err)
	}
	if d.job {
		// As on SQLite: a job that exists already is left as it is.
		if _, err := tx.Exec(ctx, pgNewJob+` ON CONFLICT DO NOTHING`, id, at); err != nil {
			return Record{}, fmt.Errorf("create job: %w", err)
		}
	}
	return rec, nil
}

// pgAppend appends e, which prepareEvent made, to the chain inside tx.
func pgAppend(ctx context.Context, tx pgx.Tx, e Event, sign Signer) (Record, error) {
	var (
		seq  int64
		prev string
	)
	// FOR UPDATE queues every appender, in this process or another replica,
	// on the head row until this transaction ends; under READ COMMITTED the
	// next one then reads the head this one wrote, so the chain stays linear.
	err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE`).Scan(&seq, &prev)
	if err != nil {
		return Record{}, fmt.Errorf("read chain head: %w", err)
	}
	r := seal(seq+1, prev, e, sign)
	// One statement for both writes: the head row stays locked one round trip less.
	_, err = tx.Exec(ctx, `WITH head AS (UPDATE audit_head SET seq = $1, hash = $9 WHERE id = 1)
		INSERT INTO audit (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.Seq, r.Time, r.Event.Event, r.RequestID, r.Actor, r.Target, r.Detail, r.PrevHash, r.Hash, r.KeyID, r.Sig)
	if err != nil {
		return Record{}, err
	}
	return r, nil
}

// pgInsertTells puts tells, which prepareTells made, in the outbox, in one
// statement, on its own or in a transaction. The numbers come from
// outbox_head, whose row the statement updates and so keeps locked until
// commit: writers of messages commit in the order of their numbers (see
// pgSchemaV4).
func pgInsertTells(ctx context.Context, q pgQuerier, tells []Tell, auditSeq int64, at time.Time) error {
	if len(tells) == 0 {
		return nil
	}
	kinds, keys, reqs, chans := make([]string, len(tells)), make([]string, len(tells)), make([]string, len(tells)), make([]string, len(tells))
	for i, t := range tells {
		kinds[i], keys[i], reqs[i], chans[i] = string(t.Kind), t.Key, t.RequestID, t.Channel
	}
	_, err := q.Exec(ctx, `WITH head AS (
			UPDATE outbox_head SET seq = seq + $1 WHERE id = 1 RETURNING seq - $1 AS last
		)
		INSERT INTO outbox (`+messageColumns+`)
		SELECT head.last + t.ord, t.kind, t.order_key, t.request_id, t.channel, $6, 0, NULL, '', NULL, '', $7
		FROM head, unnest($2::text[], $3::text[], $4::text[], $5::text[])
			WITH ORDINALITY AS t (kind, order_key, request_id, channel, ord)`,
		int64(len(tells)), kinds, keys, reqs, chans, auditSeq, at)
	return err
}
