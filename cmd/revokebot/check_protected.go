package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/bot"
	"github.com/revokebot/revokebot/revoke"
)

// directory finds the users a lookup matches, as the bot resolves targets.
type directory interface {
	Resolve(ctx context.Context, l revoke.Lookup) ([]revoke.User, error)
}

// checkProtected resolves each protected entry to the one user it must
// protect. The start-up check only knows an entry's form; here the tenant
// says whether it names nobody (a typo, a deleted account), several people,
// or a user it will not match: the bot compares entries with a user's UPN,
// mail and object ID, so a proxy address alone finds the user but protects
// nobody.
func checkProtected(ctx context.Context, dir directory, entries []string) bot.CheckResult {
	const name = "protected accounts"
	if len(entries) == 0 {
		return bot.CheckResult{Name: name, OK: true, Detail: "none listed"}
	}
	var bad []string
	for _, e := range entries {
		l := revoke.Lookup{Kind: revoke.ByAddress, Value: strings.ToLower(e)}
		if authz.IsObjectID(e) {
			l.Kind = revoke.ByObjectID
		}
		users, err := dir.Resolve(ctx, l)
		if err != nil {
			// The next lookups would fail alike; "graph read" says more.
			return bot.CheckResult{Name: name, Detail: fmt.Sprintf("could not look up %s: %v", e, err),
				Fix: "grant User.Read.All with admin consent, then run check again"}
		}
		switch {
		case len(users) == 0:
			bad = append(bad, e+" matches no user")
		case len(users) > 1:
			bad = append(bad, fmt.Sprintf("%s matches %d users", e, len(users)))
		case !(authz.Policy{Protected: []string{e}}).IsProtected(users[0].UPN, users[0].Mail, users[0].ID):
			bad = append(bad, fmt.Sprintf("%s is only another address of %s, which it does not protect", e, users[0].UPN))
		}
	}
	if len(bad) > 0 {
		return bot.CheckResult{Name: name, Detail: strings.Join(bad, "; "),
			Fix: "name each protected account by its UPN, primary e-mail address or object ID, exactly one user each"}
	}
	return bot.CheckResult{Name: name, OK: true, Detail: fmt.Sprintf("each of the %d entries is exactly one user", len(entries))}
}
