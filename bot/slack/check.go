package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"
)

// CheckResult is one line of `revokebot check`.
type CheckResult struct {
	Name   string
	OK     bool
	Detail string // what was found; never a token
	Fix    string // what to do when not OK
}

// RequiredScopes are the bot token scopes revokebot uses; the history
// scopes serve `audit verify --slack`, which reads the audit channel back
// (channels:history for a public channel, groups:history for a private one),
// and the read scopes serve `check`, whose conversations.info needs
// channels:read for a public channel and groups:read for a private one.
var RequiredScopes = []string{"commands", "chat:write", "users:read", "users:read.email", "usergroups:read", "files:write",
	"channels:history", "groups:history", "channels:read", "groups:read"}

// SlackCheck is what CheckSlack verifies.
type SlackCheck struct {
	BotToken, AppToken, APIURL string
	Channels                   []string // incident channels of the policy
	AuditChannel               string
}

// CheckSlack verifies the tokens, their scopes and the channels without
// changing anything: auth.test, apps.connections.open (whose URL it never
// dials) and conversations.info.
func CheckSlack(ctx context.Context, c SlackCheck) []CheckResult {
	hc := &http.Client{Timeout: 15 * time.Second}
	var out []CheckResult
	scopes, who, err := authTest(ctx, hc, c.APIURL, c.BotToken)
	if err != nil {
		return append(out, CheckResult{Name: "slack bot token", Detail: err.Error(),
			Fix: "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…) from Install App"})
	}
	out = append(out, CheckResult{Name: "slack bot token", OK: true, Detail: who})
	var missing []string
	for _, s := range RequiredScopes {
		if !slices.Contains(scopes, s) {
			missing = append(missing, s)
		}
	}
	out = append(out, CheckResult{Name: "slack bot scopes", OK: len(missing) == 0,
		Detail: "missing " + strings.Join(missing, ", "),
		Fix:    "add the scopes under OAuth & Permissions (or from deploy/slack-app-manifest.yaml) and reinstall the app"})
	if len(missing) == 0 {
		out[len(out)-1].Detail = strings.Join(RequiredScopes, ", ")
	}

	api := goslack.New(c.BotToken, goslack.OptionAPIURL(c.APIURL), goslack.OptionAppLevelToken(c.AppToken), goslack.OptionHTTPClient(hc))
	if _, _, err := api.StartSocketModeContext(ctx); err != nil {
		out = append(out, CheckResult{Name: "slack app token", Detail: "apps.connections.open: " + slackErrorCode(err),
			Fix: "set SLACK_APP_TOKEN to an app-level token (xapp-…) with connections:write, and enable Socket Mode"})
	} else {
		out = append(out, CheckResult{Name: "slack app token", OK: true, Detail: "Socket Mode connections can be opened"})
	}
	for _, ch := range c.Channels {
		out = append(out, channelCheck(ctx, api, "incident channel "+ch, ch))
	}
	if c.AuditChannel != "" {
		out = append(out, channelCheck(ctx, api, "audit channel "+c.AuditChannel, c.AuditChannel))
	}
	return out
}

func channelCheck(ctx context.Context, api *goslack.Client, name, id string) CheckResult {
	info, err := api.GetConversationInfoContext(ctx, &goslack.GetConversationInfoInput{ChannelID: id})
	var se goslack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && se.Err == "missing_scope" && se.Needed != "":
		// Slack names the scope for this channel's kind: groups:read for a
		// private channel, channels:read for a public one.
		return CheckResult{Name: name, Detail: "conversations.info: missing_scope " + se.Needed,
			Fix: "add " + se.Needed + " under OAuth & Permissions (or from deploy/slack-app-manifest.yaml) and reinstall the app"}
	case err != nil:
		return CheckResult{Name: name, Detail: "conversations.info: " + slackErrorCode(err),
			Fix: "check the channel ID in the policy file, and that the bot can see the channel"}
	case !info.IsMember:
		return CheckResult{Name: name, Detail: "#" + info.Name + " exists but revokebot is not in it, so it cannot post there",
			Fix: "invite it: /invite @revokebot in #" + info.Name}
	}
	return CheckResult{Name: name, OK: true, Detail: "#" + info.Name + ", revokebot can post there"}
}

// authTest calls auth.test itself, because the granted scopes arrive only
// in the X-OAuth-Scopes header, which slack-go does not return.
func authTest(ctx context.Context, hc *http.Client, apiURL, token string) ([]string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+"auth.test", strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return nil, "", fmt.Errorf("auth.test: bad SLACK_API_URL")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("auth.test: Slack unreachable")
	}
	defer resp.Body.Close()
	var body struct {
		OK     bool   `json:"ok"`
		Error  string `json:"error"`
		Team   string `json:"team"`
		User   string `json:"user"`
		UserID string `json:"user_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, "", fmt.Errorf("auth.test: HTTP %d without a Slack answer", resp.StatusCode)
	}
	if !body.OK {
		return nil, "", fmt.Errorf("auth.test: %s", body.Error)
	}
	var scopes []string
	for _, s := range strings.Split(resp.Header.Get("X-OAuth-Scopes"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			scopes = append(scopes, s)
		}
	}
	return scopes, fmt.Sprintf("@%s (%s) in %s", body.User, body.UserID, body.Team), nil
}
