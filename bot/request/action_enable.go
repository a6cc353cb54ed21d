package request

import (
	"context"

	"github.com/revokebot/revokebot/revoke"
)

// enableAction lets sign-in again: a release's undoing of disable.
var enableAction = action{
	name:  revoke.ActionEnable,
	line:  "Let sign-in again (`accountEnabled` = true)",
	short: "let sign-in again",
	verb:  "Letting sign-in again",
	missing: func(c Config) string {
		return missingIf(c.Enabler == nil, "Releasing users (`/revoke release`) is not configured in this revokebot.")
	},
	run: func(b *executor, ctx context.Context, u revoke.User, _ userListing, _ *userOutcome) (string, error) {
		res, err := b.cfg.Enabler.EnableUser(ctx, u.ID)
		if err != nil {
			return "", err
		}
		return "Sign-in allowed again at " + clock(res.At) + ".", nil
	},
	failed: func(err error) string {
		if revoke.KindOf(err) == revoke.KindSynced {
			return "this account is synced from an on-premises directory, so Entra ID cannot change it: enable it in on-premises Active Directory and let the sync run."
		}
		return enablingFailed(revoke.ActionEnable, "enabling", err)
	},
	shownBy: func(p revoke.Proof) bool { return p.AccountEnabled },
}

// Enabler lets a user sign in again, undoing Disabler.
type Enabler interface {
	EnableUser(ctx context.Context, userID string) (revoke.Result, error)
}
