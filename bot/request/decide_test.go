package request

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/store"
)

// TestDecide walks every branch of the click decision with the policy in
// force at the click.
func TestDecide(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	p := authz.Policy{
		Requesters: authz.Principals{Users: []string{"UREQ", "UREQ2"}, Groups: []string{"SRESP"}},
		Approvers:  authz.Principals{Users: []string{"UAPP", "UAPP2"}},
	}
	pending := store.Request{ID: "rb-x", Kind: store.KindUser, State: store.StatePending, Requester: "UREQ",
		Channel: "CINC", ExpiresAt: now.Add(time.Minute)}
	approval := pending
	approval.NeedsApproval = true
	running := store.Request{ID: "rb-all", Kind: store.KindAll, State: store.StateRunning, Requester: "UREQ", Channel: "CINC", DecidedBy: "UAPP"}
	done := pending
	done.State, done.DecidedBy = store.StateSucceeded, "UREQ"
	expired := pending
	expired.ExpiresAt = now
	release := approval
	release.Target, _ = json.Marshal(requestTarget{User: alice, Release: true})
	confirmRelease := release // a release without approval: not one revokebot makes, but decided the same
	confirmRelease.NeedsApproval = false
	who := func(id string, groups ...string) authz.Actor { return authz.Actor{UserID: id, Groups: groups} }
	req, groupie, app, stranger := who("UREQ"), who("UGRP", "SRESP"), who("UAPP"), who("USTR")

	for _, tc := range []struct {
		name   string
		click  Click
		want   Verdict
		to     store.State
		reason string // part of the words, for refusals
	}{
		{"unknown button", Click{Action: "revoke_frobnicate", Actor: req}, Ignore, "", ""},
		{"no such request", Click{Action: ActionConfirm, Actor: req, Channel: "CINC"}, Unknown, "", "knows no such request"},
		{"another channel's request", Click{Action: ActionConfirm, Actor: req, Channel: "COTHER", Request: pending, Found: true}, Unknown, "", "knows no such request"},
		{"confirm", Click{Action: ActionConfirm, Actor: req, Channel: "CINC", Request: pending, Found: true, Now: now}, Move, store.StateRunning, ""},
		{"confirm by a groupie who asked", Click{Action: ActionConfirm, Actor: groupie, Channel: "CINC",
			Request: func() store.Request { r := pending; r.Requester = "UGRP"; return r }(), Found: true, Now: now}, Move, store.StateRunning, ""},
		{"confirm by someone else", Click{Action: ActionConfirm, Actor: who("UREQ2"), Channel: "CINC", Request: pending, Found: true, Now: now}, Refuse, "", "only the person who asked"},
		{"confirm after leaving the policy", Click{Action: ActionConfirm, Actor: who("UGRP"), Channel: "CINC",
			Request: func() store.Request { r := pending; r.Requester = "UGRP"; return r }(), Found: true, Now: now}, Refuse, "", "no longer on revokebot's list"},
		{"confirm after the target became protected", Click{Action: ActionConfirm, Actor: req, Channel: "CINC", Request: pending, Found: true, Protected: true, Now: now}, Refuse, "", "become protected"},
		{"confirm where approval is needed", Click{Action: ActionConfirm, Actor: req, Channel: "CINC", Request: approval, Found: true, Now: now}, Refuse, "", "needs an approver"},
		{"approve", Click{Action: ActionApprove, Actor: app, Requester: req, Channel: "CINC", Request: approval, Found: true, Now: now}, Approve, store.StateRunning, ""},
		{"approve again", Click{Action: ActionApprove, Actor: app, Requester: req, Channel: "CINC", Request: approval, Found: true,
			Approvals: []string{"UAPP"}, Now: now}, Late, "", "already approved"},
		{"a second approver", Click{Action: ActionApprove, Actor: who("UAPP2"), Requester: req, Channel: "CINC", Request: approval, Found: true,
			Approvals: []string{"UAPP"}, Now: now}, Approve, store.StateRunning, ""},
		{"approve own request", Click{Action: ActionApprove, Actor: req, Requester: req, Channel: "CINC", Request: approval, Found: true, Now: now}, Refuse, "", "your own request"},
		{"approve by a non-approver", Click{Action: ActionApprove, Actor: stranger, Requester: req, Channel: "CINC", Request: approval, Found: true, Now: now}, Refuse, "", "not on revokebot's list of approvers"},
		{"approve after the requester left", Click{Action: ActionApprove, Actor: app, Requester: who("UGONE"), Channel: "CINC",
			Request: func() store.Request { r := approval; r.Requester = "UGONE"; return r }(), Found: true, Now: now}, Refuse, "", "no longer on revokebot's list of requesters"},
		{"approve a release", Click{Action: ActionApprove, Actor: app, Requester: req, Channel: "CINC", Request: release, Found: true,
			Self: SelfOther, Now: now}, Approve, store.StateRunning, ""},
		{"approve a release one is released by", Click{Action: ActionApprove, Actor: app, Requester: req, Channel: "CINC", Request: release, Found: true,
			Self: SelfReleased, Now: now}, Refuse, "", "a user this release lets back in"},
		{"approve a release unchecked", Click{Action: ActionApprove, Actor: app, Requester: req, Channel: "CINC", Request: release, Found: true,
			Now: now}, Refuse, "", "could not read your Slack profile's e-mail"},
		{"approve a release by a non-approver", Click{Action: ActionApprove, Actor: stranger, Requester: req, Channel: "CINC", Request: release, Found: true,
			Now: now}, Refuse, "", "not on revokebot's list of approvers"},
		{"confirm a release one is released by", Click{Action: ActionConfirm, Actor: req, Channel: "CINC", Request: confirmRelease, Found: true,
			Self: SelfReleased, Now: now}, Refuse, "", "a user this release lets back in"},
		{"deny a release one is released by", Click{Action: ActionDeny, Actor: app, Channel: "CINC", Request: release, Found: true,
			Self: SelfReleased, Now: now}, Move, store.StateDenied, ""},
		{"approve what needs no approval", Click{Action: ActionApprove, Actor: app, Requester: req, Channel: "CINC", Request: pending, Found: true, Now: now}, Refuse, "", "needs no approval"},
		{"deny", Click{Action: ActionDeny, Actor: app, Channel: "CINC", Request: approval, Found: true, Now: now}, Move, store.StateDenied, ""},
		{"deny by a stranger", Click{Action: ActionDeny, Actor: stranger, Channel: "CINC", Request: approval, Found: true, Now: now}, Refuse, "", "not on revokebot's list of approvers"},
		{"cancel by the requester", Click{Action: ActionCancel, Actor: req, Channel: "CINC", Request: pending, Found: true, Now: now}, Move, store.StateCancelled, ""},
		{"cancel by an approver", Click{Action: ActionCancel, Actor: app, Channel: "CINC", Request: pending, Found: true, Now: now}, Move, store.StateCancelled, ""},
		{"cancel by a stranger", Click{Action: ActionCancel, Actor: stranger, Channel: "CINC", Request: pending, Found: true, Now: now}, Refuse, "", "or an approver can cancel"},
		{"expired", Click{Action: ActionConfirm, Actor: req, Channel: "CINC", Request: expired, Found: true, Now: now}, Expire, "", "expired"},
		{"late, by an insider", Click{Action: ActionConfirm, Actor: req, Channel: "CINC", Request: done, Found: true, Now: now}, Late, "", "already confirmed by <@UREQ>"},
		{"late, by a stranger", Click{Action: ActionConfirm, Actor: stranger, Channel: "CINC", Request: done, Found: true, Now: now}, Late, "", "no longer pending"},
		{"stop", Click{Action: ActionStop, Actor: app, Channel: "CINC", Request: running, Found: true, Now: now}, Stop, "", ""},
		{"stop by the requester", Click{Action: ActionStop, Actor: req, Channel: "CINC", Request: running, Found: true, Now: now}, Stop, "", ""},
		{"stop by a stranger", Click{Action: ActionStop, Actor: stranger, Channel: "CINC", Request: running, Found: true, Now: now}, Refuse, "", "or an approver can stop"},
		{"stop on a single-user request", Click{Action: ActionStop, Actor: req, Channel: "CINC", Request: pending, Found: true, Now: now}, Late, "", "no running job"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(p, tc.click)
			if d.Verdict != tc.want || d.To != tc.to || !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("Decide = %+v, want verdict %d to %q with %q", d, tc.want, tc.to, tc.reason)
			}
			if (d.Verdict == Move || d.Verdict == Approve) && d.Event == "" {
				t.Error("a move without its audit event")
			}
			// A refusal names nobody but the clicker.
			if d.Verdict == Refuse && strings.Contains(d.Reason, "<@") {
				t.Errorf("refusal mentions someone: %q", d.Reason)
			}
			if tc.name == "late, by a stranger" && strings.Contains(d.Reason, "<@") {
				t.Errorf("a stranger learns who decided: %q", d.Reason)
			}
		})
	}
}
