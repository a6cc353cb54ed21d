package request

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// BulkTuning holds the timings of /revoke all jobs; zero values take the
// bulk engine's defaults. Tests and the demo shorten them.
type BulkTuning struct {
	ProgressEvery time.Duration // progress message edits; default 3s (Slack's chat.update budget)
	Lease         time.Duration // a job's lease; default 30s
	Flush         time.Duration
	Poll          time.Duration
}

// handleAll runs a /revoke all after its ack: authorize, count the tenant,
// record the request and post the card that an approver must approve.
func (b *intake) handleAll(ctx context.Context, cmd CommandEvent, _ Command) {
	log := b.log.With("actor", cmd.User, "channel", cmd.Channel)
	reply := func(text string) { b.private(ctx, cmd.recipient(), text) }
	if !b.mayRequest(ctx, cmd, reply) {
		return
	}
	if b.cfg.Lister == nil || b.cfg.BulkRevoker == nil {
		reply("This revokebot is not set up for `/revoke all`. Nothing was revoked.")
		return
	}
	p, err := b.count(ctx)
	if err != nil {
		log.Warn("could not count the tenant", "error", err)
		reply("Counting the tenant's users failed: " + describe(err) + " Nothing was revoked.")
		return
	}
	raw, _ := json.Marshal(requestTarget{All: p})
	now := b.now().UTC()
	req := store.Request{
		ID: newRequestID(), Kind: store.KindAll, State: store.StatePending,
		Requester: cmd.User, Channel: cmd.Channel, TriggerID: cmd.TriggerID,
		NeedsApproval: true, Target: raw, CreatedAt: now, ExpiresAt: now.Add(b.policy.ApprovalTimeout), UpdatedAt: now,
	}
	if !b.createRequest(ctx, log, req, reply) {
		return
	}
	log = log.With("request_id", req.ID, "target", "all")
	detail := fmt.Sprintf("<@%s> asked to revoke the sign-in sessions of every user: %s. Needs an approver.", cmd.User, p.countsLine())
	if _, err := b.tell.audit(ctx, req, EvRequested, cmd.User, detail); err != nil {
		reply("revokebot could not write its audit log, so it did nothing. Try again in a moment.")
		return
	}
	b.showCard(ctx, log, req, reply)
}

// skipReason applies the policy's /revoke all rules to a directory user.
func (b *bulkRunner) skipReason(u revoke.User) string {
	return b.policy.SkipReason(authz.Account{ID: u.ID, UPN: u.UPN, Mail: u.Mail, Guest: u.Guest(), Enabled: u.AccountEnabled})
}

// stop records a stop of a running /revoke all. The job's runner, on
// whichever replica holds it, sees the stop within a poll and winds down.
func (b *decider) stop(ctx context.Context, c ClickEvent, req store.Request, reply func(string)) {
	job, err := b.store.RequestStop(ctx, req.ID, c.Actor, b.now())
	if errors.Is(err, store.ErrConflict) {
		b.m.Decision(c.Action, "late")
		_ = b.tell.refuse(ctx, &req, c.Actor, fmt.Sprintf("<@%s> tried to stop the job, which was already stopped.", c.Actor), false, false)
		reply(fmt.Sprintf("<@%s> already stopped this job. Nothing changed.", job.StopBy))
		return
	}
	if err != nil {
		reply("revokebot could not record the stop in its store, so the job goes on. Try again in a moment.")
		return
	}
	b.m.Decision(c.Action, "accepted")
	b.tell.auditOrSay(ctx, req, EvStopping, c.Actor, fmt.Sprintf("<@%s> stopped the job: revocations in flight finish, no new ones start.", c.Actor))
}
