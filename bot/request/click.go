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

// handleClick gathers the facts a click's decision needs, lets Decide
// choose, then records and tells. The move itself is a compare-and-set on
// the stored state, so a request runs at most once whatever the number of
// clicks, duplicate deliveries or replicas.
func (b *decider) handleClick(ctx context.Context, c ClickEvent) {
	log := b.log.With("actor", c.Actor, "request_id", c.RequestID, "action", c.Action)
	reply := func(text string) { b.private(ctx, c.recipient(), text) }
	verb, known := actionWords[c.Action]
	if !known {
		log.Warn("click on an unknown action ignored")
		return
	}
	req, err := b.store.Request(ctx, c.RequestID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		log.Error("could not read the request", "error", err)
		reply("revokebot could not read this request from its store, so nothing changed. Try again in a moment.")
		return
	}
	found := err == nil
	if found && req.Channel == c.Channel && req.RootTS == "" && c.MessageTS != "" {
		// The click beat the command's worker to recording the card's ts
		// (a fast clicker, or another replica): the card is the clicked message.
		if err := b.store.SetRootTS(ctx, req.ID, c.MessageTS); err != nil {
			log.Warn("could not record the card's ts", "error", err)
		}
		req.RootTS = c.MessageTS
	}
	facts := Click{Action: c.Action, Channel: c.Channel, Request: req, Found: found, Now: b.now()}
	var lookupErr error
	facts.Actor, lookupErr = b.actor(ctx, c.Actor, b.groupsFor(c.Action, req, c.Actor)...)
	if found && c.Action == ActionApprove && lookupErr == nil && !isAlert(req) {
		facts.Requester, lookupErr = b.actor(ctx, req.Requester, b.policy.Requesters)
	}
	if t := targetsOf(req); found && t.Release && req.State == store.StatePending && (c.Action == ActionApprove || c.Action == ActionConfirm) &&
		(b.policy.IsRequester(facts.Actor) || b.policy.IsApprover(facts.Actor)) {
		// Only for someone the policy might let through: a stranger's
		// click costs no profile lookup.
		facts.Self = b.checkSelf(ctx, c.Actor, t.Users)
	}
	if found {
		for _, u := range targetsOf(req).Users {
			facts.Protected = facts.Protected || b.policy.IsProtected(u.UPN, u.Mail, u.ID)
		}
		if req.NeedsApproval && req.State == store.StatePending && lookupErr == nil {
			facts.Approvals, lookupErr = b.approvers(ctx, req.ID)
		}
	}
	d := Decide(b.policy, facts)
	if lookupErr != nil && (d.Verdict == Move || d.Verdict == Approve || d.Verdict == Stop || d.Verdict == Refuse) {
		// A decision made without the groups could be wrong either way.
		log.Error("could not check user-group membership", "error", lookupErr)
		b.m.Decision(c.Action, "refused")
		b.refused(ctx, facts, fmt.Sprintf("<@%s> tried to %s, and revokebot could not check user-group membership with Slack, so it refused.", c.Actor, verb), true)
		reply("revokebot could not check user-group membership with Slack, so nothing changed. Try again in a moment.")
		return
	}
	switch d.Verdict {
	case Ignore:
		return
	case Unknown:
		b.m.Decision(c.Action, "refused")
		b.refused(ctx, facts, fmt.Sprintf("<@%s> clicked %s on request `%s`, which revokebot does not know in <#%s>.", c.Actor, verb, clean(c.RequestID, 40), Escape(c.Channel)), false)
		reply(d.Reason)
	case Late:
		b.m.Decision(c.Action, "late")
		detail := fmt.Sprintf("<@%s> clicked %s on a request that is %s.", c.Actor, verb, stateWords(req.State))
		if c.Action == ActionApprove && req.State == store.StatePending {
			detail = fmt.Sprintf("<@%s> approved again; an approval counts once.", c.Actor)
		}
		b.refused(ctx, facts, detail, false)
		reply(d.Reason)
	case Expire:
		b.expire(ctx, req)
		reply(d.Reason)
	case Refuse:
		b.m.Decision(c.Action, "refused")
		what := verb + " this request"
		if c.Action == ActionStop {
			what = "stop this job"
		}
		err := b.refused(ctx, facts, fmt.Sprintf("<@%s> tried to %s and was refused: %s", c.Actor, what, d.Reason), true)
		reply("You cannot " + what + ": " + d.Reason + recordedWords(err))
	case Stop:
		b.stop(ctx, c, req, reply)
	case Approve:
		b.approve(ctx, log, c, req, d, len(facts.Approvals), reply)
	case Move:
		b.move(ctx, log, c, req, d, reply)
	}
}

// refused records a refused click: on its request's thread when inThread,
// else only in the audit log and channel (a finished card, a foreign or
// unknown ID: nothing about the request is shown). It reports whether the
// record was written (errFolded: counted with the clicker's recent ones).
func (b *decider) refused(ctx context.Context, f Click, detail string, inThread bool) error {
	var req *store.Request
	if f.Found && f.Request.Channel == f.Channel {
		req = &f.Request
	}
	return b.tell.refuse(ctx, req, f.Actor.UserID, detail, inThread, !b.policy.IsRequester(f.Actor) && !b.policy.IsApprover(f.Actor))
}

// move takes the edge a decision chose, with its audit record, its card and
// (for an approved /revoke all) the bulk job in one store write, then
// carries on from it.
func (b *decider) move(ctx context.Context, log interface{ Error(string, ...any) }, c ClickEvent, req store.Request, d Decision, reply func(string)) {
	words := "<@" + c.Actor + "> " + string(d.Event) + "."
	if d.To != store.StateRunning {
		words = "<@" + c.Actor + "> " + string(d.Event) + " the request; nothing was revoked."
		if targetsOf(req).Release {
			words = "<@" + c.Actor + "> " + string(d.Event) + " the release; nobody was let back in."
		}
	}
	// Unexpired: a click read before the deadline must not land after it,
	// however long the membership lookup took.
	change := store.Change{DecidedBy: c.Actor, Unexpired: true, CreateJob: req.Kind == store.KindAll && d.To == store.StateRunning}
	if d.To == store.StateRunning {
		if why := b.forgedStatement(req); why != "" {
			b.m.Decision(c.Action, "refused")
			b.tell.tampered(ctx, req, "at <@"+c.Actor+">'s "+actionWords[c.Action], why)
			reply("revokebot refused to run this request: its record was changed outside revokebot. Nothing was run; the thread says more.")
			return
		}
		if isAlert(req) && c.Action == ActionConfirm {
			// Whoever confirms an alert card is its requester from then
			// on: its statement is signed again naming them, in the same
			// write, once the one revokebot signed has been checked.
			req.Requester = c.Actor
			change.Requester, change.RequestSig = c.Actor, b.cfg.Key.Sign(statement(req))
		}
		change.Sig, _ = b.signRun(req, c.Actor)
	}
	req, err := b.tell.decide(ctx, req, d.To, change, d.Event, c.Actor, words)
	if err != nil {
		b.m.Decision(c.Action, "late")
		b.lost(ctx, log, reply, req, err)
		return
	}
	b.m.Decision(c.Action, "accepted")
	switch {
	case d.To != store.StateRunning:
	case req.Kind == store.KindAll:
		b.bulk.startBulk(req)
	default:
		b.exec.execute(ctx, req)
	}
}

// approve counts one approval in the store, with its audit record and the
// card's redraw; the store moves the request to running, in the same write,
// when this approval completes the quorum.
func (b *decider) approve(ctx context.Context, log interface{ Error(string, ...any) }, c ClickEvent, req store.Request, d Decision, before int, reply func(string)) {
	need := b.policy.Quorum()
	words := fmt.Sprintf("<@%s> approved.", c.Actor)
	if need > 1 {
		words = fmt.Sprintf("<@%s> approved (%d of %d).", c.Actor, before+1, need)
	}
	if why := b.forgedStatement(req); why != "" {
		b.m.Decision(c.Action, "refused")
		b.tell.tampered(ctx, req, "at <@"+c.Actor+">'s approval", why)
		reply("revokebot refused this approval: the request's record was changed outside revokebot. Nothing was run; the thread says more.")
		return
	}
	rctx, cancel := recordContext(ctx)
	defer cancel()
	e := b.tell.event(req, EvApproved, c.Actor, words)
	change := store.Change{DecidedBy: c.Actor, At: b.now(), Unexpired: true, CreateJob: req.Kind == store.KindAll,
		Audit: &e, Tell: b.tell.tells(&req, true, true)}
	change.Sig, change.ApprovalSig = b.signRun(req, c.Actor)
	var cur store.Request
	var approvals []store.Approval
	err := retryRecord(rctx, func() error {
		var err error
		cur, approvals, _, err = b.store.Approve(rctx, req.ID, c.Actor, need, change)
		return err
	})
	switch {
	case errors.Is(err, store.ErrDuplicate):
		b.m.Decision(c.Action, "late")
		reply(fmt.Sprintf("You have already approved this request; it waits for %s more. Nothing changed.", plural(need-len(approvals), "approver")))
		return
	case err != nil:
		b.m.Decision(c.Action, "late")
		b.lost(ctx, log, reply, cur, err)
		return
	}
	b.tell.kick()
	b.m.Decision(c.Action, "accepted")
	if cur.State != store.StateRunning {
		reply(fmt.Sprintf("Your approval is recorded: %d of %d; it waits for %s more.", len(approvals), need, plural(need-len(approvals), "approver")))
		return
	}
	if cur.Kind == store.KindAll {
		b.bulk.startBulk(cur)
		return
	}
	b.exec.execute(ctx, cur)
}

// approvers are who approved a request so far.
func (b *env) approvers(ctx context.Context, id string) ([]string, error) {
	as, err := b.store.Approvals(ctx, id)
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Approver
	}
	return out, err
}

// groupsFor names the sets whose user groups a click's decision needs, so
// that no lookup is made that cannot change the answer.
func (b *decider) groupsFor(action string, req store.Request, actor string) []authz.Principals {
	switch {
	case req.State != store.StatePending:
		// A late click is answered by whether the clicker is one of the
		// policy's people: they learn what happened, others nothing.
		return []authz.Principals{b.policy.Requesters, b.policy.Approvers}
	case action == ActionStop:
		return []authz.Principals{b.policy.Approvers}
	case isAlert(req) && action == ActionConfirm:
		// An alert card: any requester may confirm it.
		return []authz.Principals{b.policy.Requesters}
	case isAlert(req) && action == ActionCancel:
		return []authz.Principals{b.policy.Requesters, b.policy.Approvers}
	case action == ActionConfirm && actor == req.Requester:
		return []authz.Principals{b.policy.Requesters}
	case action == ActionApprove && actor != req.Requester, action == ActionDeny,
		action == ActionCancel && actor != req.Requester:
		return []authz.Principals{b.policy.Approvers}
	}
	return nil
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
