package request

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// TestSnapshotBoundedAndClean: a user with thousands of rules keeps the
// first snapshotMost and a count of the rest; a part not read says why; a
// pending listing is named; the document holds no token or password.
func TestSnapshotBoundedAndClean(t *testing.T) {
	t.Parallel()
	rules := make([]revoke.Rule, 10_000)
	for i := range rules {
		rules[i] = revoke.Rule{ID: "r", Name: "fwd", Enabled: true, ForwardTo: []string{"x@evil.example"}}
	}
	tgt := requestTarget{Users: []revoke.User{alice, carol}, Listed: map[string]userListing{
		alice.ID: {Rules: rules, MethodsError: "Graph is throttling revokebot (429)"},
		carol.ID: {Pending: true},
	}}
	s := takeSnapshot(store.Request{ID: "rb-x"}, tgt, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), logsNone)
	a, c := s.Users[0], s.Users[1]
	if len(a.Rules) != snapshotMost || a.Left["inbox_rules"] != 10_000-snapshotMost {
		t.Errorf("rules kept %d, left %v", len(a.Rules), a.Left)
	}
	if a.NotRead["methods"] == "" || c.NotRead["listing"] == "" {
		t.Errorf("not read: alice %v, carol %v", a.NotRead, c.NotRead)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"schema":"revokebot-snapshot/1"`) || strings.Contains(strings.ToLower(string(raw)), "password\":") {
		t.Errorf("document: %.300s", raw)
	}
}
