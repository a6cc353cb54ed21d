package request

import (
	"strings"
	"testing"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// aliceMailbox is alice with the mailbox addresses Graph gives.
var aliceMailbox = func() revoke.User {
	u := alice
	u.Mail, u.ProxyAddresses = "Alice.Adams@contoso.com", []string{"SMTP:Alice.Adams@contoso.com", "smtp:a.adams@contoso.com"}
	return u
}()

// selfReleaseFlow is a workflow that can release, where the Slack
// accounts' e-mails are emails' and approvers are added to the policy's.
func selfReleaseFlow(t *testing.T, emails profiles, approvers ...string) (*flow, *actor) {
	en := &actor{}
	f := newFlow(t, func(c *Config) {
		c.Enabler, c.Profiles = enabler{en}, emails
		c.Directory = directory{users: []revoke.User{aliceMailbox, carol}}
		c.Policy.Approvers.Users = append(c.Policy.Approvers.Users, approvers...)
	})
	return f, en
}

// TestFlowReleaseBySelfRequester: a requester whose Slack e-mail is one of
// the users' (any case, any of UPN, mail and proxy addresses), or whose
// e-mail cannot be read, is refused with the reason and audited; nothing is
// recorded to approve.
func TestFlowReleaseBySelfRequester(t *testing.T) {
	t.Parallel()
	for email, want := range map[string]string{
		"ALICE@Contoso.com":       "is that of a user this release lets back in",
		"alice.adams@contoso.com": "is that of a user this release lets back in",
		"A.Adams@CONTOSO.com":     "is that of a user this release lets back in",
		"":                        "could not read your Slack profile's e-mail address",
	} {
		emails := profiles{uApp: "abe@contoso.com"}
		if email != "" {
			emails[uReq] = email
		}
		f, en := selfReleaseFlow(t, emails)
		f.command(uReq, chInc, "release carol alice")
		if rs, _ := f.st.InState(f.ctx, store.StatePending); len(rs) != 0 || en.count() != 0 {
			t.Fatalf("%q: a release by one of its users was recorded", email)
		}
		got := f.msg.private(uReq)
		if !strings.Contains(got, want) || !strings.Contains(got, "Nobody was released. This attempt was recorded.") {
			t.Errorf("%q: told %q", email, got)
		}
		f.deliver()
		if audit := f.msg.text(chAudit); !strings.Contains(audit, "*refused*") || !strings.Contains(audit, want) {
			t.Errorf("%q: the refusal is not audited:\n%s", email, audit)
		}
	}
}

// TestFlowReleaseBySelfApprover: an approver whose Slack e-mail is one of
// the released users' cannot approve, nor can one whose e-mail cannot be
// read; both are told why, only them, and audited in the thread, and the
// release still waits. Another approver's click runs it.
func TestFlowReleaseBySelfApprover(t *testing.T) {
	t.Parallel()
	const uApp2 = "UAPP2"
	f, en := selfReleaseFlow(t, profiles{uReq: "rita@contoso.com", uApp: "a.adams@contoso.com", uGroupie: "gus@contoso.com"}, uApp2, uGroupie)
	f.command(uReq, chInc, "release alice carol")
	r := f.newest()
	if r.State != store.StatePending {
		t.Fatalf("release %s", r.State)
	}
	f.click(uApp, ActionApprove, r)
	f.click(uApp2, ActionApprove, r) // no e-mail in their profile
	if got := f.get(r.ID).State; got != store.StatePending || en.count() != 0 {
		t.Fatalf("a released user's Slack account approved: %s, %d enabled", got, en.count())
	}
	for user, want := range map[string]string{uApp: "is that of a user this release lets back in", uApp2: "could not read your Slack profile's e-mail address"} {
		if got := f.msg.private(user); !strings.Contains(got, "You cannot approve this request: ") || !strings.Contains(got, want) || !strings.Contains(got, "recorded") {
			t.Errorf("%s told %q", user, got)
		}
	}
	if ev := f.events(r.ID); strings.Count(ev, "refused") != 2 || strings.Contains(ev, "approved") {
		t.Errorf("events %s", ev)
	}
	f.click(uGroupie, ActionApprove, r)
	if got := f.get(r.ID).State; got != store.StateSucceeded || en.count() != 2 {
		t.Fatalf("another approver's click: %s, %d enabled", got, en.count())
	}
}

// TestSelfCheck: a failed or empty lookup is unchecked, never "not one of
// them".
func TestSelfCheck(t *testing.T) {
	t.Parallel()
	users := []revoke.User{carol, aliceMailbox}
	for _, tc := range []struct {
		email string
		err   error
		want  SelfCheck
	}{
		{"a.adams@contoso.com", nil, SelfReleased},
		{"rita@contoso.com", nil, SelfOther},
		{" ", nil, SelfUnchecked},
		{"rita@contoso.com", &SendError{Code: "user_not_found"}, SelfUnchecked},
	} {
		if got := selfCheck(tc.email, tc.err, users); got != tc.want {
			t.Errorf("selfCheck(%q, %v) = %d, want %d", tc.email, tc.err, got, tc.want)
		}
	}
}
