package request

import (
	"fmt"
	"slices"
	"time"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/store"
)

// Verdict is what a click does to its request.
type Verdict int

// The verdicts of Decide.
const (
	Ignore  Verdict = iota // not one of revokebot's buttons
	Move                   // take the edge to Decision.To, recorded as Decision.Event
	Stop                   // stop a running /revoke all
	Refuse                 // changes nothing; audited, and the clicker is told why
	Late                   // the request is no longer pending: nothing changes; audited
	Expire                 // its deadline passed: the request expires, nothing runs
	Unknown                // no such request in this channel: audited, reveals nothing
	Approve                // count one approval; the store moves it on when the quorum is in
)

// Click is everything a decision depends on, gathered before it is made.
type Click struct {
	Action  string
	Actor   authz.Actor // with the user groups among those the decision needs
	Channel string      // where the button was clicked
	Request store.Request
	Found   bool // the store knows Request
	// Requester is the request's requester as the policy sees them now.
	Requester authz.Actor
	// Protected says a user of the request is protected under the policy
	// in force now, whatever it was when the card was posted.
	Protected bool
	// Approvals are the approvers who approved it so far.
	Approvals []string
	// Self is, for a release, whether the clicker is one of the users it
	// lets back in; unchecked refuses its confirmation and approval.
	Self SelfCheck
	Now  time.Time
}

// Decision is the outcome of one click.
type Decision struct {
	Verdict Verdict
	To      store.State
	Event   Event
	// Reason is said to the clicker only; it names nobody but them.
	Reason string
}

// moves are the edges the decisive buttons take from pending.
var moves = map[string]struct {
	to    store.State
	event Event
}{
	ActionConfirm: {store.StateRunning, EvConfirmed},
	ActionCancel:  {store.StateCancelled, EvCancelled},
	ActionDeny:    {store.StateDenied, EvDenied},
}

// Decide chooses the edge a click takes, from the policy in force now. It is
// pure: the caller gathers the facts, then acts on the decision; the store's
// compare-and-set settles races between clicks.
func Decide(p authz.Policy, c Click) Decision {
	if _, known := actionWords[c.Action]; !known {
		return Decision{Verdict: Ignore}
	}
	r := c.Request
	if !c.Found || r.Channel != c.Channel {
		return Decision{Verdict: Unknown, Reason: "revokebot knows no such request. Nothing changed."}
	}
	insider := p.IsRequester(c.Actor) || p.IsApprover(c.Actor)
	if c.Action == ActionStop {
		if r.Kind != store.KindAll || r.State != store.StateRunning {
			return Decision{Verdict: Late, Reason: "There is no running job to stop on this request. Nothing changed."}
		}
		if reason, ok := p.MayStop(r.Requester, c.Actor); !ok {
			return Decision{Verdict: Refuse, Reason: reason}
		}
		return Decision{Verdict: Stop, Event: EvStopping}
	}
	if r.State != store.StatePending {
		if !insider {
			return Decision{Verdict: Late, Reason: "This request is no longer pending. Nothing changed."}
		}
		return Decision{Verdict: Late, Reason: notPending(r)}
	}
	if !r.ExpiresAt.IsZero() && !c.Now.Before(r.ExpiresAt) {
		return Decision{Verdict: Expire, Reason: "This request expired before your click. Nothing changed; run `/revoke` again if it is still needed."}
	}
	pending := authz.Pending{Requester: r.Requester, NeedsApproval: r.NeedsApproval, Alert: isAlert(r)}
	var reason string
	ok := false
	switch c.Action {
	case ActionConfirm:
		reason, ok = p.MayConfirm(pending, c.Actor)
		if ok && c.Protected {
			reason, ok = "an account on this request has become protected since the card was posted, so an approver must decide: run `/revoke` again.", false
		}
		if ok && targetsOf(r).Release {
			reason, ok = selfRefusal(c.Self)
		}
	case ActionApprove:
		reason, ok = p.MayApprove(pending, c.Actor)
		if ok && !pending.Alert && !p.IsRequester(c.Requester) {
			reason, ok = "the person who asked for it is no longer on revokebot's list of requesters, so it cannot be approved; it can still be denied or cancelled.", false
		}
		if ok && targetsOf(r).Release {
			reason, ok = selfRefusal(c.Self)
		}
		if ok && slices.Contains(c.Approvals, c.Actor.UserID) {
			return Decision{Verdict: Late, Reason: fmt.Sprintf("You have already approved this request; it waits for %s more. Nothing changed.",
				plural(p.Quorum()-len(c.Approvals), "approver"))}
		}
		if ok {
			return Decision{Verdict: Approve, To: store.StateRunning, Event: EvApproved}
		}
	case ActionDeny:
		reason, ok = p.MayDeny(pending, c.Actor)
	case ActionCancel:
		reason, ok = p.MayCancel(pending, c.Actor)
	}
	if !ok {
		return Decision{Verdict: Refuse, Reason: reason}
	}
	m := moves[c.Action]
	return Decision{Verdict: Move, To: m.to, Event: m.event}
}
