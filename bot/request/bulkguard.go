package request

import (
	"context"
	"strings"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// protectedGuard is what a /revoke all asks again right before each
// revocation: the job's checkpoint is the database's, and a protected
// account's row moved back to pending there must still not be revoked. It
// holds the protected accounts' object IDs, resolved from the policy when
// the job starts; an entry that cannot be resolved is matched by address
// against the row, which is the best left.
func (b *bulkRunner) protectedGuard(ctx context.Context) func(store.BulkUser) string {
	ids := map[string]bool{}
	var unresolved []string
	for _, want := range b.policy.Protected {
		if guidRe.MatchString(want) {
			ids[strings.ToLower(want)] = true
			continue
		}
		users, err := b.cfg.Directory.Resolve(ctx, revoke.Lookup{Kind: revoke.ByAddress, Value: strings.ToLower(want)})
		if err != nil || len(users) == 0 {
			b.log.Warn("a protected account could not be resolved for /revoke all's guard; it is matched by address", "entry", want, "error", err)
			unresolved = append(unresolved, want)
			continue
		}
		for _, u := range users {
			ids[strings.ToLower(u.ID)] = true
		}
	}
	byAddress := authz.Policy{Protected: unresolved}
	return func(u store.BulkUser) string {
		if ids[strings.ToLower(u.ID)] || byAddress.IsProtected(u.UPN) {
			return authz.SkipProtected
		}
		return ""
	}
}
