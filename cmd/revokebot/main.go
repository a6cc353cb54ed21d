// Command revokebot is a Slack bot that revokes Microsoft Entra ID sign-in
// sessions during incidents. This package only wires: environment and policy
// file in, concrete clients built and injected, one subcommand run.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `usage: revokebot [run | demo | check | migrate | keygen | audit verify | audit export | version]
  run                    connect to Slack in Socket Mode and serve (the default)
  demo                   play an incident against in-process fakes; needs no credentials
  check                  verify configuration, store, Slack tokens and Graph permissions; changes nothing
  migrate [--grant ROLE] create or migrate the store's schema (as its owner), and grant ROLE what run needs
  keygen [--out FILE]    make a signing key: the private key to FILE (0600) or stdout, the
                         public key and its ID to stderr
  audit verify [--slack] [--public-key KEY]
                         check the audit log's hash chain and every record's signature, and
                         with --slack hold the audit channel's history against it; exit 1 on any break
  audit snapshot <request-id>
                         print a request's evidence snapshot; exit 1 when it no longer matches its seal
  audit export [--since RFC3339]
                         write the audit log as JSON Lines on stdout, oldest first
  version                print the version
`

// run dispatches a subcommand and returns the process's exit code: 0 done,
// 1 failed, 2 bad usage or configuration.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	sub := "run"
	if len(args) > 0 {
		sub = args[0]
	}
	switch {
	case sub == "run" && len(args) <= 1:
		return serveCommand(ctx, getenv, stderr)
	case sub == "demo" && len(args) == 1:
		return demo(ctx, stdout, stderr)
	case sub == "audit":
		return auditCommand(ctx, args[1:], getenv, stdout, stderr)
	case sub == "keygen":
		return keygenCommand(args[1:], stdout, stderr)
	case sub == "migrate":
		return migrateCommand(ctx, args[1:], getenv, stdout, stderr)
	case sub == "version" && len(args) == 1:
		fmt.Fprintln(stdout, "revokebot", version)
		return 0
	case sub == "check" && len(args) == 1:
		return checkCommand(ctx, getenv, stdout)
	case sub == "help" || sub == "-h" || sub == "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprint(stderr, usage)
	return 2
}
