package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/bot"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/revoke/graph"
	"github.com/revokebot/revokebot/revoke/sharepoint"
	"github.com/revokebot/revokebot/store"
)

// checkCommand verifies configuration, store, Slack and Graph without
// changing anything: one line per check, exit 1 if any fails.
func checkCommand(ctx context.Context, getenv func(string) string, stdout io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cfg, err := loadConfig(getenv)
	if err != nil {
		return printChecks(stdout, []bot.CheckResult{{Name: "configuration", Detail: err.Error(),
			Fix: "see the Environment and Policy file sections of the README"}})
	}
	p := cfg.Policy
	results := []bot.CheckResult{{Name: "policy file " + cfg.PolicyPath, OK: true, Detail: fmt.Sprintf(
		"%d requester(s) and %d requester group(s), %d approver(s) and %d approver group(s), %d channel(s), %d protected account(s)",
		len(p.Requesters.Users), len(p.Requesters.Groups), len(p.Approvers.Users), len(p.Approvers.Groups), len(p.Channels), len(p.Protected))}}
	results = append(results, checkStore(ctx, cfg.StoreURL), checkKey(cfg))
	results = append(results, bot.CheckSlack(ctx, bot.SlackCheck{BotToken: cfg.BotToken, AppToken: cfg.AppToken,
		APIURL: cfg.SlackAPIURL, Channels: p.Channels, AuditChannel: p.AuditChannel})...)
	results = append(results, bot.CheckSlackAdmin(ctx, cfg.SlackAdminToken, cfg.SlackAPIURL))
	results = append(results, checkGraph(ctx, cfg)...)
	if cfg.SharePointURL != "" {
		results = append(results, checkSharePoint(ctx, cfg))
	}
	results = append(results, checkExchange(ctx, cfg))
	return printChecks(stdout, results)
}

func printChecks(w io.Writer, results []bot.CheckResult) int {
	code := 0
	for _, r := range results {
		if r.OK {
			fmt.Fprintf(w, "ok    %s: %s\n", r.Name, r.Detail)
			continue
		}
		code = 1
		fmt.Fprintf(w, "FAIL  %s: %s — fix: %s\n", r.Name, r.Detail, r.Fix)
	}
	return code
}

func checkStore(ctx context.Context, url string) bot.CheckResult {
	name := "store " + storeKind(url)
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return bot.CheckResult{Name: name, OK: true, Detail: path + " does not exist yet; revokebot run creates it"}
		}
	}
	st, err := store.OpenExisting(ctx, url)
	if err == nil {
		defer st.Close()
		err = st.Ping(ctx)
	}
	if err != nil {
		return bot.CheckResult{Name: name, Detail: err.Error(), Fix: "check REVOKEBOT_STORE; revokebot run creates and migrates the schema when its role may, else run revokebot migrate as the schema's owner"}
	}
	return bot.CheckResult{Name: name, OK: true, Detail: "reachable, schema current"}
}

// checkKey says which key the bot signs with; loadConfig has refused a key
// file that cannot be read, and PostgreSQL without one.
func checkKey(cfg config) bot.CheckResult {
	if !cfg.signingKey.Valid() {
		return bot.CheckResult{Name: "signing key", OK: true, Detail: cfg.signingKeyFile + " does not exist yet; revokebot run creates it (0600) beside the store"}
	}
	return bot.CheckResult{Name: "signing key", OK: true, Detail: fmt.Sprintf("key %s from %s (public key %s)", cfg.signingKey.ID(), cfg.signingKeyFile, cfg.signingKey.Public())}
}

func checkGraph(ctx context.Context, cfg config) []bot.CheckResult {
	fix := "grant the application permissions User.RevokeSessions.All and User.Read.All to the app registration, with admin consent (deploy/entra-app-manifest.json lists every permission; see the README)"
	gc, err := newGraph(cfg, nil)
	if err != nil {
		return []bot.CheckResult{{Name: "graph credentials", Detail: err.Error(), Fix: "set GRAPH_ACCESS_TOKEN or the AZURE_* variables"}}
	}
	roles, err := gc.Roles(ctx)
	if err != nil {
		return []bot.CheckResult{{Name: "graph token", Detail: err.Error(), Fix: "check the Graph credentials (AZURE_* or GRAPH_ACCESS_TOKEN)"}}
	}
	var missing []string
	for _, r := range graph.RequiredRoles {
		if !slices.Contains(roles, r) {
			missing = append(missing, withID(r))
		}
	}
	out := []bot.CheckResult{{Name: "graph permissions", OK: len(missing) == 0,
		Detail: "token roles: " + strings.Join(roles, ", ") + "; missing " + strings.Join(missing, ", "), Fix: fix}}
	if len(missing) == 0 {
		out[0].Detail = "token roles include " + strings.Join(graph.RequiredRoles, " and ")
	}
	out = append(out, checkActions(cfg.Policy, roles))
	if r, ok := checkAlerts(cfg.Policy, roles); ok {
		out = append(out, r)
	}
	if err := gc.CheckRead(ctx); err != nil {
		out = append(out, bot.CheckResult{Name: "graph read", Detail: err.Error(), Fix: fix})
	} else {
		out = append(out, bot.CheckResult{Name: "graph read", OK: true, Detail: "GET /users answered"})
	}
	return append(out, checkProtected(ctx, gc, cfg.Policy.Protected))
}

// checkActions says which containment actions the Graph token's roles
// allow. It fails only for what the policy makes a default (actions, or the
// sign-in watch): an action asked for on the command is refused by Graph
// with the permission named, which is the right moment to learn it.
func checkActions(p authz.Policy, roles []string) bot.CheckResult {
	can := graph.CanDo(roles)
	var yes, no, needed []string
	for _, a := range revoke.Order {
		if graph.ActionRoles(a) == nil {
			continue // their own services' tokens: checkSharePoint, checkExchange, CheckSlackAdmin
		}
		if can[a] {
			yes = append(yes, string(a)+rolesNote(string(a)))
			continue
		}
		no = append(no, fmt.Sprintf("%s (needs %s)", a, missingOf(roles, graph.ActionRoles(a))))
		if slices.Contains(p.Actions, string(a)) {
			needed = append(needed, string(a))
		}
	}
	if graph.CanWatch(roles) {
		yes = append(yes, "sign-in watch")
	} else {
		no = append(no, "sign-in watch (needs "+missingOf(roles, graph.WatchRoles())+")")
		if p.Verify.For > 0 {
			needed = append(needed, "sign-in watch")
		}
	}
	// /revoke all's privileged-first order: without it the job runs in
	// listing order and says so, so it is reported, never a failure.
	var missing []string
	for _, r := range graph.RoleHoldersRoles {
		if !slices.ContainsFunc(roles, func(have string) bool { return strings.EqualFold(have, r) }) {
			missing = append(missing, withID(r))
		}
	}
	if len(missing) == 0 {
		yes = append(yes, "privileged accounts first")
	} else {
		no = append(no, "privileged accounts first, in full (needs "+strings.Join(missing, " + ")+")")
	}
	// Release is asked for on the command, never a default: reported only.
	rel, _ := revoke.NeedOf(revoke.FeatureRelease)
	var relNeeds []string
	for _, p := range rel.Permissions {
		relNeeds = append(relNeeds, p.Name)
	}
	if m := missingOf(roles, relNeeds); m == "" {
		yes = append(yes, "release"+rolesNote(revoke.FeatureRelease))
	} else {
		no = append(no, "release, in full (needs "+m+")")
	}
	detail := "can: " + orNone(yes) + "; cannot: " + orNone(no)
	if len(needed) > 0 {
		return bot.CheckResult{Name: "graph actions", Detail: detail + "; the policy makes " + strings.Join(needed, ", ") + " a default",
			Fix: "grant the missing application permissions with admin consent, or take the action out of the policy's actions (or set verify.for to 0s)"}
	}
	return bot.CheckResult{Name: "graph actions", OK: true, Detail: detail}
}

// checkSharePoint obtains a SharePoint token as --sharepoint would and
// reads its roles. It sends no request to SharePoint.
func checkSharePoint(ctx context.Context, cfg config) bot.CheckResult {
	fix := "grant the SharePoint application permission Sites.FullControl.All with admin consent, and use a certificate credential (SharePoint refuses app-only tokens got with a client secret)"
	sp, err := newSharePoint(cfg)
	if err != nil {
		return bot.CheckResult{Name: "sharepoint credentials", Detail: err.Error(), Fix: "set SHAREPOINT_ACCESS_TOKEN or the AZURE_* variables with AZURE_CLIENT_CERTIFICATE_PATH"}
	}
	roles, err := sp.Roles(ctx)
	if err != nil {
		return bot.CheckResult{Name: "sharepoint token", Detail: err.Error(), Fix: fix}
	}
	for _, r := range sharepoint.RequiredRoles {
		if !slices.Contains(roles, r) {
			return bot.CheckResult{Name: "sharepoint permissions", Detail: "token roles: " + orNone(roles) + "; missing " + r, Fix: fix}
		}
	}
	return bot.CheckResult{Name: "sharepoint permissions", OK: true, Detail: "token roles include " + strings.Join(sharepoint.RequiredRoles, ", ") + "; --sharepoint can run"}
}

// rolesNote says which directory roles an action also needs: a token's
// roles claim holds application permissions only, so check cannot see them.
func rolesNote(feature string) string {
	n, _ := revoke.NeedOf(feature)
	if len(n.Roles) == 0 {
		return ""
	}
	var parts []string
	for _, r := range n.Roles {
		parts = append(parts, r.Role.Name+" for "+r.For)
	}
	return " (if the app holds the directory roles " + strings.Join(parts, ", ") + ", which the token does not show)"
}

// withID names a Graph permission with its app role ID, which the app
// registration's manifest and `az` take.
func withID(name string) string {
	if p, ok := revoke.GraphPermission(name); ok {
		return p.String()
	}
	return name
}

// missingOf names, with their IDs, the permissions in needed the roles lack.
func missingOf(roles, needed []string) string {
	var out []string
	for _, n := range needed {
		if !graph.CanDoWith(roles, n) {
			out = append(out, withID(n))
		}
	}
	return strings.Join(out, " + ")
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "nothing"
	}
	return strings.Join(ss, ", ")
}
