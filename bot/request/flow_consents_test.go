package request

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// grants is a user's delegated grants; refuse fails one delete.
type grants struct {
	mu      sync.Mutex
	by      map[string][]revoke.Grant
	deleted []string
	refuse  map[string]error
}

func (g *grants) Grants(_ context.Context, userID string) ([]revoke.Grant, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.by[userID], nil
}

func (g *grants) DeleteGrant(_ context.Context, id string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.refuse[id]; err != nil {
		return err
	}
	g.deleted = append(g.deleted, id)
	return nil
}

// TestFlowConsents: the card lists each grant; a delete Graph refuses is
// reported with its reason and the others removed, each recorded whole in
// the outcome audit record; input in an app's name is escaped. The card's
// scopes are cleaned like any name (a dot between letters is U+2024, so
// that no scope reads as a link); the audit record keeps them exactly.
func TestFlowConsents(t *testing.T) {
	t.Parallel()
	gs := &grants{by: map[string][]revoke.Grant{alice.ID: {
		{ID: "g1", ClientID: "c1", ClientName: "<!channel> Mailer", AppID: "a1", ResourceID: "r1", Scope: "Mail.Read offline_access"},
		{ID: "g2", ClientID: "c2", ClientName: "Drive Sync", AppID: "a2", ResourceID: "r1", Scope: "Files.Read"},
	}}, refuse: map[string]error{"g2": &revoke.Error{Kind: revoke.KindForbidden, Op: "remove a grant", Status: 403,
		Permission: "DelegatedPermissionGrant.ReadWrite.All"}}}
	f := newFlow(t, func(c *Config) { c.Grants = gs })
	f.command(uReq, chInc, "alice --consents")
	r := f.newest()
	f.deliver()
	card := f.msg.everything()
	if !strings.Contains(card, "App consents to remove (2):") || !strings.Contains(card, "&lt;!channel&gt; Mailer: Mail\u2024Read, offline_access") ||
		strings.Contains(card, "<!channel>") {
		t.Fatalf("card:\n%s", card)
	}
	f.click(uReq, ActionConfirm, r)
	if got := f.get(r.ID).State; got != store.StateFailed {
		t.Fatalf("state %s", got)
	}
	f.deliver()
	th := f.msg.text(chInc)
	for _, want := range []string{"Removing app consents partly failed", "Removed 1 app consent", "grant `g1`: client &lt;!channel&gt; Mailer (`c1`, app ID `a1`), resource `r1`, scopes `Mail.Read offline_access`",
		"Could not remove 1 app consent", "Drive Sync: Files\u2024Read: ", "DelegatedPermissionGrant.ReadWrite.All"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}
	trail, err := f.st.AuditTrail(f.ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	kept := false
	for _, rec := range trail {
		kept = kept || (rec.Event.Event == string(EvOutcome) && strings.Contains(rec.Detail, "scopes `Mail.Read offline_access`"))
	}
	if !kept || len(gs.deleted) != 1 {
		t.Errorf("outcome record keeps the grant: %v; deleted %v", kept, gs.deleted)
	}
}
