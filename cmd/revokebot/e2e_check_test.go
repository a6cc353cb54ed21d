package main

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// A sandbox-style JWT whose roles lack User.RevokeSessions.All.
const tokenWithoutRevoke = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20iLCJ0aWQiOiJzYW5kYm94Iiwicm9sZXMiOlsiVXNlci5SZWFkLkFsbCJdfQ.sandbox"

func runCheck(t *testing.T, env map[string]string) (int, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"check"}, func(k string) string { return env[k] }, &out, &errs)
	return code, out.String() + errs.String()
}

// TestCheckPasses: against a correctly set-up workspace and tenant every
// check is ok, and nothing is changed: no message, no socket, no write to
// Graph, no store created.
func TestCheckPasses(t *testing.T) {
	t.Parallel()
	sb, err := newSandbox(t.TempDir(), testPolicy, fakeslack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	sb.Graph.AddUsers(tenant()...) // the protected account is one of them
	code, out := runCheck(t, sb.Env)
	if code != 0 || strings.Contains(out, "FAIL") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"ok    policy file", "ok    store sqlite: ", "does not exist yet", "ok    signing key: ", "ok    exchange online: a mailbox read", "ok    slack admin token: SLACK_ADMIN_TOKEN unset", "ok    slack bot token: @revokebot",
		"ok    slack bot scopes: commands, chat:write, users:read, users:read.email, usergroups:read, files:write, channels:history, groups:history, channels:read, groups:read", "ok    slack app token",
		"ok    incident channel C0INCIDENT", "ok    audit channel C0AUDIT", "ok    graph permissions: token roles include User.RevokeSessions.All and User.Read.All",
		"ok    graph read", "ok    graph actions: can: disable (if the app holds the directory roles Privileged Authentication Administrator for users who hold an admin role, which the token does not show), reset-password (if the app holds the directory roles User Administrator for every user, Privileged Authentication Administrator for users who hold an admin role, which the token does not show), sessions, mfa, consents, mailbox, compromised, sign-in watch, privileged accounts first, release (if the app holds the directory roles Privileged Authentication Administrator for users who hold an admin role, which the token does not show); cannot: nothing",
		"ok    sharepoint permissions: token roles include Sites.FullControl.All",
		"ok    protected accounts: each of the 1 entries is exactly one user"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if len(sb.Slack.Messages()) != 0 || sb.Slack.ConnectionsOpened() != 0 {
		t.Error("check changed something in Slack")
	}
	for _, r := range sb.Graph.Requests() {
		if r.Method != "GET" {
			t.Errorf("check sent %s %s to Graph", r.Method, r.Path)
		}
	}
	if _, err := os.Stat(strings.TrimPrefix(sb.Env["REVOKEBOT_STORE"], "sqlite:")); !os.IsNotExist(err) {
		t.Error("check created the store")
	}
	for _, s := range []string{sandboxBotToken, sandboxAppToken, sandboxGraphToken, sandboxSharePointToken} {
		if strings.Contains(out, s) {
			t.Error("check printed a token")
		}
	}
	if n := len(sb.SharePoint.Requests()); n != 0 {
		t.Errorf("check sent %d requests to SharePoint", n)
	}
}

// TestCheckFails: each problem is its own FAIL line with a fix, exit 1.
func TestCheckFails(t *testing.T) {
	t.Parallel()
	sb, err := newSandbox(t.TempDir(), testPolicy, fakeslack.Options{
		// channels:read, so that conversations.info answers and the
		// channel lines show membership rather than the missing scope.
		Scopes:   []string{"commands", "chat:write", "users:read", "channels:read"},
		Channels: map[string]bool{"C0INCIDENT": true, "C0AUDIT": false},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	env := map[string]string{}
	for k, v := range sb.Env {
		env[k] = v
	}
	env["GRAPH_ACCESS_TOKEN"] = tokenWithoutRevoke
	env["SHAREPOINT_ACCESS_TOKEN"] = "not-a-jwt"
	code, out := runCheck(t, env)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{
		"FAIL  slack bot scopes: missing users:read.email, usergroups:read, files:write, channels:history, groups:history, groups:read — fix: add the scopes",
		"FAIL  audit channel C0AUDIT: #",
		"/invite @revokebot",
		"FAIL  graph permissions: token roles: User.Read.All; missing User.RevokeSessions.All (77f3a031-c388-4f99-b373-dc68676a979e) — fix: grant",
		"FAIL  graph read: read users: HTTP 401",
		"FAIL  graph actions: can: nothing; cannot: disable (needs User.EnableDisableAccount.All (3011c876-62b7-4ada-afa2-506cbbecc68c)), reset-password (needs User-PasswordProfile.ReadWrite.All (cc117bb9-00cf-4eb8-b580-ea2a878fe8f7)), sessions (needs User.RevokeSessions.All (77f3a031-c388-4f99-b373-dc68676a979e))",
		"the policy makes sessions a default",
		"FAIL  sharepoint token: ",
		"ok    incident channel C0INCIDENT",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	env["SLACK_APP_TOKEN"] = "xapp-not-the-right-one"
	env["SLACK_BOT_TOKEN"] = "xoxb-not-the-right-one"
	code, out = runCheck(t, env)
	if code != 1 || !strings.Contains(out, "FAIL  slack bot token: auth.test: invalid_auth") || strings.Contains(out, "not-the-right-one") {
		t.Errorf("wrong tokens: exit %d:\n%s", code, out)
	}
}

// TestCheckPrivateChannel: against a workspace granting exactly the scopes
// of deploy/slack-app-manifest.yaml, check passes for a public incident
// channel and a private audit channel, whose conversations.info needs
// groups:read where a public channel's needs channels:read. Without
// groups:read the private channel fails, naming the scope, and the public
// one still passes.
func TestCheckPrivateChannel(t *testing.T) {
	t.Parallel()
	check := func(scopes []string) (int, string) {
		sb, err := newSandbox(t.TempDir(), testPolicy, fakeslack.Options{
			Scopes:          scopes,
			Channels:        map[string]bool{"C0INCIDENT": true, "C0AUDIT": true},
			PrivateChannels: []string{"C0AUDIT"},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer sb.Close()
		sb.Graph.AddUsers(tenant()...)
		return runCheck(t, sb.Env)
	}

	code, out := check(nil) // nil: the manifest's scopes
	if code != 0 || strings.Contains(out, "FAIL") {
		t.Fatalf("manifest scopes: exit %d:\n%s", code, out)
	}
	for _, want := range []string{"ok    incident channel C0INCIDENT", "ok    audit channel C0AUDIT"} {
		if !strings.Contains(out, want) {
			t.Errorf("manifest scopes: output lacks %q:\n%s", want, out)
		}
	}

	scopes := slices.DeleteFunc(fakeslack.ManifestScopes(), func(s string) bool { return s == "groups:read" })
	code, out = check(scopes)
	for _, want := range []string{
		"FAIL  slack bot scopes: missing groups:read",
		"FAIL  audit channel C0AUDIT: conversations.info: missing_scope groups:read — fix: add groups:read under OAuth & Permissions",
		"ok    incident channel C0INCIDENT",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("without groups:read: output lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("without groups:read: exit %d, want 1", code)
	}
}

// TestCheckProtected: each protected entry must be exactly one user the
// bot will match; one naming nobody, several people, or a user only by
// another of their addresses fails check, named.
func TestCheckProtected(t *testing.T) {
	t.Parallel()
	const missingID = "99999999-9999-4999-8999-999999999999"
	policy := strings.Replace(testPolicy, "protected: [ceo@contoso.com]",
		"protected: [ceo@contoso.com, "+strings.ToUpper(aliceID)+", nobody@contoso.com, support@contoso.com, a.adams@contoso.com, "+missingID+"]", 1)
	sb, err := newSandbox(t.TempDir(), policy, fakeslack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	sb.Graph.AddUsers(tenant()...)
	sb.Graph.AddUser(fakegraph.User{ID: "88888888-8888-4888-8888-888888888888", DisplayName: "Support desk",
		UserPrincipalName: "desk@contoso.com", ProxyAddresses: []string{"smtp:support@contoso.com"}, UserType: "Member", AccountEnabled: true})
	code, out := runCheck(t, sb.Env)
	want := "FAIL  protected accounts: nobody@contoso.com matches no user; support@contoso.com matches 2 users; " +
		"a.adams@contoso.com is only another address of alice@contoso.com, which it does not protect; " + missingID + " matches no user — fix: name each protected account"
	if code != 1 || !strings.Contains(out, want) {
		t.Fatalf("exit %d, want 1 and %q:\n%s", code, want, out)
	}
	if strings.Count(out, "FAIL") != 1 {
		t.Errorf("only the protected accounts should fail:\n%s", out)
	}
}

// TestCheckAlerts: with alerts in the policy, check says which sources
// the token may read and whether outcomes can be written back; a source
// it cannot read fails, naming the permission with its ID.
func TestCheckAlerts(t *testing.T) {
	t.Parallel()
	policy := testPolicy + "alerts:\n  channel: C0INCIDENT\n  defender:\n  risky_users:\n    min_level: medium\n"
	sb, err := newSandbox(t.TempDir(), policy, fakeslack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	sb.Graph.AddUsers(tenant()...)
	code, out := runCheck(t, sb.Env)
	if code != 0 || !strings.Contains(out, "ok    alert sources: can: alerts from Defender incidents, alerts from risky users, outcomes written back to incidents; cannot: nothing") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	env := map[string]string{}
	for k, v := range sb.Env {
		env[k] = v
	}
	env["GRAPH_ACCESS_TOKEN"] = fakegraph.AppToken("User.Read.All", "User.RevokeSessions.All", "IdentityRiskyUser.Read.All", "SecurityIncident.Read.All")
	code, out = runCheck(t, env)
	if !strings.Contains(out, "ok    alert sources: can: alerts from Defender incidents, alerts from risky users; cannot: outcomes written back to incidents (needs SecurityIncident.ReadWrite.All (34bf0e97-1971-4929-b999-9e2442d941d7)): each request's outcome stays in Slack and the audit log only") {
		t.Errorf("without the write-back: exit %d:\n%s", code, out)
	}
	env["GRAPH_ACCESS_TOKEN"] = fakegraph.AppToken("User.Read.All", "User.RevokeSessions.All")
	code, out = runCheck(t, env)
	if code != 1 || !strings.Contains(out, "FAIL  alert sources: can: nothing; cannot: alerts from Defender incidents (needs SecurityIncident.Read.All (45cc0394-e837-488b-a098-1918f48d186c)), alerts from risky users (needs IdentityRiskyUser.Read.All (dc5007c0-2d7d-4c42-879c-2dab87571379))") {
		t.Errorf("without either source: exit %d:\n%s", code, out)
	}
}
