package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/revokebot/revokebot/bot"
	"github.com/revokebot/revokebot/signing"
	"github.com/revokebot/revokebot/store"
)

// auditCommand runs `audit verify [--slack]` and `audit export [--since]`:
// exit 0 done, 1 broken or unreadable, 2 bad usage or configuration.
func auditCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("revokebot audit "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch args[0] {
	case "verify":
		slack := fs.Bool("slack", false, "also hold the audit channel's history against the log")
		var keys []string
		fs.Func("public-key", "a public key to check signatures with: a file, or the base64 text `keygen` printed (repeat it for the keys used before a rotation)",
			func(v string) error { keys = append(keys, v); return nil })
		if fs.Parse(args[1:]) != nil || fs.NArg() > 0 {
			return 2
		}
		return auditVerify(ctx, getenv, *slack, keys, stdout, stderr)
	case "export":
		since := fs.String("since", "", "only records at or after this time (RFC 3339)")
		if fs.Parse(args[1:]) != nil || fs.NArg() > 0 {
			return 2
		}
		var from time.Time
		if *since != "" {
			t, err := time.Parse(time.RFC3339, *since)
			if err != nil {
				fmt.Fprintf(stderr, "revokebot: --since %q: want an RFC 3339 time such as 2026-12-01T00:00:00Z\n", *since)
				return 2
			}
			from = t
		}
		return auditExport(ctx, getenv, from, stdout, stderr)
	case "snapshot":
		if fs.Parse(args[1:]) != nil || fs.NArg() != 1 {
			fmt.Fprintln(stderr, "usage: revokebot audit snapshot <request-id>")
			return 2
		}
		return auditSnapshot(ctx, getenv, fs.Arg(0), stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return 2
}

// anchorSettings are what `--slack` needs: the bot token to read the
// channel with, and the policy's audit channel.
type anchorSettings struct {
	cfg     bot.HistoryConfig
	channel string
}

func loadAnchorSettings(getenv func(string) string) (anchorSettings, error) {
	a := anchorSettings{cfg: bot.HistoryConfig{
		BotToken: getenv("SLACK_BOT_TOKEN"),
		APIURL:   orDefault(getenv, "SLACK_API_URL", "https://slack.com/api/"),
	}}
	if err := checkBotToken(a.cfg.BotToken); err != nil {
		return a, err
	}
	if err := checkSlackAPIURL(a.cfg.APIURL); err != nil {
		return a, err
	}
	path := orDefault(getenv, "REVOKEBOT_CONFIG", "revokebot.yaml")
	p, err := loadPolicy(path)
	if err != nil {
		return a, err
	}
	if p.AuditChannel == "" {
		return a, &settingError{"REVOKEBOT_CONFIG", path + ": audit verify --slack needs an audit_channel in the policy"}
	}
	a.channel = p.AuditChannel
	return a, nil
}

// auditVerify recomputes the audit log's hash chain and, with slack, holds
// the audit channel against it.
func auditVerify(ctx context.Context, getenv func(string) string, slack bool, publicKeys []string, stdout, stderr io.Writer) int {
	url, err := loadStoreURL(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "revokebot:", err)
		return 2
	}
	keys, err := verifyKeys(publicKeys, getenv, url)
	if err != nil {
		fmt.Fprintln(stderr, "revokebot:", err)
		return 2
	}
	var anchor anchorSettings
	if slack {
		if anchor, err = loadAnchorSettings(getenv); err != nil {
			fmt.Fprintln(stderr, "revokebot:", err)
			return 2
		}
	}
	st, err := store.OpenExisting(ctx, url)
	if err != nil {
		fmt.Fprintln(stderr, "revokebot: open store:", err)
		return 1
	}
	defer st.Close()
	code := verifyChain(ctx, st, keys, stdout, stderr)
	if slack {
		// The channel is read even after a break: it says how far back the
		// log can still be trusted.
		code = max(code, verifyChannel(ctx, st, anchor, stdout, stderr))
	}
	return code
}

// verifyChain checks the chain and every signature, with keys (an empty
// keyring refuses every signed record, naming its key).
func verifyChain(ctx context.Context, st store.Store, keys signing.Keyring, stdout, stderr io.Writer) int {
	keyIDs := slices.Sorted(maps.Keys(keys))
	v, err := st.VerifyAudit(ctx, keys)
	n := v.Records
	var broken *store.ChainError
	switch {
	case errors.As(err, &broken):
		fmt.Fprintf(stdout, "audit log BROKEN after %d intact records: %v\n", n, broken)
		if len(keyIDs) == 0 && errors.Is(broken, signing.ErrUnknownKey) {
			fmt.Fprintln(stdout, "no public key was given: pass --public-key, or set REVOKEBOT_SIGNING_KEY_FILE")
		}
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "revokebot: read audit log:", err)
		return 1
	}
	head := ""
	if n > 0 {
		// The head, to hold against the audit channel's last line (#N and
		// the hash's first 12 digits) or a copy kept elsewhere.
		if rec, err := st.AuditRecord(ctx, int64(n)); err == nil {
			head = fmt.Sprintf("; head #%d %s", rec.Seq, rec.Hash)
		}
	}
	signed := fmt.Sprintf("every record signed by key %s", strings.Join(keyIDs, " or "))
	switch {
	case v.Unsigned == n:
		signed = "no record is signed"
	case v.Unsigned > 0:
		signed = fmt.Sprintf("the first %d written before revokebot had a key, unsigned; every later one signed by key %s", v.Unsigned, strings.Join(keyIDs, " or "))
	}
	fmt.Fprintf(stdout, "audit log intact: %d records, hash chain verified, %s%s\n", n, signed, head)
	return 0
}

func verifyChannel(ctx context.Context, st store.Store, a anchorSettings, stdout, stderr io.Writer) int {
	r, err := bot.CheckAuditChannel(ctx, a.cfg, a.channel, st)
	if err != nil {
		fmt.Fprintf(stderr, "revokebot: audit channel %s: %v\n", a.channel, err)
		return 1
	}
	code := 0
	if r.Break != nil {
		fmt.Fprintf(stdout, "audit log BROKEN against audit channel %s: %v\n", a.channel, r.Break)
		code = 1
	}
	if len(r.GivenUp) > 0 {
		// Not a break: the log itself says why these lines are not there.
		fmt.Fprintf(stdout, "audit channel %s lacks %s: Slack refused these lines for good and the outbox gave them up, as the undelivered records named say\n",
			a.channel, r.GivenUpNames())
	}
	if len(r.Missing) > 0 {
		// Every record is posted in order, so a number skipped below the
		// highest shown is a line deleted from the channel.
		fmt.Fprintf(stdout, "audit channel %s is MISSING %d line(s) below #%d, the highest it shows: %s (deleted from the channel)\n",
			a.channel, r.MissingCount(), r.Highest, r.MissingNames())
		code = 1
	}
	if code != 0 {
		return code
	}
	from := ""
	if r.Lowest > 1 {
		// Earlier records may predate the audit channel, or the history
		// Slack keeps.
		from = fmt.Sprintf(", from #%d", r.Lowest)
	}
	switch {
	case r.Lines == 0:
		fmt.Fprintf(stdout, "audit channel %s shows no audit lines yet; log head #%d\n", a.channel, r.Head)
	case r.Highest < r.Head:
		fmt.Fprintf(stdout, "audit channel %s agrees with the log: %d lines%s, up to #%d; #%d to #%d are not in the channel yet (still being delivered, or posted while it was unreachable)\n",
			a.channel, r.Lines, from, r.Highest, r.Highest+1, r.Head)
	default:
		fmt.Fprintf(stdout, "audit channel %s agrees with the log: %d lines%s, up to the head #%d %s\n", a.channel, r.Lines, from, r.Head, r.HeadHash)
	}
	return 0
}

// openExistingStore opens the store REVOKEBOT_STORE names for a command
// that reads it; on failure it says why on stderr and returns the exit code:
// 2 for a setting, 1 for a store that cannot be opened.
func openExistingStore(ctx context.Context, getenv func(string) string, stderr io.Writer) (store.Store, int) {
	url, err := loadStoreURL(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "revokebot:", err)
		return nil, 2
	}
	st, err := store.OpenExisting(ctx, url)
	if err != nil {
		fmt.Fprintln(stderr, "revokebot: open store:", err)
		return nil, 1
	}
	return st, 0
}

// auditExport writes the audit log as JSON Lines on stdout, oldest first.
func auditExport(ctx context.Context, getenv func(string) string, since time.Time, stdout, stderr io.Writer) int {
	st, code := openExistingStore(ctx, getenv, stderr)
	if st == nil {
		return code
	}
	defer st.Close()
	n, err := store.WriteJSONL(ctx, st, since, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "revokebot: audit export stopped after %d records: %v\n", n, err)
		return 1
	}
	fmt.Fprintf(stderr, "revokebot: exported %d audit records\n", n)
	return 0
}
