package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// testOutboxUpgrade opens a store made before the outbox existed and
// expects its tables to be added on open, and not by the read-only open.
func testOutboxUpgrade(t *testing.T, url string, exec func(...string)) {
	ctx := context.Background()
	s, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRequest(ctx, store.Request{ID: "r1", Kind: store.KindUser}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAudit(ctx, store.Event{Event: "requested", RequestID: "r1"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	exec(windBack(3)...)
	if ro, err := store.OpenExisting(ctx, url); err == nil || !strings.Contains(err.Error(), "schema version 3") {
		if ro != nil {
			ro.Close()
		}
		t.Fatalf("OpenExisting of an old schema: %v, want a refusal", err)
	}
	s, err = store.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open of an old schema: %v", err)
	}
	defer s.Close()
	rec, err := s.AppendAudit(ctx, store.Event{Event: "confirmed", RequestID: "r1"},
		store.Tell{Kind: store.DeliverReply, Key: "r1", RequestID: "r1"})
	if err != nil || rec.Seq != 2 {
		t.Fatalf("AppendAudit with a tell after the upgrade = %+v, %v", rec, err)
	}
	if err := s.CreateTask(ctx, store.Task{ID: "watch:r1", Kind: "watch", RequestID: "r1"}); err != nil {
		t.Fatalf("CreateTask after the upgrade: %v", err)
	}
	if n, err := s.OutboxPending(ctx); n != 1 || err != nil {
		t.Errorf("OutboxPending after the upgrade = %d, %v", n, err)
	}
	if n, err := s.VerifyAudit(ctx, nil); n.Records != 2 || err != nil {
		t.Errorf("the upgrade broke the chain: %d, %v", n, err)
	}
}

func TestOutboxUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	testOutboxUpgrade(t, "sqlite:"+path, func(q ...string) { rawExec(t, path, q...) })
}

func TestPostgresOutboxUpgrade(t *testing.T) {
	dsn, _ := pgSchema(t)
	testOutboxUpgrade(t, dsn, func(q ...string) { pgExec(t, dsn, q...) })
}

// failing is how a backend makes inserts into a table fail, and stop failing.
type failing struct{ fail, unfail func(table string) []string }

var (
	sqliteFailing = failing{
		fail: func(table string) []string {
			return []string{`CREATE TRIGGER fail_` + table + ` BEFORE INSERT ON ` + table + ` BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`}
		},
		unfail: func(table string) []string { return []string{`DROP TRIGGER fail_` + table} },
	}
	pgFailing = failing{
		fail: func(table string) []string {
			return []string{
				`CREATE OR REPLACE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$`,
				`CREATE TRIGGER fail_` + table + ` BEFORE INSERT ON ` + table + ` FOR EACH ROW EXECUTE FUNCTION fail_insert()`,
			}
		},
		unfail: func(table string) []string { return []string{`DROP TRIGGER fail_` + table + ` ON ` + table} },
	}
)

// testWriteFailsWhole makes the audit append, then the outbox write, fail
// inside the database, which the contract suite cannot do, and expects the
// whole decision or append to be rolled back: the state, the chain, the
// messages and the job stay as they were.
func testWriteFailsWhole(t *testing.T, s store.Store, exec func(...string), f failing) {
	ctx := context.Background()
	if err := s.CreateRequest(ctx, store.Request{ID: "all1", Kind: store.KindAll}); err != nil {
		t.Fatal(err)
	}
	c := store.Change{
		DecidedBy: "U1", Detail: "confirmed",
		Audit:     &store.Event{Event: "confirmed", RequestID: "all1", Actor: "U1"},
		Tell:      []store.Tell{{Kind: store.DeliverReply, Key: "all1", RequestID: "all1"}},
		CreateJob: true,
	}
	check := func(when string, records int) {
		t.Helper()
		r, err := s.Request(ctx, "all1")
		if err != nil || r.State != store.StatePending || r.DecidedBy != "" {
			t.Errorf("%s: request %+v, %v; want it pending and undecided", when, r, err)
		}
		if n, err := s.VerifyAudit(ctx, nil); n.Records != records || err != nil {
			t.Errorf("%s: VerifyAudit = %d, %v; want %d, nil", when, n, err, records)
		}
		if n, err := s.OutboxPending(ctx); n != 0 || err != nil {
			t.Errorf("%s: OutboxPending = %d, %v; want 0", when, n, err)
		}
		if _, err := s.Job(ctx, "all1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: Job: %v, want ErrNotFound", when, err)
		}
	}
	for _, table := range []string{"audit", "outbox"} {
		exec(f.fail(table)...)
		_, rec, err := s.Decide(ctx, "all1", store.StatePending, store.StateRunning, c)
		if err == nil || errors.Is(err, store.ErrConflict) || rec != (store.Record{}) {
			t.Errorf("Decide while %s inserts fail = %+v, %v; want an error", table, rec, err)
		}
		check("after a Decide whose "+table+" insert failed", 0)
		_, err = s.AppendAudit(ctx, store.Event{Event: "refused", Actor: "U2"}, store.Tell{Kind: store.DeliverAudit, Key: "audit", Channel: "C1"})
		if err == nil {
			t.Errorf("AppendAudit while %s inserts fail succeeded", table)
		}
		check("after an AppendAudit whose "+table+" insert failed", 0)
		exec(f.unfail(table)...)
	}
	if _, _, err := s.Decide(ctx, "all1", store.StatePending, store.StateRunning, c); err != nil {
		t.Fatalf("Decide once the database works again: %v", err)
	}
	if n, err := s.OutboxPending(ctx); n != 1 || err != nil {
		t.Errorf("OutboxPending = %d, %v; want the decision's reply", n, err)
	}
}

func TestWriteFailsWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	testWriteFailsWhole(t, openFile(t, path), func(q ...string) { rawExec(t, path, q...) }, sqliteFailing)
}

func TestPostgresWriteFailsWhole(t *testing.T) {
	dsn, _ := pgSchema(t)
	testWriteFailsWhole(t, openPG(t, dsn), func(q ...string) { pgExec(t, dsn, q...) }, pgFailing)
}

// TestOutboxPostgresMatchesSQLite: the same calls leave the same messages
// and tasks on both backends.
func TestOutboxPostgresMatchesSQLite(t *testing.T) {
	ctx := context.Background()
	dsn, _ := pgSchema(t)
	backends := []store.Store{openFile(t, filepath.Join(t.TempDir(), "m.db")), openPG(t, dsn)}
	at := time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))
	var got [2]string
	for i, s := range backends {
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("backend %d: %v", i, err)
			}
		}
		must(s.CreateRequest(ctx, store.Request{ID: "r\xff1", Kind: store.KindUser, CreatedAt: at}))
		_, rec, err := s.Decide(ctx, "r\xff1", store.StatePending, store.StateRunning, store.Change{At: at.Add(time.Second),
			Audit: &store.Event{Event: "approved", RequestID: "r\xff1", Actor: "U\x001"},
			Tell: []store.Tell{
				{Kind: store.DeliverCard, Key: "r\xff1", RequestID: "r\xff1"},
				{Kind: store.DeliverAudit, Key: "audit", RequestID: "r\xff1", Channel: "C\x00AUDIT"},
			}})
		must(err)
		must(s.Enqueue(ctx, store.Tell{Kind: store.DeliverCard, Key: "k\xfe", RequestID: "r2"}))
		ms, err := s.ClaimMessages(ctx, "replica\x00", at, at.Add(time.Minute), 10)
		must(err)
		must(s.Retry(ctx, ms[0].Seq, "replica\x00", at.Add(time.Hour), "slack: \xff"))
		ms, err = s.ClaimMessages(ctx, "other", at.Add(time.Hour), at.Add(2*time.Hour), 10)
		must(err)
		for j := range ms {
			ms[j].CreatedAt = time.Time{} // Enqueue's is the store's clock
		}
		must(s.CreateTask(ctx, store.Task{ID: "watch:r\xff1", Kind: "watch", RequestID: "r\xff1",
			State: json.RawMessage(`{"since":  "x"}`), CreatedAt: at}))
		_, err = s.ClaimTask(ctx, "watch:r\xff1", "replica\x00", at, at.Add(time.Minute))
		must(err)
		tk, err := s.Task(ctx, "watch:r\xff1")
		must(err)
		got[i] = fmt.Sprintf("%+v\n%+v\n%+v %s", rec, ms, tk, tk.State)
	}
	if got[0] != got[1] {
		t.Errorf("backends differ:\nsqlite   %s\npostgres %s", got[0], got[1])
	}
}
