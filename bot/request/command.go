package request

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// handleRevoke runs a /revoke <target>… after its ack: authorize, resolve
// every target, record the request, post one card. A target that does not
// resolve is shown with the others and left out; nothing runs until the card
// is confirmed.
func (b *intake) handleRevoke(ctx context.Context, cmd CommandEvent, parsed Command) {
	reply := func(text string) { b.private(ctx, cmd.recipient(), text) }
	if !b.mayRequest(ctx, cmd, reply) {
		return
	}
	actions := actionsFor(b.policy.Actions, parsed)
	for _, a := range actions {
		if why := b.exec.unavailable(a); why != "" {
			b.m.Command("refused")
			reply(why + " Nothing was done.")
			return
		}
	}

	users, unresolved, ok := b.resolveSome(ctx, parsed.Targets, reply, " Nothing was revoked.")
	if !ok {
		return
	}
	listing := b.exec.listBeforeCard(ctx, users, actions)
	t := requestTarget{User: users[0], Users: users, Actions: actions, Reason: parsed.Reason, Unresolved: unresolved,
		Listed: listing.first}
	needsApproval := false
	for _, u := range users {
		needsApproval = needsApproval || b.policy.IsProtected(u.UPN, u.Mail, u.ID)
	}
	b.open(ctx, cmd, t, needsApproval, reply, listing)
}

// open records a new request for t's users, audits it and posts its card;
// the targets left out are told to the caller after the card.
func (b *intake) open(ctx context.Context, cmd CommandEvent, t requestTarget, needsApproval bool, reply func(string), listing cardListing) {
	defer func() {
		if listing.cancel != nil {
			listing.cancel() // unless fillIn carries the listing on
		}
	}()
	log := b.log.With("actor", cmd.User, "channel", cmd.Channel)
	users := t.Users
	if len(users) == 1 {
		t.Users = nil // a single user is stored as User only, as it always was
	}
	subjects := make([]string, len(users))
	for i, u := range users {
		subjects[i] = u.ID
	}
	timeout := b.policy.ConfirmTimeout
	if needsApproval {
		timeout = b.policy.ApprovalTimeout
	}
	raw, _ := json.Marshal(t)
	now := b.now().UTC()
	req := store.Request{
		ID: newRequestID(), Kind: store.KindUser, State: store.StatePending,
		Requester: cmd.User, Channel: cmd.Channel, TriggerID: cmd.TriggerID, Subjects: subjects,
		NeedsApproval: needsApproval, Target: raw, CreatedAt: now, ExpiresAt: now.Add(timeout), UpdatedAt: now,
	}
	if !b.createRequest(ctx, log, req, reply) {
		return
	}
	log = log.With("request_id", req.ID, "target", users[0].ID, "targets", len(users))
	event, words := EvRequested, requestedWords(cmd.User, targetsOf(req), needsApproval)
	if t.Alert != nil {
		event, words = EvAlerted, alertedWords(targetsOf(req), needsApproval)
	}
	if _, err := b.tell.audit(ctx, req, event, cmd.User, words); err != nil {
		reply("revokebot could not write its audit log, so it did nothing. Try again in a moment.")
		return
	}
	if b.showCard(ctx, log, req, reply) {
		// After the card's ts is stored: a redraw before it would post
		// a second card.
		b.fillIn(req.ID, listing)
		listing.cancel = nil
	}
	if len(t.Unresolved) > 0 {
		reply(strings.Join(t.Unresolved, "\n") + "\nThe card shows the other users; these are not part of the request.")
	}
}

// requestedWords is the audit detail of a new request.
func requestedWords(requester string, t requestTarget, needsApproval bool) string {
	var sb strings.Builder
	switch {
	case t.Release:
		fmt.Fprintf(&sb, "<@%s> asked to release %s (%s): %s.", requester, plural(len(t.Users), "user"),
			strings.Join(upnsOf(t.Users), ", "), lowerFirst(actionList(t.Actions)))
	case t.plainRevoke():
		fmt.Fprintf(&sb, "<@%s> asked to revoke the sign-in sessions of %s.", requester, clean(t.Users[0].UPN, upnMost))
	default:
		upns := upnsOf(t.Users)
		names := make([]string, len(t.Actions))
		for i, a := range t.Actions {
			names[i] = string(a)
		}
		fmt.Fprintf(&sb, "<@%s> asked to contain %s (%s): %s.", requester, plural(len(t.Users), "user"),
			strings.Join(upns, ", "), strings.Join(names, ", "))
	}
	if needsApproval && !t.Release {
		sb.WriteString(" (protected account: needs an approver)")
	}
	if t.Reason != "" {
		sb.WriteString(" Reason: " + clean(t.Reason, reasonMost))
	}
	if len(t.Unresolved) > 0 {
		fmt.Fprintf(&sb, " %s not found and left out.", plural(len(t.Unresolved), "target"))
	}
	return sb.String()
}

// upnsOf are users' principal names, cleaned.
func upnsOf(users []revoke.User) []string {
	upns := make([]string, len(users))
	for i, u := range users {
		upns[i] = clean(u.UPN, upnMost)
	}
	return upns
}

// resolveSome resolves the targets; when none resolves, the caller is told
// why, with nothing's words, and ok is false.
func (b *intake) resolveSome(ctx context.Context, targets []Target, reply func(string), nothing string) ([]revoke.User, []string, bool) {
	users, unresolved := b.resolveAll(ctx, targets)
	if len(users) == 0 {
		b.m.Command("unresolved")
		reply(strings.Join(unresolved, "\n") + nothing)
		return nil, nil, false
	}
	return users, unresolved, true
}

// resolveAll resolves every target, a few at a time: the users found, in
// the order named and without repeats, and the words for each target that
// did not resolve to exactly one user.
func (b *intake) resolveAll(ctx context.Context, targets []Target) ([]revoke.User, []string) {
	found := make([]revoke.User, len(targets))
	msgs := make([]string, len(targets))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			found[i], msgs[i] = b.resolve(ctx, t)
		})
	}
	wg.Wait()
	var users []revoke.User
	var unresolved []string
	seen := map[string]bool{}
	for i := range targets {
		if msgs[i] != "" {
			unresolved = append(unresolved, msgs[i])
			continue
		}
		if !seen[found[i].ID] {
			seen[found[i].ID] = true
			users = append(users, found[i])
		}
	}
	return users, unresolved
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// createRequest stores a new request; a duplicate delivery of its command
// is dropped quietly, any other failure is told to the caller.
func (b *intake) createRequest(ctx context.Context, log *slog.Logger, req store.Request, reply func(string)) bool {
	b.signRequest(&req)
	err := b.store.CreateRequest(ctx, req)
	switch {
	case errors.Is(err, store.ErrDuplicate):
		log.Info("duplicate delivery of a command ignored")
		return false
	case err != nil:
		log.Error("could not store the request", "error", err)
		reply("revokebot could not record this request in its store, so it did nothing. Try again in a moment.")
		return false
	}
	return true
}

// mayRequest checks that the caller may ask for anything in this channel; a
// refusal is audited and explained to the caller only.
func (b *intake) mayRequest(ctx context.Context, cmd CommandEvent, reply func(string)) bool {
	return b.authorize(ctx, cmd, reply, func(a authz.Actor) (string, bool) { return b.policy.MayRequest(a, cmd.Channel) },
		b.policy.Requesters)
}

// inspect runs the checks every read-only command shares: the caller must be
// a requester or an approver; a refusal is audited. It returns whether to go on.
func (b *intake) inspect(ctx context.Context, cmd CommandEvent, reply func(string)) bool {
	return b.authorize(ctx, cmd, reply, b.policy.MayInspect, b.policy.Requesters, b.policy.Approvers)
}

// authorize decides a command with the caller's groups among those of
// sets; a refusal, or a failure to check, is audited and told to the caller
// only.
func (b *intake) authorize(ctx context.Context, cmd CommandEvent, reply func(string), may func(authz.Actor) (string, bool), sets ...authz.Principals) bool {
	actor, err := b.actor(ctx, cmd.User, sets...)
	if err != nil {
		b.log.Error("could not check user-group membership", "actor", cmd.User, "error", err)
		b.m.Command("refused")
		rerr := b.tell.refuse(ctx, nil, cmd.User, fmt.Sprintf("<@%s> ran `/revoke %s`, and revokebot could not check user-group membership with Slack, so it refused.", cmd.User, clean(cmd.Text, echoMost)), false, true)
		reply("revokebot could not check your user-group membership with Slack, so it did nothing. Try again in a moment." + recordedWords(rerr))
		return false
	}
	reason, ok := may(actor)
	if ok {
		return true
	}
	b.m.Command("refused")
	outsider := !b.policy.IsRequester(actor) && !b.policy.IsApprover(actor)
	err = b.tell.refuse(ctx, nil, cmd.User, fmt.Sprintf("<@%s> ran `/revoke %s` and was refused: %s", cmd.User, clean(cmd.Text, echoMost), reason), false, outsider)
	reply("You cannot do that: " + reason + recordedWords(err))
	return false
}

// showCard posts a new request's card and records its ts; when Slack refuses
// the post, the request fails and the caller learns why.
func (b *intake) showCard(ctx context.Context, log *slog.Logger, req store.Request, reply func(string)) bool {
	ts, postErr := b.post(ctx, req.Channel, "", cardMessage(b.cardFor(ctx, req)))
	if postErr != nil && isAlert(req) {
		// Nobody is waiting to be told: it stays pending without a card,
		// and a later look posts it (cardPostGrace).
		log.Error("could not post an alert card; a later look tries again", "error", sendCode(postErr))
		reply("could not post the card (" + sendCode(postErr) + ")")
		return false
	}
	if postErr != nil {
		code := sendCode(postErr)
		log.Error("could not post the card", "error", code)
		_, _ = b.tell.decide(ctx, req, store.StateFailed, store.Change{Detail: "could not post the request card"}, EvFailed, systemActor,
			"Could not post the request card ("+code+"); nothing was revoked.")
		hint := "Try again in a moment."
		if code == "not_in_channel" || code == "channel_not_found" {
			hint = "Invite it with `/invite @revokebot` and try again."
		}
		reply(fmt.Sprintf("revokebot could not post its card in this channel (%s). %s Nothing was revoked.", code, hint))
		return false
	}
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if err := retryRecord(rctx, func() error { return b.store.SetRootTS(rctx, req.ID, ts) }); err != nil {
		log.Error("could not store the card's ts", "error", err)
	}
	b.m.Command("accepted")
	log.Info("request posted")
	return true
}

// actor looks up the user groups that a decision over sets needs, and none
// of a set that names the person directly: a Slack hiccup never locks out
// people listed by ID.
func (b *env) actor(ctx context.Context, userID string, sets ...authz.Principals) (authz.Actor, error) {
	var groups []string
	for _, s := range sets {
		if !slices.Contains(s.Users, userID) {
			groups = append(groups, s.Groups...)
		}
	}
	slices.Sort(groups)
	in, err := b.groups.MemberOf(ctx, userID, slices.Compact(groups))
	return authz.Actor{UserID: userID, Groups: in}, err
}

// resolve turns a target into exactly one user, or into the words explaining
// why not.
func (b *intake) resolve(ctx context.Context, t Target) (revoke.User, string) {
	lookup := revoke.Lookup{Kind: revoke.ByAddress, Value: t.Value}
	switch t.Kind {
	case TargetObjectID:
		lookup.Kind = revoke.ByObjectID
	case TargetAlias:
		lookup.Kind = revoke.ByAlias
	case TargetSlackUser:
		email, err := b.cfg.Profiles.Email(ctx, t.Value)
		if err != nil {
			return revoke.User{}, fmt.Sprintf("Slack could not tell who <@%s> is (%s).", t.Value, sendCode(err))
		}
		if email == "" {
			return revoke.User{}, fmt.Sprintf("<@%s> has no e-mail address in their Slack profile that revokebot can read (it needs the `users:read.email` scope); name them by e-mail address instead.", t.Value)
		}
		lookup.Value = email
	}
	users, err := b.cfg.Directory.Resolve(ctx, lookup)
	if err != nil {
		b.log.Warn("directory lookup failed", "lookup_kind", int(lookup.Kind), "error", err)
		return revoke.User{}, fmt.Sprintf("Looking up `%s` failed: %s", clean(lookup.Value, upnMost), describe(err))
	}
	switch len(users) {
	case 0:
		return revoke.User{}, fmt.Sprintf("No Entra ID user matches `%s`.", clean(lookup.Value, upnMost))
	case 1:
		return users[0], ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "`%s` matches %d users; name one by user principal name or object ID:", clean(lookup.Value, upnMost), len(users))
	for _, u := range users {
		fmt.Fprintf(&sb, "\n• %s — %s — `%s`", cleanName(u.DisplayName), clean(u.UPN, upnMost), Escape(u.ID))
	}
	return revoke.User{}, sb.String()
}

func cardOf(r store.Request, u revoke.User) card {
	t := targetsOf(r)
	return card{RequestID: r.ID, Requester: r.Requester, User: u, NeedsApproval: r.NeedsApproval,
		State: r.State, DecidedBy: r.DecidedBy, Detail: r.Detail, ExpiresAt: r.ExpiresAt, All: t.All,
		Target: t}
}

// targetOf is a request's first (for most, its only) user.
func targetOf(r store.Request) revoke.User {
	return targetsOf(r).User
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRequestID makes an opaque, unguessable request ID such as rb-k3j5…, the
// value of every button of the request.
func newRequestID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "rb-" + strings.ToLower(idEncoding.EncodeToString(b))
}
