package request

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/store"
)

var actionWords = map[string]string{
	ActionConfirm: "confirm", ActionCancel: "cancel", ActionApprove: "approve", ActionDeny: "deny", ActionStop: "stop",
}

// decisions maps a decisive button to the state it moves a pending request to
// and the audit event that records it.
var decisions = map[string]struct {
	to    store.State
	event string
}{
	ActionConfirm: {store.StateRunning, "confirmed"},
	ActionApprove: {store.StateRunning, "approved"},
	ActionCancel:  {store.StateCancelled, "cancelled"},
	ActionDeny:    {store.StateDenied, "denied"},
}

// handleClick decides a button press. The decision itself is a
// compare-and-set on the stored state, so a request runs at most once whatever
// the number of clicks, duplicate deliveries or replicas.
func (b *decider) handleClick(ctx context.Context, c ClickEvent) {
	log := b.log.With("actor", c.Actor, "request_id", c.RequestID, "action", c.Action)
	reply := func(text string) { b.private(ctx, c.recipient(), text) }
	verb, known := actionWords[c.Action]
	if !known {
		log.Warn("click on an unknown action ignored")
		return
	}
	req, err := b.store.Request(ctx, c.RequestID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && req.Channel != c.Channel) {
		reply("revokebot knows no such request. Nothing changed.")
		return
	}
	if err != nil {
		log.Error("could not read the request", "error", err)
		reply("revokebot could not read this request from its store, so nothing changed. Try again in a moment.")
		return
	}
	if req.RootTS == "" && c.MessageTS != "" {
		// The click beat the command's worker to recording the card's ts
		// (a fast clicker, or another replica): the card is the clicked message.
		if err := b.store.SetRootTS(ctx, req.ID, c.MessageTS); err != nil {
			log.Warn("could not record the card's ts", "error", err)
		}
		req.RootTS = c.MessageTS
	}
	if c.Action == ActionStop {
		b.handleStop(ctx, c, req, reply)
		return
	}
	if req.State != store.StatePending {
		b.m.Decision(c.Action, "late")
		reply(notPending(req))
		return
	}
	if !b.now().Before(req.ExpiresAt) {
		b.expire(ctx, req)
		reply("This request expired before your click. Nothing changed; run `/revoke` again if it is still needed.")
		return
	}

	actor, err := b.actor(ctx, c.Actor, b.groupsFor(c.Action, req, c.Actor)...)
	if err != nil {
		log.Error("could not check user-group membership", "error", err)
		reply("revokebot could not check your user-group membership with Slack, so nothing changed. Try again in a moment.")
		return
	}
	reason, ok := b.mayClick(c.Action, req, actor)
	if !ok {
		b.m.Decision(c.Action, "refused")
		detail := fmt.Sprintf("<@%s> tried to %s and was refused: %s", c.Actor, verb, reason)
		if err := b.tell.refuse(ctx, &req, c.Actor, detail); err != nil {
			reply("You cannot " + verb + " this request: " + reason)
			return
		}
		reply("You cannot " + verb + " this request: " + reason + " This attempt was recorded.")
		return
	}

	to, event := decisions[c.Action].to, decisions[c.Action].event
	// Unexpired: a click read before the deadline must not land after it,
	// however long the membership lookup took.
	req, err = b.store.Transition(ctx, req.ID, store.StatePending, to, store.Change{DecidedBy: c.Actor, At: b.now(), Unexpired: true})
	if err != nil {
		b.m.Decision(c.Action, "late")
		b.lost(ctx, log, reply, req, err)
		return
	}
	b.m.Decision(c.Action, "accepted")
	if to != store.StateRunning {
		b.exec.settle(ctx, req, event, c.Actor, "<@"+c.Actor+"> "+event+" the request; nothing was revoked.")
		return
	}
	if _, err := b.tell.audit(ctx, req, event, c.Actor, "<@"+c.Actor+"> "+event+"."); err != nil {
		b.exec.fail(ctx, req, "revokebot could not write its audit log, so nothing was revoked.")
		return
	}
	b.updateCard(ctx, req)
	if req.Kind == store.KindAll {
		b.bulk.startBulk(ctx, req)
		return
	}
	b.exec.execute(ctx, req)
}

// groupsFor names the sets whose user groups a click's decision needs, so
// that no lookup is made that cannot change the answer.
func (b *decider) groupsFor(action string, req store.Request, actor string) []authz.Principals {
	switch {
	case action == ActionConfirm && actor == req.Requester:
		return []authz.Principals{b.policy.Requesters}
	case action == ActionApprove && actor != req.Requester, action == ActionDeny,
		action == ActionCancel && actor != req.Requester:
		return []authz.Principals{b.policy.Approvers}
	}
	return nil
}

func (b *decider) mayClick(action string, req store.Request, a authz.Actor) (string, bool) {
	p := authz.Pending{Requester: req.Requester, NeedsApproval: req.NeedsApproval}
	switch action {
	case ActionConfirm:
		return b.policy.MayConfirm(p, a)
	case ActionApprove:
		return b.policy.MayApprove(p, a)
	case ActionDeny:
		return b.policy.MayDeny(p, a)
	case ActionCancel:
		return b.policy.MayCancel(p, a)
	case ActionStop:
		return "there is nothing to stop on this request.", false
	}
	return "this button does nothing on this request.", false
}

// lost answers a click whose compare-and-set lost: someone else decided first.
func (b *decider) lost(ctx context.Context, log interface{ Error(string, ...any) }, reply func(string), cur store.Request, err error) {
	if errors.Is(err, store.ErrConflict) {
		if cur.State == store.StatePending { // still pending: it was the deadline that passed
			b.expire(ctx, cur)
			reply("This request expired before your click. Nothing changed; run `/revoke` again if it is still needed.")
			return
		}
		reply(notPending(cur))
		return
	}
	log.Error("could not record the decision", "error", err)
	reply("revokebot could not record your decision in its store, so nothing changed. Try again in a moment.")
}

// notPending tells a late clicker what became of the request.
func notPending(r store.Request) string {
	by, verb := byline(r.DecidedBy), strings.ToLower(decided(r.NeedsApproval))
	switch r.State {
	case store.StateRunning:
		return "This request was already " + verb + by + " and is running. Nothing changed."
	case store.StateSucceeded, store.StateFailed, store.StateStopped:
		return "This request was already " + verb + by + " and has finished. Nothing changed."
	case store.StateCancelled:
		return "This request was cancelled" + by + ". Nothing changed."
	case store.StateDenied:
		return "This request was denied" + by + ". Nothing changed."
	case store.StateExpired:
		return "This request expired. Nothing changed; run `/revoke` again if it is still needed."
	}
	return "This request is no longer pending. Nothing changed."
}
