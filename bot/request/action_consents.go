package request

import (
	"context"
	"fmt"

	"github.com/revokebot/revokebot/revoke"
)

// consentsAction removes the delegated grants the user gave apps.
var consentsAction = action{
	name:  revoke.ActionConsents,
	line:  "Remove the permissions the user consented to for apps (their own delegated grants; kept in the audit log so they can be restored)",
	short: "remove app consents",
	verb:  "Removing app consents",
	missing: func(c Config) string {
		return missingIf(c.Grants == nil, "Removing app consents (`--consents`) is not configured in this revokebot.")
	},
	list: func(b *executor, ctx context.Context, u revoke.User) func(*userListing) {
		gs, err := b.cfg.Grants.Grants(ctx, u.ID)
		return func(l *userListing) {
			if err != nil {
				l.GrantsError = describe(err)
			}
			l.Grants = gs
		}
	},
	lines: grantLines,
	run: func(b *executor, ctx context.Context, u revoke.User, shown userListing, _ *userOutcome) (string, error) {
		return b.removeGrants(ctx, u.ID, shown)
	},
	left: func(c leftCheck) residual {
		switch {
		case c.After.GrantsError != "":
			return unchecked("the consents could not be listed again (" + c.After.GrantsError + ").")
		case len(c.After.Grants) > 0:
			return stillThere(fmt.Sprintf("%s still granted: %s.", plural(len(c.After.Grants), "consent"),
				leftNames(c.After.Grants, func(g revoke.Grant) string { return cleanName(orDash(g.ClientName)) }, func(g revoke.Grant) string { return g.ID }, c.Before.Grants)))
		}
		return gone(fmt.Sprintf("no consent is granted (%s).", c.listedBefore(len(c.Before.Grants))))
	},
}

// GrantRemover lists and removes the delegated permission grants a user
// gave apps (consent type Principal).
type GrantRemover interface {
	Grants(ctx context.Context, userID string) ([]revoke.Grant, error)
	DeleteGrant(ctx context.Context, grantID string) error
}
