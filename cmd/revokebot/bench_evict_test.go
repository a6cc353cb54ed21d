package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// The goals with Graph answering every call in graphLatency: the card of a
// listing request within evictCardCeiling of the command, and twenty users
// with every action reported within evictRunCeiling of the click.
const (
	graphLatency      = 50 * time.Millisecond
	evictCardCeiling  = time.Second
	evictRunCeiling   = 10 * time.Second
	evictBenchTargets = 20
)

// plantAttacker gives a user what an attacker leaves behind: an
// authenticator, a consent to a mail-reading app, a forwarding rule.
func plantAttacker(g *fakegraph.Server, userID string) {
	g.AddAuthMethods(userID, fakegraph.AuthMethod{Type: "microsoftAuthenticator", DisplayName: "attacker's phone"},
		fakegraph.AuthMethod{Type: "phone", PhoneType: "mobile", PhoneNumber: "+1 2065550123"})
	g.AddGrants(fakegraph.Grant{ClientID: "sp-mailer", ConsentType: "Principal", PrincipalID: userID, ResourceID: "sp-graph", Scope: "Mail.ReadWrite offline_access"})
	g.AddInboxRules(userID, fakegraph.InboxRule{DisplayName: ".", IsEnabled: true, ForwardTo: []string{"drop@evil.example"}},
		fakegraph.InboxRule{DisplayName: "Newsletters", IsEnabled: true, MoveToFolder: "news"})
}

func addApps(g *fakegraph.Server) {
	g.AddServicePrincipals(fakegraph.ServicePrincipal{ID: "sp-mailer", DisplayName: "Totally Legit Mailer", AppID: "app-mailer"},
		fakegraph.ServicePrincipal{ID: "sp-graph", DisplayName: "Microsoft Graph", AppID: "00000003-0000-0000-c000-000000000000"})
}

// throttled counts the requests Graph answered 429.
func throttled(g *fakegraph.Server) int {
	n := 0
	for _, r := range g.Requests() {
		if r.Status == 429 {
			n++
		}
	}
	return n
}

// BenchmarkEvictCard: command to card for `/revoke alice --mfa --consents
// --mailbox` with Graph at 50 ms a call; the card waits for the user's
// three listings, which run at once.
func BenchmarkEvictCard(b *testing.B) {
	const n = 10
	for range b.N {
		e := startEnv(b)
		addApps(e.sb.Graph)
		plantAttacker(e.sb.Graph, aliceID)
		e.sb.Graph.SetLatency(graphLatency)
		lat := cardLatencies(b, e, n, "alice --mfa --consents --mailbox", func(card fakeslack.Message) {
			if !strings.Contains(blocksOf(card), "attacker's phone") || !strings.Contains(blocksOf(card), "drop@evil.example") {
				b.Fatalf("the card does not list what will be removed:\n%s", blocksOf(card))
			}
		})
		p50, p99 := percentile(lat, 0.5), percentile(lat, 0.99)
		ratio := float64(p99) / float64(evictCardCeiling)
		b.ReportMetric(float64(p99.Microseconds())/1000, "card-p99-ms")
		b.ReportMetric(ratio, "ratio/ceiling")
		fmt.Printf("command to card for --mfa --consents --mailbox with Graph at %v a call: p50 %v p99 %v over %d commands (ceiling %v, ratio/ceiling %.2f)\n",
			graphLatency, p50.Round(time.Millisecond), p99.Round(time.Millisecond), n, evictCardCeiling, ratio)
		e.stop()
	}
}

// BenchmarkEvictTwentyUsers: click to the report of the last user for
// twenty users with every action, Graph at 50 ms a call, Identity
// Protection's 1 request/s, and Outlook's 4 concurrent calls a mailbox.
func BenchmarkEvictTwentyUsers(b *testing.B) {
	for range b.N {
		e := startEnv(b)
		addApps(e.sb.Graph)
		users := fakegraph.Tenant(evictBenchTargets, 11)
		e.sb.Graph.AddUsers(users...)
		upns := make([]string, len(users))
		for i, u := range users {
			plantAttacker(e.sb.Graph, u.ID)
			e.sb.SharePoint.AddUser(u.UserPrincipalName)
			upns[i] = u.UserPrincipalName
		}
		e.sb.Graph.SetLatency(graphLatency)
		card := e.request(uRequester, strings.Join(upns, " ")+" --disable --reset-password --mfa --consents --mailbox --sharepoint --compromised")
		clicked := time.Now()
		e.click(uRequester, card, "revoke_confirm")
		done := fmt.Sprintf("Done: every action succeeded for %d users.", len(users))
		e.waitThread(card, done)
		var last time.Time
		for _, m := range e.sb.Slack.Thread(card.Channel, card.TS) {
			if strings.Contains(m.Text, done) {
				last = m.PostedAt
			}
		}
		took := last.Sub(clicked)
		for _, u := range users {
			if got, _ := e.sb.Graph.User(u.ID); got.AccountEnabled || len(e.sb.Graph.AuthMethods(u.ID)) != 1 || !e.sb.Graph.Compromised(u.ID) {
				b.Fatalf("%s is not contained", u.UserPrincipalName)
			}
		}
		ratio := float64(took) / float64(evictRunCeiling)
		b.ReportMetric(took.Seconds(), "click-to-report-s")
		b.ReportMetric(ratio, "ratio/ceiling")
		fmt.Printf("click to the last report for %d users with every action, Graph at %v a call: %v; %d requests answered 429 (ceiling %v, ratio/ceiling %.2f)\n",
			len(users), graphLatency, took.Round(time.Millisecond), throttled(e.sb.Graph), evictRunCeiling, ratio)
		e.stop()
	}
}
