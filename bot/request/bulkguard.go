package request

import (
	"context"
	"strings"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/store"
)

// protectedGuard is what a /revoke all asks again right before each
// revocation: the job's checkpoint is the database's, and a protected
// account's row moved back to pending there must still not be revoked. It
// holds the protected accounts' object IDs, resolved from the policy when
// the job starts; an entry that cannot be resolved is matched by address
// against the row, which is the best left.
func (b *bulkRunner) protectedGuard(ctx context.Context) func(store.BulkUser) string {
	users, unresolved := b.resolveProtected(ctx)
	ids := map[string]bool{}
	for _, u := range users {
		ids[strings.ToLower(u.ID)] = true
	}
	for _, want := range unresolved {
		if guidRe.MatchString(want) {
			ids[strings.ToLower(want)] = true
		}
	}
	if len(unresolved) > 0 {
		b.log.Warn("protected accounts not resolved for /revoke all's guard; they are matched by address", "entries", len(unresolved))
	}
	byAddress := authz.Policy{Protected: unresolved}
	return func(u store.BulkUser) string {
		if ids[strings.ToLower(u.ID)] || byAddress.IsProtected(u.UPN) {
			return authz.SkipProtected
		}
		return ""
	}
}
