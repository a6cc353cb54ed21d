package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// sqliteSchemaV4 is sqliteMigrations[3]: the outbox and tasks.
const sqliteSchemaV4 = `
-- Messages still to be delivered; a delivered one is deleted. AUTOINCREMENT
-- so that the number of a deleted message is never handed out again: a
-- late Delivered or Retry by an old owner then cannot hit a new message.
CREATE TABLE outbox (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL,
	order_key   TEXT NOT NULL,
	request_id  TEXT NOT NULL,
	channel     TEXT NOT NULL,
	audit_seq   INTEGER NOT NULL,  -- 0: none
	attempts    INTEGER NOT NULL,
	next_at     INTEGER,           -- Unix microseconds, UTC; NULL: at once
	owner       TEXT NOT NULL,     -- '' when nobody holds the lease
	lease_until INTEGER,           -- NULL: no lease
	last_error  TEXT NOT NULL,
	created_at  INTEGER NOT NULL
);
-- The first message of a key, for the claim.
CREATE INDEX outbox_key ON outbox (order_key, seq);
CREATE TABLE tasks (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	request_id  TEXT NOT NULL,
	state       BLOB,              -- NULL: no checkpoint yet
	owner       TEXT NOT NULL,     -- '' when nobody holds the lease
	lease_until INTEGER,           -- Unix microseconds, UTC; NULL: no lease
	done        INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX tasks_open ON tasks (kind, created_at, id) WHERE done = 0;
`

func (s *sqliteStore) Enqueue(ctx context.Context, tells ...Tell) error {
	tells, err := prepareTells(tells, false)
	if err != nil || len(tells) == 0 {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error { return sqliteInsertTells(ctx, tx, tells, 0, utc(s.now())) })
	if err != nil {
		return fmt.Errorf("store: enqueue: %w", err)
	}
	return nil
}

func (s *sqliteStore) ClaimMessages(ctx context.Context, owner string, now, until time.Time, limit int) ([]Message, error) {
	owner, now, until, err := prepareMessageClaim(owner, now, until, limit, s.now)
	if err != nil || limit == 0 {
		return nil, err
	}
	// One statement on the one write connection, inside SQLite's write lock
	// for other processes: the choice and the claim are one step, so two
	// claimers never take the same message. RETURNING gives no order.
	rows, err := s.w.QueryContext(ctx, `UPDATE outbox SET owner = ?1, lease_until = ?2
		WHERE seq IN (SELECT f.seq FROM outbox f WHERE `+fmt.Sprintf(firstOfKey, "?3", "?1")+`
			ORDER BY f.seq LIMIT ?4)
		RETURNING `+messageColumns, owner, micros(until), micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("store: claim messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claim messages: %w", err)
	}
	slices.SortFunc(out, func(a, b Message) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

func (s *sqliteStore) Delivered(ctx context.Context, seq int64, owner string) error {
	owner = cleanText(owner)
	res, err := s.w.ExecContext(ctx, `DELETE FROM outbox WHERE seq = ? AND owner = ? AND owner <> ''`, seq, owner)
	return s.messageWrite(ctx, "deliver", seq, owner, res, err)
}

func (s *sqliteStore) Retry(ctx context.Context, seq int64, owner string, next time.Time, lastErr string) error {
	owner, lastErr = cleanText(owner), cleanText(lastErr)
	res, err := s.w.ExecContext(ctx, `UPDATE outbox
		SET attempts = attempts + 1, next_at = ?, owner = '', lease_until = NULL, last_error = ?
		WHERE seq = ? AND owner = ? AND owner <> ''`, nullMicros(utc(next)), lastErr, seq, owner)
	return s.messageWrite(ctx, "retry", seq, owner, res, err)
}

// messageWrite turns the result of a fenced write of message seq into its
// error: ErrConflict, saying who holds it now, when no row matched.
func (s *sqliteStore) messageWrite(ctx context.Context, what string, seq int64, owner string, res sql.Result, err error) error {
	if err != nil {
		return fmt.Errorf("store: %s message %d: %w", what, seq, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: %s message %d: %w", what, seq, err)
	} else if n == 1 {
		return nil
	}
	var holder string
	err = s.r.QueryRowContext(ctx, `SELECT owner FROM outbox WHERE seq = ?`, seq).Scan(&holder)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s message %d: %w", what, seq, err)
	}
	return messageConflict(seq, owner, holder, err == nil)
}

func (s *sqliteStore) OutboxPending(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count outbox: %w", err)
	}
	return n, nil
}

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var (
		m           Message
		next, lease sql.NullInt64
		created     int64
	)
	err := row.Scan(&m.Seq, &m.Kind, &m.Key, &m.RequestID, &m.Channel, &m.AuditSeq, &m.Attempts,
		&next, &m.Owner, &lease, &m.LastError, &created)
	if err != nil {
		return Message{}, err
	}
	m.CreatedAt = fromMicros(created)
	if next.Valid {
		m.NextAt = fromMicros(next.Int64)
	}
	if lease.Valid {
		m.LeaseUntil = fromMicros(lease.Int64)
	}
	return m, nil
}
