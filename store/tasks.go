package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Task is the durable state of long-running work beside a request, such as
// a sign-in watch: whoever runs it holds a lease, as for a bulk job, and
// saves its checkpoint as it goes, so another replica can resume it after a
// restart or a crash.
type Task struct {
	ID        string // unique, chosen by the caller (e.g. "watch:rb-…")
	Kind      string
	RequestID string
	State     json.RawMessage // the task's own checkpoint, opaque to the store; nil when none
	// Owner holds the task's lease until LeaseUntil; only the owner may
	// save it. Empty when nobody does.
	Owner      string
	LeaseUntil time.Time
	Done       bool // finished for good: it cannot be claimed or saved again
	// CreatedAt is when the task was made; UpdatedAt when its State or Done
	// last changed (claims do not count).
	CreatedAt, UpdatedAt time.Time
}

// Tasks keeps the checkpoints of tasks. As in Bulk, every save names the
// lease owner and fails with ErrConflict when the lease has passed to
// someone else, and the fence checks the owner, not the time.
type Tasks interface {
	// CreateTask stores a new task without an owner; ErrDuplicate on a known
	// ID. ID and Kind must not be empty, State must be JSON when given, and
	// Owner and LeaseUntil must be empty (claim it with ClaimTask). A zero
	// CreatedAt means now, a zero UpdatedAt CreatedAt.
	CreateTask(ctx context.Context, t Task) error
	// Task returns task id, or ErrNotFound.
	Task(ctx context.Context, id string) (Task, error)
	// ClaimTask gives owner the lease until `until` under ClaimJob's rules,
	// and returns the task after it. A task someone else holds, or one that
	// is done, is not claimed: it returns the current task and ErrConflict.
	// ErrNotFound for an unknown task.
	ClaimTask(ctx context.Context, id, owner string, now, until time.Time) (Task, error)
	// SaveTask stores the task's checkpoint (an empty state keeps the one
	// stored); done ends the task and releases its lease. ErrConflict when
	// owner does not hold it, ErrNotFound for an unknown task.
	SaveTask(ctx context.Context, id, owner string, state json.RawMessage, done bool) error
	// SealTask ends the task as SaveTask with done does, and appends e to
	// the audit chain with its tells, as AppendAudit does, in the same
	// transaction: a record that names the state (such as its digest) is
	// never kept, nor told, without it. Fenced as SaveTask: ErrConflict or
	// ErrNotFound append nothing.
	SealTask(ctx context.Context, id, owner string, state json.RawMessage, e Event, tell ...Tell) (Record, error)
	// ReleaseTask ends owner's lease at once; a no-op when owner does not
	// hold it (or the task does not exist).
	ReleaseTask(ctx context.Context, id, owner string) error
	// OpenTasks lists the tasks of a kind that are not done, oldest first
	// (by CreatedAt, then ID).
	OpenTasks(ctx context.Context, kind string) ([]Task, error)
}

// taskColumns is what every read of a task selects.
const taskColumns = `id, kind, request_id, state, owner, lease_until, done, created_at, updated_at`

// prepareTask checks t and fills in CreateTask's defaults, so that every
// backend stores the same values.
func prepareTask(t Task, now func() time.Time) (Task, error) {
	t.ID, t.Kind, t.RequestID, t.Owner = cleanText(t.ID), cleanText(t.Kind), cleanText(t.RequestID), cleanText(t.Owner)
	switch {
	case t.ID == "":
		return t, errors.New("store: task without ID")
	case t.Kind == "":
		return t, fmt.Errorf("store: task %q without kind", t.ID)
	case t.Owner != "" || !t.LeaseUntil.IsZero():
		return t, fmt.Errorf("store: task %q: a new task has no owner (claim it with ClaimTask)", t.ID)
	}
	var err error
	if t.State, err = taskState(t.ID, t.State); err != nil {
		return t, err
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now()
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = t.CreatedAt
	}
	t.CreatedAt, t.UpdatedAt = utc(t.CreatedAt), utc(t.UpdatedAt)
	return t, nil
}

// taskState checks a checkpoint; none is nil.
func taskState(id string, state json.RawMessage) (json.RawMessage, error) {
	if len(state) == 0 {
		return nil, nil
	}
	if !json.Valid(state) {
		return nil, fmt.Errorf("store: task %q: state is not JSON", id)
	}
	return state, nil
}

// prepareSeal checks and cleans what SealTask keeps, as SaveTask and
// AppendAudit do.
func prepareSeal(id string, state json.RawMessage, e Event, tell []Tell, now func() time.Time) (json.RawMessage, Event, []Tell, error) {
	state, err := taskState(id, state)
	if err != nil {
		return nil, e, nil, err
	}
	if e, err = prepareEvent(e, now); err != nil {
		return nil, e, nil, err
	}
	tells, err := prepareTells(tell, true)
	return state, e, tells, err
}

// taskFenced explains a save or seal that matched no row held by owner.
func taskFenced(ctx context.Context, s interface {
	Task(context.Context, string) (Task, error)
}, id, owner string) error {
	cur, err := s.Task(ctx, id)
	if err != nil {
		return err
	}
	return taskFenceConflict(cur, owner)
}

// taskClaimConflict explains a lost claim with the task as it is now.
func taskClaimConflict(cur Task) error {
	if cur.Done {
		return fmt.Errorf("task %q is done: %w", cur.ID, ErrConflict)
	}
	return fmt.Errorf("task %q is held by %q until %s: %w",
		cur.ID, cur.Owner, cur.LeaseUntil.Format(time.RFC3339Nano), ErrConflict)
}

// taskFenceConflict explains a save refused because owner does not hold
// the task: someone else does, nobody does, or it is done.
func taskFenceConflict(cur Task, owner string) error {
	if cur.Done {
		return fmt.Errorf("task %q is done: %w", cur.ID, ErrConflict)
	}
	return fmt.Errorf("task %q: %q does not hold the lease (%q does): %w", cur.ID, owner, cur.Owner, ErrConflict)
}

// taskError prefixes errors as bulkError does.
func taskError(what, id string, err error) error {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrDuplicate) {
		return err
	}
	return fmt.Errorf("store: %s %q: %w", what, id, err)
}
