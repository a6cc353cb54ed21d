package request

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// TestCardWithinLimitsWithLongListings: 20 users, each with more methods,
// consents and rules than fit, still make a card of at most 50 blocks and
// sections of at most 3,000 characters, saying that the thread lists the rest.
func TestCardWithinLimitsWithLongListings(t *testing.T) {
	t.Parallel()
	tgt := requestTarget{Actions: []revoke.Action{revoke.ActionSessions, revoke.ActionMFA, revoke.ActionConsents, revoke.ActionMailbox},
		Listed: map[string]userListing{}}
	for i := range MaxTargets {
		u := revoke.User{ID: fmt.Sprintf("u%02d", i), UPN: fmt.Sprintf("user%d@contoso.com", i), DisplayName: "User", UserType: "Member", AccountEnabled: true}
		tgt.Users = append(tgt.Users, u)
		var l userListing
		for j := range 40 {
			l.Methods = append(l.Methods, revoke.Method{ID: fmt.Sprint(j), Type: "fido2", Label: strings.Repeat("key ", 10)})
			l.Grants = append(l.Grants, revoke.Grant{ID: fmt.Sprint(j), ClientName: "App", Scope: strings.Repeat("Mail.Read ", 8)})
			l.Rules = append(l.Rules, revoke.Rule{ID: fmt.Sprint(j), Name: "r", Enabled: true, ForwardTo: []string{"x@evil.example"}})
		}
		tgt.Listed[u.ID] = l
	}
	tgt.User = tgt.Users[0]
	c := card{RequestID: "rb-x", Requester: "UREQ", State: store.StatePending, Target: tgt}
	_, blocks := renderContainCard(c)
	if len(blocks) > 50 {
		t.Fatalf("%d blocks", len(blocks))
	}
	clipped := false
	for _, b := range blocks {
		if n := utf8.RuneCountInString(b.Text); n > 3000 {
			t.Fatalf("a section of %d characters", n)
		}
		clipped = clipped || strings.Contains(b.Text, "the thread lists everything removed")
	}
	if !clipped {
		t.Error("a clipped section does not say so")
	}
}

func TestClipReply(t *testing.T) {
	t.Parallel()
	if got := clipReply("short"); got != "short" {
		t.Fatal(got)
	}
	long := clipReply(strings.Repeat("é", 50000))
	if n := utf8.RuneCountInString(long); n > maxReply || !strings.Contains(long, "its own record in the audit log") {
		t.Fatalf("%d characters", n)
	}
}
