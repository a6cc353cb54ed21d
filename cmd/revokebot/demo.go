package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/revokebot/revokebot/internal/fakeexchange"
	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
	"github.com/revokebot/revokebot/store"
)

// The demo's cast: Slack people and Entra ID accounts of a fake tenant.
const (
	demoIncident  = "C0INCIDENT"
	demoAudit     = "C0AUDIT"
	demoResponder = "U0RILEY"
	demoIntern    = "U0INGRID"
	demoLead      = "U0LEAD"
	demoAlice     = "6f1c2d3e-8a4b-4c5d-9e6f-0a1b2c3d4e5f"
	demoDana      = "9d8c7b6a-5f4e-4d3c-8b2a-1a0b9c8d7e6f"
	// Alice's own Slack account, and the Enterprise Grid org admin's token
	// that ends its sessions (--slack).
	demoAliceSlack      = "U0ALICE"
	demoSlackAdminToken = "xoxp-demo-org-admin"
)

var demoPolicy = `requesters:
  users: [U0RILEY]
approvers:
  users: [U0LEAD]
channels: [C0INCIDENT]
audit_channel: C0AUDIT
protected: [ceo@contoso.com]
confirm_timeout: 10m
revoke_all:
  # Graph's ceiling is 3,000 writes per 150 s; the demo's fake tenant
  # runs it 50 times faster so that the whole tenant takes seconds.
  writes: 3000
  per: 3s
alerts:
  # Cards from Defender XDR's incidents; the demo looks twice a second.
  channel: C0INCIDENT
  defender:
    min_severity: high
  actions: [sessions, mfa]
`

var demoNames = map[string]string{
	demoResponder: "riley", demoIntern: "ingrid", demoLead: "lee", demoIncident: "incident-42", demoAudit: "revokebot-audit", demoAliceSlack: "alice",
	"U0BOT": "revokebot",
}

// demo plays a short incident against in-process fakes and prints it as a
// chat transcript. It needs no credentials and no network.
func demo(ctx context.Context, stdout, stderr io.Writer) int {
	dir, err := os.MkdirTemp("", "revokebot-demo-")
	if err != nil {
		fmt.Fprintln(stderr, "revokebot demo:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := playDemo(ctx, dir, stdout); err != nil {
		fmt.Fprintln(stderr, "revokebot demo:", err)
		return 1
	}
	return 0
}

func playDemo(ctx context.Context, dir string, out io.Writer) error {
	sb, err := newSandbox(dir, demoPolicy, fakeslack.Options{Users: []fakeslack.User{
		{ID: demoResponder, Name: "riley", Email: "riley@contoso.com"},
		{ID: demoIntern, Name: "ingrid", Email: "ingrid@contoso.com"},
		{ID: demoLead, Name: "lee", Email: "lee@contoso.com"},
		{ID: demoAliceSlack, Name: "alice", Email: "alice@contoso.com"},
	}, EnterpriseID: "E0CONTOSO", Admin: fakeslack.AdminOptions{Token: demoSlackAdminToken}})
	if err != nil {
		return err
	}
	sb.Env["SLACK_ADMIN_TOKEN"] = demoSlackAdminToken
	defer sb.Close()
	sb.AddUsers(
		fakegraph.User{ID: demoAlice, DisplayName: "Alice Adams", UserPrincipalName: "alice@contoso.com",
			Mail: "alice@contoso.com", MailNickname: "alice", UserType: "Member", AccountEnabled: true, JobTitle: "Accountant", Department: "Finance"},
		fakegraph.User{ID: "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", DisplayName: "Bob Brown", UserPrincipalName: "bob@contoso.com",
			Mail: "bob@contoso.com", MailNickname: "bob", UserType: "Member", AccountEnabled: true, JobTitle: "Engineer", Department: "R&D"},
		fakegraph.User{ID: demoDana, DisplayName: "Dana Diaz", UserPrincipalName: "dana@contoso.com",
			Mail: "dana@contoso.com", MailNickname: "dana", UserType: "Member", AccountEnabled: true, JobTitle: "Payroll", Department: "Finance"},
	)
	tenant := fakegraph.Tenant(3000, 42)
	sb.AddUsers(tenant...)
	// Three administrators deep in the listing, so that /revoke all shows
	// them going first.
	for _, i := range []int{1500, 2200, 2900} {
		sb.Graph.AddRoleAssignments(fakegraph.RoleAssignment{RoleDefinitionID: "62e90394-69f5-4237-9190-012177145e10", PrincipalID: tenant[i].ID})
	}
	tr := newTranscript(out, demoNames)
	sb.Slack.OnEvent(tr.event)

	fmt.Fprintln(out, "revokebot demo: a fake Slack workspace and a fake Entra ID tenant, both on 127.0.0.1.")
	fmt.Fprintln(out, "Riley is on call, Ingrid is not a responder, Lee approves. Alice's account is phished.")
	fmt.Fprintln(out)
	stop, err := sb.Start(io.Discard, quietTune)
	if err != nil {
		return err
	}
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	step := func(title string) { tr.note(title) }
	step("1. Ingrid, who is not a responder, tries first.")
	if _, err := sb.Slack.SlashCommand(ctx, fakeslack.SlashCommand{UserID: demoIntern, ChannelID: demoIncident, Text: "alice"}); err != nil {
		return err
	}
	if err := sb.Slack.WaitFor(ctx, func(s *fakeslack.Server) bool { return len(s.Ephemerals(demoIntern)) > 0 }); err != nil {
		return err
	}

	step("2. Riley asks for Alice, checks the card and confirms.")
	card, err := demoCommand(ctx, sb, "alice")
	if err != nil {
		return err
	}
	if err := demoClick(ctx, sb, card, demoResponder, "revoke_confirm", "succeeded"); err != nil {
		return err
	}

	step("3. Riley starts a request for Bob by mistake and cancels it.")
	card, err = demoCommand(ctx, sb, "bob@contoso.com")
	if err != nil {
		return err
	}
	if err := demoClick(ctx, sb, card, demoResponder, "revoke_cancel", "cancelled"); err != nil {
		return err
	}

	step("4. Bob's mailbox starts sending phishing too: Riley contains Bob (and a mistyped colleague, shown apart) with every action but Identity Protection, then looks up Bob's history.")
	sb.SharePoint.AddUser("bob@contoso.com")
	card, err = demoCommand(ctx, sb, `bob@contoso.com carl --disable --sharepoint --reason "phishing from Bob's mailbox, INC-4711"`)
	if err != nil {
		return err
	}
	if err := demoClick(ctx, sb, card, demoResponder, "revoke_confirm", "succeeded"); err != nil {
		return err
	}
	if _, err := sb.Slack.SlashCommand(ctx, fakeslack.SlashCommand{UserID: demoResponder, ChannelID: demoIncident, Text: "history bob@contoso.com"}); err != nil {
		return err
	}
	if err := sb.Slack.WaitFor(ctx, func(s *fakeslack.Server) bool {
		return slices.ContainsFunc(s.Ephemerals(demoResponder), func(m fakeslack.Message) bool { return strings.Contains(m.Text, "Requests about") })
	}); err != nil {
		return err
	}

	step("5. The attacker holds a Global Administrator: Riley asks to revoke every user, tries to approve it himself, and Lee approves.")
	card, err = demoCommand(ctx, sb, "all")
	if err != nil {
		return err
	}
	if err := demoClick(ctx, sb, card, demoResponder, "revoke_approve", "refused"); err != nil {
		return err
	}
	if err := demoClick(ctx, sb, card, demoLead, "revoke_approve", "succeeded"); err != nil {
		return err
	}
	tr.wait()

	step("6. The attacker had registered an authenticator on Alice's account, set a forwarding rule and, in her Outlook on the web session, the mailbox's own forwarding, and reads mail over IMAP; Alice's Slack session is still open. Riley evicts them, the card showing all of it before anything is removed (the password reset also remediates her user risk). Once Alice is safe, Riley asks to release her, Lee approves, and the mail protocols revokebot turned off come back on.")
	if err := demoEvict(ctx, sb); err != nil {
		return err
	}
	tr.wait()

	step("7. Defender XDR catches a business-email compromise on Dana's account, and its automatic attack disruption disables her. revokebot opens a card from the incident by itself; Riley confirms it, and the outcome goes back to the incident.")
	if err := demoAlert(ctx, sb); err != nil {
		return err
	}
	tr.close()
	for _, c := range sb.Graph.IncidentComments("4711") {
		fmt.Fprintf(out, "\nDefender incident 4711 now has the comment: %q\n", c.Comment)
	}

	fmt.Fprintln(out)
	fmt.Fprintf(out, "Fake tenant: Alice's sessions revoked %d time(s) (alone, with everyone, when evicted), Bob's %d time(s) (contained and disabled, so skipped by /revoke all); %d revocations in all, %d answered 429.\n",
		sb.Graph.Revocations(demoAlice), sb.Graph.Revocations("7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
		sb.Graph.TotalRevocations(), sb.Graph.Throttled())
	if err := stop(); err != nil {
		return err
	}
	return demoVerify(ctx, sb, out)
}

// demoEvict is the demo's last step: Alice's attacker-added authenticator,
// forwarding rule, mailbox forwarding, IMAP and Slack session shown, ended,
// nothing of them left, the evidence sealed and attached, and Alice
// released by Lee.
func demoEvict(ctx context.Context, sb *sandbox) error {
	sb.Graph.AddAuthMethods(demoAlice, fakegraph.AuthMethod{Type: "phone", PhoneType: "mobile", PhoneNumber: "+1 4255550199", Default: true},
		fakegraph.AuthMethod{Type: "microsoftAuthenticator", DisplayName: "Galaxy S24 (attacker)", Created: time.Now().UTC().Add(-3 * time.Hour)})
	sb.Graph.AddInboxRules(demoAlice, fakegraph.InboxRule{DisplayName: "..", IsEnabled: true, ForwardTo: []string{"invoices@contoso-billing.example"}, MarkAsRead: true},
		fakegraph.InboxRule{DisplayName: "Newsletters", IsEnabled: true, MoveToFolder: "news"})
	sb.Graph.SetRisk(demoAlice, "high")
	// What the attacker left in the logs: the sign-in from their IP and the
	// authenticator registered from it, which the card and the evidence
	// snapshot show.
	now := time.Now().UTC()
	sb.Graph.AddSignIns(fakegraph.SignIn{UserID: demoAlice, UserPrincipalName: "alice@contoso.com", CreatedDateTime: now.Add(-10 * time.Hour), IPAddress: "10.20.30.40", AppDisplayName: "Microsoft Teams"},
		fakegraph.SignIn{UserID: demoAlice, UserPrincipalName: "alice@contoso.com", CreatedDateTime: now.Add(-3 * time.Hour), IPAddress: "203.0.113.66", AppDisplayName: "OfficeHome"})
	sb.Graph.AddDirectoryAudits(fakegraph.DirectoryAudit{ActivityDisplayName: "User registered security info", Category: "UserManagement", ActivityDateTime: now.Add(-3 * time.Hour),
		InitiatedBy:     fakegraph.AuditInitiator{User: &fakegraph.AuditUser{UserPrincipalName: "alice@contoso.com", IPAddress: "203.0.113.66"}},
		TargetResources: []fakegraph.AuditTarget{{ID: demoAlice, Type: "User", UserPrincipalName: "alice@contoso.com"}}})
	sb.Exchange.SetForwarding("alice@contoso.com", fakeexchange.Forwarding{SmtpAddress: "archive@contoso-billing.example", DeliverToMailboxAndForward: true})
	smtpOff := true // an administrator turned SMTP AUTH off long ago: it stays off
	sb.Exchange.SetCAS("alice@contoso.com", fakeexchange.CAS{ImapEnabled: true, EwsEnabled: true, ActiveSyncEnabled: true, SmtpClientAuthenticationDisabled: &smtpOff})
	card, err := demoCommand(ctx, sb, `alice --disable --reset-password --mfa --mailbox --forwarding --protocols --slack --reason "INC-4711: attacker persistence"`)
	if err != nil {
		return err
	}
	// Riley reads the card to its end before confirming: it fills in
	// as Graph's reports budget lets revokebot list.
	if err := sb.Slack.WaitFor(ctx, func(s *fakeslack.Server) bool {
		m, ok := s.Message(card.Channel, card.TS)
		return ok && strings.Contains(string(m.Blocks), "Galaxy S24 (attacker)") && !strings.Contains(string(m.Blocks), "Still listing")
	}); err != nil {
		return fmt.Errorf("the card never listed what it will remove: %w", err)
	}
	card, _ = sb.Slack.Message(card.Channel, card.TS)
	if err := demoClick(ctx, sb, card, demoResponder, "revoke_confirm", "succeeded"); err != nil {
		return err
	}
	// What access is left is read, and the evidence complete and
	// attached, before the release.
	if err := waitAudit(ctx, sb.Slack, demoAudit, requestOf(sb, card), "readback"); err != nil {
		return err
	}
	if err := sb.Slack.WaitFor(ctx, func(s *fakeslack.Server) bool {
		return slices.ContainsFunc(s.Files(), func(f fakeslack.File) bool {
			return f.ThreadTS == card.TS && strings.Contains(string(f.Content), `"logs": "read"`)
		})
	}); err != nil {
		return fmt.Errorf("the evidence snapshot was not attached: %w", err)
	}
	card, err = demoCommand(ctx, sb, `release alice --reason "INC-4711: Alice re-verified by the help desk"`)
	if err != nil {
		return err
	}
	return demoClick(ctx, sb, card, demoLead, "revoke_approve", "succeeded")
}

// demoAlert is the alert-started incident: Defender's incident names Dana,
// disabled by attack disruption; the card comes without a command, Riley
// confirms it, and the incident gets the outcome as a comment.
func demoAlert(ctx context.Context, sb *sandbox) error {
	u, _ := sb.Graph.User(demoDana)
	u.AccountEnabled = false // what attack disruption does
	sb.Graph.AddUser(u)
	sb.Graph.AddAuthMethods(demoDana, fakegraph.AuthMethod{Type: "microsoftAuthenticator", DisplayName: "iPhone 15 (attacker)", Created: time.Now().UTC().Add(-40 * time.Minute)})
	sb.Graph.AddIncidents(fakegraph.Incident{ID: "4711", DisplayName: "BEC financial fraud involving one user (attack disruption)", Severity: "high",
		Alerts: []fakegraph.IncidentAlert{{ID: "da4711", Title: "Suspicious inbox manipulation rule", Severity: "high",
			Users: []fakegraph.UserAccount{{UserPrincipalName: "dana@contoso.com", AzureADUserID: demoDana, AccountName: "dana"}}}}})
	var card fakeslack.Message
	if err := sb.Slack.WaitFor(ctx, func(s *fakeslack.Server) bool {
		for _, m := range rootMessages(s) {
			if strings.Contains(string(m.Blocks), "Alert: contain") && strings.Contains(string(m.Blocks), "iPhone 15") && !strings.Contains(string(m.Blocks), "Still listing") {
				card = m
				return true
			}
		}
		return false
	}); err != nil {
		return fmt.Errorf("no alert card: %w", err)
	}
	return demoClick(ctx, sb, card, demoResponder, "revoke_confirm", "writtenback")
}

// requestOf is the request ID a card's buttons carry.
func requestOf(sb *sandbox, card fakeslack.Message) string {
	for _, b := range sb.Slack.Buttons(card) {
		return b.Value
	}
	return ""
}

// demoCommand runs /revoke as Riley and returns the card it posts.
func demoCommand(ctx context.Context, sb *sandbox, text string) (fakeslack.Message, error) {
	before := len(rootMessages(sb.Slack))
	if _, err := sb.Slack.SlashCommand(ctx, fakeslack.SlashCommand{UserID: demoResponder, ChannelID: demoIncident, Text: text}); err != nil {
		return fakeslack.Message{}, err
	}
	if err := sb.Slack.WaitFor(ctx, func(s *fakeslack.Server) bool { return len(rootMessages(s)) > before }); err != nil {
		return fakeslack.Message{}, err
	}
	roots := rootMessages(sb.Slack)
	return roots[len(roots)-1], nil
}

// demoClick presses a button of the card as user and waits until the audit channel reports event.
func demoClick(ctx context.Context, sb *sandbox, card fakeslack.Message, user, action, final string) error {
	var value string
	for _, b := range sb.Slack.Buttons(card) {
		if b.ActionID == action {
			value = b.Value
		}
	}
	if _, err := sb.Slack.Click(ctx, fakeslack.Click{UserID: user, ChannelID: card.Channel, MessageTS: card.TS, ActionID: action, Value: value}); err != nil {
		return err
	}
	return waitAudit(ctx, sb.Slack, demoAudit, value, final)
}

// waitAudit waits until the audit channel reports event for a request.
func waitAudit(ctx context.Context, s *fakeslack.Server, channel, requestID, event string) error {
	return s.WaitFor(ctx, func(s *fakeslack.Server) bool {
		for _, m := range s.Messages() {
			if m.Channel == channel && strings.Contains(m.Text, "*"+event+"*") && strings.Contains(m.Text, requestID) {
				return true
			}
		}
		return false
	})
}

func rootMessages(s *fakeslack.Server) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range s.Messages() {
		if m.Channel == demoIncident && m.ThreadTS == "" && !m.Ephemeral {
			out = append(out, m)
		}
	}
	return out
}

func demoVerify(ctx context.Context, sb *sandbox, out io.Writer) error {
	st, err := store.Open(ctx, sb.Env["REVOKEBOT_STORE"])
	if err != nil {
		return err
	}
	defer st.Close()
	keys, err := verifyKeys(nil, func(k string) string { return sb.Env[k] }, sb.Env["REVOKEBOT_STORE"])
	if err != nil {
		return err
	}
	v, err := st.VerifyAudit(ctx, keys)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Audit log: %d records, hash chain intact, each signed by key %s (revokebot audit verify).\n", v.Records, strings.Join(slices.Sorted(maps.Keys(keys)), " or "))
	return nil
}
