package request

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/revokebot/revokebot/revoke"
)

// userListing is what the card shows will be removed from one user, read
// before the card is posted.
type userListing struct {
	Methods []revoke.Method `json:"methods,omitempty"`
	// MethodsError says why the methods could not be listed; the action
	// still runs and lists them again.
	MethodsError string         `json:"methods_error,omitempty"`
	Grants       []revoke.Grant `json:"grants,omitempty"`
	GrantsError  string         `json:"grants_error,omitempty"`
	Rules        []revoke.Rule  `json:"rules,omitempty"` // the suspicious ones
	OtherRules   int            `json:"other_rules,omitempty"`
	RulesError   string         `json:"rules_error,omitempty"`
	// For a release: the user's risk as Identity Protection had it, and
	// whether revokebot has no record of containing them.
	RiskLevel      string `json:"risk_level,omitempty"`
	RiskState      string `json:"risk_state,omitempty"`
	RiskError      string `json:"risk_error,omitempty"`
	NeverContained bool   `json:"never_contained,omitempty"`
}

// Listing bounds: the lookups of a card run together, a few at a time, and
// the card waits for them at most listWait (Graph's methods listing may
// take up to a minute; the responder should not).
const (
	listParallel = 8
	listWait     = 10 * time.Second
)

// listBeforeCard reads, for every user, what the request's listing actions
// will remove. Nil when no action lists anything.
func (b *executor) listBeforeCard(ctx context.Context, users []revoke.User, actions []revoke.Action) map[string]userListing {
	mfa := slices.Contains(actions, revoke.ActionMFA) && b.cfg.Methods != nil
	consents := slices.Contains(actions, revoke.ActionConsents) && b.cfg.Grants != nil
	mailbox := slices.Contains(actions, revoke.ActionMailbox) && b.cfg.Rules != nil
	if !mfa && !consents && !mailbox {
		return nil
	}
	return listEach(ctx, users, func(ctx context.Context, u revoke.User) userListing {
		// The user's listings are separate services (directory,
		// authentication, Exchange): read them at once.
		var l userListing
		var one sync.WaitGroup
		if mfa {
			one.Go(func() {
				ms, err := b.cfg.Methods.AuthMethods(ctx, u.ID)
				if err != nil {
					l.MethodsError = describe(err)
				}
				l.Methods = removable(ms)
			})
		}
		if consents {
			one.Go(func() {
				gs, err := b.cfg.Grants.Grants(ctx, u.ID)
				if err != nil {
					l.GrantsError = describe(err)
				}
				l.Grants = gs
			})
		}
		if mailbox {
			one.Go(func() {
				rs, err := b.cfg.Rules.InboxRules(ctx, u.ID)
				if err != nil {
					l.RulesError = describe(err)
				}
				l.Rules, l.OtherRules = suspicious(rs)
			})
		}
		one.Wait()
		return l
	})
}

// listEach reads a card's listing of every user, listParallel at a time,
// within listWait in all.
func listEach(ctx context.Context, users []revoke.User, list func(context.Context, revoke.User) userListing) map[string]userListing {
	ctx, cancel := context.WithTimeout(ctx, listWait)
	defer cancel()
	out := make(map[string]userListing, len(users))
	var mu sync.Mutex
	sem := make(chan struct{}, listParallel)
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			l := list(ctx, u)
			mu.Lock()
			out[u.ID] = l
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// removable leaves the password out: it is never removed.
func removable(ms []revoke.Method) []revoke.Method {
	return slices.DeleteFunc(slices.Clone(ms), revoke.Method.Password)
}

// listingLines words, under a user's line on the card, what will be removed.
func listingLines(l userListing, actions []revoke.Action) string {
	s := ""
	if slices.Contains(actions, revoke.ActionMFA) {
		s += methodLines(l)
	}
	if slices.Contains(actions, revoke.ActionConsents) {
		s += grantLines(l)
	}
	if slices.Contains(actions, revoke.ActionMailbox) {
		s += ruleLines(l)
	}
	return s
}

func methodLines(l userListing) string {
	switch {
	case l.MethodsError != "":
		return "\n:grey_question: Authentication methods could not be listed (" + l.MethodsError + "); they are listed again when the actions run."
	case len(l.Methods) == 0:
		return "\nAuthentication methods to remove: none besides the password."
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nAuthentication methods to remove (%d; the password stays):", len(l.Methods))
	for _, m := range l.Methods {
		sb.WriteString("\n• " + methodWords(m))
	}
	return sb.String()
}

// methodWords names a method for a person: type, label, when registered.
func methodWords(m revoke.Method) string {
	s := Escape(methodType(m.Type))
	if m.Label != "" && m.Label != methodType(m.Type) {
		s += ": " + Escape(m.Label)
	}
	if !m.Created.IsZero() {
		s += ", registered " + m.Created.UTC().Format("2006-01-02 15:04 UTC")
	}
	return s
}

func methodType(t string) string {
	switch t {
	case "email":
		return "e-mail"
	case "external":
		return "external authentication method"
	case "fido2":
		return "FIDO2 security key"
	case "microsoftAuthenticator":
		return "Microsoft Authenticator"
	case "softwareOath":
		return "software OATH token"
	case "temporaryAccessPass":
		return "Temporary Access Pass"
	case "windowsHelloForBusiness":
		return "Windows Hello for Business"
	case "platformCredential":
		return "platform credential"
	}
	return t
}

// sectionLimit is Slack's ceiling on a section's text.
const sectionLimit = 3000

// clipSection keeps a card section within Slack's limit, saying so.
func clipSection(s string) string {
	if len([]rune(s)) <= sectionLimit {
		return s
	}
	const more = "\n… and more: the thread lists everything removed."
	return clipRunes(s, sectionLimit-len([]rune(more))-1) + more
}

// removeMethods lists the user's methods again and removes every one but
// the password: the words say what was removed, what was new since the
// card, and what failed and why.
func (b *executor) removeMethods(ctx context.Context, userID string, shown userListing) (string, error) {
	ms, err := b.cfg.Methods.AuthMethods(ctx, userID)
	if err != nil {
		return "", err
	}
	ms = removable(ms)
	if len(ms) == 0 {
		return "No authentication method to remove besides the password.", nil
	}
	removed, failed := b.cfg.Methods.RemoveAuthMethods(ctx, userID, ms)
	ids := make([]string, len(shown.Methods))
	for i, m := range shown.Methods {
		ids[i] = m.ID
	}
	t := newTally(shown.MethodsError == "", ids)
	for _, m := range removed {
		t.ok(m.ID, methodWords(m)+" (`"+Escape(m.ID)+"`)")
	}
	for _, m := range ms {
		if err := failed[m.ID]; err != nil {
			t.fail(methodWords(m)+": "+describe(err), err)
		}
	}
	return t.words("authentication method", "Removed %s:", "Could not remove %s:", "")
}

// partialError is an action that did part of its work: its words already
// say what was and was not done.
type partialError struct {
	words string
	err   error
}

func (e *partialError) Error() string { return e.err.Error() }
func (e *partialError) Unwrap() error { return e.err }
