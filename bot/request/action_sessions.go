package request

import (
	"context"

	"github.com/revokebot/revokebot/revoke"
)

// sessionsAction revokes every refresh token and session cookie; every
// containment runs it.
var sessionsAction = action{
	name:    revoke.ActionSessions,
	line:    "Revoke all refresh tokens and session cookies (`revokeSignInSessions`)",
	short:   "revoke sessions",
	verb:    "Revoking sessions",
	missing: func(Config) string { return "" },
	run: func(b *executor, ctx context.Context, u revoke.User, _ userListing, out *userOutcome) (string, error) {
		res, err := b.cfg.Revoker.RevokeSessions(ctx, u.ID)
		b.m.Revocation(map[bool]string{true: "succeeded", false: "failed"}[err == nil])
		if err != nil {
			return "", err
		}
		out.RevokedAt = res.At
		words := "Sign-in sessions revoked; Graph accepted it at " + clock(res.At) + "."
		if u.Guest() {
			words += " :warning: A B2B guest: this does not affect their sessions in their home tenant."
		}
		return words, nil
	},
	left: func(c leftCheck) residual {
		p, why, ok := c.account()
		if !ok {
			return why
		}
		valid := "not set"
		if !p.SessionsValidFrom.IsZero() {
			valid = clock(p.SessionsValidFrom)
		}
		if c.Out.RevokedAt.IsZero() || p.SessionsValidFrom.Before(c.Out.RevokedAt.Add(-clockSlack)) {
			if c.Done && !c.Out.RevokedAt.IsZero() {
				return notShownYet()
			}
			return stillThere("sessions are valid from " + valid + ", before the revocation: tokens issued before it may still work.")
		}
		return gone("sessions are valid from " + valid + ": every token issued before is refused.")
	},
}
