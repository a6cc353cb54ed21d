package request

import (
	"context"
	"errors"
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

// writesBack reports whether r's end is written back to an incident: an
// alert card from Defender, once its card was posted.
func (b *env) writesBack(r store.Request) bool {
	a := targetsOf(r).Alert
	return b.cfg.IncidentComments != nil && isAlert(r) && a.Source == alertDefender && r.RootTS != ""
}

// keepWriteBack keeps the write-back of r before the end that calls for
// it is recorded, so that a stop in between loses no comment: the task
// waits, unclaimed, until r has ended (writeBack looks).
func (b *env) keepWriteBack(ctx context.Context, r store.Request, to store.State) {
	if !to.Terminal() || !b.writesBack(r) {
		return
	}
	ctx, cancel := recordContext(ctx)
	defer cancel()
	err := b.store.CreateTask(ctx, store.Task{ID: writeBackKind + ":" + r.ID, Kind: writeBackKind, RequestID: r.ID})
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		b.log.Warn("could not keep an outcome's write-back; the next sweep cannot carry it", "request_id", r.ID, "error", err)
	}
}

// startWriteBack starts the write-back of r, which has ended, on this
// replica.
func (b *env) startWriteBack(r store.Request) {
	if !r.State.Terminal() || !b.writesBack(r) {
		return
	}
	id := writeBackKind + ":" + r.ID
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
	// Only what revokebot signed names the incident, and only an alert
	// card from one that ended is written back.
	if why := b.forgedStatement(r); why != "" {
		b.tell.auditOrSay(ctx, r, EvTampered, systemActor, "The outcome was not written back to the Defender incident: "+why+".")
		b.doneTask(ctx, id)
		return
	}
	if !b.writesBack(r) {
		b.doneTask(ctx, id)
		return
	}
	if !r.State.Terminal() {
		// Kept before the end was recorded: the end comes, or the
		// sweep that expires the card.
		_ = b.store.ReleaseTask(context.WithoutCancel(ctx), id, b.cfg.Replica)
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
