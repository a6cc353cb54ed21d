package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

func (s *sqliteStore) SetTarget(ctx context.Context, id string, in State, target []byte, tell []Tell) error {
	tells, err := prepareTells(tell, false)
	if err != nil {
		return err
	}
	id = cleanText(id)
	at := s.now().UTC()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE requests SET target = ?, updated_at = ? WHERE id = ? AND state = ?`,
			target, micros(at), id, string(in))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errLost
		}
		return sqliteInsertTells(ctx, tx, tells, 0, at)
	})
	return targetResult(ctx, s, id, in, err)
}

func (s *pgStore) SetTarget(ctx context.Context, id string, in State, target []byte, tell []Tell) error {
	tells, err := prepareTells(tell, false)
	if err != nil {
		return err
	}
	id = cleanText(id)
	at := s.now().UTC()
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE requests SET target = $1, updated_at = $2 WHERE id = $3 AND state = $4`,
			target, at, id, string(in))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errLost
		}
		return pgInsertTells(ctx, tx, tells, 0, at)
	})
	return targetResult(ctx, s, id, in, err)
}

// targetResult words SetTarget's outcome: a request not in `in` is a
// conflict, one that does not exist is not found.
func targetResult(ctx context.Context, s Store, id string, in State, err error) error {
	if err == nil {
		return nil
	}
	if !errors.Is(err, errLost) {
		return fmt.Errorf("store: set target of %q: %w", id, err)
	}
	cur, rerr := s.Request(ctx, id)
	if rerr != nil {
		return rerr
	}
	return fmt.Errorf("set target of %q: it is %s, not %s: %w", id, cur.State, in, ErrConflict)
}
