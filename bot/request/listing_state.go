package request

import (
	"context"

	"github.com/revokebot/revokebot/revoke"
)

// listState reads the account's sign-in state (enabled, sessions valid
// from, last password change, synced or cloud) when the card is listed:
// the evidence snapshot keeps it as it was before the actions, and the
// residual-access report holds what is read after against it. It is one
// read of the user, outside the reports budget, and the card does not show it.
func (b *executor) listState(ctx context.Context, u revoke.User) func(*userListing) {
	p, err := b.cfg.Prover.ReadBack(ctx, u.ID)
	return func(l *userListing) {
		if err != nil {
			l.StateError = describe(err)
			return
		}
		l.State = &p
	}
}
