package authz

import "testing"

func TestDecisions(t *testing.T) {
	p := Policy{
		Requesters: Principals{Users: []string{"UREQ1", "UREQ2"}, Groups: []string{"SRESP"}},
		Approvers:  Principals{Users: []string{"UAPP1", "UREQ1"}},
		Channels:   []string{"CINC"},
	}
	req := Actor{UserID: "UREQ1"}
	other := Actor{UserID: "UREQ2"}
	grp := Actor{UserID: "UGRP", Groups: []string{"SRESP"}}
	app := Actor{UserID: "UAPP1"}
	nobody := Actor{UserID: "UNOBODY"}
	single := Pending{Requester: "UREQ1"}
	protected := Pending{Requester: "UREQ1", NeedsApproval: true}
	alert := Pending{Requester: "revokebot", Alert: true}
	alertProtected := Pending{Requester: "revokebot", Alert: true, NeedsApproval: true}

	for _, tc := range []struct {
		name string
		ok   bool
		got  func() (string, bool)
	}{
		{"requester in channel", true, func() (string, bool) { return p.MayRequest(req, "CINC") }},
		{"group member in channel", true, func() (string, bool) { return p.MayRequest(grp, "CINC") }},
		{"requester in wrong channel", false, func() (string, bool) { return p.MayRequest(req, "COTHER") }},
		{"stranger", false, func() (string, bool) { return p.MayRequest(nobody, "CINC") }},
		{"approver only is not a requester", false, func() (string, bool) { return p.MayRequest(app, "CINC") }},
		{"requester confirms", true, func() (string, bool) { return p.MayConfirm(single, req) }},
		{"requester removed since asking", false, func() (string, bool) { return p.MayConfirm(Pending{Requester: "UGONE"}, Actor{UserID: "UGONE"}) }},
		{"group requester confirms", true, func() (string, bool) { return p.MayConfirm(Pending{Requester: "UGRP"}, grp) }},
		{"other requester cannot confirm", false, func() (string, bool) { return p.MayConfirm(single, other) }},
		{"confirm on approval request", false, func() (string, bool) { return p.MayConfirm(protected, req) }},
		{"any requester confirms an alert card", true, func() (string, bool) { return p.MayConfirm(alert, other) }},
		{"a group requester confirms an alert card", true, func() (string, bool) { return p.MayConfirm(alert, grp) }},
		{"a stranger cannot confirm an alert card", false, func() (string, bool) { return p.MayConfirm(alert, nobody) }},
		{"an approver only cannot confirm an alert card", false, func() (string, bool) { return p.MayConfirm(alert, app) }},
		{"an alert card for a protected user needs approval", false, func() (string, bool) { return p.MayConfirm(alertProtected, req) }},
		{"an approver approves an alert card", true, func() (string, bool) { return p.MayApprove(alertProtected, app) }},
		{"a requester dismisses an alert card", true, func() (string, bool) { return p.MayCancel(alert, other) }},
		{"an approver dismisses an alert card", true, func() (string, bool) { return p.MayCancel(alert, app) }},
		{"a stranger cannot dismiss an alert card", false, func() (string, bool) { return p.MayCancel(alert, nobody) }},
		{"another requester cannot cancel a person's request", false, func() (string, bool) { return p.MayCancel(single, other) }},
		{"self approval", false, func() (string, bool) { return p.MayApprove(protected, req) }},
		{"approver approves", true, func() (string, bool) { return p.MayApprove(protected, app) }},
		{"non-approver approves", false, func() (string, bool) { return p.MayApprove(protected, other) }},
		{"approve single", false, func() (string, bool) { return p.MayApprove(single, app) }},
		{"approver denies", true, func() (string, bool) { return p.MayDeny(protected, app) }},
		{"requester-approver may deny own", true, func() (string, bool) { return p.MayDeny(protected, req) }},
		{"non-approver denies", false, func() (string, bool) { return p.MayDeny(protected, other) }},
		{"requester cancels", true, func() (string, bool) { return p.MayCancel(single, req) }},
		{"approver cancels", true, func() (string, bool) { return p.MayCancel(single, app) }},
		{"requester inspects", true, func() (string, bool) { return p.MayInspect(req) }},
		{"approver inspects", true, func() (string, bool) { return p.MayInspect(app) }},
		{"group member inspects", true, func() (string, bool) { return p.MayInspect(grp) }},
		{"stranger inspects", false, func() (string, bool) { return p.MayInspect(nobody) }},
		{"stranger cancels", false, func() (string, bool) { return p.MayCancel(single, nobody) }},
	} {
		reason, ok := tc.got()
		if ok != tc.ok {
			t.Errorf("%s: ok=%v reason=%q", tc.name, ok, reason)
		}
		if !ok && reason == "" {
			t.Errorf("%s: refused without a reason", tc.name)
		}
	}
	open := Policy{Requesters: p.Requesters}
	if _, ok := open.MayRequest(req, "CANY"); !ok {
		t.Error("no channel list must accept any channel")
	}
}
