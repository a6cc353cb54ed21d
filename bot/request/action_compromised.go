package request

import (
	"context"

	"github.com/revokebot/revokebot/revoke"
)

// compromisedAction marks the user compromised in Identity Protection.
var compromisedAction = action{
	name:  revoke.ActionCompromised,
	line:  "Mark the user compromised in Identity Protection (`confirmCompromised`; high user risk)",
	short: "mark compromised",
	verb:  "Marking compromised",
	missing: func(c Config) string {
		return missingIf(c.Compromiser == nil, "Marking users compromised (`--compromised`) is not configured in this revokebot.")
	},
	run: func(b *executor, ctx context.Context, u revoke.User, _ userListing, _ *userOutcome) (string, error) {
		res, err := b.cfg.Compromiser.ConfirmCompromised(ctx, u.ID)
		if err != nil {
			return "", err
		}
		return "Marked compromised in Identity Protection at " + clock(res.At) + ".", nil
	},
}

// Compromiser marks a user compromised in Identity Protection.
type Compromiser interface {
	ConfirmCompromised(ctx context.Context, userID string) (revoke.Result, error)
}
