package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/revokebot/revokebot/store"
)

// migrateCommand creates or migrates the store's schema. On PostgreSQL it is
// run by the schema's owner, so that `run` can use a role that may write
// requests and append to the audit log but never rewrite or drop it.
func migrateCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("revokebot migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	grant := fs.String("grant", "", "PostgreSQL role `revokebot run` connects as: grant it only what it needs")
	if fs.Parse(args) != nil || fs.NArg() > 0 {
		return 2
	}
	url, err := loadStoreURL(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "revokebot:", err)
		return 2
	}
	if err := store.Migrate(ctx, url, *grant); err != nil {
		fmt.Fprintln(stderr, "revokebot: migrate:", err)
		return 1
	}
	if *grant != "" {
		fmt.Fprintf(stdout, "schema current; role %s may run the bot: on the audit log only SELECT and INSERT\n", *grant)
		return 0
	}
	fmt.Fprintln(stdout, "schema current")
	return 0
}
