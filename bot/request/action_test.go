package request

import (
	"slices"
	"testing"

	"github.com/revokebot/revokebot/revoke"
)

// TestActionsAreTheList: the actions' values run in the order the grammar,
// the policy and `check` take (revoke.Order), a release's in
// revoke.ReleaseOrder, and each says everything the workflow asks of it.
func TestActionsAreTheList(t *testing.T) {
	t.Parallel()
	names := func(as []*action) []revoke.Action {
		out := make([]revoke.Action, len(as))
		for i, a := range as {
			out[i] = a.name
		}
		return out
	}
	if got := names(containActions); !slices.Equal(got, revoke.Order) {
		t.Errorf("containment actions %v, revoke.Order %v", got, revoke.Order)
	}
	if got := names(releaseActions); !slices.Equal(got, revoke.ReleaseOrder) {
		t.Errorf("release steps %v, revoke.ReleaseOrder %v", got, revoke.ReleaseOrder)
	}
	for _, a := range append(slices.Clone(containActions), releaseActions...) {
		if a.line == "" || a.short == "" || a.verb == "" || a.missing == nil || a.run == nil {
			t.Errorf("%s: line %q, short %q, verb %q, missing set %v, run set %v", a.name, a.line, a.short, a.verb, a.missing != nil, a.run != nil)
		}
		if (a.list == nil) != (a.lines == nil) {
			t.Errorf("%s lists for the card but does not word it, or the other way round", a.name)
		}
		if actionOf(a.name) != a {
			t.Errorf("actionOf(%s) is another value", a.name)
		}
	}
	if actionOf("frobnicate") != nil {
		t.Error("actionOf knows an action nobody made")
	}
}
