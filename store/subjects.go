package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// MaxSubjects is how many users one request may name.
const MaxSubjects = 20

// maxRequestsAbout bounds one RequestsAbout answer, whatever limit it is given.
const maxRequestsAbout = 100

// prepareSubjects is prepareRequest's part for Subjects: each is cleaned and
// lower-cased (object IDs are GUIDs, which compare case-insensitively), a
// repeat of an earlier one is dropped, and the order is otherwise kept, since
// the first subject is the one a card names first. None is nil.
func prepareSubjects(id string, subjects []string) ([]string, error) {
	if len(subjects) > MaxSubjects {
		return nil, fmt.Errorf("store: request %q names %d users, at most %d may be named", id, len(subjects), MaxSubjects)
	}
	var out []string
	for _, s := range subjects {
		s = subjectKey(s)
		if s == "" {
			return nil, fmt.Errorf("store: request %q names an empty user", id)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// subjectKey is a subject as it is stored and looked up.
func subjectKey(s string) string { return strings.ToLower(cleanText(s)) }

// requestsAboutLimit applies RequestsAbout's documented bounds.
func requestsAboutLimit(limit int) int {
	if limit <= 0 || limit > maxRequestsAbout {
		return maxRequestsAbout
	}
	return limit
}

// backfillSubject is the subject that schema version 3 gives a request made
// before requests had subjects: the user of a single-user request, whose
// Target the bot then wrote as {"user":{"id":…,…}}. Anything else, a target
// that does not parse included, has none ("").
//
// The backfill reads targets here rather than with the databases' JSON
// functions so that both backends give every old row the very subject a new
// row would get, and so that no row can stop the migration: PostgreSQL's
// json and jsonb refuse a document with \u0000 anywhere in it, which Go
// writes for a NUL and json.Valid accepts.
func backfillSubject(kind Kind, target []byte) string {
	if kind != KindUser || len(target) == 0 {
		return ""
	}
	var t struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if json.Unmarshal(target, &t) != nil {
		return ""
	}
	return subjectKey(t.User.ID)
}
