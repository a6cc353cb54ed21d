package request

import (
	"encoding/json"
	"slices"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// requestTarget is what a request stores about whom it will hit and how.
// A request of an earlier version holds User only, and revoked sessions.
type requestTarget struct {
	User       revoke.User     `json:"user"`
	Users      []revoke.User   `json:"users,omitempty"`
	Actions    []revoke.Action `json:"actions,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Unresolved []string        `json:"unresolved,omitempty"` // targets not found, in words
	All        *preview        `json:"all,omitempty"`
	// Listed is what the card showed would be removed, by user ID: what
	// the actions find beyond it is reported as new since the card.
	Listed map[string]userListing `json:"listed,omitempty"`
	// Release marks a /revoke release: Actions are revoke.ReleaseOrder's.
	Release bool `json:"release,omitempty"`
	// Alert is the detection an alert card was opened from; nil for a
	// person's request.
	Alert *alertOrigin `json:"alert,omitempty"`
}

func targetsOf(r store.Request) requestTarget {
	var t requestTarget
	_ = json.Unmarshal(r.Target, &t)
	if len(t.Users) == 0 && t.User.ID != "" {
		t.Users = []revoke.User{t.User}
	}
	if len(t.Actions) == 0 {
		t.Actions = []revoke.Action{revoke.ActionSessions}
	}
	return t
}

// plainRevoke reports whether a request is the original form: one user,
// sessions only. Its card and messages keep their words.
func (t requestTarget) plainRevoke() bool {
	return len(t.Users) == 1 && slices.Equal(t.Actions, []revoke.Action{revoke.ActionSessions})
}

// actionsFor is the set of actions a /revoke runs: the policy's defaults,
// those named on the command, and always sessions, in the order they run.
func actionsFor(policy []string, c Command) []revoke.Action {
	want := map[revoke.Action]bool{revoke.ActionSessions: true}
	for _, a := range c.Actions {
		want[a] = true
	}
	for _, a := range policy {
		want[revoke.Action(a)] = true
	}
	var out []revoke.Action
	for _, a := range revoke.Order {
		if want[a] {
			out = append(out, a)
		}
	}
	return out
}

// unavailable says why this deployment cannot run an action, or "" when it can.
func (b *executor) unavailable(a revoke.Action) string {
	act := actionOf(a)
	if act == nil {
		return "revokebot does not know the action `" + Escape(string(a)) + "`."
	}
	return act.missing(b.cfg)
}

// actionLine names an action on a card, in the order it runs.
func actionLine(a revoke.Action) string {
	if act := actionOf(a); act != nil {
		return act.line
	}
	return string(a)
}
