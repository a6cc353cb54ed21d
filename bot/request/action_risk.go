package request

import (
	"context"

	"github.com/revokebot/revokebot/revoke"
)

// dismissRiskAction dismisses the user's risk in Identity Protection: a
// release's undoing of compromised.
var dismissRiskAction = action{
	name:  revoke.ActionDismissRisk,
	line:  "Dismiss the user risk in Identity Protection, where it has the user at risk (`dismiss`)",
	short: "dismiss user risk",
	verb:  "Dismissing user risk",
	missing: func(c Config) string {
		return missingIf(c.Risk == nil, "Dismissing user risk is not configured in this revokebot.")
	},
	run: func(b *executor, ctx context.Context, u revoke.User, _ userListing, _ *userOutcome) (string, error) {
		return b.dismissRisk(ctx, u.ID)
	},
}

// RiskDismisser reads a user's risk in Identity Protection and dismisses
// it, undoing Compromiser. The level and state are Graph's words ("high",
// "atRisk"); a user never at risk is level "none".
type RiskDismisser interface {
	UserRisk(ctx context.Context, userID string) (level, state string, err error)
	DismissRisk(ctx context.Context, userID string) (revoke.Result, error)
}
