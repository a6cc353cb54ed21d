package request

import (
	"context"
	"fmt"

	"github.com/revokebot/revokebot/revoke"
)

// mfaAction removes every authentication method but the password.
var mfaAction = action{
	name:  revoke.ActionMFA,
	line:  "Remove every authentication method except the password (an attacker's own authenticator, phone or key among them)",
	short: "remove authentication methods",
	verb:  "Removing authentication methods",
	missing: func(c Config) string {
		return missingIf(c.Methods == nil, "Removing authentication methods (`--mfa`) is not configured in this revokebot.")
	},
	list: func(b *executor, ctx context.Context, u revoke.User) func(*userListing) {
		ms, err := b.cfg.Methods.AuthMethods(ctx, u.ID)
		return func(l *userListing) {
			if err != nil {
				l.MethodsError = describe(err)
			}
			l.Methods = removable(ms)
		}
	},
	lines: methodLines,
	run: func(b *executor, ctx context.Context, u revoke.User, shown userListing, _ *userOutcome) (string, error) {
		return b.removeMethods(ctx, u.ID, shown)
	},
	left: func(c leftCheck) residual {
		switch {
		case c.After.MethodsError != "":
			return unchecked("the methods could not be listed again (" + c.After.MethodsError + ").")
		case len(c.After.Methods) > 0:
			return stillThere(fmt.Sprintf("%s registered: %s.", plural(len(c.After.Methods), "method"),
				leftNames(c.After.Methods, func(m revoke.Method) string { return cleanName(m.Type + " " + m.Label) }, func(m revoke.Method) string { return m.ID }, c.Before.Methods)))
		}
		return gone(fmt.Sprintf("no method but the password is registered (%s).", c.listedBefore(len(c.Before.Methods))))
	},
}

// MethodRemover lists and removes a user's authentication methods; the
// password is never removed, and the default method goes last.
type MethodRemover interface {
	AuthMethods(ctx context.Context, userID string) ([]revoke.Method, error)
	RemoveAuthMethods(ctx context.Context, userID string, ms []revoke.Method) (removed []revoke.Method, failed map[string]error)
}
