package bot

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

	"github.com/slack-go/slack"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// target is what a request stores about whom it will hit.
type requestTarget struct {
	User revoke.User `json:"user"`
	All  *preview    `json:"all,omitempty"`
}

// handleRevoke runs a /revoke <user> after its ack: authorize, resolve,
// record the request, post the card.
func (b *Bot) handleRevoke(ctx context.Context, cmd slack.SlashCommand, parsed Command) {
	log := b.log.With("actor", cmd.UserID, "channel", cmd.ChannelID)
	reply := func(text string) { b.replyEphemeral(ctx, cmd.ResponseURL, cmd.ChannelID, cmd.UserID, text) }
	if !b.mayRequest(ctx, cmd, log, reply) {
		return
	}

	t := parsed.Targets[0]
	user, msg := b.resolve(ctx, t)
	if msg != "" {
		b.m.Command("unresolved")
		reply(msg + " Nothing was revoked.")
		return
	}

	needsApproval := b.policy.IsProtected(user.UPN, user.Mail, user.ID)
	timeout := b.policy.ConfirmTimeout
	if needsApproval {
		timeout = b.policy.ApprovalTimeout
	}
	raw, _ := json.Marshal(requestTarget{User: user})
	now := b.now().UTC()
	req := store.Request{
		ID: newRequestID(), Kind: store.KindUser, State: store.StatePending,
		Requester: cmd.UserID, Channel: cmd.ChannelID, TriggerID: cmd.TriggerID,
		NeedsApproval: needsApproval, Target: raw, CreatedAt: now, ExpiresAt: now.Add(timeout), UpdatedAt: now,
	}
	if !b.createRequest(ctx, log, req, reply) {
		return
	}
	log = log.With("request_id", req.ID, "target", user.ID)
	detail := fmt.Sprintf("<@%s> asked to revoke the sign-in sessions of %s.", cmd.UserID, Escape(user.UPN))
	if needsApproval {
		detail += " (protected account: needs an approver)"
	}
	if _, err := b.audit(ctx, req, "requested", cmd.UserID, detail); err != nil {
		reply("revokebot could not write its audit log, so it did nothing. Try again in a moment.")
		return
	}
	b.showCard(ctx, log, req, reply)
}

// createRequest stores a new request; a duplicate delivery of its command
// is dropped quietly, any other failure is told to the caller.
func (b *Bot) createRequest(ctx context.Context, log *slog.Logger, req store.Request, reply func(string)) bool {
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
func (b *Bot) mayRequest(ctx context.Context, cmd slack.SlashCommand, log *slog.Logger, reply func(string)) bool {
	actor, err := b.actor(ctx, cmd.UserID, b.policy.Requesters)
	if err != nil {
		log.Error("could not check user-group membership", "error", err)
		reply("revokebot could not check your user-group membership with Slack, so it did nothing. Try again in a moment.")
		return false
	}
	reason, ok := b.policy.MayRequest(actor, cmd.ChannelID)
	if ok {
		return true
	}
	b.m.Command("refused")
	if err := b.refuse(ctx, nil, cmd.UserID, fmt.Sprintf("<@%s> ran `/revoke %s` and was refused: %s", cmd.UserID, Escape(clip(cmd.Text)), reason)); err != nil {
		reply("You cannot do that: " + reason)
		return false
	}
	reply("You cannot do that: " + reason + " This attempt was recorded.")
	return false
}

// showCard posts a new request's card and records its ts; when Slack refuses
// the post, the request fails and the caller learns why.
func (b *Bot) showCard(ctx context.Context, log *slog.Logger, req store.Request, reply func(string)) {
	text, blocks := renderCard(cardOf(req, targetOf(req)))
	_, ts, postErr := b.post(ctx, req.Channel, "", text, blocks)
	if postErr != nil {
		code := slackErrorCode(postErr)
		log.Error("could not post the card", "error", code)
		if req, err := b.store.Transition(ctx, req.ID, store.StatePending, store.StateFailed, store.Change{Detail: "could not post the request card", At: b.now()}); err == nil {
			_, _ = b.audit(ctx, req, "failed", systemActor, "Could not post the request card ("+code+"); nothing was revoked.")
		}
		hint := "Try again in a moment."
		if code == "not_in_channel" || code == "channel_not_found" {
			hint = "Invite it with `/invite @revokebot` and try again."
		}
		reply(fmt.Sprintf("revokebot could not post its card in this channel (%s). %s Nothing was revoked.", code, hint))
		return
	}
	if err := b.store.SetRootTS(ctx, req.ID, ts); err != nil {
		log.Error("could not store the card's ts", "error", err)
	}
	b.m.Command("accepted")
	log.Info("request posted")
}

// actor looks up the user groups that a decision over sets needs, and none
// of a set that names the person directly: a Slack hiccup never locks out
// people listed by ID.
func (b *Bot) actor(ctx context.Context, userID string, sets ...authz.Principals) (authz.Actor, error) {
	var groups []string
	for _, s := range sets {
		if !slices.Contains(s.Users, userID) {
			groups = append(groups, s.Groups...)
		}
	}
	slices.Sort(groups)
	in, err := b.groups.memberOf(ctx, userID, slices.Compact(groups))
	return authz.Actor{UserID: userID, Groups: in}, err
}

// resolve turns a target into exactly one user, or into the words explaining
// why not.
func (b *Bot) resolve(ctx context.Context, t Target) (revoke.User, string) {
	lookup := revoke.Lookup{Kind: revoke.ByAddress, Value: t.Value}
	switch t.Kind {
	case TargetObjectID:
		lookup.Kind = revoke.ByObjectID
	case TargetAlias:
		lookup.Kind = revoke.ByAlias
	case TargetSlackUser:
		info, err := b.api.GetUserInfoContext(ctx, t.Value)
		if err != nil {
			return revoke.User{}, fmt.Sprintf("Slack could not tell who <@%s> is (%s).", t.Value, slackErrorCode(err))
		}
		if info.Profile.Email == "" {
			return revoke.User{}, fmt.Sprintf("<@%s> has no e-mail address in their Slack profile that revokebot can read (it needs the `users:read.email` scope); name them by e-mail address instead.", t.Value)
		}
		lookup.Value = info.Profile.Email
	}
	users, err := b.cfg.Directory.Resolve(ctx, lookup)
	if err != nil {
		b.log.Warn("directory lookup failed", "lookup_kind", int(lookup.Kind), "error", err)
		return revoke.User{}, fmt.Sprintf("Looking up `%s` failed: %s", Escape(lookup.Value), describe(err))
	}
	switch len(users) {
	case 0:
		return revoke.User{}, fmt.Sprintf("No Entra ID user matches `%s`.", Escape(lookup.Value))
	case 1:
		return users[0], ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "`%s` matches %d users; name one by user principal name or object ID:", Escape(lookup.Value), len(users))
	for _, u := range users {
		fmt.Fprintf(&sb, "\n• %s — %s — `%s`", Escape(u.DisplayName), Escape(u.UPN), Escape(u.ID))
	}
	return revoke.User{}, sb.String()
}

func cardOf(r store.Request, u revoke.User) card {
	var t requestTarget
	_ = json.Unmarshal(r.Target, &t)
	return card{RequestID: r.ID, Requester: r.Requester, User: u, NeedsApproval: r.NeedsApproval,
		State: r.State, DecidedBy: r.DecidedBy, Detail: r.Detail, ExpiresAt: r.ExpiresAt, All: t.All}
}

func targetOf(r store.Request) revoke.User {
	var t requestTarget
	_ = json.Unmarshal(r.Target, &t)
	return t.User
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRequestID makes an opaque, unguessable request ID such as rb-k3j5…, the
// value of every button of the request.
func newRequestID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "rb-" + strings.ToLower(idEncoding.EncodeToString(b))
}
