package request

import (
	"context"

	"github.com/revokebot/revokebot/revoke"
)

// sharePointAction ends SharePoint Online and OneDrive sessions, through
// SharePoint's own admin API.
var sharePointAction = action{
	name:  revoke.ActionSharePoint,
	line:  "End SharePoint Online and OneDrive sessions (`RevokeAllUserSessions`)",
	short: "end SharePoint sessions",
	verb:  "SharePoint session revocation",
	missing: func(c Config) string {
		return missingIf(c.SharePoint == nil, "SharePoint session revocation (`--sharepoint`) is not configured: its operator must set `SHAREPOINT_ADMIN_URL` (and a certificate credential).")
	},
	run: func(b *executor, ctx context.Context, u revoke.User, _ userListing, _ *userOutcome) (string, error) {
		st, err := b.cfg.SharePoint.RevokeUserSessions(ctx, u.UPN)
		if err != nil {
			return "", err
		}
		words := "SharePoint and OneDrive: " + st.String() + "."
		if !st.Succeeded() {
			return words, errSaid
		}
		return words, nil
	},
	failed: func(err error) string {
		switch revoke.KindOf(err) {
		case revoke.KindForbidden:
			return "SharePoint refused (403): the app needs the SharePoint application permission `Sites.FullControl.All`, with admin consent, and a certificate credential."
		case revoke.KindUnauthorized:
			return "SharePoint refused revokebot's token (401): it takes app-only tokens got with a certificate, not a client secret. Check with `revokebot check`."
		}
		return ""
	},
	left: func(leftCheck) residual {
		return unchecked("SharePoint Online has no read of a user's sessions; its answer above is all there is.")
	},
}

// SharePointRevoker ends a user's SharePoint Online and OneDrive sessions.
type SharePointRevoker interface {
	RevokeUserSessions(ctx context.Context, upn string) (revoke.SharePointState, error)
}
