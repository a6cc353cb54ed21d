package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// pgRuntimeGrants is what `revokebot run` does to each table, read off the
// statements in postgres_*.go; Migrate grants exactly this and nothing else.
// A new table, or a new kind of statement on an old one, adds its line here
// (TestPostgresRuntimeGrantsExact fails until it does).
//
// SELECT … FOR UPDATE and FOR SHARE need UPDATE, so requests, bulk_jobs,
// audit_head and outbox_head have it for their locks as much as for their
// writes. INSERT … ON CONFLICT DO NOTHING needs only INSERT. The foreign
// keys to requests are checked by the server as the tables' owner, so no
// table needs REFERENCES. No statement truncates, alters or triggers
// anything, and only delivered outbox messages are ever deleted.
//
// The schema has no sequences to grant: the audit and outbox numbers come
// from their head rows (see pgSchemaV4).
var pgRuntimeGrants = []struct {
	table string
	privs []string
}{
	// The version is read on open and by Ping; only migrations write it.
	{"schema_version", []string{"SELECT"}},
	// Appended to and read, never changed: the point of the exercise.
	{"audit", []string{"SELECT", "INSERT"}},
	// The chain's head row: locked and moved on by every append.
	{"audit_head", []string{"SELECT", "UPDATE"}},
	{"requests", []string{"SELECT", "INSERT", "UPDATE"}},
	// A request's subjects are written with it and never changed.
	{"request_subjects", []string{"SELECT", "INSERT"}},
	{"bulk_jobs", []string{"SELECT", "INSERT", "UPDATE"}},
	{"bulk_users", []string{"SELECT", "INSERT", "UPDATE"}},
	{"outbox_head", []string{"SELECT", "UPDATE"}},
	// Delivered deletes the message it delivered.
	{"outbox", []string{"SELECT", "INSERT", "UPDATE", "DELETE"}},
	{"tasks", []string{"SELECT", "INSERT", "UPDATE"}},
	// An approval, once counted, stays.
	{"approvals", []string{"SELECT", "INSERT"}},
}

// pgTablePrivileges are all the privileges a table can be granted, for the
// check that the runtime role holds no more than pgRuntimeGrants (MAINTAIN
// is PostgreSQL 17's and not asked about, so that older servers answer).
var pgTablePrivileges = []string{"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}

// RuntimeGrantsSQL is the SQL that gives role exactly what `revokebot run`
// needs on a current schema named schema, and takes away anything else it
// was granted there: USAGE on the schema and, per table, only the
// privileges the bot's statements use, so that on audit it may only INSERT
// and SELECT. It is what Migrate runs, for an operator to read or to run
// by hand as the schema's owner (e.g. printed by `revokebot migrate`).
// Both names are quoted as identifiers, so any role or schema name is safe.
func RuntimeGrantsSQL(schema, role string) string {
	s, r := pgx.Identifier{schema}.Sanitize(), pgx.Identifier{role}.Sanitize()
	var b strings.Builder
	// Revoking first makes the result exact whatever the role held before,
	// e.g. from an older grant list, and running it twice changes nothing.
	fmt.Fprintf(&b, "REVOKE ALL ON SCHEMA %s FROM %s;\nGRANT USAGE ON SCHEMA %s TO %s;\n", s, r, s, r)
	tables := make([]string, len(pgRuntimeGrants))
	for i, g := range pgRuntimeGrants {
		tables[i] = pgx.Identifier{schema, g.table}.Sanitize()
	}
	fmt.Fprintf(&b, "REVOKE ALL ON TABLE %s FROM %s;\n", strings.Join(tables, ", "), r)
	for i, g := range pgRuntimeGrants {
		fmt.Fprintf(&b, "GRANT %s ON TABLE %s TO %s;\n", strings.Join(g.privs, ", "), tables[i], r)
	}
	return b.String()
}

// Migrate creates or migrates the store url names, as Open would, and
// closes it: `revokebot migrate`, run as the schema's owner so that the
// bot's own role need not be able to change the schema. When grantTo is
// not empty it then gives that role exactly what `revokebot run` needs
// (RuntimeGrantsSQL) in the first schema on the search_path, and checks
// that the role ends up with no more than that on the tables; run it again
// after every upgrade, since a new schema version may add tables. It can
// be run any number of times.
//
// SQLite has no roles: its file is the bot's own, so grantTo must be empty.
// Errors name neither the URL nor its password.
func Migrate(ctx context.Context, url string, grantTo string) error {
	if scheme, _, _ := strings.Cut(url, ":"); grantTo != "" && scheme == "sqlite" {
		// Said before the store is opened, so a mistaken call creates no file.
		return errors.New("store: grants are a PostgreSQL matter; SQLite's file is the bot's own")
	}
	s, err := Open(ctx, url)
	if err != nil {
		return err
	}
	defer s.Close()
	if grantTo == "" {
		return nil
	}
	pg, ok := s.(*pgStore)
	if !ok { // a backend without roles
		return errors.New("store: grants are a PostgreSQL matter")
	}
	if err := pg.grantRuntime(ctx, grantTo); err != nil {
		return fmt.Errorf("store: postgres: grant %q its privileges: %w", grantTo, err)
	}
	return nil
}

// grantRuntime runs RuntimeGrantsSQL for role in the first schema on the
// search_path, then checks what the role can do there.
func (s *pgStore) grantRuntime(ctx context.Context, role string) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		// Under the migration lock: two Migrates granting at once would
		// otherwise fail with "tuple concurrently updated" on the ACLs.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgMigrateLock); err != nil {
			return fmt.Errorf("lock the schema: %w", err)
		}
		var schema *string
		if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return err
		}
		if schema == nil {
			return errors.New("no schema on the search_path")
		}
		tables := make([]string, len(pgRuntimeGrants))
		for i, g := range pgRuntimeGrants {
			tables[i] = g.table
		}
		if err := pgCheckGrantee(ctx, tx, *schema, role, tables); err != nil {
			return err
		}
		// The simple protocol: the statements go as one string, in this
		// transaction, so the role has the old grants or the new, never none.
		if _, err := tx.Exec(ctx, RuntimeGrantsSQL(*schema, role), pgx.QueryExecModeSimpleProtocol); err != nil {
			return err
		}
		return pgCheckGranted(ctx, tx, *schema, role)
	})
}

// pgCheckGrantee refuses a role that grants cannot restrict: a superuser,
// or one that owns the schema, a table of the bot's or the audit trigger
// function, or belongs to a role that does (as the bot's role does when it
// created the tables itself, before Migrate). An owner of the schema may
// drop the tables in it, one of a table its triggers, and one of the
// function may replace it with one that lets anything through.
func pgCheckGrantee(ctx context.Context, tx pgx.Tx, schema, role string, tables []string) error {
	var (
		super bool
		owned []string
	)
	err := tx.QueryRow(ctx, `SELECT r.rolsuper, ARRAY(
			SELECT what FROM (
				SELECT 'schema ' || n.nspname AS what, n.nspowner AS owner FROM pg_namespace n WHERE n.nspname = $2
				UNION ALL
				SELECT 'table ' || c.relname, c.relowner FROM pg_class c
				WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $2) AND c.relname = ANY($3)
				UNION ALL
				SELECT 'function ' || p.proname, p.proowner FROM pg_proc p
				WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = $2) AND p.proname = 'audit_append_only'
			) o WHERE pg_has_role(r.oid, o.owner, 'MEMBER') ORDER BY what)
		FROM pg_roles r WHERE r.rolname = $1`, role, schema, tables).Scan(&super, &owned)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return errors.New("no such role")
	case err != nil:
		return err
	case super:
		return errors.New("it is a superuser, which grants cannot restrict: give the bot a role of its own")
	case len(owned) > 0:
		return fmt.Errorf("it owns, or is a member of the owner of, %s, which grants cannot restrict: "+
			"make another role the owner (ALTER … OWNER TO) and run this as that role", strings.Join(owned, ", "))
	}
	return nil
}

// pgCheckGranted asks the server what role may now do, rather than trust
// the GRANTs: a grant by a role that may not give it is only a warning,
// and privileges held through PUBLIC or another role survive a REVOKE.
// Either would leave the bot unable to run or able to do more than it may.
func pgCheckGranted(ctx context.Context, tx pgx.Tx, schema, role string) error {
	var problems []string
	var usage, create bool
	err := tx.QueryRow(ctx, `SELECT has_schema_privilege($1, $2, 'USAGE'), has_schema_privilege($1, $2, 'CREATE')`,
		role, schema).Scan(&usage, &create)
	if err != nil {
		return err
	}
	if !usage {
		problems = append(problems, "lacks USAGE on the schema")
	}
	if create {
		problems = append(problems, "may still CREATE in the schema")
	}
	for _, g := range pgRuntimeGrants {
		table := pgx.Identifier{schema, g.table}.Sanitize()
		for _, p := range pgTablePrivileges {
			var has bool
			if err := tx.QueryRow(ctx, `SELECT has_table_privilege($1, $2, $3)`, role, table, p).Scan(&has); err != nil {
				return err
			}
			switch want := slices.Contains(g.privs, p); {
			case want && !has:
				problems = append(problems, fmt.Sprintf("lacks %s on %s", p, g.table))
			case !want && has:
				problems = append(problems, fmt.Sprintf("may still %s on %s", p, g.table))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("after the grants it %s (granted by a role that may not, or held through PUBLIC or another role)",
			strings.Join(problems, ", "))
	}
	return nil
}
