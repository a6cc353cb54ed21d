package authz

import (
	"slices"
)

// Actor is a person acting in Slack, with the user groups among the policy's
// groups that they belong to (looked up by the caller).
type Actor struct {
	UserID string
	Groups []string
}

func (a Actor) in(p Principals) bool {
	if slices.Contains(p.Users, a.UserID) {
		return true
	}
	for _, g := range a.Groups {
		if slices.Contains(p.Groups, g) {
			return true
		}
	}
	return false
}

// IsRequester reports whether the actor may ask for revocations.
func (p Policy) IsRequester(a Actor) bool { return a.in(p.Requesters) }

// IsApprover reports whether the actor may approve or deny.
func (p Policy) IsApprover(a Actor) bool { return a.in(p.Approvers) }

// MayRequest decides whether actor may run /revoke in channel. When not, the
// reason is written for the actor to read.
func (p Policy) MayRequest(a Actor, channel string) (reason string, ok bool) {
	if len(p.Channels) > 0 && !slices.Contains(p.Channels, channel) {
		return "/revoke is not accepted in this channel; use one of the incident channels the policy lists.", false
	}
	if !p.IsRequester(a) {
		return "you are not on revokebot's list of requesters.", false
	}
	return "", true
}

// Pending is what a decision needs to know about a pending request.
type Pending struct {
	Requester     string
	NeedsApproval bool
	// Alert marks a card revokebot opened from a detection: nobody asked
	// for it, so any requester may confirm it (and becomes its requester
	// in the record) and any requester or approver may dismiss it.
	Alert bool
}

// MayConfirm decides whether actor may confirm a request: only its requester
// (any requester, for an alert card), still a requester now (someone
// removed from the responders loses the click too), and only when no
// approver's decision is needed.
func (p Policy) MayConfirm(r Pending, a Actor) (string, bool) {
	if r.NeedsApproval {
		return "this request needs an approver's decision, not a confirmation.", false
	}
	if r.Alert {
		if !p.IsRequester(a) {
			return "only revokebot's requesters can confirm an alert card.", false
		}
		return "", true
	}
	if a.UserID != r.Requester {
		return "only the person who asked for it can confirm this request.", false
	}
	if !p.IsRequester(a) {
		return "you are no longer on revokebot's list of requesters.", false
	}
	return "", true
}

// MayApprove decides whether actor may approve: an approver who is not the
// requester (two-person rule).
func (p Policy) MayApprove(r Pending, a Actor) (string, bool) {
	if !r.NeedsApproval {
		return "this request needs no approval; its requester confirms it.", false
	}
	if a.UserID == r.Requester {
		return "you cannot approve your own request: another approver must.", false
	}
	if !p.IsApprover(a) {
		return "you are not on revokebot's list of approvers.", false
	}
	return "", true
}

// MayDeny decides whether actor may deny: any approver.
func (p Policy) MayDeny(r Pending, a Actor) (string, bool) {
	if !r.NeedsApproval {
		return "this request needs no approval; its requester can cancel it.", false
	}
	if !p.IsApprover(a) {
		return "you are not on revokebot's list of approvers.", false
	}
	return "", true
}

// MayCancel decides whether actor may cancel: the requester or any
// approver; an alert card, any requester or approver (Dismiss).
func (p Policy) MayCancel(r Pending, a Actor) (string, bool) {
	if a.UserID == r.Requester || p.IsApprover(a) || r.Alert && p.IsRequester(a) {
		return "", true
	}
	if r.Alert {
		return "only revokebot's requesters and approvers can dismiss an alert card.", false
	}
	return "only the person who asked for it or an approver can cancel this request.", false
}

// MayInspect decides whether actor may read requests and their audit trail
// (/revoke status and history): requesters and approvers only, since the
// answers name the accounts under suspicion.
func (p Policy) MayInspect(a Actor) (string, bool) {
	if p.IsRequester(a) || p.IsApprover(a) {
		return "", true
	}
	return "only revokebot's requesters and approvers can look at requests.", false
}
