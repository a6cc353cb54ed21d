package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// TestBulkPostgresMatchesSQLite: the same bulk calls leave the same values
// on both backends, so a job reads back alike whichever one keeps it.
func TestBulkPostgresMatchesSQLite(t *testing.T) {
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
		must(s.CreateRequest(ctx, store.Request{ID: "all\xff", Kind: store.KindAll, CreatedAt: at}))
		must(s.CreateJob(ctx, "all\xff", at))
		_, err := s.ClaimJob(ctx, "all\xff", "replica\x00", at, at.Add(time.Minute))
		must(err)
		must(s.AddPage(ctx, "all\xff", "replica\x00", []store.BulkUser{
			{ID: "u1", UPN: "al\xffce@contoso.com"},
			{ID: "u2", UPN: "guest#EXT#@contoso.com", Outcome: store.OutcomeSkipped, Detail: "guest", At: at},
			{ID: "u3"},
		}, "https://graph.microsoft.com/v1.0/users?$skiptoken=\x00", false))
		must(s.RecordOutcomes(ctx, "all\xff", "replica\x00", []store.BulkUser{
			{ID: "u1", Outcome: store.OutcomeRevoked, Attempts: 2, Detail: "ok\x00", At: at.Add(time.Nanosecond)},
			{ID: "u3", Outcome: store.OutcomeFailed, Attempts: 5, Detail: "graph: 503", At: at.Add(time.Second)},
		}))
		_, err = s.RequestStop(ctx, "all\xff", "U1", at.Add(2*time.Second))
		must(err)
		must(s.SetProgressTS(ctx, "all\xff", "1710425366.000100"))
		j, err := s.Job(ctx, "all\xff")
		must(err)
		us, err := s.UsersWith(ctx, "all\xff", []store.Outcome{store.OutcomeRevoked, store.OutcomeFailed, store.OutcomeSkipped}, 0, 10)
		must(err)
		c, err := s.JobCounts(ctx, "all\xff")
		must(err)
		got[i] = fmt.Sprintf("%+v\n%+v\n%+v", j, us, c)
	}
	if got[0] != got[1] {
		t.Errorf("backends differ:\nsqlite   %s\npostgres %s", got[0], got[1])
	}
}

// testBulkUpgrade opens a store made before bulk jobs existed (simulated by
// removing them and what came after them, and winding the version back) and
// expects the tables to be added on open, and not by the read-only open.
func testBulkUpgrade(t *testing.T, url string, exec func(...string)) {
	ctx := context.Background()
	s, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRequest(ctx, store.Request{ID: "r1", Kind: store.KindAll}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	exec(windBack(1)...)
	if ro, err := store.OpenExisting(ctx, url); err == nil || !strings.Contains(err.Error(), "schema version 1") {
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
	if err := s.CreateJob(ctx, "r1", time.Time{}); err != nil {
		t.Fatalf("CreateJob after the upgrade: %v", err)
	}
	if _, err := s.Request(ctx, "r1"); err != nil {
		t.Errorf("the upgrade lost a request: %v", err)
	}
}

func TestBulkUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	testBulkUpgrade(t, "sqlite:"+path, func(q ...string) { rawExec(t, path, q...) })
}

func TestPostgresBulkUpgrade(t *testing.T) {
	dsn, _ := pgSchema(t)
	testBulkUpgrade(t, dsn, func(q ...string) { pgExec(t, dsn, q...) })
}
