package request

import (
	"context"

	"github.com/revokebot/revokebot/revoke"
)

// disableAction blocks sign-in.
var disableAction = action{
	name:  revoke.ActionDisable,
	line:  "Block sign-in (`accountEnabled` = false)",
	short: "block sign-in",
	verb:  "Blocking sign-in",
	missing: func(c Config) string {
		return missingIf(c.Disabler == nil, "Blocking sign-in (`--disable`) is not configured in this revokebot.")
	},
	run: func(b *executor, ctx context.Context, u revoke.User, _ userListing, _ *userOutcome) (string, error) {
		res, err := b.cfg.Disabler.DisableUser(ctx, u.ID)
		if err != nil {
			return "", err
		}
		return "Sign-in blocked at " + clock(res.At) + ".", nil
	},
	failed:  func(err error) string { return enablingFailed(revoke.ActionDisable, "disabling", err) },
	shownBy: func(p revoke.Proof) bool { return !p.AccountEnabled },
	left: func(c leftCheck) residual {
		p, why, ok := c.account()
		switch {
		case !ok:
			return why
		case p.AccountEnabled && c.Done:
			return notShownYet()
		case p.AccountEnabled:
			return stillThere("sign-in is still allowed (`accountEnabled` true).")
		}
		return gone("sign-in is blocked (`accountEnabled` false).")
	},
}

// missingIf is why when a client is not configured, else "".
func missingIf(absent bool, why string) string {
	if absent {
		return why
	}
	return ""
}

// enablingFailed words a refused change of accountEnabled, which an admin
// role on the user makes need more than the permission; "" for the rest.
func enablingFailed(a revoke.Action, verb string, err error) string {
	if revoke.KindOf(err) != revoke.KindForbidden {
		return ""
	}
	switch revoke.LacksOf(err) {
	case revoke.LacksRole:
		return "Graph refused (403) though the app holds `" + a.Permission() + "`: the user holds an admin role, and " + verb +
			" an administrator needs the app to hold Privileged Authentication Administrator."
	case revoke.LacksPermission:
		return describe(err)
	}
	return describe(err) + " If the app has it, the user holds an admin role: " + verb + " an administrator needs the app to hold a higher admin role (such as Privileged Authentication Administrator)."
}

// Disabler blocks a user's sign-in.
type Disabler interface {
	DisableUser(ctx context.Context, userID string) (revoke.Result, error)
}
