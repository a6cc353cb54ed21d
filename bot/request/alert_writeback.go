package request

import (
	"context"
	"fmt"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// The write-back: when an alert card from a Defender incident ends,
// whatever the end, its outcome is added to the incident as a comment, so
// that whoever works the incident in the Defender portal sees what was
// done, by whom, and the request to look up. It is a task, so that a stop
// before Graph answers leaves it to the next start; without the
// permission it is said once and nothing else changes.

// IncidentCommenter adds a comment to a Defender incident.
type IncidentCommenter interface {
	CommentIncident(ctx context.Context, id, text string) error
}

const writeBackKind = "writeback"

// writeBackLease bounds one try at a comment, Graph's retries included.
const writeBackLease = 2 * time.Minute

// startWriteBack keeps the write-back of an alert card that ended and
// starts it on this replica.
func (b *env) startWriteBack(r store.Request) {
	a := targetsOf(r).Alert
	if !r.State.Terminal() || a == nil || a.Source != alertDefender || b.cfg.IncidentComments == nil {
		return
	}
	ctx, cancel := recordContext(context.Background())
	defer cancel()
	id := writeBackKind + ":" + r.ID
	if err := b.store.CreateTask(ctx, store.Task{ID: id, Kind: writeBackKind, RequestID: r.ID}); err != nil {
		return // kept already, or not: the thread and the audit log hold the outcome
	}
	b.runs.start(id, func(ctx context.Context) { b.writeBack(ctx, r.ID) })
}

// resumeWriteBacks carries on the write-backs nobody holds.
func (b *executor) resumeWriteBacks(ctx context.Context) {
	if b.cfg.IncidentComments == nil {
		return
	}
	b.unheld(ctx, writeBackKind, func(r store.Request) {
		b.runs.start(writeBackKind+":"+r.ID, func(ctx context.Context) { b.writeBack(ctx, r.ID) })
	})
}

// writeBack adds the outcome of request id to its incident, once.
func (b *env) writeBack(ctx context.Context, requestID string) {
	id := writeBackKind + ":" + requestID
	if _, err := b.store.ClaimTask(ctx, id, b.cfg.Replica, time.Now(), time.Now().Add(writeBackLease)); err != nil {
		return
	}
	r, err := b.store.Request(ctx, requestID)
	if err != nil {
		_ = b.store.ReleaseTask(context.WithoutCancel(ctx), id, b.cfg.Replica)
		return
	}
	// Only what revokebot signed names the incident.
	if why := b.forgedStatement(r); why != "" {
		b.tell.auditOrSay(ctx, r, EvTampered, systemActor, "The outcome was not written back to the Defender incident: "+why+".")
		b.doneTask(ctx, id)
		return
	}
	a := targetsOf(r).Alert
	text := b.outcomeComment(ctx, r)
	err = b.cfg.IncidentComments.CommentIncident(ctx, a.ID, text)
	switch {
	case ctx.Err() != nil:
		_ = b.store.ReleaseTask(context.WithoutCancel(ctx), id, b.cfg.Replica)
		return
	case err != nil && revoke.Retryable(err):
		b.log.Warn("could not write an outcome back to its incident; trying at the next sweep", "request_id", r.ID, "error", err)
		_ = b.store.ReleaseTask(context.WithoutCancel(ctx), id, b.cfg.Replica)
		return
	case err != nil:
		b.tell.auditOrSay(ctx, r, EvWrittenBack, systemActor, fmt.Sprintf("The outcome could not be written back to Defender incident `%s`: %s", Escape(a.ID), describe(err)))
	default:
		b.tell.auditOrSay(ctx, r, EvWrittenBack, systemActor, fmt.Sprintf("The outcome was added to Defender incident `%s` as a comment.", Escape(a.ID)))
	}
	b.doneTask(ctx, id)
}

// outcomeComment is the comment: the request, its end, who decided, in
// words for the Defender portal (no Slack markup).
func (b *env) outcomeComment(ctx context.Context, r store.Request) string {
	t := targetsOf(r)
	who := r.DecidedBy
	if who == "" || who == systemActor {
		who = "revokebot"
	} else if b.cfg.Profiles != nil {
		if email, err := b.cfg.Profiles.Email(ctx, who); err == nil && email != "" {
			who = email
		}
	}
	end := map[store.State]string{
		store.StateSucceeded: "contained", store.StateFailed: "contained in part (some actions failed)",
		store.StateCancelled: "dismissed", store.StateDenied: "denied", store.StateExpired: "left undecided (expired)",
	}[r.State]
	if end == "" {
		end = string(r.State)
	}
	return fmt.Sprintf("revokebot request %s: %s %s by %s (%s). %s", r.ID, upnsText(t.Users), end, who,
		lowerFirst(actionList(t.Actions)), plainText(r.Detail))
}

func upnsText(users []revoke.User) string {
	out := ""
	for i, u := range users {
		if i > 0 {
			out += ", "
		}
		out += u.UPN
	}
	return out
}

// plainText drops what Slack's mrkdwn adds to words, for a comment read
// elsewhere.
func plainText(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r != '*' && r != '`' && r != '_' {
			out = append(out, r)
		}
	}
	return string(out)
}

// doneTask ends task id for good.
func (b *env) doneTask(ctx context.Context, id string) {
	ctx, cancel := recordContext(ctx)
	defer cancel()
	_ = b.store.SaveTask(ctx, id, b.cfg.Replica, nil, true)
}
