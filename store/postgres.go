package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgStore is the PostgreSQL backend. Several bots may share one database:
// compare-and-set is a single UPDATE, and the audit chain is serialised on its
// head row, so neither needs anything from the process around it.
//
// pgxpool bounds the connections (pool_max_conns in the URL, else the larger
// of 4 and the CPU count) and pings one that sat idle before reusing it.
type pgStore struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// pgMigrateLock is the pg_advisory_xact_lock key taken by every migration:
// "revokebo" in ASCII. It is one key for the whole database, so migrations of
// stores in different schemas wait for each other too, which costs nothing.
const pgMigrateLock int64 = 0x7265766f6b65626f

// openPostgres connects and creates or migrates the schema, or, when
// existing, checks that a current schema is there and opens it read-only.
func openPostgres(ctx context.Context, url string, existing bool) (Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx quotes the URL with the password masked on a best-effort basis,
		// and the errors it wraps may quote parts of it unmasked: say less.
		return nil, errors.New("store: postgres: malformed URL (not repeated here: it may hold a password)")
	}
	// The compare-and-set and the audit append are written for READ COMMITTED:
	// a waiting UPDATE or SELECT … FOR UPDATE then sees the row the winner
	// committed. A server defaulting to REPEATABLE READ would turn the lost
	// race into a serialisation error, and the migration's reads would not
	// see the schema another process made while this one waited for the lock.
	params := cfg.ConnConfig.RuntimeParams
	params["default_transaction_isolation"] = "read committed"
	if existing {
		// The server itself refuses writes, so `audit verify` cannot change what it checks.
		params["default_transaction_read_only"] = "on"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg) // connects on first use
	if err != nil {
		return nil, pgOpenError(err, cfg.ConnConfig.Password)
	}
	s := &pgStore{pool: pool, now: time.Now}
	if existing {
		err = s.checkSchema(ctx)
	} else {
		err = s.migrate(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, pgOpenError(err, cfg.ConnConfig.Password)
	}
	return s, nil
}

// pgOpenError prefixes err with the scheme. pgx's connection errors name the
// user, database and host, which an operator needs, but never the password;
// scrubbing it anyway does not rely on that staying true.
func pgOpenError(err error, password string) error {
	if password != "" && strings.Contains(err.Error(), password) {
		return errors.New("store: postgres: " + strings.ReplaceAll(err.Error(), password, "xxxxx"))
	}
	return fmt.Errorf("store: postgres: %w", err)
}

// pgMigrations[i] brings the schema from version i to i+1. Append only.
// Times are timestamptz, which keeps microseconds; the target is bytea so the
// bot's bytes come back exactly as given; trigger_id is empty when there is none,
// and only real trigger IDs are unique.
var pgMigrations = []string{`
CREATE TABLE requests (
	id             text PRIMARY KEY,
	kind           text NOT NULL,
	state          text NOT NULL,
	requester      text NOT NULL,
	channel        text NOT NULL,
	root_ts        text NOT NULL,
	trigger_id     text NOT NULL,
	needs_approval boolean NOT NULL,
	target         bytea,
	decided_by     text NOT NULL,
	detail         text NOT NULL,
	created_at     timestamptz NOT NULL,
	expires_at     timestamptz,          -- NULL: never
	updated_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX requests_trigger ON requests (trigger_id) WHERE trigger_id <> '';
CREATE INDEX requests_state ON requests (state, created_at);
CREATE INDEX requests_due ON requests (state, expires_at);
CREATE TABLE audit (
	seq        bigint PRIMARY KEY,
	time       timestamptz NOT NULL,
	event      text NOT NULL,
	request_id text NOT NULL,
	actor      text NOT NULL,
	target     text NOT NULL,
	detail     text NOT NULL,
	prev_hash  text NOT NULL,
	hash       text NOT NULL
);
CREATE INDEX audit_request ON audit (request_id, seq);
-- Guards against slips, not attackers (who can drop them): VerifyAudit is the real check.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
	$$ BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TABLE audit_head (
	id   integer PRIMARY KEY CHECK (id = 1),
	seq  bigint NOT NULL,
	hash text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '` + genesisHash + `');
`, `
CREATE TABLE bulk_jobs (
	request_id  text PRIMARY KEY REFERENCES requests (id),
	cursor      text NOT NULL,
	listed      boolean NOT NULL,
	owner       text NOT NULL,        -- '' when nobody holds the lease
	lease_until timestamptz,          -- NULL: no lease
	stop_by     text NOT NULL,        -- '' while not stopped
	stop_at     timestamptz,
	progress_ts text NOT NULL,
	created_at  timestamptz NOT NULL,
	next_seq    bigint NOT NULL       -- the Seq the next new user gets
);
-- COLLATE "C": the keys are only ever compared for equality, which needs no
-- locale, and a tenant's worth of inserts compares them a lot.
CREATE TABLE bulk_users (
	request_id text COLLATE "C" NOT NULL,
	user_id    text COLLATE "C" NOT NULL,
	seq        bigint NOT NULL,
	upn        text NOT NULL,
	outcome    text NOT NULL,
	attempts   integer NOT NULL,
	detail     text NOT NULL,
	at         timestamptz,           -- NULL: not yet
	PRIMARY KEY (request_id, user_id)
);
CREATE INDEX bulk_users_outcome ON bulk_users (request_id, outcome, seq);
`, `
-- The users a request names (Request.Subjects), for RequestsAbout. The key
-- leads with subject, so it is the index that finds a user's requests.
-- pgBackfillSubjects fills it for older requests.
CREATE TABLE request_subjects (
	subject    text COLLATE "C" NOT NULL, -- lower-cased; only compared for equality
	request_id text NOT NULL REFERENCES requests (id),
	pos        integer NOT NULL,          -- order within the request, from 0
	PRIMARY KEY (subject, request_id)
);
CREATE INDEX request_subjects_request ON request_subjects (request_id, pos);
`, pgSchemaV4, pgSchemaV5}

// pgBackfills[v] runs right after pgMigrations[v-1], in the same transaction
// and under the same lock, for the data a migration cannot fill in SQL alone.
var pgBackfills = map[int]func(context.Context, pgx.Tx) error{3: pgBackfillSubjects}

// migrate runs in one transaction holding pgMigrateLock, so two processes
// starting on an empty schema do not both create it: the second waits, then
// finds the first one's schema. DDL is transactional in PostgreSQL, so a
// failed migration leaves nothing half made.
func (s *pgStore) migrate(ctx context.Context) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgMigrateLock); err != nil {
			return fmt.Errorf("lock the schema: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
			return fmt.Errorf("schema version: %w", err)
		}
		if v > len(pgMigrations) {
			return fmt.Errorf("schema version %d is newer than this revokebot knows (%d)", v, len(pgMigrations))
		}
		if v == len(pgMigrations) {
			return nil
		}
		for ; v < len(pgMigrations); v++ {
			if _, err := tx.Exec(ctx, pgMigrations[v]); err != nil {
				return fmt.Errorf("migrate to schema version %d: %w", v+1, err)
			}
			if backfill := pgBackfills[v+1]; backfill != nil {
				if err := backfill(ctx, tx); err != nil {
					return fmt.Errorf("migrate to schema version %d: %w", v+1, err)
				}
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM schema_version`); err != nil {
			return fmt.Errorf("schema version: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("schema version: %w", err)
		}
		return nil
	})
}

// checkSchema is OpenExisting's check: a current schema, found and not made.
func (s *pgStore) checkSchema(ctx context.Context) error {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table
		return errors.New("not a revokebot store: no schema_version table on the search_path")
	case err != nil:
		return err
	case v != len(pgMigrations):
		return fmt.Errorf("schema version %d, this revokebot reads %d", v, len(pgMigrations))
	}
	return nil
}

func (s *pgStore) CreateRequest(ctx context.Context, r Request) error {
	r, err := prepareRequest(r, s.now)
	if err != nil {
		return err
	}
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO requests (`+requestColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			r.ID, string(r.Kind), string(r.State), r.Requester, r.Channel, r.RootTS, r.TriggerID, r.NeedsApproval,
			[]byte(r.Target), r.DecidedBy, r.Detail, r.CreatedAt, nullTime(r.ExpiresAt), r.UpdatedAt)
		if err != nil || len(r.Subjects) == 0 {
			return err
		}
		return insertPGSubjects(ctx, tx, []string{r.ID}, [][]string{r.Subjects})
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("create request %q: %w", r.ID, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: create request %q: %w", r.ID, err)
	}
	return nil
}

func (s *pgStore) Request(ctx context.Context, id string) (Request, error) {
	id = cleanText(id)
	rs, err := s.requests(ctx, `SELECT `+pgRequest+` FROM requests WHERE id = $1`, id)
	switch {
	case err != nil:
		return Request{}, fmt.Errorf("store: request %q: %w", id, err)
	case len(rs) == 0:
		return Request{}, fmt.Errorf("request %q: %w", id, ErrNotFound)
	}
	return rs[0], nil
}

func (s *pgStore) SetRootTS(ctx context.Context, id, ts string) error {
	id, ts = cleanText(id), cleanText(ts)
	tag, err := s.pool.Exec(ctx, `UPDATE requests SET root_ts = $1 WHERE id = $2`, ts, id)
	if err != nil {
		return fmt.Errorf("store: set root ts of %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set root ts of %q: %w", id, ErrNotFound)
	}
	return nil
}

// DuePending and InState break ties on id in byte order (COLLATE "C"), as
// SQLite does, whatever collation the database was created with.
func (s *pgStore) DuePending(ctx context.Context, now time.Time) ([]Request, error) {
	rs, err := s.requests(ctx, `SELECT `+pgRequest+` FROM requests
		WHERE state = $1 AND expires_at <= $2 ORDER BY expires_at, created_at, id COLLATE "C"`,
		string(StatePending), utc(now))
	if err != nil {
		return nil, fmt.Errorf("store: list requests: %w", err)
	}
	return rs, nil
}

func (s *pgStore) InState(ctx context.Context, st State) ([]Request, error) {
	rs, err := s.requests(ctx, `SELECT `+pgRequest+` FROM requests
		WHERE state = $1 ORDER BY created_at, id COLLATE "C"`, cleanText(string(st)))
	if err != nil {
		return nil, fmt.Errorf("store: list requests: %w", err)
	}
	return rs, nil
}

func (s *pgStore) Ping(ctx context.Context) error {
	var v int
	if err := s.pool.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close waits for queries in flight, then closes every connection.
func (s *pgStore) Close() error {
	s.pool.Close()
	return nil
}

// pgRequest is what every read of a request selects: its columns and its
// subjects, read in the same statement so they agree.
const pgRequest = requestColumns + `, (SELECT array_agg(subject ORDER BY pos)
	FROM request_subjects WHERE request_id = requests.id)`

// requests runs a query that returns pgRequest, e.g. a SELECT or an
// UPDATE … RETURNING, and collects its rows.
func (s *pgStore) requests(ctx context.Context, sql string, args ...any) ([]Request, error) {
	return pgRequests(ctx, s.pool, sql, args...)
}

// pgRequests is requests on the pool or in a transaction.
func pgRequests(ctx context.Context, q pgQuerier, sql string, args ...any) ([]Request, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanPGRequest)
}

func scanPGRequest(row pgx.CollectableRow) (Request, error) {
	var (
		r       Request
		target  []byte
		expires *time.Time
	)
	err := row.Scan(&r.ID, &r.Kind, &r.State, &r.Requester, &r.Channel, &r.RootTS, &r.TriggerID, &r.NeedsApproval,
		&target, &r.DecidedBy, &r.Detail, &r.CreatedAt, &expires, &r.UpdatedAt, &r.Subjects)
	if err != nil {
		return Request{}, err
	}
	if len(target) > 0 {
		r.Target = target
	}
	// pgx returns timestamptz in the local zone; the store promises UTC.
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if expires != nil {
		r.ExpiresAt = expires.UTC()
	}
	return r, nil
}

func isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// nullTime stores a zero time, "never", as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
