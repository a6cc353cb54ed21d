package request

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// methods is a user's authentication methods; listErr fails the next
// listing, refuse fails the removal of one method.
type methods struct {
	mu      sync.Mutex
	by      map[string][]revoke.Method
	listErr error
	refuse  map[string]error
}

func (m *methods) AuthMethods(_ context.Context, userID string) ([]revoke.Method, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.listErr; err != nil {
		m.listErr = nil
		return nil, err
	}
	return append([]revoke.Method{{ID: "pw", Type: "password"}}, m.by[userID]...), nil
}

func (m *methods) RemoveAuthMethods(_ context.Context, userID string, ms []revoke.Method) ([]revoke.Method, map[string]error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var removed []revoke.Method
	failed := map[string]error{}
	for _, x := range ms {
		if x.Password() {
			panic("asked to remove the password")
		}
		if err := m.refuse[x.ID]; err != nil {
			failed[x.ID] = err
			continue
		}
		removed = append(removed, x)
	}
	return removed, failed
}

// TestFlowMFA: a listing that fails before the card says so and the action
// still lists again when it runs; a method Graph refuses to remove is
// reported with its reason, the others removed, and the request failed.
func TestFlowMFA(t *testing.T) {
	t.Parallel()
	ms := &methods{by: map[string][]revoke.Method{alice.ID: {
		{ID: "m1", Type: "phone", Label: "mobile ••••0123"},
		{ID: "m2", Type: "softwareOath", Label: "software OATH token"},
	}}, listErr: &revoke.Error{Kind: revoke.KindThrottled, Op: "list methods", Status: 429},
		refuse: map[string]error{"m2": &revoke.Error{Kind: revoke.KindForbidden, Op: "remove a method", Status: 403,
			Permission: "UserAuthenticationMethod.ReadWrite.All"}}}
	f := newFlow(t, func(c *Config) { c.Methods = ms })
	f.command(uReq, chInc, "alice --mfa")
	r := f.newest()
	f.deliver()
	if card := f.msg.everything(); !strings.Contains(card, "could not be listed") {
		t.Fatalf("card:\n%s", card)
	}
	f.click(uReq, ActionConfirm, r)
	if got := f.get(r.ID).State; got != store.StateFailed {
		t.Fatalf("state %s", got)
	}
	f.deliver()
	th := f.msg.text(chInc)
	for _, want := range []string{"Removing authentication methods partly failed", "Removed 1 authentication method",
		"phone: mobile ••••0123", "Could not remove 1 authentication method", "software OATH token: ", "UserAuthenticationMethod.ReadWrite.All"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}
	if strings.Contains(th, "new since the card") {
		t.Error("with no listing on the card, nothing can be called new")
	}
}
