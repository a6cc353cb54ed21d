package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revokebot/revokebot/store"
	"github.com/revokebot/revokebot/store/storetest"
)

// pgServer is the database the PostgreSQL tests use; each test works in a
// schema of its own, made for it and dropped after it, so runs (and test
// binaries running at once) do not see each other's data.
func pgServer(t testing.TB) string {
	t.Helper()
	u := os.Getenv("REVOKEBOT_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("REVOKEBOT_TEST_POSTGRES_URL is unset: skipping the PostgreSQL store tests")
	}
	return u
}

// pgSchema creates an empty schema and returns a URL whose search_path is it.
func pgSchema(t testing.TB) (dsn, name string) {
	t.Helper()
	server := pgServer(t)
	name = "revokebot_test_" + hex.EncodeToString(randomBytes(8))
	pgExec(t, server, `CREATE SCHEMA `+name)
	t.Cleanup(func() { pgExec(t, server, `DROP SCHEMA `+name+` CASCADE`) })
	return withSearchPath(server, name), name
}

// withSearchPath adds a search_path parameter, which pgx sends to the server
// at connect time. It appends rather than re-encodes: pgx does not read '+'
// as a space, so url.Values.Encode would change other parameters.
func withSearchPath(server, schema string) string {
	if strings.Contains(server, "?") {
		return server + "&search_path=" + schema
	}
	return server + "?search_path=" + schema
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// pgExec runs statements on a connection of its own, as an operator (or an
// attacker) with database access would.
func pgExec(t testing.TB, dsn string, stmts ...string) {
	t.Helper()
	c := pgConn(t, dsn)
	for _, q := range stmts {
		if _, err := c.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func pgConn(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func openPG(t testing.TB, dsn string) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestPostgresContract(t *testing.T) {
	pgServer(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		dsn, _ := pgSchema(t)
		return openPG(t, dsn)
	})
}

// TestPostgresTwoHandles is two replicas sharing one database: one winner of
// a compare-and-set, and one linear audit chain. The second run gives one
// replica a serializable default, as a server may: the store asks for READ
// COMMITTED itself rather than depend on it.
func TestPostgresTwoHandles(t *testing.T) {
	for name, param := range map[string]string{"server default": "", "serializable default": "&default_transaction_isolation=serializable"} {
		t.Run(name, func(t *testing.T) {
			dsn, _ := pgSchema(t)
			testTwoPGHandles(t, openPG(t, dsn), openPG(t, dsn+param))
		})
	}
}

func testTwoPGHandles(t *testing.T, handles ...store.Store) {
	ctx := context.Background()
	if err := handles[0].CreateRequest(ctx, store.Request{ID: "r1", Kind: store.KindUser}); err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		mu    sync.Mutex
		wins  int
	)
	for i := range 50 {
		wg.Go(func() {
			<-start
			_, err := handles[i%2].Transition(ctx, "r1", store.StatePending, store.StateRunning, store.Change{DecidedBy: fmt.Sprint(i)})
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("goroutine %d: %v", i, err)
			}
		})
	}
	for i := range 8 {
		wg.Go(func() {
			<-start
			for j := range 25 {
				if _, err := handles[i%2].AppendAudit(ctx, store.Event{Event: "started", Detail: fmt.Sprint(i, "/", j)}); err != nil {
					t.Errorf("append %d/%d: %v", i, j, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d winners across two handles, want 1", wins)
	}
	for i, h := range handles {
		if n, err := h.VerifyAudit(ctx, nil); n.Records != 200 || err != nil {
			t.Errorf("handle %d: VerifyAudit = %d, %v; want 200, nil", i, n, err)
		}
	}
}

// TestPostgresMigrationRace is several replicas starting at once on an empty
// schema: all of them open it, and it is created once.
func TestPostgresMigrationRace(t *testing.T) {
	ctx := context.Background()
	dsn, _ := pgSchema(t)
	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		stores [4]store.Store
		errs   [4]error
	)
	for i := range stores {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = store.Open(ctx, dsn)
		})
	}
	close(start)
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { s.Close() })
	}
	var rows, version int
	if err := pgConn(t, dsn).QueryRow(ctx, `SELECT count(*), max(version) FROM schema_version`).Scan(&rows, &version); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || version < 1 {
		t.Errorf("schema_version has %d rows, version %d; want one row", rows, version)
	}
}

func TestPostgresReopenKeepsDataAndRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	dsn, _ := pgSchema(t)
	s, err := store.Open(ctx, dsn)
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

	s = openPG(t, dsn)
	if _, err := s.Request(ctx, "r1"); err != nil {
		t.Errorf("after reopening: %v", err)
	}
	if n, err := s.VerifyAudit(ctx, nil); n.Records != 1 || err != nil {
		t.Errorf("VerifyAudit after reopening = %d, %v", n, err)
	}
	pgExec(t, dsn, `UPDATE schema_version SET version = 99`)
	if s, err := store.Open(ctx, dsn); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open of a newer schema: %v, want a refusal", err)
	}
	if s, err := store.OpenExisting(ctx, dsn); err == nil || !strings.Contains(err.Error(), "schema version 99") {
		if s != nil {
			s.Close()
		}
		t.Errorf("OpenExisting of a newer schema: %v, want a refusal", err)
	}
}

// TestPostgresReconnects: a connection the server closed while it sat idle
// (a restart, a failover) is replaced, not reported as the next query's error.
// pgxpool pings a connection idle for over a second before reusing it; that
// threshold is its own, so the test waits it out on the wall clock.
func TestPostgresReconnects(t *testing.T) {
	ctx := context.Background()
	dsn, name := pgSchema(t)
	s := openPG(t, dsn+"&application_name="+name)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	var n int // the two-argument form waits until each backend has exited
	if err := pgConn(t, dsn).QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000))
		FROM pg_stat_activity WHERE application_name = $1`, name).Scan(&n); err != nil || n == 0 {
		t.Fatalf("terminated %d connections: %v", n, err)
	}
	time.Sleep(1100 * time.Millisecond)
	for i := range 3 {
		if err := s.CreateRequest(ctx, store.Request{ID: fmt.Sprint("r", i), Kind: store.KindUser}); err != nil {
			t.Errorf("after the server closed the connections: %v", err)
		}
	}
}

// TestPostgresMatchesSQLite: the same calls give the same values and the same
// hashes on both backends, so a log can move between them and still verify.
func TestPostgresMatchesSQLite(t *testing.T) {
	ctx := context.Background()
	dsn, _ := pgSchema(t)
	backends := []store.Store{openFile(t, filepath.Join(t.TempDir(), "m.db")), openPG(t, dsn)}
	at := time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))
	req := store.Request{ID: "r\xff1", Kind: store.KindUser, Requester: "U1", Channel: "C1", TriggerID: "t\x001",
		Target: []byte("{\"upn\": \"al\xffce\"  }"), Detail: "ok\x00", CreatedAt: at, ExpiresAt: at.Add(time.Minute),
		Subjects: []string{"B0B", "6F1C\xff\x00", "b0b"}}
	events := []store.Event{
		{Time: at, Event: "requested", RequestID: "r1", Actor: "U1", Target: "alice@contoso.com", Detail: "sessions"},
		{Time: at.Add(time.Nanosecond), Event: "refused", Actor: "U2", Target: "bad\x00name\xff", Detail: "ünïcode"},
	}
	var reqs [2]store.Request
	var recs [2][]store.Record
	for i, s := range backends {
		if err := s.CreateRequest(ctx, req); err != nil {
			t.Fatal(err)
		}
		r, err := s.Transition(ctx, req.ID, store.StatePending, store.StateFailed, store.Change{Detail: "graph said \x00\xfe", At: at})
		if err != nil {
			t.Fatal(err)
		}
		reqs[i] = r
		for _, e := range events {
			rec, err := s.AppendAudit(ctx, e)
			if err != nil {
				t.Fatal(err)
			}
			recs[i] = append(recs[i], rec)
		}
		if trail, err := s.AuditTrail(ctx, "r1"); err != nil || len(trail) != 1 || trail[0] != recs[i][0] {
			t.Errorf("backend %d: AuditTrail = %+v, %v", i, trail, err)
		}
	}
	if fmt.Sprintf("%+v", reqs[0]) != fmt.Sprintf("%+v", reqs[1]) || string(reqs[1].Target) != string(req.Target) {
		t.Errorf("requests differ:\nsqlite   %+v\npostgres %+v", reqs[0], reqs[1])
	}
	for i := range events {
		if recs[0][i] != recs[1][i] {
			t.Errorf("record %d differs:\nsqlite   %+v\npostgres %+v", i, recs[0][i], recs[1][i])
		}
	}
}

// TestPostgresOpenExisting: the read-only open used by `audit verify` neither
// creates a missing store nor writes to an existing one.
func TestPostgresOpenExisting(t *testing.T) {
	ctx := context.Background()
	missing := withSearchPath(pgServer(t), "revokebot_test_missing_"+hex.EncodeToString(randomBytes(8)))
	if s, err := store.OpenExisting(ctx, missing); err == nil {
		s.Close()
		t.Fatal("opened a schema that does not exist")
	}
	empty, name := pgSchema(t)
	if s, err := store.OpenExisting(ctx, empty); err == nil || !strings.Contains(err.Error(), "not a revokebot store") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("OpenExisting of an empty schema: %v, want a refusal", err)
	}
	var tables int
	if err := pgConn(t, empty).QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, name).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("OpenExisting left %d tables in the empty schema (%v)", tables, err)
	}

	dsn, _ := pgSchema(t)
	s := openPG(t, dsn)
	if _, err := s.AppendAudit(ctx, store.Event{Event: "requested", Actor: "U1"}); err != nil {
		t.Fatal(err)
	}
	ro, err := store.OpenExisting(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if n, err := ro.VerifyAudit(ctx, nil); err != nil || n.Records != 1 {
		t.Fatalf("verify read-only: %d %v", n, err)
	}
	if _, err := ro.AppendAudit(ctx, store.Event{Event: "x", Actor: "U1"}); err == nil {
		t.Error("a read-only store accepted an audit record")
	}
	if err := ro.CreateRequest(ctx, store.Request{ID: "r1", Kind: store.KindUser}); err == nil {
		t.Error("a read-only store accepted a request")
	}
}

// TestPostgresOpenErrorsHidePassword needs no server for its first cases:
// a URL that does not parse and a port nobody listens on.
func TestPostgresOpenErrorsHidePassword(t *testing.T) {
	const pw = "hunter2-Secret"
	urls := []string{
		"postgres://revokebot:" + pw + "@db.internal:notaport/revokebot",
		"postgresql://revokebot:" + pw + "@127.0.0.1:1/revokebot?sslmode=disable&connect_timeout=5",
		"postgres://revokebot@127.0.0.1:1/revokebot?sslmode=disable&connect_timeout=5&password=" + pw,
	}
	if server := os.Getenv("REVOKEBOT_TEST_POSTGRES_URL"); server != "" {
		u, err := url.Parse(server)
		if err != nil {
			t.Fatal(err)
		}
		u.User, u.Path = url.UserPassword(u.User.Username(), pw), "/revokebot_no_such_database"
		urls = append(urls, u.String())
	}
	ctx := context.Background()
	for _, u := range urls {
		for name, open := range map[string]func(context.Context, string) (store.Store, error){
			"Open": func(ctx context.Context, u string) (store.Store, error) { return store.Open(ctx, u) }, "OpenExisting": store.OpenExisting} {
			s, err := open(ctx, u)
			if err == nil {
				s.Close()
				t.Errorf("%s(%q) succeeded", name, u)
				continue
			}
			if !strings.HasPrefix(err.Error(), "store: postgres: ") || strings.Contains(err.Error(), pw) {
				t.Errorf("%s(%q) = %q; want it to name postgres and never the password", name, u, err)
			}
			t.Logf("%s: %v", name, err)
		}
	}
}
