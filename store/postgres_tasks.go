package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

func (s *pgStore) CreateTask(ctx context.Context, t Task) error {
	t, err := prepareTask(t, s.now)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO tasks (`+taskColumns+`) VALUES ($1, $2, $3, $4, '', NULL, $5, $6, $7)`,
		t.ID, t.Kind, t.RequestID, []byte(t.State), t.Done, t.CreatedAt, t.UpdatedAt)
	if isUniqueViolation(err) {
		return fmt.Errorf("create task %q: %w", t.ID, ErrDuplicate)
	}
	return taskError("create task", t.ID, err)
}

func (s *pgStore) Task(ctx context.Context, id string) (Task, error) {
	id = cleanText(id)
	ts, err := s.tasks(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1`, id)
	switch {
	case err != nil:
		return Task{}, fmt.Errorf("store: task %q: %w", id, err)
	case len(ts) == 0:
		return Task{}, fmt.Errorf("task %q: %w", id, ErrNotFound)
	}
	return ts[0], nil
}

func (s *pgStore) ClaimTask(ctx context.Context, id, owner string, now, until time.Time) (Task, error) {
	id, owner, now, until, err := prepareClaim("task", id, owner, now, until, s.now)
	if err != nil {
		return Task{}, err
	}
	// The WHERE clause is the compare-and-set, as in ClaimJob: a racing
	// UPDATE waits for the winner to commit and re-checks against its row.
	ts, err := s.tasks(ctx, `UPDATE tasks SET owner = $2, lease_until = $3
		WHERE id = $1 AND NOT done AND (owner = '' OR owner = $2 OR lease_until IS NULL OR lease_until <= $4)
		RETURNING `+taskColumns, id, owner, until, now)
	if err != nil {
		return Task{}, fmt.Errorf("store: claim task %q: %w", id, err)
	}
	if len(ts) == 1 {
		return ts[0], nil
	}
	cur, err := s.Task(ctx, id)
	if err != nil {
		return Task{}, err
	}
	return cur, taskClaimConflict(cur)
}

func (s *pgStore) SaveTask(ctx context.Context, id, owner string, state json.RawMessage, done bool) error {
	id, owner = cleanText(id), cleanText(owner)
	state, err := taskState(id, state)
	if err != nil {
		return err
	}
	held, err := pgSaveTask(ctx, s.pool, id, owner, state, done, s.now())
	if err != nil {
		return fmt.Errorf("store: save task %q: %w", id, err)
	}
	if held {
		return nil
	}
	return taskFenced(ctx, s, id, owner)
}

// pgSaveTask writes a task's checkpoint as SaveTask does, on the pool or
// inside a transaction; false when owner does not hold the task. The
// owner in the WHERE clause is the fence; done also releases the lease.
func pgSaveTask(ctx context.Context, q pgQuerier, id, owner string, state json.RawMessage, done bool, now time.Time) (bool, error) {
	tag, err := q.Exec(ctx, `UPDATE tasks SET state = COALESCE($3::bytea, state), done = $4, updated_at = $5,
			owner = CASE WHEN $4 THEN '' ELSE owner END, lease_until = CASE WHEN $4 THEN NULL ELSE lease_until END
		WHERE id = $1 AND owner = $2 AND owner <> ''`,
		id, owner, []byte(state), done, utc(now))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

func (s *pgStore) ReleaseTask(ctx context.Context, id, owner string) error {
	id, owner = cleanText(id), cleanText(owner)
	_, err := s.pool.Exec(ctx, `UPDATE tasks SET owner = '', lease_until = NULL
		WHERE id = $1 AND owner = $2 AND owner <> ''`, id, owner)
	if err != nil {
		return fmt.Errorf("store: release task %q: %w", id, err)
	}
	return nil
}

// OpenTasks breaks ties on id in byte order, as SQLite does (see InState).
func (s *pgStore) OpenTasks(ctx context.Context, kind string) ([]Task, error) {
	kind = cleanText(kind)
	ts, err := s.tasks(ctx, `SELECT `+taskColumns+` FROM tasks
		WHERE kind = $1 AND NOT done ORDER BY created_at, id COLLATE "C"`, kind)
	if err != nil {
		return nil, fmt.Errorf("store: open tasks of %q: %w", kind, err)
	}
	if len(ts) == 0 {
		return nil, nil // as on SQLite
	}
	return ts, nil
}

// tasks runs a query that returns taskColumns and collects its rows.
func (s *pgStore) tasks(ctx context.Context, sql string, args ...any) ([]Task, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Task, error) {
		var (
			t     Task
			state []byte
			lease *time.Time
		)
		err := row.Scan(&t.ID, &t.Kind, &t.RequestID, &state, &t.Owner, &lease, &t.Done, &t.CreatedAt, &t.UpdatedAt)
		if len(state) > 0 {
			t.State = state
		}
		// pgx returns timestamptz in the local zone; the store promises UTC.
		t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
		if lease != nil {
			t.LeaseUntil = lease.UTC()
		}
		return t, err
	})
}

func (s *pgStore) SealTask(ctx context.Context, id, owner string, state json.RawMessage, e Event, tell ...Tell) (Record, error) {
	id, owner = cleanText(id), cleanText(owner)
	state, e, tells, err := prepareSeal(id, state, e, tell, s.now)
	if err != nil {
		return Record{}, err
	}
	var r Record
	fenced := false
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		held, err := pgSaveTask(ctx, tx, id, owner, state, true, s.now())
		if err != nil {
			return err
		}
		if !held {
			fenced = true
			return ErrConflict
		}
		if r, err = pgAppend(ctx, tx, e, s.signer); err != nil {
			return err
		}
		return pgInsertTells(ctx, tx, tells, r.Seq, r.Time)
	})
	if fenced {
		return Record{}, taskFenced(ctx, s, id, owner)
	}
	if err != nil {
		return Record{}, fmt.Errorf("store: seal task %q: %w", id, err)
	}
	return r, nil
}
