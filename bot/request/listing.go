package request

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// userListing is what the card shows will be removed from one user, read
// before the card is posted or, when Graph's budget holds it up, after.
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
	// The hidden inbox rules --mailbox will disable (Exchange only):
	// HiddenRead when they were listed.
	Hidden      []revoke.Rule `json:"hidden,omitempty"`
	HiddenRead  bool          `json:"hidden_read,omitempty"`
	HiddenError string        `json:"hidden_error,omitempty"`
	// The user's recent security changes from the directory audit log
	// (listing_changes.go): ChangesRead when they were read.
	Changes      []revoke.DirectoryEvent `json:"changes,omitempty"`
	ChangesRead  bool                    `json:"changes_read,omitempty"`
	ChangesError string                  `json:"changes_error,omitempty"`
	// The mailbox's own forwarding, for --forwarding: nil when not read.
	Forwarding      *revoke.Forwarding `json:"forwarding,omitempty"`
	ForwardingError string             `json:"forwarding_error,omitempty"`
	// The mailbox's protocols that are on, for --protocols (ProtocolsRead
	// when they were read); for a release, those revokebot turned off.
	ProtocolsOn    []revoke.Protocol `json:"protocols_on,omitempty"`
	ProtocolsRead  bool              `json:"protocols_read,omitempty"`
	ProtocolsError string            `json:"protocols_error,omitempty"`
	Restore        []revoke.Protocol `json:"restore,omitempty"`
	RestoreError   string            `json:"restore_error,omitempty"`
	// The user's chat (Slack) account, found by their e-mail, for --slack.
	ChatUser  string `json:"chat_user,omitempty"`
	ChatName  string `json:"chat_name,omitempty"`
	ChatNone  bool   `json:"chat_none,omitempty"` // looked for, and none has their e-mail
	ChatError string `json:"chat_error,omitempty"`
	// For a release: the user's risk as Identity Protection had it, and
	// whether revokebot has no record of containing them.
	RiskLevel      string `json:"risk_level,omitempty"`
	RiskState      string `json:"risk_state,omitempty"`
	RiskError      string `json:"risk_error,omitempty"`
	NeverContained bool   `json:"never_contained,omitempty"`
	// The account's sign-in state when the card was listed, for the
	// evidence snapshot (listing_state.go): nil when not read.
	State      *revoke.Proof `json:"state,omitempty"`
	StateError string        `json:"state_error,omitempty"`
	// Pending marks a listing still being read when the card was posted:
	// the card fills it in as it arrives (fillIn).
	Pending bool `json:"pending,omitempty"`
}

// Listing bounds. A card waits for its listings at most listQuick: Graph
// lets revokebot read only 5 users' authentication methods per 10 s, so
// 20 users' take 40 s, and the responder should see the card at once.
// What is not read by then is shown as being listed and filled in as it
// arrives, within listLimit in all; the lookups run listParallel at a time.
const (
	listParallel = 8
	listQuick    = 500 * time.Millisecond
	listLimit    = 2 * time.Minute
)

// cardListing is a card's listings: every user's, read or pending, and the
// pending ones as they arrive.
type cardListing struct {
	first  map[string]userListing
	rest   <-chan listed // nil when nothing is pending; closed when all are in
	cancel context.CancelFunc
}

// listed is one user's listing.
type listed struct {
	id string
	l  userListing
}

// listBeforeCard reads, for every user, what the request's listing actions
// will remove. Nothing when no action lists anything.
func (b *executor) listBeforeCard(ctx context.Context, users []revoke.User, actions []revoke.Action) cardListing {
	var lists []func(context.Context, revoke.User) func(*userListing)
	if b.cfg.Changes != nil {
		lists = append(lists, b.listChanges)
	}
	if b.cfg.Prover != nil {
		lists = append(lists, b.listState)
	}
	for _, a := range actions {
		if act := actionOf(a); act != nil && act.list != nil && act.missing(b.cfg) == "" {
			lists = append(lists, func(ctx context.Context, u revoke.User) func(*userListing) { return act.list(b, ctx, u) })
		}
	}
	if len(lists) == 0 {
		return cardListing{}
	}
	return listEach(ctx, users, func(ctx context.Context, u revoke.User) userListing {
		// The user's listings are separate services (directory,
		// authentication, Exchange): read them at once. Each action
		// writes only its own fields.
		var l userListing
		var mu sync.Mutex
		var one sync.WaitGroup
		for _, list := range lists {
			one.Go(func() {
				set := list(ctx, u)
				mu.Lock()
				set(&l)
				mu.Unlock()
			})
		}
		one.Wait()
		return l
	})
}

// listEach reads a card's listing of every user, listParallel at a time,
// within listLimit; it returns after listQuick at most, with the users not
// read by then Pending and their listings to come on rest. The reads go on
// past the caller's context, which ends with the command's handling: the
// card's fill-in (fillIn) stops them by cancel.
func listEach(ctx context.Context, users []revoke.User, list func(context.Context, revoke.User) userListing) cardListing {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), listLimit)
	all := make(chan listed, len(users))
	go func() {
		sem := make(chan struct{}, listParallel)
		var wg sync.WaitGroup
		for _, u := range users {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				all <- listed{u.ID, list(ctx, u)}
			})
		}
		wg.Wait()
		close(all)
	}()
	out := cardListing{first: make(map[string]userListing, len(users)), cancel: cancel}
	quick := time.NewTimer(listQuick)
	defer quick.Stop()
wait:
	for len(out.first) < len(users) {
		select {
		case r, ok := <-all:
			if !ok {
				break wait
			}
			out.first[r.id] = r.l
		case <-quick.C:
			break wait
		}
	}
	for _, u := range users {
		if _, ok := out.first[u.ID]; !ok {
			out.first[u.ID] = userListing{Pending: true}
			out.rest = all
		}
	}
	if out.rest == nil {
		cancel()
	}
	return out
}

// fillIn writes each listing still to come into request id, with its card's
// redraw, as it arrives; it stops when the request is no longer pending (a
// click runs the actions, which list again) or revokebot stops. A card
// whose listing never comes in says it is being listed and that the
// actions list again, so nothing is lost with it.
func (b *intake) fillIn(id string, l cardListing) {
	if l.rest == nil {
		return
	}
	started := b.runs.start("list:"+id, func(ctx context.Context) {
		defer l.cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case r, ok := <-l.rest:
				if !ok || !b.setListed(ctx, id, r) {
					return
				}
			}
		}
	})
	if !started {
		l.cancel()
	}
}

// setListed stores one user's listing in a pending request and redraws its
// card; false when the request is no longer pending or the store refuses.
func (b *intake) setListed(ctx context.Context, id string, r listed) bool {
	ctx, cancel := recordContext(ctx)
	defer cancel()
	req, err := b.store.Request(ctx, id)
	if err != nil || req.State != store.StatePending {
		return false
	}
	// The target as stored, not targetsOf's: a single user stays User only.
	var t requestTarget
	if err := json.Unmarshal(req.Target, &t); err != nil {
		return false
	}
	if t.Listed == nil {
		t.Listed = map[string]userListing{}
	}
	t.Listed[r.id] = r.l
	raw, _ := json.Marshal(t)
	redraw := []store.Tell{{Kind: store.DeliverCard, Key: threadKey(id), RequestID: id}}
	if err := b.store.SetTarget(ctx, id, store.StatePending, raw, redraw); err != nil {
		if !errors.Is(err, store.ErrConflict) {
			b.log.Warn("could not store a card's listing", "request_id", id, "target", r.id, "error", err)
		}
		return false
	}
	b.tell.kick()
	return true
}

// removable leaves the password out: it is never removed.
func removable(ms []revoke.Method) []revoke.Method {
	return slices.DeleteFunc(slices.Clone(ms), revoke.Method.Password)
}

// listingLines words, under a user's line on the card, what will be removed.
func listingLines(l userListing, actions []revoke.Action) string {
	if l.Pending {
		return "\n:hourglass_flowing_sand: Still listing what will be removed (Graph lets revokebot read 5 users' authentication methods per 10 s); this card fills in as the lists arrive, and the actions list again when they run."
	}
	s := changesLines(l)
	for _, a := range actions {
		if act := actionOf(a); act != nil && act.lines != nil {
			s += act.lines(l)
		}
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
	s := cleanName(methodType(m.Type))
	if m.Label != "" && m.Label != methodType(m.Type) {
		s += ": " + cleanName(m.Label)
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
	t := newTally(shown.MethodsError == "" && !shown.Pending, ids)
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
