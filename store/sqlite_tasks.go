package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

func (s *sqliteStore) CreateTask(ctx context.Context, t Task) error {
	t, err := prepareTask(t, s.now)
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO tasks (`+taskColumns+`) VALUES (?, ?, ?, ?, '', NULL, ?, ?, ?)`,
		t.ID, t.Kind, t.RequestID, []byte(t.State), t.Done, micros(t.CreatedAt), micros(t.UpdatedAt))
	if isConstraint(err) {
		return fmt.Errorf("create task %q: %w", t.ID, ErrDuplicate)
	}
	return taskError("create task", t.ID, err)
}

func (s *sqliteStore) Task(ctx context.Context, id string) (Task, error) {
	id = cleanText(id)
	t, err := scanTask(s.r.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Task{}, fmt.Errorf("task %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Task{}, fmt.Errorf("store: task %q: %w", id, err)
	}
	return t, nil
}

func (s *sqliteStore) ClaimTask(ctx context.Context, id, owner string, now, until time.Time) (Task, error) {
	id, owner, now, until, err := prepareClaim("task", id, owner, now, until, s.now)
	if err != nil {
		return Task{}, err
	}
	// One UPDATE is the compare-and-set, as in ClaimJob.
	t, err := scanTask(s.w.QueryRowContext(ctx, `UPDATE tasks SET owner = ?, lease_until = ?
		WHERE id = ? AND done = 0 AND (owner = '' OR owner = ? OR lease_until IS NULL OR lease_until <= ?)
		RETURNING `+taskColumns, owner, micros(until), id, owner, micros(now)))
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Task{}, fmt.Errorf("store: claim task %q: %w", id, err)
	}
	cur, err := s.Task(ctx, id)
	if err != nil {
		return Task{}, err
	}
	return cur, taskClaimConflict(cur)
}

func (s *sqliteStore) SaveTask(ctx context.Context, id, owner string, state json.RawMessage, done bool) error {
	id, owner = cleanText(id), cleanText(owner)
	state, err := taskState(id, state)
	if err != nil {
		return err
	}
	held, err := sqliteSaveTask(ctx, s.w, id, owner, state, done, s.now())
	if err != nil {
		return fmt.Errorf("store: save task %q: %w", id, err)
	}
	if held {
		return nil
	}
	return taskFenced(ctx, s, id, owner)
}

// sqliteSaveTask writes a task's checkpoint as SaveTask does, on the store
// or inside a transaction; false when owner does not hold the task. The
// owner in the WHERE clause is the fence; done also releases the lease.
func sqliteSaveTask(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, id, owner string, state json.RawMessage, done bool, now time.Time) (bool, error) {
	res, err := ex.ExecContext(ctx, `UPDATE tasks SET state = COALESCE(?, state), done = ?, updated_at = ?,
			owner = CASE WHEN ? THEN '' ELSE owner END, lease_until = CASE WHEN ? THEN NULL ELSE lease_until END
		WHERE id = ? AND owner = ? AND owner <> ''`,
		[]byte(state), done, micros(utc(now)), done, done, id, owner)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *sqliteStore) ReleaseTask(ctx context.Context, id, owner string) error {
	id, owner = cleanText(id), cleanText(owner)
	_, err := s.w.ExecContext(ctx, `UPDATE tasks SET owner = '', lease_until = NULL
		WHERE id = ? AND owner = ? AND owner <> ''`, id, owner)
	if err != nil {
		return fmt.Errorf("store: release task %q: %w", id, err)
	}
	return nil
}

func (s *sqliteStore) OpenTasks(ctx context.Context, kind string) ([]Task, error) {
	kind = cleanText(kind)
	rows, err := s.r.QueryContext(ctx, `SELECT `+taskColumns+` FROM tasks
		WHERE kind = ? AND done = 0 ORDER BY created_at, id`, kind)
	if err != nil {
		return nil, fmt.Errorf("store: open tasks of %q: %w", kind, err)
	}
	defer rows.Close()
	var out []Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, fmt.Errorf("store: open tasks of %q: %w", kind, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: open tasks of %q: %w", kind, err)
	}
	return out, nil
}

func scanTask(row interface{ Scan(...any) error }) (Task, error) {
	var (
		t                Task
		state            []byte
		lease            sql.NullInt64
		created, updated int64
	)
	err := row.Scan(&t.ID, &t.Kind, &t.RequestID, &state, &t.Owner, &lease, &t.Done, &created, &updated)
	if err != nil {
		return Task{}, err
	}
	if len(state) > 0 {
		t.State = state
	}
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	if lease.Valid {
		t.LeaseUntil = fromMicros(lease.Int64)
	}
	return t, nil
}

func (s *sqliteStore) SealTask(ctx context.Context, id, owner string, state json.RawMessage, e Event, tell ...Tell) (Record, error) {
	id, owner = cleanText(id), cleanText(owner)
	state, e, tells, err := prepareSeal(id, state, e, tell, s.now)
	if err != nil {
		return Record{}, err
	}
	t := s.turn.take(s.signer, e)
	defer t.release()
	var r Record
	fenced := false
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		held, err := sqliteSaveTask(ctx, tx, id, owner, state, true, s.now())
		if err != nil {
			return err
		}
		if !held {
			fenced = true
			return ErrConflict
		}
		if r, err = sqliteAppend(ctx, tx, e, s.signer, t); err != nil {
			return err
		}
		return sqliteInsertTells(ctx, tx, tells, r.Seq, r.Time)
	})
	if fenced {
		return Record{}, taskFenced(ctx, s, id, owner)
	}
	if err != nil {
		return Record{}, fmt.Errorf("store: seal task %q: %w", id, err)
	}
	return r, nil
}
