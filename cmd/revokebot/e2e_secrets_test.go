package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/internal/fakeexchange"
	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakesharepoint"
)

// TestNoSecretLeaks runs successful and failing flows and looks for any token
// value in the logs, in everything Slack received, and in Graph's requests
// other than the Authorization header meant for it.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withSlackAdmin())
	card := e.request(uRequester, "alice")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")

	card = e.request(uRequester, "bob")
	e.sb.Graph.Inject(fakegraph.Fault{Method: "POST", Status: 403})
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "failed")
	e.sb.Graph.Inject(fakegraph.Fault{Method: "GET", Status: 401})
	e.command(uRequester, chIncident, "carol@contoso.com")
	e.ephemeral(uRequester, "refused revokebot's token")
	e.command(uStranger, chIncident, "alice")
	e.ephemeral(uStranger, "not on revokebot's list")
	// SharePoint refusing the token, and answering.
	e.sb.Graph.ClearFaults()
	e.sb.SharePoint.AddUser("alice@contoso.com")
	e.sb.SharePoint.Inject(fakesharepoint.Fault{Status: 401, Times: 1})
	card = e.request(uRequester, "alice --sharepoint")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "failed")
	card = e.request(uRequester, "alice --sharepoint")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	// Exchange refusing, then answering; Slack's admin call made.
	e.sb.Exchange.Inject(fakeexchange.Fault{Cmdlet: "Get-Mailbox", Status: 401, Times: 2}) // the card's read, then the click's
	card = e.request(uRequester, "alice --forwarding --protocols --slack")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "failed")
	card = e.request(uRequester, "alice --forwarding --protocols --slack")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}

	secrets := []string{sandboxBotToken, sandboxAppToken, sandboxGraphToken, sandboxSharePointToken, sandboxExchangeToken, slackAdminToken}
	logs := e.logs.String()
	if !strings.Contains(logs, "revokebot starting") {
		t.Fatalf("no logs captured: %q", logs)
	}
	// The logger scrubs token values as a last guard; the code must never
	// have handed it one in the first place.
	if strings.Contains(logs, "[REDACTED]") {
		t.Errorf("a token reached the logger (scrubbed): %s", logs)
	}
	slackText := e.everything()
	var stored strings.Builder
	trail, _ := openStore(t, e).AuditTrail(context.Background(), e.requestID(card))
	for _, r := range trail {
		stored.WriteString(r.Detail + r.Target)
	}
	for _, s := range secrets {
		for where, text := range map[string]string{"logs": logs, "slack": slackText, "audit": stored.String()} {
			if strings.Contains(text, s) {
				t.Errorf("a token reached the %s", where)
			}
		}
	}
	for _, r := range e.sb.SharePoint.Requests() {
		if auth := r.Header.Get("Authorization"); auth != "Bearer "+sandboxSharePointToken {
			t.Errorf("SharePoint got Authorization %q", auth)
		}
	}
	for _, r := range e.sb.Exchange.Requests() {
		if auth := r.Header.Get("Authorization"); auth != "Bearer "+sandboxExchangeToken {
			t.Errorf("Exchange got Authorization %q", auth)
		}
	}
	for _, r := range e.sb.Graph.Requests() {
		if strings.Contains(r.Header.Get("Authorization"), sandboxSharePointToken) || strings.Contains(r.Header.Get("Authorization"), sandboxExchangeToken) {
			t.Error("the SharePoint or Exchange token was sent to Graph")
		}
		if auth := r.Header.Get("Authorization"); auth != "Bearer "+sandboxGraphToken {
			t.Errorf("Graph got Authorization %q", auth)
		}
		for _, s := range []string{sandboxBotToken, sandboxAppToken} {
			if strings.Contains(r.Path+r.Query.Encode(), s) || strings.Contains(strings.Join(r.Header.Values("Authorization"), ""), s) {
				t.Error("a Slack token was sent to Graph")
			}
		}
	}
}

// TestConfigErrorsNameTheSetting: a bad setting is one line naming it, exit
// 2, no connection made, and no secret echoed.
func TestConfigErrorsNameTheSetting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sb, err := newSandbox(dir, testPolicy, fakeslackOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	writePolicy := func(name, body string) string {
		p := dir + "/" + name
		if err := writeFile(p, body); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"no bot token", "SLACK_BOT_TOKEN", "", "SLACK_BOT_TOKEN: required"},
		{"user token", "SLACK_BOT_TOKEN", "xoxp-supersecret-value", "SLACK_BOT_TOKEN: not a bot token"},
		{"no app token", "SLACK_APP_TOKEN", "", "SLACK_APP_TOKEN: required"},
		{"bot token as app token", "SLACK_APP_TOKEN", "xoxb-supersecret-value", "SLACK_APP_TOKEN: not an app-level token"},
		{"api url", "SLACK_API_URL", "https://slack.com/api", "SLACK_API_URL: want an absolute URL ending in /"},
		{"api url in clear", "SLACK_API_URL", "http://slack.example.com/api/", "SLACK_API_URL: plain http is allowed only for localhost"},
		{"store dir", "REVOKEBOT_STORE", "sqlite:" + dir + "/no/such/dir/x.db", "REVOKEBOT_STORE: directory"},
		{"unknown action", "REVOKEBOT_CONFIG", writePolicy("act.yaml", "requesters:\n  users: [U1AAAA]\nactions: [sessions, teleport]\n"), `actions[1]: "teleport" is not one of`},
		{"sharepoint in clear", "SHAREPOINT_ADMIN_URL", "http://contoso-admin.sharepoint.example", "SHAREPOINT_ADMIN_URL"},
		{"no approvers for protected", "REVOKEBOT_CONFIG", writePolicy("app.yaml", "requesters:\n  users: [U1AAAA]\napprovers:\n  users: []\nprotected: [ceo@contoso.com]\n"), "approvers: empty"},
		{"protected not an account", "REVOKEBOT_CONFIG", writePolicy("prot.yaml", "requesters:\n  users: [U1AAAA]\nprotected: [ceo@contoso.com, Cleo CEO]\n"), `protected[1]: "Cleo CEO" is not a UPN, e-mail address or object ID (GUID), line 3`},
		{"graph http", "GRAPH_BASE_URL", "http://graph.example.com/v1.0", "GRAPH_BASE_URL: plain http is allowed only for localhost"},
		{"graph garbage", "GRAPH_BASE_URL", "::", "GRAPH_BASE_URL"},
		{"store", "REVOKEBOT_STORE", "mysql://u:supersecret@db/x", "REVOKEBOT_STORE: want sqlite:PATH or a postgres:// URL"},
		{"listen", "REVOKEBOT_LISTEN", "9090", "REVOKEBOT_LISTEN"},
		{"log format", "REVOKEBOT_LOG_FORMAT", "xml", "REVOKEBOT_LOG_FORMAT: want json or text"},
		{"missing policy", "REVOKEBOT_CONFIG", dir + "/nope.yaml", "REVOKEBOT_CONFIG: policy file"},
		{"unknown key", "REVOKEBOT_CONFIG", writePolicy("unknown.yaml", "requesters:\n  users: [U1AAAA]\nrequestors: []\n"), "requestors: unknown key, line 3"},
		{"bad duration", "REVOKEBOT_CONFIG", writePolicy("dur.yaml", "requesters:\n  users: [U1AAAA]\nconfirm_timeout: soon\n"), `confirm_timeout: "soon" is not a duration`},
		{"bad slack id", "REVOKEBOT_CONFIG", writePolicy("id.yaml", "requesters:\n  users: [alice]\n"), `"alice" is not a Slack user ID`},
		{"wrong type", "REVOKEBOT_CONFIG", writePolicy("type.yaml", "requesters:\n  users: [U1AAAA]\nrevoke_all: yes\n"), "revoke_all: want a mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range sb.Env {
				env[k] = v
			}
			env[tc.key] = tc.value
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"run"}, func(k string) string { return env[k] }, &stdout, &stderr)
			msg := stderr.String()
			if code != 2 || !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line containing %q", code, msg, tc.want)
			}
			if strings.Contains(msg, "supersecret") {
				t.Errorf("secret echoed: %q", msg)
			}
		})
	}
	if n := sb.Slack.ConnectionsOpened(); n != 0 || len(sb.Slack.Calls()) != 0 || len(sb.Graph.Requests()) != 0 {
		t.Errorf("a misconfigured start connected somewhere: %d sockets, %d calls", n, len(sb.Slack.Calls()))
	}
}

// TestPolicyActionsNeedTheirSettings: a default action the deployment is not
// configured for is a start-up error, not a refusal at the first incident.
func TestPolicyActionsNeedTheirSettings(t *testing.T) {
	t.Parallel()
	p := authz.Policy{Actions: []string{"sessions", "sharepoint"}}
	if got := unsupported(p, false, true, true); !strings.Contains(got, "SHAREPOINT_ADMIN_URL") {
		t.Errorf("sharepoint without its URL: %q", got)
	}
	if got := unsupported(p, true, true, true); got != "" {
		t.Errorf("sharepoint with its URL: %q", got)
	}
	p.Actions = []string{"slack"}
	if got := unsupported(p, true, false, true); !strings.Contains(got, "SLACK_ADMIN_TOKEN") {
		t.Errorf("slack without the admin token: %q", got)
	}
}
