package store_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/revokebot/revokebot/store"
	"github.com/revokebot/revokebot/store/storetest"
)

// pgRoles are the two roles of a least-privilege deployment: owner owns
// the schema and runs `revokebot migrate`; app is what `revokebot run`
// logs in as, with only what Migrate grants it.
type pgRoles struct {
	server     string // the superuser's URL, for setting up and looking behind the roles' backs
	owner, app string
}

// newPGRoles creates the two LOGIN roles, with random names so that test
// binaries running at once do not share them, and drops them after the
// test. The server trusts local logins, so they need no password.
func newPGRoles(t *testing.T, appName string) pgRoles {
	t.Helper()
	r := pgRoles{server: pgServer(t)}
	suffix := hex.EncodeToString(randomBytes(6))
	r.owner, r.app = "revokebot_owner_"+suffix, appName+suffix
	for _, role := range []string{r.owner, r.app} {
		q := pgx.Identifier{role}.Sanitize()
		pgExec(t, r.server, `CREATE ROLE `+q+` LOGIN`)
		// Registered before the test makes its schemas, so it runs after
		// they are dropped: DROP OWNED then takes the grants and anything
		// left over, and DROP ROLE finds nothing to refuse.
		t.Cleanup(func() { pgExec(t, r.server, `DROP OWNED BY `+q+` CASCADE`, `DROP ROLE `+q) })
	}
	return r
}

// as is the server's URL logging in as role, with schema as its search_path.
func (r pgRoles) as(t testing.TB, role, schema string) string {
	t.Helper()
	u, err := url.Parse(r.server)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return withSearchPath(u.String(), schema)
}

// schema makes a fresh schema owned by the owner role, migrated by it with
// the app role's grants, and returns the URLs of both roles on it.
func (r pgRoles) schema(t *testing.T) (ownerURL, appURL, name string) {
	t.Helper()
	name = r.emptySchema(t)
	ownerURL, appURL = r.as(t, r.owner, name), r.as(t, r.app, name)
	if err := store.Migrate(context.Background(), ownerURL, r.app); err != nil {
		t.Fatalf("Migrate as the owner: %v", err)
	}
	return ownerURL, appURL, name
}

// emptySchema makes a schema the owner role owns, with nothing in it.
func (r pgRoles) emptySchema(t *testing.T) string {
	t.Helper()
	name := "revokebot_test_" + hex.EncodeToString(randomBytes(8))
	pgExec(t, r.server, `CREATE SCHEMA `+name+` AUTHORIZATION `+pgx.Identifier{r.owner}.Sanitize())
	t.Cleanup(func() { pgExec(t, r.server, `DROP SCHEMA `+name+` CASCADE`) })
	return name
}

// TestPostgresRuntimeRoleContract is the proof that `revokebot run` works
// with only the grants: the whole contract, as the app role, each subtest
// on a schema of its own that the owner migrated.
func TestPostgresRuntimeRoleContract(t *testing.T) {
	r := newPGRoles(t, "revokebot_app_")
	storetest.Run(t, func(t *testing.T) store.Store {
		_, appURL, _ := r.schema(t)
		return openPG(t, appURL)
	})
}

// wantRuntimeGrants is what the app role may do on each table, written out
// here rather than read from the store, so that a change to the grants is
// a change to this test too.
var wantRuntimeGrants = map[string][]string{
	"schema_version":   {"SELECT"},
	"audit":            {"SELECT", "INSERT"},
	"audit_head":       {"SELECT", "UPDATE"},
	"requests":         {"SELECT", "INSERT", "UPDATE"},
	"request_subjects": {"SELECT", "INSERT"},
	"bulk_jobs":        {"SELECT", "INSERT", "UPDATE"},
	"bulk_users":       {"SELECT", "INSERT", "UPDATE"},
	"outbox_head":      {"SELECT", "UPDATE"},
	"outbox":           {"SELECT", "INSERT", "UPDATE", "DELETE"},
	"tasks":            {"SELECT", "INSERT", "UPDATE"},
	"approvals":        {"SELECT", "INSERT"},
}

// runtimePrivileges is what the server says role may do in schema: its
// schema privileges, and per table (every table there, granted or not) the
// table privileges it holds. Sequences count as tables here, so a future
// one without its grant shows up.
func runtimePrivileges(t *testing.T, server, schema, role string) (usage, create bool, tables map[string][]string) {
	t.Helper()
	ctx := context.Background()
	c := pgConn(t, server)
	if err := c.QueryRow(ctx, `SELECT has_schema_privilege($1, $2, 'USAGE'), has_schema_privilege($1, $2, 'CREATE')`,
		role, schema).Scan(&usage, &create); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, `SELECT c.relname::text, ARRAY(
			SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'])
				WITH ORDINALITY AS u (p, ord)
			WHERE has_table_privilege($2, c.oid, p) ORDER BY ord)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')`, schema, role)
	if err != nil {
		t.Fatal(err)
	}
	tables = map[string][]string{}
	var (
		name  string
		privs []string
	)
	if _, err := pgx.ForEachRow(rows, []any{&name, &privs}, func() error {
		tables[name] = privs
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return usage, create, tables
}

func checkRuntimePrivileges(t *testing.T, server, schema, role string) {
	t.Helper()
	usage, create, tables := runtimePrivileges(t, server, schema, role)
	if !usage || create {
		t.Errorf("on the schema: USAGE %v, CREATE %v; want USAGE only", usage, create)
	}
	for table := range wantRuntimeGrants {
		if _, ok := tables[table]; !ok {
			t.Errorf("table %s is missing from the schema", table)
		}
	}
	for table, got := range tables {
		if want := wantRuntimeGrants[table]; !slices.Equal(got, want) {
			t.Errorf("on %s the runtime role may %v, want %v", table, got, want)
		}
	}
}

// TestPostgresRuntimeGrantsExact: Migrate leaves the app role with exactly
// its grants, on every table of the schema; again when run twice, and
// after someone granted it more; and it quotes a role name that needs it.
func TestPostgresRuntimeGrantsExact(t *testing.T) {
	ctx := context.Background()
	r := newPGRoles(t, `revokebot app "odd"; `)
	ownerURL, appURL, schema := r.schema(t)
	checkRuntimePrivileges(t, r.server, schema, r.app)

	if err := store.Migrate(ctx, ownerURL, r.app); err != nil {
		t.Fatalf("Migrate a second time: %v", err)
	}
	checkRuntimePrivileges(t, r.server, schema, r.app)

	app := pgx.Identifier{r.app}.Sanitize()
	pgExec(t, r.server, `GRANT ALL ON ALL TABLES IN SCHEMA `+schema+` TO `+app, `GRANT CREATE ON SCHEMA `+schema+` TO `+app)
	if err := store.Migrate(ctx, ownerURL, r.app); err != nil {
		t.Fatalf("Migrate after extra grants: %v", err)
	}
	checkRuntimePrivileges(t, r.server, schema, r.app)
	if s, err := store.Open(ctx, appURL); err != nil {
		t.Errorf("Open as the app role: %v", err)
	} else {
		s.Close()
	}

	sql := store.RuntimeGrantsSQL(schema, r.app)
	if want := `GRANT SELECT, INSERT ON TABLE "` + schema + `"."audit" TO ` + app + `;`; !strings.Contains(sql, want) {
		t.Errorf("RuntimeGrantsSQL lacks %s:\n%s", want, sql)
	}
	if strings.Contains(sql, "TRUNCATE") {
		t.Errorf("RuntimeGrantsSQL grants TRUNCATE:\n%s", sql)
	}
}

// TestPostgresMigrateRefusesRoles that grants cannot restrict, or that do
// not exist, and changes nothing for them.
func TestPostgresMigrateRefusesRoles(t *testing.T) {
	ctx := context.Background()
	r := newPGRoles(t, "revokebot_app_")
	ownerURL, _, schema := r.schema(t)
	super, err := url.Parse(r.server)
	if err != nil {
		t.Fatal(err)
	}
	for role, want := range map[string]string{
		r.owner:                          "owns",
		super.User.Username():            "superuser",
		"revokebot_nobody_" + r.app[14:]: "no such role",
	} {
		err := store.Migrate(ctx, ownerURL, role)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Migrate granting %q: %v, want it refused (%s)", role, err, want)
		}
	}
	checkRuntimePrivileges(t, r.server, schema, r.app)
}

// TestPostgresRuntimeRoleCannotTamper: the app role may append to the audit
// log and read it, and nothing else: every way of changing or removing
// records, or the triggers that guard them, is refused for want of a
// privilege, before any trigger is reached.
func TestPostgresRuntimeRoleCannotTamper(t *testing.T) {
	ctx := context.Background()
	r := newPGRoles(t, "revokebot_app_")
	_, appURL, schema := r.schema(t)
	s := openPG(t, appURL)
	if err := s.CreateRequest(ctx, store.Request{ID: "r1", Kind: store.KindUser}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.AppendAudit(ctx, store.Event{Event: "requested", RequestID: "r1", Detail: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	c := pgConn(t, appURL)
	for _, q := range []string{
		`UPDATE audit SET actor = 'U0EVIL'`,
		`DELETE FROM audit`,
		`TRUNCATE audit`,
		`DROP TRIGGER audit_no_delete ON audit`,
		`DROP TRIGGER audit_no_update ON audit`,
		`ALTER TABLE audit DISABLE TRIGGER ALL`,
		`ALTER TABLE audit DISABLE TRIGGER audit_no_truncate`,
		`DROP TABLE audit`,
		`DROP FUNCTION audit_append_only()`,
		`CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$`,
		`ALTER TABLE audit OWNER TO CURRENT_USER`,
		`CREATE TABLE x ()`,
		`UPDATE schema_version SET version = 1`,
		`DELETE FROM schema_version`,
		`DELETE FROM audit_head`,
		`TRUNCATE requests`,
		`DELETE FROM requests`,
	} {
		_, err := c.Exec(ctx, q)
		if code := pgErrCode(err); code != "42501" {
			t.Errorf("%s as the app role: %v, want SQLSTATE 42501 (insufficient_privilege)", q, err)
		}
	}
	var records, triggers int
	if err := pgConn(t, r.server).QueryRow(ctx, `SELECT (SELECT count(*) FROM `+schema+`.audit),
		(SELECT count(*) FROM pg_trigger WHERE tgrelid = '`+schema+`.audit'::regclass AND NOT tgisinternal AND tgenabled = 'O')`).
		Scan(&records, &triggers); err != nil {
		t.Fatal(err)
	}
	if records != 3 || triggers != 3 {
		t.Errorf("after the attempts: %d audit records and %d enabled triggers, want 3 and 3", records, triggers)
	}
	if n, err := s.VerifyAudit(ctx, nil); n.Records != 3 || err != nil {
		t.Errorf("VerifyAudit = %d, %v; want 3, intact", n, err)
	}
}

func pgErrCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// schemaState is what a failed Open must leave as it was: the version and
// the tables, with their columns.
func schemaState(t *testing.T, server, schema string) string {
	t.Helper()
	var state string
	if err := pgConn(t, server).QueryRow(context.Background(), `SELECT concat_ws(' ',
			(SELECT string_agg(table_name || '.' || column_name, ',' ORDER BY table_name, column_name)
				FROM information_schema.columns WHERE table_schema = $1),
			(SELECT string_agg(proname, ',') FROM pg_proc WHERE pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)),
			CASE WHEN to_regclass($1 || '.schema_version') IS NOT NULL THEN 'has schema_version' END)`, schema).
		Scan(&state); err != nil {
		t.Fatal(err)
	}
	if to := withSearchPath(server, schema); strings.Contains(state, "has schema_version") {
		var v int
		if err := pgConn(t, to).QueryRow(context.Background(), `SELECT max(version) FROM schema_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		state += fmt.Sprint(" at ", v)
	}
	return state
}

// TestPostgresRuntimeRoleCannotMigrate: on a schema behind this revokebot
// (or not made yet), Open as the app role fails in one line that says what
// to do, and leaves the schema as it was; once the owner has migrated, it
// opens.
func TestPostgresRuntimeRoleCannotMigrate(t *testing.T) {
	ctx := context.Background()
	r := newPGRoles(t, "revokebot_app_")
	current := len(undo) + 1
	behind, _, behindName := r.schema(t)
	pgExec(t, withSearchPath(r.server, behindName), windBack(current-1)...)
	empty := r.emptySchema(t)
	pgExec(t, r.server, `GRANT USAGE ON SCHEMA `+empty+` TO `+pgx.Identifier{r.app}.Sanitize())
	unusable := r.emptySchema(t) // not even USAGE: the role sees no schema to create in
	for _, c := range []struct {
		name, schema string
		from         int
		code         string
	}{
		{"one version behind", behindName, current - 1, "42501"},
		{"empty", empty, 0, "42501"},
		{"without usage", unusable, 0, "3F000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := schemaState(t, r.server, c.schema)
			s, err := store.Open(ctx, r.as(t, r.app, c.schema))
			if err == nil {
				s.Close()
				t.Fatal("Open as the app role migrated the schema")
			}
			msg := err.Error()
			t.Log(msg)
			want := fmt.Sprintf("store: postgres: the schema is at version %d and this revokebot needs %d", c.from, current)
			if !strings.HasPrefix(msg, want) || !strings.Contains(msg, "run `revokebot migrate` as the schema's owner") ||
				strings.Contains(msg, "\n") || pgErrCode(err) != c.code {
				t.Errorf("Open as the app role: %q (SQLSTATE %s); want one line starting %q, "+
					"saying to run `revokebot migrate` as the owner, wrapping SQLSTATE %s", msg, pgErrCode(err), want, c.code)
			}
			if after := schemaState(t, r.server, c.schema); after != before {
				t.Errorf("the failed Open changed the schema:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	if err := store.Migrate(ctx, behind, r.app); err != nil {
		t.Fatalf("Migrate as the owner: %v", err)
	}
	s := openPG(t, r.as(t, r.app, behindName))
	if _, err := s.Approvals(ctx, "r1"); err != nil {
		t.Errorf("Approvals after the owner migrated: %v", err)
	}
}

// TestPostgresRuntimeRoleWaitsForOwnersMigration: an app role that starts
// while the owner migrates waits for the migration lock, then finds the
// schema current and opens it without any DDL (which it could not run).
func TestPostgresRuntimeRoleWaitsForOwnersMigration(t *testing.T) {
	ctx := context.Background()
	r := newPGRoles(t, "revokebot_app_")
	_, appURL, schema := r.schema(t)
	super := withSearchPath(r.server, schema)
	current := len(undo) + 1
	pgExec(t, super, fmt.Sprintf(`UPDATE schema_version SET version = %d`, current-1))

	// The owner's migration, as far as anyone else can see it: the lock
	// held (store.pgMigrateLock, "revokebo") and the new version written
	// but not yet committed.
	migrating, err := pgConn(t, super).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer migrating.Rollback(ctx)
	if _, err := migrating.Exec(ctx, `SELECT pg_advisory_xact_lock(x'7265766f6b65626f'::bigint)`); err != nil {
		t.Fatal(err)
	}
	if _, err := migrating.Exec(ctx, fmt.Sprintf(`UPDATE schema_version SET version = %d`, current)); err != nil {
		t.Fatal(err)
	}
	type opened struct {
		s   store.Store
		err error
	}
	done := make(chan opened, 1)
	go func() {
		s, err := store.Open(ctx, appURL+"&application_name="+schema)
		done <- opened{s, err}
	}()
	// Commit only once the app role waits on the lock, so the test is of
	// the wait and not of who happened to be first.
	watch := pgConn(t, r.server)
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting bool
		if err := watch.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_stat_activity a USING (pid)
			WHERE l.locktype = 'advisory' AND NOT l.granted AND a.application_name = $1)`, schema).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the app role's Open never waited for the migration lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := migrating.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	o := <-done
	if o.err != nil {
		t.Fatalf("Open as the app role after the owner's migration: %v", o.err)
	}
	o.s.Close()
}

// TestMigrateSQLite: Migrate creates a SQLite store, and refuses grants
// there before creating anything; its errors never repeat a password.
func TestMigrateSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "m.db")
	if err := store.Migrate(ctx, "sqlite:"+path, ""); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, "sqlite:"+path, ""); err != nil {
		t.Fatalf("Migrate a second time: %v", err)
	}
	s, err := store.OpenExisting(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatalf("OpenExisting after Migrate: %v", err)
	}
	s.Close()
	other := filepath.Join(dir, "other.db")
	err = store.Migrate(ctx, "sqlite:"+other, "revokebot_app")
	if err == nil || err.Error() != "store: grants are a PostgreSQL matter; SQLite's file is the bot's own" {
		t.Errorf("Migrate with grants on SQLite: %v", err)
	}
	if _, err := os.Stat(other); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Migrate with grants on SQLite made the file (%v)", err)
	}
	const pw = "hunter2-Secret"
	err = store.Migrate(ctx, "postgres://revokebot:"+pw+"@127.0.0.1:1/revokebot?sslmode=disable&connect_timeout=5", "app")
	if err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("Migrate on an unreachable server: %v; want an error without the password", err)
	}
}
