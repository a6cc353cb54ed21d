package request

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

type enabler struct{ *actor }

func (e enabler) EnableUser(_ context.Context, id string) (revoke.Result, error) { return e.do(id) }

// risks is Identity Protection's view: a level and state by user, and the
// users dismissed.
type risks struct {
	mu        sync.Mutex
	level     map[string]string
	state     map[string]string
	dismissed []string
}

func (r *risks) UserRisk(_ context.Context, id string) (string, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.level[id]; ok {
		return l, r.state[id], nil
	}
	return "none", "", nil
}

func (r *risks) DismissRisk(_ context.Context, id string) (revoke.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dismissed = append(r.dismissed, id)
	r.level[id], r.state[id] = "none", "dismissed"
	return revoke.Result{}, nil
}

// TestFlowRelease: a release card shows each user's risk and whom revokebot
// never contained; neither the requester's confirm nor their own approval
// moves it; an approver's does, and then sign-in is allowed for every user,
// risk dismissed only where Identity Protection holds it, nothing removed
// restored.
func TestFlowRelease(t *testing.T) {
	t.Parallel()
	en := &actor{}
	rk := &risks{level: map[string]string{alice.ID: "high"}, state: map[string]string{alice.ID: "atRisk"}}
	ms := &methods{by: map[string][]revoke.Method{alice.ID: {{ID: "m1", Type: "microsoftAuthenticator", Label: "Pixel 9"}}}}
	f := newFlow(t, func(c *Config) { c.Enabler, c.Risk, c.Methods = enabler{en}, rk, ms })
	f.command(uReq, chInc, "alice --disable --mfa")
	contained := f.newest()
	f.click(uReq, ActionConfirm, contained)
	f.deliver()

	f.command(uReq, chInc, `release alice carol@contoso.com --reason "INC-42 closed"`)
	r := f.newest()
	if r.State != store.StatePending || !r.NeedsApproval {
		t.Fatalf("release request %s, needs approval %t", r.State, r.NeedsApproval)
	}
	f.deliver()
	card := f.msg.everything()
	for _, want := range []string{"Release 2 users", "let these accounts back in", "at risk (level high, atRisk): it will be dismissed",
		"does not have this user at risk (level none)", "no record of containing this user", "Let sign-in again",
		"stay so", "other than the requester must approve", ActionApprove} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}
	if n := strings.Count(card, "no record of containing"); n != 1 {
		t.Errorf("%d users said never contained; only carol was", n)
	}

	f.click(uReq, ActionConfirm, r)
	f.click(uReq, ActionApprove, r)
	if got := f.get(r.ID).State; got != store.StatePending || en.count() != 0 {
		t.Fatalf("the requester moved their own release: %s, %d enabled", got, en.count())
	}
	f.click(uApp, ActionApprove, r)
	if got := f.get(r.ID).State; got != store.StateSucceeded {
		t.Fatalf("state %s after approval", got)
	}
	if en.count() != 2 || len(rk.dismissed) != 1 || rk.dismissed[0] != alice.ID {
		t.Errorf("enabled %v, dismissed %v", en.calls, rk.dismissed)
	}
	f.deliver()
	th := f.msg.text(chInc)
	for _, want := range []string{"Sign-in allowed again", "User risk (level high, atRisk) dismissed", "nothing to dismiss",
		"Exchange Online may take 35–40 minutes", "SharePoint and Teams about 15", "Nothing removed comes back"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}
	if ev := f.events(r.ID); !strings.Contains(ev, "requested") || !strings.Contains(ev, "approved") {
		t.Errorf("events %s", ev)
	}

	f.command(uReq, chInc, "history alice")
	f.command(uReq, chInc, "status "+r.ID)
	f.command(uReq, chInc, "status "+contained.ID)
	private := strings.Join(f.msg.privates, "\n")
	for _, want := range []string{"release (enable, dismiss-risk)", "disable, sessions, mfa", "Release: let sign-in again, dismiss user risk",
		"User risk (level high, atRisk) dismissed", "Actions: Block sign-in, revoke sessions, remove authentication methods",
		"Microsoft Authenticator: Pixel 9"} {
		if !strings.Contains(private, want) {
			t.Errorf("history and status lack %q:\n%s", want, private)
		}
	}
}

// TestFlowReleaseRefusals: a release is refused, changing nothing, when
// this revokebot cannot enable users or the caller may not request; and
// its command takes no action options.
func TestFlowReleaseRefusals(t *testing.T) {
	t.Parallel()
	f := newFlow(t, nil)
	f.command(uReq, chInc, "release alice")
	if rs, _ := f.st.InState(f.ctx, store.StatePending); len(rs) != 0 {
		t.Fatal("a release was recorded without an Enabler")
	}
	if got := strings.Join(f.msg.privates, "\n"); !strings.Contains(got, "not configured") {
		t.Errorf("reply %q", got)
	}
	en := &actor{}
	f = newFlow(t, func(c *Config) { c.Enabler = enabler{en} })
	f.command(uStr, chInc, "release alice")
	if rs, _ := f.st.InState(f.ctx, store.StatePending); len(rs) != 0 || en.count() != 0 {
		t.Fatal("a stranger's release was recorded")
	}
	for text, want := range map[string]string{"release": "Name a user to let back in", "release alice --mfa": "takes no action options",
		"release <!channel>": "is not a user"} {
		if c := Parse(text); c.Kind != CmdInvalid || !strings.Contains(c.Error, want) {
			t.Errorf("Parse(%q) = %+v", text, c)
		}
	}
	if c := Parse(`RELEASE alice bob --reason "x"`); c.Kind != CmdRelease || len(c.Targets) != 2 || c.Reason != "x" {
		t.Errorf("Parse = %+v", c)
	}
}
