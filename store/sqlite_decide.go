package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// errLost marks, inside a transaction, a compare-and-set that matched no
// row, so that the transaction is rolled back and the caller reads why.
var errLost = errors.New("store: compare-and-set lost")

func (s *sqliteStore) Transition(ctx context.Context, id string, from, to State, c Change) (Request, error) {
	r, _, err := s.Decide(ctx, id, from, to, c)
	return r, err
}

func (s *sqliteStore) Decide(ctx context.Context, id string, from, to State, c Change) (Request, Record, error) {
	if err := checkTransition(id, from, to); err != nil {
		return Request{}, Record{}, err
	}
	id, c = cleanText(id), prepareChange(c, s.now)
	d, err := prepareDecision(c)
	if err != nil {
		return Request{}, Record{}, err
	}
	d.sign = s.signer
	if d.audit != nil {
		d.turn = s.turn.take(s.signer, *d.audit)
		defer d.turn.release()
	}
	var (
		r   Request
		rec Record
	)
	// One immediate transaction (see sqliteParams) for the state, its record,
	// its messages and its job: all of them or none.
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if r, err = sqliteCAS(ctx, tx, id, from, to, c); err != nil {
			return err
		}
		rec, err = sqliteDecided(ctx, tx, id, d, c.At)
		return err
	})
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

// sqliteCAS is the compare-and-set of Decide and Approve: it moves request
// id from `from` to `to` with c's fields, which prepareChange made, only if
// it is in `from` and, when c.Unexpired, its ExpiresAt is after c.At. It
// returns errLost when the request is not so. The WHERE clause is the
// compare; RETURNING reads the row the same statement wrote, so no other
// change can slip in between.
func sqliteCAS(ctx context.Context, tx *sql.Tx, id string, from, to State, c Change) (Request, error) {
	r, err := scanRequest(tx.QueryRowContext(ctx, `UPDATE requests
		SET state = ?, decided_by = COALESCE(NULLIF(?, ''), decided_by),
			detail = COALESCE(NULLIF(?, ''), detail), updated_at = ?,
			decision_sig = COALESCE(NULLIF(?, ''), decision_sig),
			requester = COALESCE(NULLIF(?, ''), requester), sig = COALESCE(NULLIF(?, ''), sig)
		WHERE id = ? AND state = ? AND (? = 0 OR expires_at IS NULL OR expires_at > ?)
		RETURNING `+sqliteRequest, to, c.DecidedBy, c.Detail, micros(c.At), c.Sig, c.Requester, c.RequestSig, id, from, c.Unexpired, micros(c.At)))
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, errLost
	}
	return r, err
}

// sqliteDecided writes, in tx and after a won compare-and-set of request id,
// what the change carries besides the state: d's record, its messages (which
// tell of that record) and, when d.job, the request's bulk job, all created
// at `at`. It returns the record, zero without one.
func sqliteDecided(ctx context.Context, tx *sql.Tx, id string, d decision, at time.Time) (Record, error) {
	var (
		rec Record
		err error
	)
	if d.audit != nil {
		if rec, err = sqliteAppend(ctx, tx, *d.audit, d.sign, d.turn); err != nil {
			return Record{}, fmt.Errorf("append audit: %w", err)
		}
	}
	if err := sqliteInsertTells(ctx, tx, d.tells, rec.Seq, at); err != nil {
		return Record{}, fmt.Errorf("tell: %w", err)
	}
	if d.job {
		// The job of a request that has one already is that one: a
		// decision retried after a crash must not fail on it.
		if _, err := tx.ExecContext(ctx, sqliteNewJob+` ON CONFLICT DO NOTHING`, micros(at), id); err != nil {
			return Record{}, fmt.Errorf("create job: %w", err)
		}
	}
	return rec, nil
}

// casConflict explains a lost compare-and-set with the request as it is now.
func casConflict(cur Request, from State) error {
	if cur.State == from {
		return fmt.Errorf("request %q expired at %s: %w", cur.ID, cur.ExpiresAt.Format(time.RFC3339), ErrConflict)
	}
	return fmt.Errorf("request %q is %s, not %s: %w", cur.ID, cur.State, from, ErrConflict)
}

// sqliteAppend appends e, which prepareEvent made, to the chain. tx must be
// immediate (see sqliteParams): reading the head and writing after it is
// then one step for every process on the file, so the chain stays linear.
func sqliteAppend(ctx context.Context, tx *sql.Tx, e Event, sign Signer, t *turn) (Record, error) {
	var (
		seq  int64
		prev string
	)
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &prev); err != nil {
		return Record{}, fmt.Errorf("read chain head: %w", err)
	}
	r := chain(seq+1, prev, e)
	r.KeyID, r.Sig = t.signed(sign, r.Hash)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit
		(`+auditColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, micros(r.Time), r.Event.Event, r.RequestID, r.Actor, r.Target, r.Detail, r.PrevHash, r.Hash, r.KeyID, r.Sig); err != nil {
		return Record{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, r.Seq, r.Hash); err != nil {
		return Record{}, err
	}
	t.inserted(r) // a commit that then fails only spoils the next appender's guess
	return r, nil
}

// sqliteInsertTells puts tells, which prepareTells made, in the outbox. The
// numbers follow the order of the writes because SQLite has one writer at a
// time: a message can never become visible before an earlier one of its key.
func sqliteInsertTells(ctx context.Context, tx *sql.Tx, tells []Tell, auditSeq int64, at time.Time) error {
	if len(tells) == 0 {
		return nil
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO outbox
		(kind, order_key, request_id, channel, audit_seq, attempts, next_at, owner, lease_until, last_error, created_at)
		VALUES (?, ?, ?, ?, ?, 0, NULL, '', NULL, '', ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, t := range tells {
		if _, err := ins.ExecContext(ctx, t.Kind, t.Key, t.RequestID, t.Channel, auditSeq, micros(at)); err != nil {
			return err
		}
	}
	return nil
}
