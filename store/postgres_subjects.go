package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// RequestsAbout breaks ties on id in byte order, as SQLite does (see InState).
func (s *pgStore) RequestsAbout(ctx context.Context, subject string, limit int) ([]Request, error) {
	subject = subjectKey(subject)
	if subject == "" {
		return []Request{}, nil
	}
	rs, err := s.requests(ctx, `SELECT `+pgRequest+` FROM requests
		WHERE id IN (SELECT request_id FROM request_subjects WHERE subject = $1)
		ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $2`, subject, requestsAboutLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: requests about %q: %w", subject, err)
	}
	if rs == nil {
		rs = []Request{}
	}
	return rs, nil
}

// insertPGSubjects stores subjects[i] of request ids[i], for every i, in one
// statement: the arrays go to the server whole, not a row at a time.
func insertPGSubjects(ctx context.Context, tx pgx.Tx, ids []string, subjects [][]string) error {
	var rid, sub []string
	var pos []int32
	for i, id := range ids {
		for j, s := range subjects[i] {
			rid, sub, pos = append(rid, id), append(sub, s), append(pos, int32(j))
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO request_subjects (subject, request_id, pos)
		SELECT * FROM unnest($1::text[], $2::text[], $3::integer[])`, sub, rid, pos)
	return err
}

// pgBackfillSubjects gives the requests made before schema version 3 their
// subjects (see backfillSubject).
func pgBackfillSubjects(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT id, target FROM requests WHERE kind = $1 AND target IS NOT NULL`, string(KindUser))
	if err != nil {
		return fmt.Errorf("backfill subjects: %w", err)
	}
	var (
		ids      []string
		subjects [][]string
		id       string
		target   []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &target}, func() error {
		if sub := backfillSubject(KindUser, target); sub != "" {
			ids, subjects = append(ids, id), append(subjects, []string{sub})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("backfill subjects: %w", err)
	}
	if err := insertPGSubjects(ctx, tx, ids, subjects); err != nil {
		return fmt.Errorf("backfill subjects: %w", err)
	}
	return nil
}
