package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/revoke/exchange"
	"github.com/revokebot/revokebot/revoke/graph"
	"github.com/revokebot/revokebot/revoke/sharepoint"
	"github.com/revokebot/revokebot/signing"
)

// config is the process's settings, read from the environment (SPEC.md).
type config struct {
	BotToken, AppToken string
	SlackAPIURL        string
	GraphBaseURL       string
	GraphToken         string
	PolicyPath         string
	Policy             authz.Policy
	StoreURL           string
	Listen             string
	LogFormat          string
	// SharePointURL enables --sharepoint; SharePointToken is a static
	// bearer token for it (otherwise azidentity, with a certificate).
	SharePointURL, SharePointToken string
	// SlackAdminToken enables --slack: an Enterprise Grid org admin's user
	// token, used for admin.users.session.reset only.
	SlackAdminToken string
	// Exchange Online's admin endpoint, for --forwarding: its base URL,
	// a static token (else azidentity's, when Graph uses it) and the
	// tenant in its path; ExchangeTenant is "" when Exchange is off.
	ExchangeURL, ExchangeToken, ExchangeTenant string
	// graphLimits shrink the windows of Graph's published budgets, for
	// the sandbox's tests; zero keeps Graph's own.
	graphLimits graphLimits
	// signingKey signs every decision and audit record; a zero key (a
	// SQLite store's first start) is made at signingKeyFile by serve.
	signingKey     signing.Key
	signingKeyFile string
}

// graphLimits are the windows of the reports budget (5 requests per 10 s)
// and Identity Protection's (1 request per second).
type graphLimits struct{ reports, risk time.Duration }

// settingError names the setting at fault; main prints it and exits 2.
type settingError struct{ name, problem string }

func (e *settingError) Error() string { return e.name + ": " + e.problem }

func orDefault(getenv func(string) string, name, def string) string {
	if v := strings.TrimSpace(getenv(name)); v != "" {
		return v
	}
	return def
}

// loadStoreURL reads REVOKEBOT_STORE, which every subcommand touching state needs.
func loadStoreURL(getenv func(string) string) (string, error) {
	v := orDefault(getenv, "REVOKEBOT_STORE", "sqlite:revokebot.db")
	switch {
	case strings.HasPrefix(v, "sqlite:") && len(v) > len("sqlite:"):
		dir := filepath.Dir(strings.TrimPrefix(v, "sqlite:"))
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return "", &settingError{"REVOKEBOT_STORE", fmt.Sprintf("directory %s does not exist", dir)}
		}
		return v, nil
	case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
		return v, nil
	}
	return "", &settingError{"REVOKEBOT_STORE", "want sqlite:PATH or a postgres:// URL"}
}

// loadConfig reads and checks every setting before anything connects.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		BotToken:        strings.TrimSpace(getenv("SLACK_BOT_TOKEN")),
		AppToken:        strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		SlackAPIURL:     orDefault(getenv, "SLACK_API_URL", "https://slack.com/api/"),
		GraphBaseURL:    orDefault(getenv, "GRAPH_BASE_URL", "https://graph.microsoft.com/v1.0"),
		GraphToken:      strings.TrimSpace(getenv("GRAPH_ACCESS_TOKEN")),
		PolicyPath:      orDefault(getenv, "REVOKEBOT_CONFIG", "revokebot.yaml"),
		Listen:          orDefault(getenv, "REVOKEBOT_LISTEN", ":9090"),
		LogFormat:       orDefault(getenv, "REVOKEBOT_LOG_FORMAT", "json"),
		SharePointURL:   strings.TrimSpace(getenv("SHAREPOINT_ADMIN_URL")),
		SharePointToken: strings.TrimSpace(getenv("SHAREPOINT_ACCESS_TOKEN")),
		SlackAdminToken: strings.TrimSpace(getenv("SLACK_ADMIN_TOKEN")),
		ExchangeURL:     orDefault(getenv, "EXCHANGE_ADMIN_URL", "https://outlook.office365.com"),
		ExchangeToken:   strings.TrimSpace(getenv("EXCHANGE_ACCESS_TOKEN")),
	}
	// Token values never appear in these messages: only their names.
	if err := checkBotToken(c.BotToken); err != nil {
		return c, err
	}
	switch {
	case c.AppToken == "":
		return c, &settingError{"SLACK_APP_TOKEN", "required (an app-level token, xapp-…, with connections:write)"}
	case !strings.HasPrefix(c.AppToken, "xapp-"):
		return c, &settingError{"SLACK_APP_TOKEN", "not an app-level token: it must start with xapp-"}
	}
	if err := checkSlackAPIURL(c.SlackAPIURL); err != nil {
		return c, err
	}
	if t := c.SlackAdminToken; t != "" && !strings.HasPrefix(t, "xoxp-") {
		return c, &settingError{"SLACK_ADMIN_TOKEN", "not a user token: it must be an Enterprise Grid org admin's token, starting with xoxp-"}
	}
	if _, err := exchange.CheckBaseURL(c.ExchangeURL); err != nil {
		return c, &settingError{"EXCHANGE_ADMIN_URL", err.Error()}
	}
	c.ExchangeTenant = exchangeTenant(getenv, c)
	if _, err := graph.CheckBaseURL(c.GraphBaseURL); err != nil {
		return c, err
	}
	if c.SharePointURL != "" {
		if _, err := sharepoint.CheckAdminURL(c.SharePointURL); err != nil {
			return c, err
		}
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return c, &settingError{"REVOKEBOT_LISTEN", "want host:port, such as :9090"}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return c, &settingError{"REVOKEBOT_LOG_FORMAT", "want json or text"}
	}
	var err error
	if c.StoreURL, err = loadStoreURL(getenv); err != nil {
		return c, err
	}
	if c.signingKey, c.signingKeyFile, err = loadSigningKey(getenv, c.StoreURL); err != nil {
		return c, err
	}
	if c.Policy, err = loadPolicy(c.PolicyPath); err != nil {
		return c, err
	}
	if problem := unsupported(c.Policy, c.SharePointURL != "", c.SlackAdminToken != "", c.ExchangeTenant != ""); problem != "" {
		return c, &settingError{"REVOKEBOT_CONFIG", fmt.Sprintf("%s: %s", c.PolicyPath, problem)}
	}
	return c, nil
}

func checkBotToken(token string) error {
	switch {
	case token == "":
		return &settingError{"SLACK_BOT_TOKEN", "required (a bot token, xoxb-…)"}
	case !strings.HasPrefix(token, "xoxb-"):
		return &settingError{"SLACK_BOT_TOKEN", "not a bot token: it must start with xoxb-"}
	}
	return nil
}

func checkSlackAPIURL(v string) error {
	if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.HasSuffix(u.Path, "/") {
		return &settingError{"SLACK_API_URL", "want an absolute URL ending in /, such as https://slack.com/api/"}
	} else if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return &settingError{"SLACK_API_URL", "plain http is allowed only for localhost: the bot token would cross the network in clear"}
	}
	return nil
}

func loadPolicy(path string) (authz.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return authz.Policy{}, &settingError{"REVOKEBOT_CONFIG", fmt.Sprintf("policy file %s does not exist", path)}
		}
		return authz.Policy{}, &settingError{"REVOKEBOT_CONFIG", fmt.Sprintf("cannot read %s", path)}
	}
	p, err := authz.ParsePolicy(data)
	if err != nil {
		return p, &settingError{"REVOKEBOT_CONFIG", fmt.Sprintf("%s: %v", path, err)}
	}
	return p, nil
}

// unsupported refuses a policy this deployment cannot carry out: default
// actions it is not configured for, and protected accounts that could never
// be revoked.
func unsupported(p authz.Policy, sharePoint, slackAdmin, exchangeOn bool) string {
	for _, a := range p.Actions {
		if exchangeAction(a) && !exchangeOn {
			return "actions: " + a + " needs Exchange Online: EXCHANGE_ACCESS_TOKEN, or azidentity's credentials with AZURE_TENANT_ID"
		}
		if a == "sharepoint" && !sharePoint {
			return "actions: sharepoint needs SHAREPOINT_ADMIN_URL to be set"
		}
		if a == "slack" && !slackAdmin {
			return "actions: slack needs SLACK_ADMIN_TOKEN to be set"
		}
	}
	if len(p.Protected) > 0 && p.Approvers.Empty() {
		return "approvers: empty, so the protected accounts could never be approved"
	}
	return ""
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// exchangeTenant is the tenant Exchange's admin endpoint is asked for, ""
// when Exchange is off: no token can be had (Graph's is a static one and
// Exchange has none), or no tenant is known. It is AZURE_TENANT_ID, else
// the tid claim of the Graph token, else of the Exchange token.
func exchangeTenant(getenv func(string) string, c config) string {
	if c.ExchangeToken == "" && c.GraphToken != "" {
		return ""
	}
	for _, t := range []string{strings.TrimSpace(getenv("AZURE_TENANT_ID")), revoke.TenantOf(c.GraphToken), revoke.TenantOf(c.ExchangeToken)} {
		if t != "" {
			return t
		}
	}
	return ""
}

// secrets are the settings' values no log may show.
func (c config) secrets(getenv func(string) string) []string {
	return []string{c.BotToken, c.AppToken, c.GraphToken, c.SharePointToken, c.SlackAdminToken, c.ExchangeToken, getenv("AZURE_CLIENT_SECRET")}
}

// exchangeAction reports whether a policy action needs Exchange Online.
func exchangeAction(a string) bool {
	return a == string(revoke.ActionForwarding) || a == string(revoke.ActionProtocols)
}
