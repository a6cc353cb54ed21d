package request

import (
	"context"
	"fmt"

	"github.com/revokebot/revokebot/authz"
)

// CommandEvent is one /revoke as the platform delivered it.
type CommandEvent struct {
	User, Channel, Text string
	TriggerID           string // unique per command: a duplicate delivery repeats it
	ResponseURL         string
}

func (c CommandEvent) recipient() Recipient {
	return Recipient{User: c.User, Channel: c.Channel, ResponseURL: c.ResponseURL}
}

// ClickEvent is one button press.
type ClickEvent struct {
	Action, RequestID, Actor, Channel, MessageTS, ResponseURL string
}

func (c ClickEvent) recipient() Recipient {
	return Recipient{User: c.Actor, Channel: c.Channel, ResponseURL: c.ResponseURL}
}

// Ack is the answer that goes back with the platform's acknowledgement:
// nothing, or words only the caller sees.
type Ack struct {
	Text string
}

const busy = "revokebot is overloaded right now and did not take this. Please try again in a moment."

// Command takes a slash command on the event loop. Pure forms are answered
// at once. The caller's right to anything is decided next, from the policy
// and the cached group membership, before any work is queued: a refusal is
// answered in the ack and recorded without delaying anyone; allowed people's
// work has its own capacity, and work from people the cache cannot place
// yet goes to a smaller one. In either, each person has a fair share
// (fairqueue.go): someone past theirs is told so, and nobody else waits on
// them. It never blocks, so the platform's events are always drained.
func (w *Workflow) Command(cmd CommandEvent) Ack {
	parsed := Parse(cmd.Text)
	if text, done := immediateReply(parsed); done {
		w.m.Command(map[bool]string{true: "invalid", false: "answered"}[parsed.Kind == CmdInvalid])
		return Ack{Text: text}
	}
	handle := w.intake.handleRevoke
	may := func(a authz.Actor) (string, bool) { return w.policy.MayRequest(a, cmd.Channel) }
	sets := []authz.Principals{w.policy.Requesters}
	switch parsed.Kind {
	case CmdStatus:
		handle, may, sets = w.intake.handleStatus, w.policy.MayInspect, []authz.Principals{w.policy.Requesters, w.policy.Approvers}
	case CmdHistory:
		handle, may, sets = w.intake.handleHistory, w.policy.MayInspect, []authz.Principals{w.policy.Requesters, w.policy.Approvers}
	case CmdAll:
		handle = w.intake.handleAll
	case CmdRelease:
		handle = w.intake.handleRelease
	}
	run := func(ctx context.Context) { handle(ctx, cmd, parsed) }
	q := w.outs
	switch verdict, reason := w.admit(cmd.User, may, sets...); verdict {
	case NotInAny:
		w.m.Command("refused")
		detail := fmt.Sprintf("<@%s> ran `/revoke %s` and was refused: %s", cmd.User, clean(cmd.Text, echoMost), reason)
		named := authz.Actor{UserID: cmd.User}
		outsider := !w.policy.IsRequester(named) && !w.policy.IsApprover(named)
		// Past the pool's or the person's share, refusals are counted and
		// folded: the ack already told them.
		if res, _ := w.offer(w.outs, cmd.User, "refusal", func(ctx context.Context) { _ = w.tell.refuse(ctx, nil, cmd.User, detail, false, outsider) }); res != queued {
			w.fold.count(cmd.User, detail)
		}
		return Ack{Text: "You cannot do that: " + reason + " This attempt will be recorded."}
	case InGroup:
		q = w.jobs
	}
	switch res, mine := w.offer(q, cmd.User, "command", run); res {
	case poolFull:
		w.m.Command("busy")
		w.log.Error("queue full: refused a command", "actor", cmd.User)
		return Ack{Text: busy}
	case shareFull:
		w.m.Command("over_share")
		w.log.Warn("a person's share of the queue is full: refused their command", "actor", cmd.User, "waiting", mine)
		return Ack{Text: shareFullWords(mine)}
	}
	return Ack{}
}

// shareFullWords tell someone past their share of the queue why this
// command was not taken; nobody else is affected.
func shareFullWords(mine int) string {
	return fmt.Sprintf("You have %s waiting; revokebot will take more from you when they are done.", plural(mine, "request"))
}

// Click takes a button press on the event loop. Clicks of the policy's
// people go to their capacity; anyone else's to the smaller one, where the
// refusal is recorded (folded when repeated). A click past the pool's or
// the clicker's share is dropped: the card still works.
func (w *Workflow) Click(c ClickEvent) {
	insider := func(a authz.Actor) (string, bool) {
		return "", w.policy.IsRequester(a) || w.policy.IsApprover(a)
	}
	q := w.outs
	if verdict, _ := w.admit(c.Actor, insider, w.policy.Requesters, w.policy.Approvers); verdict == InGroup {
		q = w.jobs
	}
	// A policy person's clicks are not held to a share: a card's buttons
	// clicked in a burst (a double-click, a retry, many cards at once)
	// must not be dropped, and the cards there are bound them.
	switch res, mine := q.offer(c.Actor, job{name: "click", run: func(ctx context.Context) { w.decide.handleClick(ctx, c) }}, q != w.jobs); res {
	case poolFull:
		w.m.Decision(c.Action, "busy")
		w.log.Error("queue full: dropped a click; the card still works", "actor", c.Actor)
	case shareFull:
		w.m.Decision(c.Action, "over_share")
		w.log.Warn("a person's share of the queue is full: dropped their click; the card still works", "actor", c.Actor, "waiting", mine)
	}
}

// admit decides, without waiting, whether a person may be let in by may:
// InGroup when they may (the work checks again with fresh membership),
// NotInAny with the reason when no group could change the refusal or the
// cache knows they are in none, Unsure when only a lookup can tell.
func (w *Workflow) admit(user string, may func(authz.Actor) (string, bool), sets ...authz.Principals) (Knowledge, string) {
	var groups []string
	for _, s := range sets {
		groups = append(groups, s.Groups...)
	}
	if _, ok := may(authz.Actor{UserID: user}); ok {
		return InGroup, ""
	}
	reason, ok := may(authz.Actor{UserID: user, Groups: groups})
	if !ok || len(groups) == 0 {
		return NotInAny, reason
	}
	k := w.groups.peek(user, groups)
	if k == NotInAny {
		reason, _ = may(authz.Actor{UserID: user})
	}
	return k, reason
}

// immediateReply answers the forms of /revoke that need no lookup.
func immediateReply(c Command) (string, bool) {
	switch c.Kind {
	case CmdHelp:
		return helpText, true
	case CmdInvalid:
		return c.Error + "\nType `/revoke help` for usage.", true
	}
	return "", false
}

const helpText = "*revokebot* contains compromised Entra ID accounts: it revokes every sign-in session, and more on request.\n" +
	"• `/revoke alice@contoso.com` — by user principal name or e-mail address\n" +
	"• `/revoke alice` — by mail alias\n" +
	"• `/revoke 8f1c2d3e-…` — by object ID\n" +
	"• `/revoke @alice` — by Slack mention (their Slack e-mail is looked up)\n" +
	"• `/revoke alice bob carol@contoso.com` — up to 20 users on one card\n" +
	"• options: `--disable` (block sign-in first), `--reset-password` (a random password nobody sees, changed at next sign-in), `--mfa` (remove every authentication method but the password), `--consents` (remove the app consents the user gave), `--mailbox` (disable inbox rules that forward, redirect or delete), `--sharepoint` (end SharePoint and OneDrive sessions), " +
	"`--compromised` (mark compromised in Identity Protection), `--reason \"text\"` (recorded in the audit log)\n" +
	"• `/revoke release alice@contoso.com` — let a contained user back in: sign-in allowed again, user risk dismissed (needs an approver)\n" +
	"• `/revoke status rb-…` — a request's state and audit trail\n" +
	"• `/revoke history alice@contoso.com` — past requests for a user\n" +
	"• `/revoke all` — every user of the tenant (needs a second person's approval)\n" +
	"You see the exact account and confirm with a click; protected accounts need an approver."
