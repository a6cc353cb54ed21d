package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteParams configure every connection. busy_timeout makes a writer wait
// for another process's lock instead of failing; WAL lets readers run beside
// that writer; synchronous=FULL because an audit record must survive a power
// cut once the matching Slack message has gone out; _txlock=immediate takes
// the write lock at BEGIN, so a read-then-write transaction (the audit append)
// never has to upgrade and cannot deadlock against another process.
// Read-only transactions stay deferred (modernc ignores _txlock for them).
const sqliteParams = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"

// sqliteStore keeps writes on one connection: SQLite admits one writer at a
// time anyway, and queueing in database/sql is far cheaper than SQLite's
// sleeping busy handler. Other processes on the same file still meet the
// busy handler, which is what it is for.
type sqliteStore struct {
	w, r   *sql.DB
	now    func() time.Time
	signer Signer // nil: records are appended unsigned
	turn   appendTurn
}

func openSQLite(ctx context.Context, path string) (Store, error) {
	switch {
	case path == "":
		return nil, errors.New("store: sqlite: empty path (want sqlite:PATH)")
	case strings.ContainsRune(path, '?'):
		// The driver reads everything after '?' as its own parameters.
		return nil, fmt.Errorf("store: sqlite %s: a path may not contain '?'", path)
	}
	s := &sqliteStore{now: time.Now}
	var err error
	if path == ":memory:" {
		// Each connection would get its own empty database: share one.
		if s.w, err = sql.Open("sqlite", path+sqliteParams); err != nil {
			return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
		}
		s.r = s.w
	} else {
		dir := filepath.Dir(path)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("store: sqlite %s: directory %s does not exist", path, dir)
		}
		if err := sqlitePrivate(path); err != nil {
			return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
		}
		if s.w, err = sql.Open("sqlite", path+sqliteParams); err != nil {
			return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
		}
		if s.r, err = sql.Open("sqlite", path+sqliteParams); err != nil {
			s.w.Close()
			return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
		}
		s.r.SetMaxOpenConns(4)
	}
	s.w.SetMaxOpenConns(1)
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	return s, nil
}

// openSQLiteExisting opens an existing database read-only: a missing file is
// an error, not a new empty store, and nothing is migrated.
func openSQLiteExisting(ctx context.Context, path string) (Store, error) {
	switch {
	case path == "" || path == ":memory:":
		return nil, errors.New("store: sqlite: want the path of an existing database")
	case strings.ContainsRune(path, '?'):
		return nil, fmt.Errorf("store: sqlite %s: a path may not contain '?'", path)
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		return nil, fmt.Errorf("store: sqlite %s: no such database file", path)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	s := &sqliteStore{w: db, r: db, now: time.Now}
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: sqlite %s: not a revokebot store", path)
	}
	if v != len(sqliteMigrations) {
		db.Close()
		return nil, fmt.Errorf("store: sqlite %s: schema version %d, this revokebot reads %d", path, v, len(sqliteMigrations))
	}
	return s, nil
}

// sqliteMigrations[i] brings the schema from version i to i+1. Append only.
var sqliteMigrations = []string{`
CREATE TABLE requests (
	id             TEXT PRIMARY KEY,
	kind           TEXT NOT NULL,
	state          TEXT NOT NULL,
	requester      TEXT NOT NULL,
	channel        TEXT NOT NULL,
	root_ts        TEXT NOT NULL,
	trigger_id     TEXT UNIQUE,      -- NULL when empty: only real trigger IDs collide
	needs_approval INTEGER NOT NULL,
	target         BLOB,
	decided_by     TEXT NOT NULL,
	detail         TEXT NOT NULL,
	created_at     INTEGER NOT NULL, -- Unix microseconds, UTC
	expires_at     INTEGER,          -- NULL: never
	updated_at     INTEGER NOT NULL
);
CREATE INDEX requests_state ON requests (state, created_at);
CREATE INDEX requests_due ON requests (state, expires_at);
CREATE TABLE audit (
	seq        INTEGER PRIMARY KEY,
	time       INTEGER NOT NULL,     -- Unix microseconds, UTC
	event      TEXT NOT NULL,
	request_id TEXT NOT NULL,
	actor      TEXT NOT NULL,
	target     TEXT NOT NULL,
	detail     TEXT NOT NULL,
	prev_hash  TEXT NOT NULL,
	hash       TEXT NOT NULL
);
CREATE INDEX audit_request ON audit (request_id, seq);
-- Guards against slips, not attackers (who can drop them): VerifyAudit is the real check.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '` + genesisHash + `');
`, `
-- SQLite enforces REFERENCES only with foreign_keys on, which it is not
-- here; CreateJob checks for the request itself.
CREATE TABLE bulk_jobs (
	request_id  TEXT PRIMARY KEY REFERENCES requests (id),
	cursor      TEXT NOT NULL,
	listed      INTEGER NOT NULL,
	owner       TEXT NOT NULL,    -- '' when nobody holds the lease
	lease_until INTEGER,          -- Unix microseconds, UTC; NULL: no lease
	stop_by     TEXT NOT NULL,    -- '' while not stopped
	stop_at     INTEGER,
	progress_ts TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	next_seq    INTEGER NOT NULL  -- the Seq the next new user gets
);
-- WITHOUT ROWID: the key is the row's address, so an insert writes two
-- b-trees (table and outcome index) instead of three.
CREATE TABLE bulk_users (
	request_id TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	upn        TEXT NOT NULL,
	outcome    TEXT NOT NULL,
	attempts   INTEGER NOT NULL,
	detail     TEXT NOT NULL,
	at         INTEGER,           -- NULL: not yet
	PRIMARY KEY (request_id, user_id)
) WITHOUT ROWID;
CREATE INDEX bulk_users_outcome ON bulk_users (request_id, outcome, seq);
`, `
-- The users a request names (Request.Subjects), for RequestsAbout. The key
-- leads with subject, so it is the index that finds a user's requests; as for
-- bulk_jobs, REFERENCES is not enforced and CreateRequest writes both tables
-- in one transaction. sqliteBackfillSubjects fills it for older requests.
CREATE TABLE request_subjects (
	subject    TEXT NOT NULL,     -- lower-cased
	request_id TEXT NOT NULL REFERENCES requests (id),
	pos        INTEGER NOT NULL,  -- order within the request, from 0
	PRIMARY KEY (subject, request_id)
) WITHOUT ROWID;
CREATE INDEX request_subjects_request ON request_subjects (request_id, pos);
`, sqliteSchemaV4, sqliteSchemaV5, sqliteSchemaV6}

// sqliteBackfills[v] runs right after sqliteMigrations[v-1], in the same
// transaction, for the data a migration cannot fill in SQL alone.
var sqliteBackfills = map[int]func(context.Context, *sql.Tx) error{3: sqliteBackfillSubjects}

// migrate runs in one immediate transaction, so two processes starting on a
// new file do not both create the schema.
func (s *sqliteStore) migrate(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if v > len(sqliteMigrations) {
		return fmt.Errorf("schema version %d is newer than this revokebot knows (%d)", v, len(sqliteMigrations))
	}
	if v == len(sqliteMigrations) {
		return tx.Commit()
	}
	for ; v < len(sqliteMigrations); v++ {
		if _, err := tx.ExecContext(ctx, sqliteMigrations[v]); err != nil {
			return fmt.Errorf("migrate to schema version %d: %w", v+1, err)
		}
		if backfill := sqliteBackfills[v+1]; backfill != nil {
			if err := backfill(ctx, tx); err != nil {
				return fmt.Errorf("migrate to schema version %d: %w", v+1, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, v); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	return tx.Commit()
}

const requestColumns = `id, kind, state, requester, channel, root_ts, trigger_id, needs_approval,
	target, decided_by, detail, created_at, expires_at, updated_at, sig, decision_sig`

// sqliteRequest is what every read of a request selects: its columns and
// its subjects as a JSON array, read in the same statement so they agree.
const sqliteRequest = requestColumns + `, (SELECT json_group_array(subject ORDER BY pos)
	FROM request_subjects WHERE request_id = requests.id)`

func (s *sqliteStore) CreateRequest(ctx context.Context, r Request) error {
	r, err := prepareRequest(r, s.now)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO requests (`+requestColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Kind, r.State, r.Requester, r.Channel, r.RootTS, nullString(r.TriggerID), r.NeedsApproval,
			[]byte(r.Target), r.DecidedBy, r.Detail, micros(r.CreatedAt), nullMicros(r.ExpiresAt), micros(r.UpdatedAt),
			r.Sig, r.DecisionSig)
		if err != nil {
			return err
		}
		return insertSubjects(ctx, tx, r.ID, r.Subjects)
	})
	if isConstraint(err) {
		return fmt.Errorf("create request %q: %w", r.ID, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: create request %q: %w", r.ID, err)
	}
	return nil
}

func (s *sqliteStore) Request(ctx context.Context, id string) (Request, error) {
	id = cleanText(id)
	r, err := scanRequest(s.r.QueryRowContext(ctx, `SELECT `+sqliteRequest+` FROM requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, fmt.Errorf("request %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Request{}, fmt.Errorf("store: request %q: %w", id, err)
	}
	return r, nil
}

func (s *sqliteStore) SetRootTS(ctx context.Context, id, ts string) error {
	id, ts = cleanText(id), cleanText(ts)
	res, err := s.w.ExecContext(ctx, `UPDATE requests SET root_ts = ? WHERE id = ?`, ts, id)
	if err != nil {
		return fmt.Errorf("store: set root ts of %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: set root ts of %q: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("set root ts of %q: %w", id, ErrNotFound)
	}
	return nil
}

func (s *sqliteStore) DuePending(ctx context.Context, now time.Time) ([]Request, error) {
	return s.requests(ctx, `state = ? AND expires_at <= ? ORDER BY expires_at, created_at, id`,
		StatePending, micros(utc(now)))
}

func (s *sqliteStore) InState(ctx context.Context, st State) ([]Request, error) {
	return s.requests(ctx, `state = ? ORDER BY created_at, id`, cleanText(string(st)))
}

func (s *sqliteStore) requests(ctx context.Context, where string, args ...any) ([]Request, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqliteRequest+` FROM requests WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list requests: %w", err)
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list requests: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list requests: %w", err)
	}
	return out, nil
}

func (s *sqliteStore) Ping(ctx context.Context) error {
	var v int
	if err := s.r.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

func (s *sqliteStore) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

func scanRequest(row interface{ Scan(...any) error }) (Request, error) {
	var (
		r                Request
		trigger          sql.NullString
		target, subjects []byte
		created, updated int64
		expires          sql.NullInt64
	)
	err := row.Scan(&r.ID, &r.Kind, &r.State, &r.Requester, &r.Channel, &r.RootTS, &trigger, &r.NeedsApproval,
		&target, &r.DecidedBy, &r.Detail, &created, &expires, &updated, &r.Sig, &r.DecisionSig, &subjects)
	if err != nil {
		return Request{}, err
	}
	if err := json.Unmarshal(subjects, &r.Subjects); err != nil {
		return Request{}, fmt.Errorf("subjects of %q: %w", r.ID, err)
	}
	if len(r.Subjects) == 0 {
		r.Subjects = nil
	}
	r.TriggerID = trigger.String
	if len(target) > 0 {
		r.Target = target
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	if expires.Valid {
		r.ExpiresAt = fromMicros(expires.Int64)
	}
	return r, nil
}

func isConstraint(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) &&
		(e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE)
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func micros(t time.Time) int64 { return t.UnixMicro() }

func nullMicros(t time.Time) sql.NullInt64 {
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: !t.IsZero()}
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
