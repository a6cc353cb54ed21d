package request

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// handleRelease runs a /revoke release <target>… after its ack: authorize,
// resolve, refuse a requester who is one of the users (selfrelease.go),
// read each user's risk and whether revokebot contained them, then post a
// card that approvers other than the requester must approve.
func (b *intake) handleRelease(ctx context.Context, cmd CommandEvent, parsed Command) {
	reply := func(text string) { b.private(ctx, cmd.recipient(), text) }
	if !b.mayRequest(ctx, cmd, reply) {
		return
	}
	if why := b.exec.unavailable(revoke.ActionEnable); why != "" {
		b.m.Command("refused")
		reply(why + " Nothing was done.")
		return
	}
	users, unresolved, ok := b.resolveSome(ctx, parsed.Targets, reply, " Nobody was released.")
	if !ok || !b.mayRelease(ctx, cmd, users, reply) {
		return
	}
	actions := []revoke.Action{revoke.ActionEnable}
	if b.cfg.Risk != nil {
		actions = append(actions, revoke.ActionDismissRisk)
	}
	if b.cfg.Protocols != nil {
		actions = append(actions, revoke.ActionRestoreProtocols)
	}
	listing := b.releaseListing(ctx, users)
	t := requestTarget{User: users[0], Users: users, Actions: actions, Reason: parsed.Reason, Unresolved: unresolved,
		Release: true, Listed: listing.first}
	// Letting a possibly compromised account back in is never one person's call.
	b.open(ctx, cmd, t, true, reply, listing)
}

// releaseListing reads, for every user, their risk and whether revokebot
// ever contained them, for the card. Identity Protection answers one
// request per second per tenant, so a card of many users fills in.
func (b *intake) releaseListing(ctx context.Context, users []revoke.User) cardListing {
	return listEach(ctx, users, func(ctx context.Context, u revoke.User) userListing {
		// One read of the user's history serves both.
		reqs, err := b.store.RequestsAbout(ctx, u.ID, historyLimit)
		if err != nil {
			b.log.Warn("could not read the user's history for a release card", "target", u.ID, "error", err)
		}
		l := userListing{NeverContained: err == nil && !everContained(reqs)}
		if b.cfg.Protocols != nil {
			if err != nil {
				l.RestoreError = describe(err)
			} else {
				l.Restore = b.protocolsOff(ctx, u.ID, reqs)
			}
		}
		if b.cfg.Risk != nil {
			var err error
			if l.RiskLevel, l.RiskState, err = b.cfg.Risk.UserRisk(ctx, u.ID); err != nil {
				l.RiskError = describeAction(revoke.ActionDismissRisk, err)
			}
		}
		return l
	})
}

// everContained reports whether a containment of the user by revokebot
// ever ran, in the user's requests. When the store cannot tell, the caller
// says yes: the card's warning is for a release nobody asked to undo, not
// for a store hiccup.
func everContained(reqs []store.Request) bool {
	for _, r := range reqs {
		ran := r.State == store.StateRunning || r.State == store.StateSucceeded || r.State == store.StateFailed
		if ran && !targetsOf(r).Release {
			return true
		}
	}
	return false
}

// atRisk reports whether Identity Protection holds the user at risk, so
// that a release dismisses it: Graph's riskState, or a risk level alone
// when Graph gives no state.
func atRisk(level, state string) bool {
	switch state {
	case "atRisk", "confirmedCompromised":
		return true
	case "":
		return level == "low" || level == "medium" || level == "high"
	}
	return false
}

// riskLine words, under a user's line on a release card, their risk.
func riskLine(l userListing, actions []revoke.Action) string {
	if !slices.Contains(actions, revoke.ActionDismissRisk) {
		return "\nUser risk is not read or dismissed by this revokebot."
	}
	switch {
	case l.Pending:
		return "\n:hourglass_flowing_sand: User risk is still being read (Identity Protection answers one request per second); this card fills in as it arrives."
	case l.RiskError != "":
		return "\n:grey_question: User risk could not be read (" + l.RiskError + "); it is read again when the release runs."
	case atRisk(l.RiskLevel, l.RiskState):
		return "\n:warning: Identity Protection has this user at risk (" + riskWords(l.RiskLevel, l.RiskState) + "): it will be dismissed."
	}
	return "\nIdentity Protection does not have this user at risk (" + riskWords(l.RiskLevel, l.RiskState) + "): nothing to dismiss."
}

// restoreLine words, on a release card, the mail protocols it turns back on.
func restoreLine(l userListing, actions []revoke.Action) string {
	switch {
	case !slices.Contains(actions, revoke.ActionRestoreProtocols) || l.Pending:
		return ""
	case l.RestoreError != "":
		return "\n:grey_question: Which mail protocols revokebot turned off could not be read (" + l.RestoreError + "); it is read again when the release runs."
	case len(l.Restore) == 0:
		return "" // the action's run says so; the card stays short
	}
	return "\nMail protocols revokebot turned off, to turn back on: " + protocolWords(l.Restore) + "."
}

// riskWords says a risk level and state as Graph gave them, cleaned.
func riskWords(level, state string) string {
	if state == "" {
		return "level " + orDash(cleanName(level))
	}
	return "level " + orDash(cleanName(level)) + ", " + cleanName(state)
}

// dismissRisk reads the user's risk again and dismisses it when Identity
// Protection still holds them at risk.
func (b *executor) dismissRisk(ctx context.Context, userID string) (string, error) {
	level, state, err := b.cfg.Risk.UserRisk(ctx, userID)
	if err != nil {
		return "", err
	}
	if !atRisk(level, state) {
		return "Identity Protection does not have the user at risk (" + riskWords(level, state) + "): nothing to dismiss.", nil
	}
	res, err := b.cfg.Risk.DismissRisk(ctx, userID)
	if err != nil {
		return "", err
	}
	return "User risk (" + riskWords(level, state) + ") dismissed in Identity Protection at " + clock(res.At) + ".", nil
}

// releaseLag is what a release's thread says about when the user is back
// in: Microsoft 365's services take the change at their own pace.
const releaseLag = "Microsoft 365 lets them back in at its own pace: Exchange Online may take 35–40 minutes, SharePoint and Teams about 15. " +
	"Nothing removed comes back: authentication methods, app consents and inbox rules stay as they are."

// renderReleaseCard draws a release's card: each user with their risk, what
// will change, what will not, and the approval it needs. It is pure.
func renderReleaseCard(c card) (string, []Block) {
	t := c.Target
	fallback := "Release " + plural(len(t.Users), "user") + "? Request " + c.RequestID + " by <@" + c.Requester + ">."
	blocks := []Block{
		header("Release " + plural(len(t.Users), "user")),
		section("<@" + c.Requester + "> asks to let these accounts back in:"),
	}
	for _, u := range t.Users {
		l := t.Listed[u.ID]
		text := userLine(u) + riskLine(l, t.Actions) + restoreLine(l, t.Actions)
		if l.NeverContained {
			text += "\n:information_source: revokebot has no record of containing this user by name (a `/revoke all` is not counted): releasing is allowed, but check that it is the account you mean."
		}
		blocks = append(blocks, section(clipSection(text)))
	}
	var acts strings.Builder
	acts.WriteString("*What changes, for each user*")
	for i, a := range t.Actions {
		fmt.Fprintf(&acts, "\n%d. %s", i+1, actionLine(a))
	}
	acts.WriteString("\n*What does not*: authentication methods, app consents and inbox rules removed or disabled stay so; " +
		"the user registers their methods again (the help desk can issue a Temporary Access Pass).")
	blocks = append(blocks, section(acts.String()))
	blocks = append(blocks, approvalNote(c, ":lock: Releasing lets the account back in: "))
	blocks = append(blocks, reasonAndUnresolved(t)...)
	return fallback, append(blocks, cardEnd(c, buttons)...)
}
