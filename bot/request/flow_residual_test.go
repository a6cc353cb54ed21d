package request

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// liveRules is a mailbox's inbox rules that a disable really disables,
// except those in refuse, which Graph refuses to change.
type liveRules struct {
	mu     sync.Mutex
	by     map[string][]revoke.Rule
	refuse []string
}

func (r *liveRules) InboxRules(_ context.Context, userID string) ([]revoke.Rule, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.by[userID]), nil
}

func (r *liveRules) DisableRule(_ context.Context, userID, ruleID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(r.refuse, ruleID) {
		return &revoke.Error{Kind: revoke.KindForbidden, Op: "disable an inbox rule", Status: 403}
	}
	for i := range r.by[userID] {
		if r.by[userID][i].ID == ruleID {
			r.by[userID][i].Enabled = false
		}
	}
	return nil
}

// containedProver reads every user back as contained at the flow's click.
type containedProver struct{ enabled bool }

func (p containedProver) ReadBack(context.Context, string) (revoke.Proof, error) {
	return revoke.Proof{AccountEnabled: p.enabled, SessionsValidFrom: clickTime}, nil
}

// TestFlowAccessLeft: after the actions each user is read again and each
// action's target held against the card: a rule Graph would not disable
// is flagged as still there, by name; what went is said gone; a request
// whose actions all took hold has no flag.
func TestFlowAccessLeft(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		refuse     []string
		enabled    bool
		disableErr error
		want       []string
		flagged    bool
	}{
		{"a rule refused", []string{"z"}, false, nil, []string{":x: *Still there* (", "1 rule that forwards, redirects or deletes mail still enabled: “to-evil”",
			":white_check_mark: Gone (block sign-in): sign-in is blocked", ":white_check_mark: Gone (revoke sessions): sessions are valid from"}, true},
		{"a disable refused", nil, true, &revoke.Error{Kind: revoke.KindForbidden, Status: 403}, []string{":x: *Still there* (block sign-in): sign-in is still allowed",
			":white_check_mark: Gone (disable suspicious inbox rules): no enabled rule Graph shows", "(2 listed before)"}, true},
		{"a disable not replicated yet", nil, true, nil, []string{":grey_question: (block sign-in): Not checked: Graph does not show it yet"}, false},
		{"all gone", nil, false, nil, []string{"no enabled rule Graph shows forwards, redirects or deletes mail (2 listed before); hidden rules were not checked"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rs := &liveRules{refuse: tc.refuse, by: map[string][]revoke.Rule{alice.ID: {
				{ID: "a", Name: "fwd", Enabled: true, ForwardTo: []string{"x@evil.example"}},
				{ID: "z", Name: "to-evil", Enabled: true, RedirectTo: []string{"y@evil.example"}},
			}}}
			f := newFlow(t, func(c *Config) { c.Rules, c.Prover = rs, containedProver{enabled: tc.enabled} })
			f.disable.err = tc.disableErr
			f.command(uReq, chInc, "alice --disable --mailbox")
			r := f.newest()
			f.click(uReq, ActionConfirm, r)
			trail, err := f.st.AuditTrail(f.ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			var said string
			for _, rec := range trail {
				if rec.Event.Event == string(EvReadBack) {
					said = rec.Detail
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(said, w) {
					t.Errorf("the read-back lacks %q:\n%s", w, said)
				}
			}
			if flagged := strings.HasPrefix(said, ":x: *Access is left after the actions:*"); flagged != tc.flagged {
				t.Errorf("flagged %v, want %v:\n%s", flagged, tc.flagged, said)
			}
			if got := f.get(r.ID).State; (tc.refuse != nil || tc.disableErr != nil) && got != store.StateFailed {
				t.Errorf("state %s", got)
			}
		})
	}
}
