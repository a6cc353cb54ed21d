package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// subjectTests are the contract of Request.Subjects and RequestsAbout.
var subjectTests = []contractTest{
	{"SubjectsRoundTrip", testSubjectsRoundTrip},
	{"SubjectsInvalid", testSubjectsInvalid},
	{"SubjectsAtomic", testSubjectsAtomic},
	{"RequestsAbout", testRequestsAbout},
	{"RequestsAboutLimit", testRequestsAboutLimit},
	{"RequestsAboutExact", testRequestsAboutExact},
}

// Object IDs as Graph writes them and as a person may paste them.
const (
	alice = "6f1c2a3b-0000-4000-8000-00000000a11c"
	bob   = "0b0b0b0b-0000-4000-8000-000000000b0b"
	carol = "ca201000-0000-4000-8000-00000000ca20"
)

func newRequestAbout(id string, at time.Time, subjects ...string) store.Request {
	r := newRequest(id)
	r.TriggerID, r.CreatedAt, r.Subjects = "", at, subjects
	return r
}

func about(t *testing.T, s store.Store, subject string, limit int) []store.Request {
	t.Helper()
	rs, err := s.RequestsAbout(context.Background(), subject, limit)
	if err != nil {
		t.Fatalf("RequestsAbout(%q, %d): %v", subject, limit, err)
	}
	if rs == nil {
		t.Errorf("RequestsAbout(%q, %d) = nil, want a slice", subject, limit)
	}
	return rs
}

// testSubjectsRoundTrip: subjects come back lower-cased, cleaned, without
// repeats and otherwise in the order given, from every read of a request.
func testSubjectsRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := newRequestAbout("r1", base, strings.ToUpper(bob), alice, strings.ToUpper(alice), "x\x00\xff")
	in.ExpiresAt = base
	create(t, s, in)
	want := fmt.Sprint([]string{bob, alice, "x\uFFFD\uFFFD"})
	if in.Subjects[0] != strings.ToUpper(bob) {
		t.Errorf("CreateRequest changed the caller's slice: %q", in.Subjects)
	}
	check := func(what string, r store.Request) {
		t.Helper()
		if got := fmt.Sprint(r.Subjects); got != want {
			t.Errorf("%s: Subjects = %s, want %s", what, got, want)
		}
	}
	check("Request", get(t, s, "r1"))
	due, err := s.DuePending(ctx, base)
	if err != nil || len(due) != 1 {
		t.Fatalf("DuePending = %v, %v", ids(due), err)
	}
	check("DuePending", due[0])
	got, err := s.Transition(ctx, "r1", store.StatePending, store.StateRunning, store.Change{})
	if err != nil {
		t.Fatal(err)
	}
	check("Transition", got)
	running, err := s.InState(ctx, store.StateRunning)
	if err != nil || len(running) != 1 {
		t.Fatalf("InState = %v, %v", ids(running), err)
	}
	check("InState", running[0])
	check("RequestsAbout", about(t, s, "X\x00\xff", 0)[0])

	create(t, s, newRequestAbout("none", base))
	create(t, s, newRequestAbout("empty", base, []string{}...))
	for _, id := range []string{"none", "empty"} {
		if got := get(t, s, id); got.Subjects != nil {
			t.Errorf("%s: Subjects = %q, want nil", id, got.Subjects)
		}
	}
}

func testSubjectsInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	many := make([]string, store.MaxSubjects+1)
	for i := range many {
		many[i] = fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
	}
	for name, r := range map[string]store.Request{
		"too many":      newRequestAbout("many", base, many...),
		"empty subject": newRequestAbout("blank", base, alice, ""),
	} {
		if err := s.CreateRequest(ctx, r); err == nil {
			t.Errorf("%s: CreateRequest accepted %q", name, r.Subjects)
		}
		if _, err := s.Request(ctx, r.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: the refused request was stored (%v)", name, err)
		}
	}
	create(t, s, newRequestAbout("max", base, many[:store.MaxSubjects]...))
	if got := get(t, s, "max").Subjects; fmt.Sprint(got) != fmt.Sprint(many[:store.MaxSubjects]) {
		t.Errorf("Subjects = %q, want %q", got, many[:store.MaxSubjects])
	}
	if rs := about(t, s, alice, 0); len(rs) != 0 {
		t.Errorf("a refused request is found by its subject: %v", ids(rs))
	}
}

// testSubjectsAtomic: a request refused as a duplicate leaves no subjects
// behind, and does not change the subjects of the request it collided with.
func testSubjectsAtomic(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := newRequestAbout("r1", base, alice)
	first.TriggerID = "trigger-1"
	create(t, s, first)
	sameID := newRequestAbout("r1", base, bob)
	sameTrigger := newRequestAbout("r2", base, carol)
	sameTrigger.TriggerID = "trigger-1"
	for _, r := range []store.Request{sameID, sameTrigger} {
		if err := s.CreateRequest(ctx, r); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("CreateRequest(%s): %v, want ErrDuplicate", r.ID, err)
		}
	}
	if got := get(t, s, "r1").Subjects; fmt.Sprint(got) != fmt.Sprint([]string{alice}) {
		t.Errorf("r1 Subjects = %q, want only alice", got)
	}
	for _, sub := range []string{bob, carol} {
		if rs := about(t, s, sub, 0); len(rs) != 0 {
			t.Errorf("RequestsAbout(%s) = %v after refused requests, want none", sub, ids(rs))
		}
	}
}

func testRequestsAbout(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, r := range []store.Request{
		newRequestAbout("r1", base, alice),
		newRequestAbout("r2", base.Add(time.Second), bob, strings.ToUpper(alice)),
		newRequestAbout("r3", base.Add(2*time.Second), carol),
		newRequestAbout("r4", base.Add(3*time.Second), alice),
		// Created in the same microsecond as r4: ties go by ID, descending.
		newRequestAbout("r0", base.Add(3*time.Second), alice, carol),
		newRequestAbout("all", base.Add(4*time.Second)),
	} {
		create(t, s, r)
	}
	for _, c := range []struct {
		subject string
		limit   int
		want    string
	}{
		{alice, 0, "[r4 r0 r2 r1]"},
		{strings.ToUpper(alice), 10, "[r4 r0 r2 r1]"},
		{alice, 2, "[r4 r0]"},
		{alice, -1, "[r4 r0 r2 r1]"},
		{bob, 0, "[r2]"},
		{carol, 0, "[r0 r3]"},
		{"11111111-0000-4000-8000-000000000000", 0, "[]"},
		{"", 0, "[]"},
		{alice[:8], 0, "[]"},
	} {
		if got := fmt.Sprint(ids(about(t, s, c.subject, c.limit))); got != c.want {
			t.Errorf("RequestsAbout(%q, %d) = %s, want %s", c.subject, c.limit, got, c.want)
		}
	}
	// The requests come whole, as Request returns them.
	rs := about(t, s, bob, 0)
	if want := get(t, s, "r2"); len(rs) != 1 || fmt.Sprintf("%+v", rs[0]) != fmt.Sprintf("%+v", want) {
		t.Errorf("RequestsAbout(bob) = %+v, want %+v", rs, want)
	}
	for _, to := range []store.State{store.StateRunning, store.StateSucceeded} {
		if _, err := s.Transition(ctx, "r1", get(t, s, "r1").State, to, store.Change{}); err != nil {
			t.Fatal(err)
		}
	}
	if rs := about(t, s, alice, 0); rs[len(rs)-1].State != store.StateSucceeded {
		t.Errorf("RequestsAbout does not show r1's new state: %+v", rs[len(rs)-1])
	}
}

func testRequestsAboutLimit(t *testing.T, s store.Store) {
	for i := range 105 {
		create(t, s, newRequestAbout(fmt.Sprintf("r%03d", i), base.Add(time.Duration(i)*time.Second), alice))
	}
	for _, c := range []struct{ limit, want int }{{0, 100}, {-5, 100}, {101, 100}, {1000, 100}, {100, 100}, {99, 99}, {3, 3}} {
		rs := about(t, s, alice, c.limit)
		if len(rs) != c.want {
			t.Errorf("RequestsAbout(limit %d) returned %d, want %d", c.limit, len(rs), c.want)
			continue
		}
		if rs[0].ID != "r104" || rs[len(rs)-1].ID != fmt.Sprintf("r%03d", 105-c.want) {
			t.Errorf("RequestsAbout(limit %d) = %s … %s, want the newest", c.limit, rs[0].ID, rs[len(rs)-1].ID)
		}
	}
}

// testRequestsAboutExact: a subject is a key, never a pattern.
func testRequestsAboutExact(t *testing.T, s store.Store) {
	subjects := []string{"abc", "a_c", "a%", "a%c", "o'brien", `a\c`, `a"c`, "a", "ab"}
	for i, sub := range subjects {
		create(t, s, newRequestAbout(fmt.Sprint("r", i), base, sub))
	}
	for i, sub := range subjects {
		if got := fmt.Sprint(ids(about(t, s, sub, 0))); got != fmt.Sprintf("[r%d]", i) {
			t.Errorf("RequestsAbout(%q) = %s, want [r%d]", sub, got, i)
		}
	}
	for _, sub := range []string{"%", "_", "a_", "a%%", "a*", "o''brien", "' OR '1'='1", `a\\c`, "a.c"} {
		if slices.Contains(subjects, sub) {
			t.Fatalf("bad test: %q is stored", sub)
		}
		if got := ids(about(t, s, sub, 0)); len(got) != 0 {
			t.Errorf("RequestsAbout(%q) = %v, want none", sub, got)
		}
	}
}
