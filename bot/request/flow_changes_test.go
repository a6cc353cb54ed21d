package request

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/revoke"
)

// auditLog is the directory audit log's events by user, or an error.
type auditLog struct {
	by  map[string][]revoke.DirectoryEvent
	err error
}

func (a auditLog) DirectoryAudits(_ context.Context, userID string, _ time.Time, _ int) ([]revoke.DirectoryEvent, error) {
	return a.by[userID], a.err
}

// TestFlowRecentChanges: the card lists each user's security changes, at
// most five, newest first as the log gives them, naming an app as an app
// and a failed attempt as failed, with directory text cleaned; a log that
// cannot be read is said, and the card still works.
func TestFlowRecentChanges(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	var evs []revoke.DirectoryEvent
	for i := range 7 {
		evs = append(evs, revoke.DirectoryEvent{At: at.Add(-time.Duration(i) * time.Hour), Activity: "User registered security info", By: "alice@contoso.com", IP: "203.0.113.66"})
	}
	evs = append([]revoke.DirectoryEvent{
		{At: at.Add(time.Hour), Activity: "Consent to application", By: "Evil *Mailer*\n", ByApp: true, Result: "failure"},
		{At: at.Add(time.Hour), Activity: "Update user", By: "hr-sync"},
	}, evs...)
	f := newFlow(t, func(c *Config) { c.Changes = auditLog{by: map[string][]revoke.DirectoryEvent{alice.ID: evs}} })
	f.command(uReq, chInc, "alice carol --disable")
	f.deliver()
	card := f.msg.everything()
	for _, want := range []string{"Consent to application by the app Evil ∗Mailer∗ (failure)", "from `203.0.113.66`", "Recent security changes: none in 7 days."} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}
	if n := strings.Count(card, "User registered security info"); n != 4 || strings.Contains(card, "Update user") {
		t.Errorf("%d registrations shown (want 4, after the consent: five in all), or an update that does not matter:\n%s", n, card)
	}

	g := newFlow(t, func(c *Config) {
		c.Changes = auditLog{err: &revoke.Error{Kind: revoke.KindForbidden, Op: "read the directory audit log", Status: 403, Permission: "AuditLog.Read.All"}}
	})
	g.command(uReq, chInc, "alice")
	g.deliver()
	if card := g.msg.everything(); !strings.Contains(card, "Recent security changes could not be read") || !strings.Contains(card, "Revoke sessions") {
		t.Errorf("card:\n%s", card)
	}
}
