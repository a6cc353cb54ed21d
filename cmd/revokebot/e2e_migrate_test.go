package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func migrate(getenv func(string) string, args ...string) (int, string) {
	var out, errs bytes.Buffer
	code := run(context.Background(), append([]string{"migrate"}, args...), getenv, &out, &errs)
	return code, out.String() + errs.String()
}

// TestMigrateSQLite: migrate makes the schema; grants are refused on
// SQLite, whose file is the bot's own, before any file is made.
func TestMigrateSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"REVOKEBOT_STORE": "sqlite:" + filepath.Join(dir, "a.db")}
	if code, out := migrate(func(k string) string { return env[k] }); code != 0 || !strings.Contains(out, "schema current") {
		t.Fatalf("exit %d: %s", code, out)
	}
	env["REVOKEBOT_STORE"] = "sqlite:" + filepath.Join(dir, "b.db")
	if code, out := migrate(func(k string) string { return env[k] }, "--grant", "revokebot_app"); code != 1 || !strings.Contains(out, "PostgreSQL matter") {
		t.Fatalf("exit %d: %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused migrate made the file: %v", err)
	}
	if code, _ := migrate(func(k string) string { return env[k] }, "extra"); code != 2 {
		t.Errorf("an argument: exit %d, want 2", code)
	}
}

// runtimeRole makes an owner role, a runtime role and a schema in the test
// PostgreSQL, runs `revokebot migrate --grant` as the owner, and returns the
// store URL of the runtime role, as a production install would run the bot.
func runtimeRole(t *testing.T) string {
	t.Helper()
	base := os.Getenv("REVOKEBOT_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("REVOKEBOT_TEST_POSTGRES_URL is unset: skipping the PostgreSQL role test")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	owner, app, schema := "rb_owner_"+suffix, "rb_app_"+suffix, "rb_roles_"+suffix
	for _, q := range []string{
		"CREATE ROLE " + owner + " LOGIN", "CREATE ROLE " + app + " LOGIN",
		"CREATE SCHEMA " + schema + " AUTHORIZATION " + owner,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		for _, q := range []string{"DROP SCHEMA " + schema + " CASCADE", "DROP OWNED BY " + owner + " CASCADE",
			"DROP OWNED BY " + app + " CASCADE", "DROP ROLE " + owner, "DROP ROLE " + app} {
			_, _ = admin.Exec(context.Background(), q)
		}
		admin.Close(context.Background())
	})
	as := func(role string) string {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.User(role)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	ownerEnv := map[string]string{"REVOKEBOT_STORE": as(owner)}
	if code, out := migrate(func(k string) string { return ownerEnv[k] }, "--grant", app); code != 0 || !strings.Contains(out, "role "+app+" may run the bot") {
		t.Fatalf("migrate as the owner: exit %d: %s", code, out)
	}
	return as(app)
}

// TestRunAsRuntimeRole: the owner runs `revokebot migrate --grant`, and the
// bot then serves a whole revocation as a role that can neither rewrite
// its audit log nor drop its guards; `audit verify --slack` passes as that
// role.
func TestRunAsRuntimeRole(t *testing.T) {
	t.Parallel()
	app := runtimeRole(t)
	ctx := context.Background()
	e, n := anchorEnvWith(t, withStore(app))
	if code, out := e.audit("verify", "--slack"); code != 0 || !strings.Contains(out, "agrees with the log") {
		t.Fatalf("audit verify --slack as the runtime role: exit %d:\n%s", code, out)
	}
	conn, err := pgx.Connect(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{"UPDATE audit SET detail = 'x'", "DELETE FROM audit", "TRUNCATE audit",
		"DROP TRIGGER audit_no_update ON audit", "ALTER TABLE audit DISABLE TRIGGER ALL"} {
		_, err := conn.Exec(ctx, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%s as the runtime role: %v, want insufficient_privilege (42501)", q, err)
		}
	}
	var left int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM audit").Scan(&left); err != nil || left != n {
		t.Errorf("%d audit records left of %d (%v)", left, n, err)
	}
}
