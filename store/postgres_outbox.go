package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgSchemaV4 is pgMigrations[3]: the outbox and tasks.
//
// The outbox is numbered from outbox_head, not from a sequence. A sequence
// hands numbers out in one order and its writers may commit in another, so
// a claim could see message 2 of a key before message 1 committed and send
// them out of order. Every write of messages updates the head row instead
// and keeps it locked until commit, so messages become visible in the order
// of their numbers, as on SQLite, whose writers take turns anyway.
const pgSchemaV4 = `
CREATE TABLE outbox_head (
	id  integer PRIMARY KEY CHECK (id = 1),
	seq bigint NOT NULL               -- the last number handed out
);
INSERT INTO outbox_head (id, seq) VALUES (1, 0);
-- Messages still to be delivered; a delivered one is deleted.
CREATE TABLE outbox (
	seq         bigint PRIMARY KEY,
	kind        text NOT NULL,
	order_key   text COLLATE "C" NOT NULL, -- only compared for equality
	request_id  text NOT NULL,
	channel     text NOT NULL,
	audit_seq   bigint NOT NULL,          -- 0: none
	attempts    integer NOT NULL,
	next_at     timestamptz,              -- NULL: at once
	owner       text NOT NULL,            -- '' when nobody holds the lease
	lease_until timestamptz,              -- NULL: no lease
	last_error  text NOT NULL,
	created_at  timestamptz NOT NULL
);
-- The first message of a key, for the claim.
CREATE INDEX outbox_key ON outbox (order_key, seq);
CREATE TABLE tasks (
	id          text PRIMARY KEY,
	kind        text NOT NULL,
	request_id  text NOT NULL,
	state       bytea,                    -- NULL: no checkpoint yet
	owner       text NOT NULL,            -- '' when nobody holds the lease
	lease_until timestamptz,              -- NULL: no lease
	done        boolean NOT NULL,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);
CREATE INDEX tasks_open ON tasks (kind, created_at, id COLLATE "C") WHERE NOT done;
`

func (s *pgStore) Enqueue(ctx context.Context, tells ...Tell) error {
	tells, err := prepareTells(tells, false)
	if err != nil || len(tells) == 0 {
		return err
	}
	if err := pgInsertTells(ctx, s.pool, tells, 0, utc(s.now())); err != nil {
		return fmt.Errorf("store: enqueue: %w", err)
	}
	return nil
}

func (s *pgStore) ClaimMessages(ctx context.Context, owner string, now, until time.Time, limit int) ([]Message, error) {
	owner, now, until, err := prepareMessageClaim(owner, now, until, limit, s.now)
	if err != nil || limit == 0 {
		return nil, err
	}
	// The subquery picks and locks the messages; SKIP LOCKED passes over
	// those another claim (or a Delivered, a Retry) has locked, so claimers
	// on several connections do not queue behind each other. A row that
	// changed after this statement's snapshot is locked as it is now and
	// re-checked: one another claimer took in the meantime has a live lease
	// and drops out, so no message is claimed twice. The snapshot may be
	// older than the newest deliveries, which only means the next message
	// of such a key waits for the next claim: a key's later message is only
	// chosen when the snapshot holds no earlier one, and earlier ones are
	// always committed first (see pgSchemaV4).
	rows, err := s.pool.Query(ctx, `UPDATE outbox SET owner = $1, lease_until = $2
		WHERE seq IN (SELECT f.seq FROM outbox f WHERE `+fmt.Sprintf(firstOfKey, "$3", "$1")+`
			ORDER BY f.seq LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING `+messageColumns, owner, until, now, limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim messages: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanPGMessage)
	if err != nil {
		return nil, fmt.Errorf("store: claim messages: %w", err)
	}
	if len(out) == 0 {
		return nil, nil // as on SQLite
	}
	slices.SortFunc(out, func(a, b Message) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

func (s *pgStore) Delivered(ctx context.Context, seq int64, owner string) error {
	owner = cleanText(owner)
	tag, err := s.pool.Exec(ctx, `DELETE FROM outbox WHERE seq = $1 AND owner = $2 AND owner <> ''`, seq, owner)
	return s.messageWrite(ctx, "deliver", seq, owner, tag, err)
}

func (s *pgStore) Retry(ctx context.Context, seq int64, owner string, next time.Time, lastErr string) error {
	owner, lastErr = cleanText(owner), cleanText(lastErr)
	tag, err := s.pool.Exec(ctx, `UPDATE outbox
		SET attempts = attempts + 1, next_at = $3, owner = '', lease_until = NULL, last_error = $4
		WHERE seq = $1 AND owner = $2 AND owner <> ''`, seq, owner, nullTime(utc(next)), lastErr)
	return s.messageWrite(ctx, "retry", seq, owner, tag, err)
}

// messageWrite turns the result of a fenced write of message seq into its
// error, as on SQLite.
func (s *pgStore) messageWrite(ctx context.Context, what string, seq int64, owner string, tag pgconn.CommandTag, err error) error {
	if err != nil {
		return fmt.Errorf("store: %s message %d: %w", what, seq, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var holder string
	err = s.pool.QueryRow(ctx, `SELECT owner FROM outbox WHERE seq = $1`, seq).Scan(&holder)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("store: %s message %d: %w", what, seq, err)
	}
	return messageConflict(seq, owner, holder, err == nil)
}

func (s *pgStore) OutboxPending(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count outbox: %w", err)
	}
	return n, nil
}

func scanPGMessage(row pgx.CollectableRow) (Message, error) {
	var (
		m           Message
		next, lease *time.Time
	)
	err := row.Scan(&m.Seq, &m.Kind, &m.Key, &m.RequestID, &m.Channel, &m.AuditSeq, &m.Attempts,
		&next, &m.Owner, &lease, &m.LastError, &m.CreatedAt)
	// pgx returns timestamptz in the local zone; the store promises UTC.
	m.CreatedAt = m.CreatedAt.UTC()
	if next != nil {
		m.NextAt = next.UTC()
	}
	if lease != nil {
		m.LeaseUntil = lease.UTC()
	}
	return m, err
}
