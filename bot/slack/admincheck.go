package slack

import (
	"context"
	"fmt"
	"slices"
	"strings"

	goslack "github.com/slack-go/slack"
)

// adminFix is what to do about any failing admin-token check.
const adminFix = "set SLACK_ADMIN_TOKEN to the user token (xoxp-…) of an Enterprise Grid org admin or owner, " +
	"from an app installed on the org with the user scope admin.users:write"

// CheckAdminToken is `revokebot check`'s line for SLACK_ADMIN_TOKEN: it
// calls auth.test with that token (changing nothing) and reports whether it
// is a user token, on an Enterprise Grid org, holding admin.users:write.
// Whether its user is still an org admin only a reset can tell (Slack
// answers not_an_admin then). An unset token passes: --slack is then off.
func CheckAdminToken(ctx context.Context, cfg AdminConfig) CheckResult {
	const name = "slack admin token"
	if cfg.AdminToken == "" {
		return CheckResult{Name: name, OK: true, Detail: "SLACK_ADMIN_TOKEN unset: the slack action is off"}
	}
	cfg = cfg.withDefaults()
	api := goslack.New(cfg.AdminToken, goslack.OptionAPIURL(cfg.APIURL), goslack.OptionHTTPClient(cfg.HTTPClient))
	at, err := api.AuthTestContext(ctx)
	if err != nil {
		return CheckResult{Name: name, Detail: classify("auth.test", err).Error(), Fix: adminFix}
	}
	var scopes []string
	for s := range strings.SplitSeq(at.Header.Get("X-OAuth-Scopes"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			scopes = append(scopes, s)
		}
	}
	who := fmt.Sprintf("@%s (%s)", at.User, at.UserID)
	switch {
	case at.BotID != "":
		// Only a bot token's answer names a bot.
		return CheckResult{Name: name, Detail: "a bot token, not a user token", Fix: adminFix}
	case at.EnterpriseID == "":
		return CheckResult{Name: name, Detail: who + " is not on an Enterprise Grid org, where alone admin.users.session.reset works",
			Fix: "the slack action needs Enterprise Grid; unset SLACK_ADMIN_TOKEN on other plans"}
	case !slices.Contains(scopes, adminScope):
		return CheckResult{Name: name, Detail: who + "'s token lacks " + adminScope, Fix: adminFix}
	}
	return CheckResult{Name: name, OK: true,
		Detail: fmt.Sprintf("user token of %s in org %s, with %s", who, at.EnterpriseID, adminScope)}
}
