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
	pool   *pgxpool.Pool
	now    func() time.Time
	signer Signer // nil: records are appended unsigned
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
`, pgSchemaV4, pgSchemaV5, pgSchemaV6}

// pgBackfills[v] runs right after pgMigrations[v-1], in the same transaction
// and under the same lock, for the data a migration cannot fill in SQL alone.
var pgBackfills = map[int]func(context.Context, pgx.Tx) error{3: pgBackfillSubjects}

// migrate brings the schema up to date, first with a plain read: a schema
// that is current needs no DDL, so a runtime role without CREATE on the
// schema (see Migrate) opens it. Only a schema behind (or missing) takes
// the lock and migrates.
func (s *pgStore) migrate(ctx context.Context) error {
	v, err := pgSchemaVersion(ctx, s.pool)
	switch {
	case pgCode(err) == pgInsufficientPrivilege:
		return fmt.Errorf("this role may not read schema_version: run `revokebot migrate` as the schema's owner, "+
			"granting this role what it needs (%w)", err)
	case err != nil:
		return err // most likely the connection: said as pgx says it
	case v > len(pgMigrations):
		return pgNewerError(v)
	case v == len(pgMigrations):
		return nil
	}
	// The version is read again under the lock: another process may have
	// migrated while this one waited, and then nothing is left to do.
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		return s.migrateLocked(ctx, tx, &v)
	})
	if err != nil {
		return pgMigrateError(v, err)
	}
	return nil
}

// migrateLocked runs in one transaction holding pgMigrateLock, so two
// processes starting on an empty schema do not both create it: the second
// waits, then finds the first one's schema. DDL is transactional in
// PostgreSQL, so a failed migration leaves nothing half made. *v is the
// version the schema is at, for the error when this role cannot migrate.
func (s *pgStore) migrateLocked(ctx context.Context, tx pgx.Tx, v *int) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgMigrateLock); err != nil {
		return fmt.Errorf("lock the schema: %w", err)
	}
	// to_regclass, not CREATE TABLE IF NOT EXISTS: that one needs CREATE on
	// the schema even when the table is there, which a runtime role that
	// lost the race to the owner's `revokebot migrate` does not have.
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
	}
	var err error
	if *v, err = pgSchemaVersion(ctx, tx); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if *v > len(pgMigrations) {
		return pgNewerError(*v)
	}
	if *v == len(pgMigrations) {
		return nil
	}
	for w := *v; w < len(pgMigrations); w++ {
		if _, err := tx.Exec(ctx, pgMigrations[w]); err != nil {
			return fmt.Errorf("migrate to schema version %d: %w", w+1, err)
		}
		if backfill := pgBackfills[w+1]; backfill != nil {
			if err := backfill(ctx, tx); err != nil {
				return fmt.Errorf("migrate to schema version %d: %w", w+1, err)
			}
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM schema_version`); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, len(pgMigrations)); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	return nil
}

// pgSchemaVersion reads the schema's version; a schema without the
// schema_version table is at version 0. It only reads, so it is the check
// that lets a role which may not migrate open a current schema.
func pgSchemaVersion(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int, error) {
	var v int
	err := q.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	if pgCode(err) == pgUndefinedTable {
		return 0, nil
	}
	return v, err
}

func pgNewerError(v int) error {
	return fmt.Errorf("schema version %d is newer than this revokebot knows (%d)", v, len(pgMigrations))
}

// SQLSTATEs the store tells apart. They are matched on the code, never on
// the message, which the server words in its own language (lc_messages).
const (
	pgInsufficientPrivilege = "42501"
	pgUndefinedTable        = "42P01" // also what a role sees of a table in a schema it may not use
	pgInvalidSchemaName     = "3F000" // no schema on the search_path this role may create in
)

// pgCode is the SQLSTATE of a server error, or "" for any other error.
func pgCode(err error) string {
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		return e.Code
	}
	return ""
}

// pgMigrateError is err, or, when it is this role lacking a privilege the
// migration needs, one line that says what to do: a runtime role with only
// its grants cannot migrate, and should not be able to.
func pgMigrateError(v int, err error) error {
	switch pgCode(err) {
	case pgInsufficientPrivilege, pgUndefinedTable, pgInvalidSchemaName:
		return fmt.Errorf("the schema is at version %d and this revokebot needs %d, which this role may not migrate to: "+
			"run `revokebot migrate` as the schema's owner (%w)", v, len(pgMigrations), err)
	}
	return err
}

// checkSchema is OpenExisting's check: a current schema, found and not made.
func (s *pgStore) checkSchema(ctx context.Context) error {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	switch {
	case pgCode(err) == pgUndefinedTable:
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
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			r.ID, string(r.Kind), string(r.State), r.Requester, r.Channel, r.RootTS, r.TriggerID, r.NeedsApproval,
			[]byte(r.Target), r.DecidedBy, r.Detail, r.CreatedAt, nullTime(r.ExpiresAt), r.UpdatedAt, r.Sig, r.DecisionSig)
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
		&target, &r.DecidedBy, &r.Detail, &r.CreatedAt, &expires, &r.UpdatedAt, &r.Sig, &r.DecisionSig, &r.Subjects)
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
