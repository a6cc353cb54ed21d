package request

import (
	"context"

	"github.com/revokebot/revokebot/revoke"
)

// restoreProtocolsAction is a release's undoing of protocols: it turns back
// on exactly the mail protocols revokebot turned off for the user since
// their last release, as its signed records say, and nothing else.
var restoreProtocolsAction = action{
	name:  revoke.ActionRestoreProtocols,
	line:  "Turn back on the mail protocols revokebot turned off (`--protocols`), exactly those",
	short: "turn mail protocols back on",
	verb:  "Turning mail protocols back on",
	missing: func(c Config) string {
		return missingIf(c.Protocols == nil, exchangeMissing("Turning mail protocols back on"))
	},
	run: func(b *executor, ctx context.Context, u revoke.User, _ userListing, _ *userOutcome) (string, error) {
		ps, err := b.protocolsToRestore(ctx, u.ID)
		if err != nil {
			return "", err
		}
		if len(ps) == 0 {
			return "revokebot turned off no mail protocol of this user: none to turn back on.", nil
		}
		if err := b.cfg.Protocols.EnableProtocols(ctx, u.UPN, ps); err != nil {
			return "", err
		}
		return "Turned " + protocolWords(ps) + " back on, as they were before revokebot turned them off.", nil
	},
	failed: exchangeFailed,
}
