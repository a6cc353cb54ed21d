package store

import (
	"context"
	"database/sql"
	"fmt"
)

func (s *sqliteStore) RequestsAbout(ctx context.Context, subject string, limit int) ([]Request, error) {
	subject = subjectKey(subject)
	if subject == "" {
		return []Request{}, nil
	}
	rs, err := s.requests(ctx, `id IN (SELECT request_id FROM request_subjects WHERE subject = ?)
		ORDER BY created_at DESC, id DESC LIMIT ?`, subject, requestsAboutLimit(limit))
	if rs == nil && err == nil {
		rs = []Request{}
	}
	return rs, err
}

// insertSubjects stores the subjects of request id, which prepareSubjects made.
func insertSubjects(ctx context.Context, tx *sql.Tx, id string, subjects []string) error {
	for i, sub := range subjects {
		if _, err := tx.ExecContext(ctx, `INSERT INTO request_subjects (subject, request_id, pos) VALUES (?, ?, ?)`,
			sub, id, i); err != nil {
			return err
		}
	}
	return nil
}

// sqliteBackfillSubjects gives the requests made before schema version 3
// their subjects (see backfillSubject).
func sqliteBackfillSubjects(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, target FROM requests WHERE kind = ? AND target IS NOT NULL`, KindUser)
	if err != nil {
		return fmt.Errorf("backfill subjects: %w", err)
	}
	defer rows.Close()
	var ids, subjects []string
	for rows.Next() {
		var (
			id     string
			target []byte
		)
		if err := rows.Scan(&id, &target); err != nil {
			return fmt.Errorf("backfill subjects: %w", err)
		}
		if sub := backfillSubject(KindUser, target); sub != "" {
			ids, subjects = append(ids, id), append(subjects, sub)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backfill subjects: %w", err)
	}
	rows.Close()
	for i, id := range ids {
		if err := insertSubjects(ctx, tx, id, subjects[i:i+1]); err != nil {
			return fmt.Errorf("backfill subjects of %q: %w", id, err)
		}
	}
	return nil
}
