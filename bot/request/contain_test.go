package request

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

func TestActionsFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		policy []string
		cmd    Command
		want   []revoke.Action
	}{
		{nil, Command{}, []revoke.Action{revoke.ActionSessions}},
		{[]string{"sessions"}, Command{}, []revoke.Action{revoke.ActionSessions}},
		// Named out of order, run in order: disable before sessions.
		{nil, Command{Actions: []revoke.Action{revoke.ActionCompromised, revoke.ActionSharePoint, revoke.ActionDisable}},
			[]revoke.Action{revoke.ActionDisable, revoke.ActionSessions, revoke.ActionSharePoint, revoke.ActionCompromised}},
		{[]string{"compromised", "disable"}, Command{}, []revoke.Action{revoke.ActionDisable, revoke.ActionSessions, revoke.ActionCompromised}},
		{[]string{"disable"}, Command{Actions: []revoke.Action{revoke.ActionDisable}}, []revoke.Action{revoke.ActionDisable, revoke.ActionSessions}},
	} {
		if got := actionsFor(tc.policy, tc.cmd); !slices.Equal(got, tc.want) {
			t.Errorf("actionsFor(%v, %+v) = %v, want %v", tc.policy, tc.cmd, got, tc.want)
		}
	}
}

// TestTargetsOfEarlierRequests: a request stored before several targets
// existed reads as one user and sessions only.
func TestTargetsOfEarlierRequests(t *testing.T) {
	t.Parallel()
	old := store.Request{Target: []byte(`{"user":{"id":"11111111-1111-4111-8111-111111111111","userPrincipalName":"alice@contoso.com"}}`)}
	got := targetsOf(old)
	if len(got.Users) != 1 || got.Users[0].UPN != "alice@contoso.com" || !got.plainRevoke() {
		t.Fatalf("targetsOf(old) = %+v", got)
	}
}

func TestContainReport(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 28, 3, 5, 0, 0, time.UTC)
	outs := []userOutcome{
		{User: alice, RevokedAt: at, Actions: []actionOutcome{
			{Action: revoke.ActionDisable, OK: true, Words: "Sign-in blocked."},
			{Action: revoke.ActionSessions, OK: true, Words: "Sessions revoked."}}},
		{User: mallory, Actions: []actionOutcome{
			{Action: revoke.ActionDisable, OK: false, Words: "Blocking sign-in failed: " + describeAction(revoke.ActionDisable, &revoke.Error{Kind: revoke.KindSynced})},
			{Action: revoke.ActionSessions, OK: true, Words: "Sessions revoked."}}},
	}
	text, failed := containReport(outs)
	if failed != 1 {
		t.Errorf("failed = %d, want 1", failed)
	}
	for _, want := range []string{":white_check_mark: *alice@contoso.com*", ":x: *mallory_evil.com#EXT#@contoso.onmicrosoft.com*",
		"on-premises", "&lt;!channel&gt;"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "<!channel>") {
		t.Errorf("directory text reached Slack unescaped:\n%s", text)
	}
}

func TestDescribeAction(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a    revoke.Action
		err  error
		want string
	}{
		{revoke.ActionDisable, &revoke.Error{Kind: revoke.KindSynced}, "on-premises"},
		{revoke.ActionCompromised, &revoke.Error{Kind: revoke.KindUnlicensed}, "P2"},
		{revoke.ActionCompromised, &revoke.Error{Kind: revoke.KindForbidden, Code: "Authorization_RequestDenied", Permission: "IdentityRiskyUser.ReadWrite.All"}, "IdentityRiskyUser.ReadWrite.All"},
		{revoke.ActionSharePoint, &revoke.Error{Kind: revoke.KindForbidden}, "Sites.FullControl.All"},
		{revoke.ActionSharePoint, &revoke.Error{Kind: revoke.KindUnauthorized}, "certificate"},
		{revoke.ActionDisable, &revoke.Error{Kind: revoke.KindForbidden, Permission: "User.EnableDisableAccount.All"}, "higher admin role"},
		{revoke.ActionSessions, errors.New("boom"), "internal error"},
		// Each way a password reset fails has its own words.
		{revoke.ActionResetPassword, &revoke.Error{Kind: revoke.KindFederated}, "federated, so the password lives with the identity provider"},
		{revoke.ActionResetPassword, &revoke.Error{Kind: revoke.KindPasswordRefused}, "the tenant's password policy refused the new password"},
		{revoke.ActionResetPassword, &revoke.Error{Kind: revoke.KindSynced}, "does not write passwords back"},
		{revoke.ActionResetPassword, &revoke.Error{Kind: revoke.KindForbidden, Lacks: revoke.LacksPermission}, "lacks the application permission `User-PasswordProfile.ReadWrite.All`"},
		{revoke.ActionResetPassword, &revoke.Error{Kind: revoke.KindForbidden, Lacks: revoke.LacksRole}, "though the app holds `User-PasswordProfile.ReadWrite.All`: resetting a password also needs a directory role"},
		{revoke.ActionResetPassword, &revoke.Error{Kind: revoke.KindForbidden}, "needs the application permission `User-PasswordProfile.ReadWrite.All` and the app holding the User Administrator role"},
		{revoke.ActionEnable, &revoke.Error{Kind: revoke.KindSynced}, "enable it in on-premises Active Directory"},
		{revoke.ActionEnable, &revoke.Error{Kind: revoke.KindForbidden, Lacks: revoke.LacksRole}, "enabling an administrator needs the app to hold Privileged Authentication Administrator"},
		{revoke.ActionDisable, &revoke.Error{Kind: revoke.KindForbidden, Lacks: revoke.LacksPermission, Permission: "User.EnableDisableAccount.All"}, "User.EnableDisableAccount.All"},
		{revoke.ActionDismissRisk, &revoke.Error{Kind: revoke.KindUnlicensed}, "P2"},
	} {
		if got := describeAction(tc.a, tc.err); !strings.Contains(got, tc.want) {
			t.Errorf("describeAction(%s, %v) = %q, want it to say %q", tc.a, tc.err, got, tc.want)
		}
	}
	if got := describeAction(revoke.ActionDisable, &revoke.Error{Kind: revoke.KindForbidden, Lacks: revoke.LacksPermission, Permission: "User.EnableDisableAccount.All"}); strings.Contains(got, "admin role") {
		t.Errorf("a missing permission is not a missing role: %q", got)
	}
}

func TestRenderHistory(t *testing.T) {
	t.Parallel()
	if got := renderHistory("Alice", nil, nil); !strings.Contains(got, "no request about Alice") {
		t.Errorf("empty history = %q", got)
	}
	at := time.Date(2026, 11, 28, 3, 5, 0, 0, time.UTC)
	reqs := []store.Request{{ID: "rb-bbbb", Requester: "U01REQ", State: store.StateSucceeded, CreatedAt: at,
		Target: []byte(`{"user":{"id":"x"},"users":[{"id":"x"},{"id":"y"}],"actions":["disable","sessions"],"reason":"<!here> INC-1"}`)}}
	trails := [][]store.Record{{
		{Event: store.Event{Event: "requested", Actor: "U01REQ", Time: at}},
		{Event: store.Event{Event: "confirmed", Actor: "U01REQ", Time: at.Add(time.Minute)}},
		{Event: store.Event{Event: "succeeded", Actor: systemActor, Time: at.Add(2 * time.Minute)}},
	}}
	got := renderHistory("Alice", reqs, trails)
	for _, want := range []string{"`rb-bbbb`", "disable, sessions", "done", "2 users", "requested 03:05:00 <@U01REQ> → confirmed 03:06:00 <@U01REQ> → succeeded 03:07:00", "&lt;!here&gt;"} {
		if !strings.Contains(got, want) {
			t.Errorf("history lacks %q:\n%s", want, got)
		}
	}
}

// replicaLag is a directory that shows a write only from its n-th read on.
// Users are read back several at a time, hence the lock.
type replicaLag struct {
	mu       sync.Mutex
	reads, n int
	at       time.Time
}

func (r *replicaLag) ReadBack(context.Context, string) (revoke.Proof, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads++
	if r.reads < r.n {
		return revoke.Proof{AccountEnabled: true, SessionsValidFrom: r.at.Add(-24 * time.Hour)}, nil
	}
	return revoke.Proof{SessionsValidFrom: r.at}, nil
}

// TestProofsWaitForReplication: a read-back that does not show the actions
// yet is tried again; one that never does says so instead of claiming the
// user is still enabled without a word.
func TestProofsWaitForReplication(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 28, 3, 5, 0, 0, time.UTC)
	out := userOutcome{User: alice, RevokedAt: at.Add(300 * time.Millisecond), Actions: []actionOutcome{
		{Action: revoke.ActionDisable, OK: true}, {Action: revoke.ActionSessions, OK: true}}}
	for _, tc := range []struct {
		n, reads int
		warned   bool
	}{{1, 1, false}, {2, 2, false}, {3, 3, false}, {4, readBackTries, true}} {
		lag := &replicaLag{n: tc.n, at: at}
		b := &executor{&env{cfg: Config{Prover: lag, ReadBackWait: time.Millisecond}}}
		words, _, _ := b.proofs(context.Background(), []userOutcome{out})
		got := words[0]
		if lag.reads != tc.reads || strings.Contains(got, "replicate") != tc.warned {
			t.Errorf("visible from read %d: %d reads, words %q", tc.n, lag.reads, got)
		}
		if !tc.warned && !strings.Contains(got, "sign-in *blocked*") {
			t.Errorf("visible from read %d: %q", tc.n, got)
		}
	}
}
