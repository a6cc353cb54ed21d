package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgNewJob starts the job of a request (arguments: id, created_at).
// Selecting from requests makes an unknown request ErrNotFound rather than a
// foreign key violation, as on SQLite.
const pgNewJob = `INSERT INTO bulk_jobs
	(request_id, cursor, listed, owner, lease_until, stop_by, stop_at, progress_ts, created_at, next_seq)
	SELECT id, '', false, '', NULL, '', NULL, '', $2, 1 FROM requests WHERE id = $1`

func (s *pgStore) CreateJob(ctx context.Context, id string, at time.Time) error {
	id = cleanText(id)
	if at = utc(at); at.IsZero() {
		at = utc(s.now())
	}
	tag, err := s.pool.Exec(ctx, pgNewJob, id, at)
	if isUniqueViolation(err) {
		return fmt.Errorf("create job %q: %w", id, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: create job %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create job: request %q: %w", id, ErrNotFound)
	}
	return nil
}

func (s *pgStore) Job(ctx context.Context, id string) (Job, error) {
	id = cleanText(id)
	js, err := s.jobs(ctx, `SELECT `+jobColumns+` FROM bulk_jobs WHERE request_id = $1`, id)
	switch {
	case err != nil:
		return Job{}, fmt.Errorf("store: job %q: %w", id, err)
	case len(js) == 0:
		return Job{}, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	return js[0], nil
}

func (s *pgStore) ClaimJob(ctx context.Context, id, owner string, now, until time.Time) (Job, error) {
	id, owner, now, until, err := prepareClaim("job", id, owner, now, until, s.now)
	if err != nil {
		return Job{}, err
	}
	// The WHERE clause is the compare-and-set; as in Transition, a racing
	// UPDATE waits for the winner to commit and re-checks against its row.
	// It also waits for a progress write in flight (which locks the row), so
	// the old owner's last page lands before the lease changes hands.
	js, err := s.jobs(ctx, `UPDATE bulk_jobs SET owner = $2, lease_until = $3
		WHERE request_id = $1 AND (owner = '' OR owner = $2 OR lease_until IS NULL OR lease_until <= $4)
		RETURNING `+jobColumns, id, owner, until, now)
	if err != nil {
		return Job{}, fmt.Errorf("store: claim job %q: %w", id, err)
	}
	if len(js) == 1 {
		return js[0], nil
	}
	cur, err := s.Job(ctx, id)
	if err != nil {
		return Job{}, err
	}
	return cur, claimConflict(cur)
}

func (s *pgStore) ReleaseJob(ctx context.Context, id, owner string) error {
	id, owner = cleanText(id), cleanText(owner)
	_, err := s.pool.Exec(ctx, `UPDATE bulk_jobs SET owner = '', lease_until = NULL
		WHERE request_id = $1 AND owner = $2 AND owner <> ''`, id, owner)
	if err != nil {
		return fmt.Errorf("store: release job %q: %w", id, err)
	}
	return nil
}

// fence is the lease check of a progress write, inside its transaction. The
// row lock it takes makes a ClaimJob wait until the write has committed or
// rolled back, so a lease never changes hands in the middle of one. AddPage
// locks exclusively, because it also moves next_seq; RecordOutcomes shares
// the lock, so several batches of one owner can run at once.
func (s *pgStore) fence(ctx context.Context, tx pgx.Tx, id, owner, lock string) (nextSeq int64, err error) {
	err = tx.QueryRow(ctx, `SELECT next_seq FROM bulk_jobs WHERE request_id = $1 AND owner = $2 AND owner <> '' `+lock,
		id, owner).Scan(&nextSeq)
	if !errors.Is(err, pgx.ErrNoRows) {
		return nextSeq, err
	}
	var holder string
	err = tx.QueryRow(ctx, `SELECT owner FROM bulk_jobs WHERE request_id = $1`, id).Scan(&holder)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	return 0, fenceConflict(id, owner, holder)
}

func (s *pgStore) AddPage(ctx context.Context, id, owner string, users []BulkUser, next string, listed bool) error {
	id, owner, next = cleanText(id), cleanText(owner), cleanText(next)
	page, err := preparePage(users)
	if err != nil {
		return err
	}
	a := newUserArrays(page)
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		seq, err := s.fence(ctx, tx, id, owner, "FOR UPDATE")
		if err != nil {
			return err
		}
		// The whole page is one statement. The lock taken by fence keeps
		// every other AddPage of this job out until commit, and this second
		// statement's snapshot (READ COMMITTED: one per statement) is taken
		// after the lock, so the check for users already in the job sees
		// them all and the numbers handed out are exactly those of the rows
		// inserted. The check is a scalar subquery, not NOT EXISTS, because
		// that can only run as one primary key probe per user: NOT EXISTS
		// was planned as a hash of the whole job, per page, for as long as
		// the statistics lagged behind a listing in progress.
		_, err = tx.Exec(ctx, `WITH page AS (
				SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::integer[], $6::text[], $7::timestamptz[])
					WITH ORDINALITY AS p (user_id, upn, outcome, attempts, detail, at, ord)
			), fresh AS (
				SELECT p.*, row_number() OVER (ORDER BY p.ord) AS n FROM page p
				WHERE (SELECT true FROM bulk_users b WHERE b.request_id = $1 AND b.user_id = p.user_id) IS NULL
			), ins AS (
				INSERT INTO bulk_users (request_id, user_id, seq, upn, outcome, attempts, detail, at)
				SELECT $1, user_id, $8 + n - 1, upn, outcome, attempts, detail, at FROM fresh
				RETURNING seq
			)
			UPDATE bulk_jobs SET cursor = $9, listed = $10, next_seq = COALESCE((SELECT max(seq) + 1 FROM ins), $8)
			WHERE request_id = $1`,
			id, a.ids, a.upns, a.outcomes, a.attempts, a.details, a.ats, seq, next, listed)
		return err
	})
	return bulkError("add page to job", id, err)
}

func (s *pgStore) RecordOutcomes(ctx context.Context, id, owner string, users []BulkUser) error {
	id, owner = cleanText(id), cleanText(owner)
	batch, err := prepareOutcomes(users, s.now)
	if err != nil {
		return err
	}
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := s.fence(ctx, tx, id, owner, "FOR SHARE"); err != nil {
			return err
		}
		// One UPDATE per user, pipelined in one round trip, rather than one
		// UPDATE … FROM unnest(…): each of these can only be planned as a
		// primary key lookup, while the join was planned as a hash of the
		// whole job (tens of milliseconds a batch) for as long as the
		// statistics had not caught up with a freshly listed tenant.
		b := &pgx.Batch{}
		for _, u := range batch {
			b.Queue(`UPDATE bulk_users SET outcome = $3, attempts = $4, detail = $5, at = $6
				WHERE request_id = $1 AND user_id = $2`,
				id, u.ID, string(u.Outcome), u.Attempts, u.Detail, u.At)
		}
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		for _, u := range batch {
			tag, err := br.Exec()
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return fmt.Errorf("user %q is not in job %q: %w", u.ID, id, ErrNotFound)
			}
		}
		return br.Close()
	})
	return bulkError("record outcomes of job", id, err)
}

func (s *pgStore) PendingUsers(ctx context.Context, id string, after int64, limit int) ([]BulkUser, error) {
	return s.UsersWith(ctx, id, []Outcome{OutcomePending}, after, limit)
}

func (s *pgStore) UsersWith(ctx context.Context, id string, outcomes []Outcome, after int64, limit int) ([]BulkUser, error) {
	id, in, ok, err := prepareOutcomeFilter(id, outcomes, limit)
	if !ok || err != nil {
		return nil, err
	}
	// One ordered range of the outcome index per outcome, each cut at limit:
	// with outcome = ANY(…) the planner cannot use the index order and sorts
	// every remaining user of the job for each page.
	rows, err := s.pool.Query(ctx, `SELECT u.* FROM unnest($2::text[]) AS o (outcome)
		CROSS JOIN LATERAL (SELECT `+bulkUserColumns+` FROM bulk_users b
			WHERE b.request_id = $1 AND b.outcome = o.outcome AND b.seq > $3 ORDER BY b.seq LIMIT $4) u
		ORDER BY u.seq LIMIT $4`, id, in, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: users of job %q: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (BulkUser, error) {
		var (
			u  BulkUser
			at *time.Time
		)
		err := row.Scan(&u.Seq, &u.ID, &u.UPN, &u.Outcome, &u.Attempts, &u.Detail, &at)
		if at != nil {
			u.At = at.UTC()
		}
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: users of job %q: %w", id, err)
	}
	if len(out) == 0 {
		return nil, nil // as on SQLite
	}
	return out, nil
}

func (s *pgStore) JobCounts(ctx context.Context, id string) (Counts, error) {
	id = cleanText(id)
	rows, err := s.pool.Query(ctx, fmt.Sprintf(countsQuery, "$1", ""), id)
	if err != nil {
		return Counts{}, fmt.Errorf("store: count job %q: %w", id, err)
	}
	c, found := newCounts(), false
	var (
		kind int
		key  string
		n    int
	)
	_, err = pgx.ForEachRow(rows, []any{&kind, &key, &n}, func() error {
		found = found || kind == 0
		c.addCount(kind, key, n)
		return nil
	})
	if err != nil {
		return Counts{}, fmt.Errorf("store: count job %q: %w", id, err)
	}
	if !found {
		return Counts{}, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	return c, nil
}

func (s *pgStore) RequestStop(ctx context.Context, id, by string, at time.Time) (Job, error) {
	id, by = cleanText(id), cleanText(by)
	if by == "" {
		return Job{}, fmt.Errorf("store: stop job %q without who stopped it", id)
	}
	if at = utc(at); at.IsZero() {
		at = utc(s.now())
	}
	js, err := s.jobs(ctx, `UPDATE bulk_jobs SET stop_by = $2, stop_at = $3
		WHERE request_id = $1 AND stop_by = '' RETURNING `+jobColumns, id, by, at)
	if err != nil {
		return Job{}, fmt.Errorf("store: stop job %q: %w", id, err)
	}
	if len(js) == 1 {
		return js[0], nil
	}
	cur, err := s.Job(ctx, id)
	if err != nil {
		return Job{}, err
	}
	return cur, fmt.Errorf("job %q was already stopped by %s: %w", id, cur.StopBy, ErrConflict)
}

func (s *pgStore) SetProgressTS(ctx context.Context, id, ts string) error {
	id, ts = cleanText(id), cleanText(ts)
	tag, err := s.pool.Exec(ctx, `UPDATE bulk_jobs SET progress_ts = $2 WHERE request_id = $1`, id, ts)
	if err != nil {
		return fmt.Errorf("store: set progress ts of job %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set progress ts: job %q: %w", id, ErrNotFound)
	}
	return nil
}

// userArrays is a batch of users column by column, for unnest: one
// statement, and one round trip, whatever the size of the batch.
type userArrays struct {
	ids, upns, outcomes, details []string
	attempts                     []int32
	ats                          []*time.Time // nil: NULL
}

func newUserArrays(users []BulkUser) userArrays {
	a := userArrays{
		ids: make([]string, len(users)), upns: make([]string, len(users)), outcomes: make([]string, len(users)),
		details: make([]string, len(users)), attempts: make([]int32, len(users)), ats: make([]*time.Time, len(users)),
	}
	for i, u := range users {
		a.ids[i], a.upns[i], a.outcomes[i], a.details[i] = u.ID, u.UPN, string(u.Outcome), u.Detail
		a.attempts[i] = int32(u.Attempts) // cleanUser checked the range
		a.ats[i] = nullTime(u.At)
	}
	return a
}

// jobs runs a query that returns jobColumns and collects its rows.
func (s *pgStore) jobs(ctx context.Context, sql string, args ...any) ([]Job, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Job, error) {
		var (
			j              Job
			lease, stopped *time.Time
		)
		err := row.Scan(&j.RequestID, &j.Cursor, &j.Listed, &j.Owner, &lease, &j.StopBy, &stopped, &j.ProgressTS, &j.CreatedAt)
		// pgx returns timestamptz in the local zone; the store promises UTC.
		j.CreatedAt = j.CreatedAt.UTC()
		if lease != nil {
			j.LeaseUntil = lease.UTC()
		}
		if stopped != nil {
			j.StopAt = stopped.UTC()
		}
		return j, err
	})
}
