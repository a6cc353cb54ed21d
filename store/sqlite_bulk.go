package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// sqliteNewJob starts the job of a request (arguments: created_at, id).
// Selecting from requests is the foreign key check (see the migration).
const sqliteNewJob = `INSERT INTO bulk_jobs
	(request_id, cursor, listed, owner, lease_until, stop_by, stop_at, progress_ts, created_at, next_seq)
	SELECT id, '', 0, '', NULL, '', NULL, '', ?, 1 FROM requests WHERE id = ?`

func (s *sqliteStore) CreateJob(ctx context.Context, id string, at time.Time) error {
	id = cleanText(id)
	if at = utc(at); at.IsZero() {
		at = utc(s.now())
	}
	res, err := s.w.ExecContext(ctx, sqliteNewJob, micros(at), id)
	if isConstraint(err) {
		return fmt.Errorf("create job %q: %w", id, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: create job %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: create job %q: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("create job: request %q: %w", id, ErrNotFound)
	}
	return nil
}

func (s *sqliteStore) Job(ctx context.Context, id string) (Job, error) {
	id = cleanText(id)
	j, err := scanJob(s.r.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM bulk_jobs WHERE request_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("store: job %q: %w", id, err)
	}
	return j, nil
}

func (s *sqliteStore) ClaimJob(ctx context.Context, id, owner string, now, until time.Time) (Job, error) {
	id, owner, now, until, err := prepareClaim("job", id, owner, now, until, s.now)
	if err != nil {
		return Job{}, err
	}
	// One UPDATE is the compare-and-set; RETURNING reads the row it wrote.
	j, err := scanJob(s.w.QueryRowContext(ctx, `UPDATE bulk_jobs SET owner = ?, lease_until = ?
		WHERE request_id = ? AND (owner = '' OR owner = ? OR lease_until IS NULL OR lease_until <= ?)
		RETURNING `+jobColumns, owner, micros(until), id, owner, micros(now)))
	if err == nil {
		return j, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("store: claim job %q: %w", id, err)
	}
	cur, err := s.Job(ctx, id)
	if err != nil {
		return Job{}, err
	}
	return cur, claimConflict(cur)
}

func (s *sqliteStore) ReleaseJob(ctx context.Context, id, owner string) error {
	id, owner = cleanText(id), cleanText(owner)
	_, err := s.w.ExecContext(ctx, `UPDATE bulk_jobs SET owner = '', lease_until = NULL
		WHERE request_id = ? AND owner = ? AND owner <> ''`, id, owner)
	if err != nil {
		return fmt.Errorf("store: release job %q: %w", id, err)
	}
	return nil
}

// fence is the lease check of a progress write. It runs inside the write's
// transaction, which is immediate (see sqliteParams): no claim can come
// between the check and the writes, in this process or another.
func (s *sqliteStore) fence(ctx context.Context, tx *sql.Tx, id, owner string) (nextSeq int64, err error) {
	err = tx.QueryRowContext(ctx, `SELECT next_seq FROM bulk_jobs WHERE request_id = ? AND owner = ? AND owner <> ''`,
		id, owner).Scan(&nextSeq)
	if !errors.Is(err, sql.ErrNoRows) {
		return nextSeq, err
	}
	var holder string
	err = tx.QueryRowContext(ctx, `SELECT owner FROM bulk_jobs WHERE request_id = ?`, id).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	return 0, fenceConflict(id, owner, holder)
}

func (s *sqliteStore) AddPage(ctx context.Context, id, owner string, users []BulkUser, next string, listed bool) error {
	id, owner, next = cleanText(id), cleanText(owner), cleanText(next)
	page, err := preparePage(users)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		seq, err := s.fence(ctx, tx, id, owner)
		if err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO bulk_users (request_id, user_id, seq, upn, outcome, attempts, detail, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, u := range page {
			res, err := ins.ExecContext(ctx, id, u.ID, seq, u.UPN, u.Outcome, u.Attempts, u.Detail, nullMicros(u.At))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			seq += n // a user already in the job keeps its row and takes no number
		}
		_, err = tx.ExecContext(ctx, `UPDATE bulk_jobs SET cursor = ?, listed = ?, next_seq = ? WHERE request_id = ?`,
			next, listed, seq, id)
		return err
	})
	return bulkError("add page to job", id, err)
}

func (s *sqliteStore) RecordOutcomes(ctx context.Context, id, owner string, users []BulkUser) error {
	id, owner = cleanText(id), cleanText(owner)
	batch, err := prepareOutcomes(users, s.now)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.fence(ctx, tx, id, owner); err != nil {
			return err
		}
		upd, err := tx.PrepareContext(ctx, `UPDATE bulk_users SET outcome = ?, attempts = ?, detail = ?, at = ?
			WHERE request_id = ? AND user_id = ?`)
		if err != nil {
			return err
		}
		defer upd.Close()
		for _, u := range batch {
			res, err := upd.ExecContext(ctx, u.Outcome, u.Attempts, u.Detail, micros(u.At), id, u.ID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("user %q is not in job %q: %w", u.ID, id, ErrNotFound)
			}
		}
		return nil
	})
	return bulkError("record outcomes of job", id, err)
}

func (s *sqliteStore) PendingUsers(ctx context.Context, id string, after int64, limit int) ([]BulkUser, error) {
	return s.UsersWith(ctx, id, []Outcome{OutcomePending}, after, limit)
}

func (s *sqliteStore) UsersWith(ctx context.Context, id string, outcomes []Outcome, after int64, limit int) ([]BulkUser, error) {
	id, in, ok, err := prepareOutcomeFilter(id, outcomes, limit)
	if !ok || err != nil {
		return nil, err
	}
	// One ordered range of the outcome index per outcome, each cut at limit,
	// so a page costs limit rows per outcome however large the job is.
	// INDEXED BY: without statistics SQLite may prefer reading the whole job
	// by its primary key and sorting it.
	var (
		q    strings.Builder
		args []any
	)
	for i, o := range in {
		if i > 0 {
			q.WriteString(" UNION ALL ")
		}
		q.WriteString(`SELECT * FROM (SELECT ` + bulkUserColumns + ` FROM bulk_users INDEXED BY bulk_users_outcome
			WHERE request_id = ? AND outcome = ? AND seq > ? ORDER BY seq LIMIT ?)`)
		args = append(args, id, o, after, limit)
	}
	rows, err := s.r.QueryContext(ctx, q.String()+` ORDER BY seq LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: users of job %q: %w", id, err)
	}
	defer rows.Close()
	var out []BulkUser
	for rows.Next() {
		var (
			u  BulkUser
			at sql.NullInt64
		)
		if err := rows.Scan(&u.Seq, &u.ID, &u.UPN, &u.Outcome, &u.Attempts, &u.Detail, &at); err != nil {
			return nil, fmt.Errorf("store: users of job %q: %w", id, err)
		}
		if at.Valid {
			u.At = fromMicros(at.Int64)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: users of job %q: %w", id, err)
	}
	return out, nil
}

func (s *sqliteStore) JobCounts(ctx context.Context, id string) (Counts, error) {
	id = cleanText(id)
	rows, err := s.r.QueryContext(ctx, fmt.Sprintf(countsQuery, "?", "INDEXED BY bulk_users_outcome"), id, id, id)
	if err != nil {
		return Counts{}, fmt.Errorf("store: count job %q: %w", id, err)
	}
	defer rows.Close()
	c, found := newCounts(), false
	for rows.Next() {
		var (
			kind, n int
			key     string
		)
		if err := rows.Scan(&kind, &key, &n); err != nil {
			return Counts{}, fmt.Errorf("store: count job %q: %w", id, err)
		}
		found = found || kind == 0
		c.addCount(kind, key, n)
	}
	if err := rows.Err(); err != nil {
		return Counts{}, fmt.Errorf("store: count job %q: %w", id, err)
	}
	if !found {
		return Counts{}, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	return c, nil
}

func (s *sqliteStore) RequestStop(ctx context.Context, id, by string, at time.Time) (Job, error) {
	id, by = cleanText(id), cleanText(by)
	if by == "" {
		return Job{}, fmt.Errorf("store: stop job %q without who stopped it", id)
	}
	if at = utc(at); at.IsZero() {
		at = utc(s.now())
	}
	j, err := scanJob(s.w.QueryRowContext(ctx, `UPDATE bulk_jobs SET stop_by = ?, stop_at = ?
		WHERE request_id = ? AND stop_by = '' RETURNING `+jobColumns, by, micros(at), id))
	if err == nil {
		return j, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("store: stop job %q: %w", id, err)
	}
	cur, err := s.Job(ctx, id)
	if err != nil {
		return Job{}, err
	}
	return cur, fmt.Errorf("job %q was already stopped by %s: %w", id, cur.StopBy, ErrConflict)
}

func (s *sqliteStore) SetProgressTS(ctx context.Context, id, ts string) error {
	id, ts = cleanText(id), cleanText(ts)
	res, err := s.w.ExecContext(ctx, `UPDATE bulk_jobs SET progress_ts = ? WHERE request_id = ?`, ts, id)
	if err != nil {
		return fmt.Errorf("store: set progress ts of job %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: set progress ts of job %q: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("set progress ts: job %q: %w", id, ErrNotFound)
	}
	return nil
}

// inTx runs f in one write transaction and commits it when f succeeds.
func (s *sqliteStore) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func scanJob(row interface{ Scan(...any) error }) (Job, error) {
	var (
		j              Job
		lease, stopped sql.NullInt64
		created        int64
	)
	err := row.Scan(&j.RequestID, &j.Cursor, &j.Listed, &j.Owner, &lease, &j.StopBy, &stopped, &j.ProgressTS, &created)
	if err != nil {
		return Job{}, err
	}
	j.CreatedAt = fromMicros(created)
	if lease.Valid {
		j.LeaseUntil = fromMicros(lease.Int64)
	}
	if stopped.Valid {
		j.StopAt = fromMicros(stopped.Int64)
	}
	return j, nil
}
