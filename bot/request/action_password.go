package request

import (
	"context"

	"github.com/revokebot/revokebot/revoke"
)

// resetPasswordAction sets a random password nobody sees.
var resetPasswordAction = action{
	name:  revoke.ActionResetPassword,
	line:  "Reset the password to a random one nobody sees, to be changed at next sign-in, so a stolen password stops working",
	short: "reset the password",
	verb:  "Resetting the password",
	missing: func(c Config) string {
		return missingIf(c.Passwords == nil, "Resetting passwords (`--reset-password`) is not configured in this revokebot.")
	},
	run: func(b *executor, ctx context.Context, u revoke.User, _ userListing, _ *userOutcome) (string, error) {
		res, err := b.resetPassword(ctx, u.ID)
		if err != nil {
			return "", err
		}
		return "Password reset to a random one nobody has seen, at " + clock(res.At) +
			"; it must be changed at next sign-in. The user gets back in through self-service password reset or the help desk.", nil
	},
	failed: passwordFailed,
	left: func(c leftCheck) residual {
		p, why, ok := c.account()
		switch {
		case !ok:
			return why
		case p.Synced:
			return unchecked("the account is synced from on premises, where its password lives.")
		case p.PasswordChanged.IsZero():
			return unchecked("Graph does not say when the password last changed.")
		case c.Before.State == nil:
			return unchecked("the password's last change was not read before the actions, so there is nothing to hold it against (last changed " + clock(p.PasswordChanged) + ").")
		case !p.PasswordChanged.After(c.Before.State.PasswordChanged):
			return stillThere("the password is the one from before (last changed " + clock(p.PasswordChanged) + ").")
		}
		return gone("the password was changed at " + clock(p.PasswordChanged) + ": the one from before no longer works.")
	},
}

// resetPassword sets a fresh random password. It lives only in this call:
// nothing returned, logged or recorded holds it.
func (b *executor) resetPassword(ctx context.Context, userID string) (revoke.Result, error) {
	pw, err := revoke.NewPassword()
	if err != nil {
		return revoke.Result{}, err
	}
	return b.cfg.Passwords.ResetPassword(ctx, userID, pw)
}

// passwordFailed words a refused reset: a synced account, and the
// permission and the directory role a reset needs.
func passwordFailed(err error) string {
	if revoke.KindOf(err) == revoke.KindSynced {
		return "this account is synced from an on-premises directory and the tenant does not write passwords back: reset it in on-premises Active Directory."
	}
	if revoke.KindOf(err) != revoke.KindForbidden {
		return ""
	}
	switch revoke.LacksOf(err) {
	case revoke.LacksPermission:
		return "Graph refused (403): the app lacks the application permission `User-PasswordProfile.ReadWrite.All`. Grant it with admin consent (`revokebot check` names its ID)."
	case revoke.LacksRole:
		return "Graph refused (403) though the app holds `User-PasswordProfile.ReadWrite.All`: resetting a password also needs a directory role on the app, User Administrator, and Privileged Authentication Administrator for a user who holds an admin role."
	}
	return "Graph refused (403). Resetting a password needs the application permission `User-PasswordProfile.ReadWrite.All` and the app holding the User Administrator role; a user who holds an admin role needs Privileged Authentication Administrator instead."
}

// PasswordResetter sets a user's password, to be changed at next sign-in.
// The password passes through and is never kept.
type PasswordResetter interface {
	ResetPassword(ctx context.Context, userID, password string) (revoke.Result, error)
}
