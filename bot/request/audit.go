package request

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/revokebot/revokebot/store"
)

// recordTimeout bounds one durable write of what was done. It is the
// record's own deadline, never the work's: a write after Graph acted runs
// on a context that the work's timeout or a shutdown cannot have ended.
const recordTimeout = 30 * time.Second

// recordContext detaches ctx's deadline and cancellation for a write of
// what was done.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

// event is one audit record of req, as the store keeps it.
func (b *teller) event(req store.Request, event Event, actor, detail string) store.Event {
	target := auditTarget(targetsOf(req))
	if req.Kind == store.KindAll {
		target = "all users"
	}
	return store.Event{Time: b.now().UTC(), Event: string(event), RequestID: req.ID, Actor: actor, Target: target, Detail: detail}
}

// tells are the messages that report an audit record: a reply in the
// request's thread (when it has one, and inThread), a redraw of its card
// (when card), and a line in the audit channel. The outbox delivers them
// in order per thread and in record order in the audit channel.
func (b *teller) tells(req *store.Request, inThread, card bool) []store.Tell {
	var out []store.Tell
	if req != nil && req.Channel != "" {
		key := threadKey(req.ID)
		if inThread {
			out = append(out, store.Tell{Kind: store.DeliverReply, Key: key, RequestID: req.ID})
		}
		if card {
			out = append(out, store.Tell{Kind: store.DeliverCard, Key: key, RequestID: req.ID})
		}
	}
	if ch := b.policy.AuditChannel; ch != "" {
		out = append(out, store.Tell{Kind: store.DeliverAudit, Key: "audit:" + ch, Channel: ch})
	}
	return out
}

// threaded reports whether a record of req belongs in its thread: once the
// card is posted, or the request got past pending (its card was posted,
// even if this replica has not seen the ts yet).
func threaded(req store.Request) bool { return req.RootTS != "" || req.State != store.StatePending }

func threadKey(requestID string) string { return "thread:" + requestID }

// audit writes one record to the durable audit log together with the
// messages that report it; the outbox then tells the thread and the audit
// channel. Details are Slack mrkdwn with every piece of input already
// escaped. The thread reply waits for the card: a record written before
// the card is posted reaches the audit channel only.
func (b *teller) audit(ctx context.Context, req store.Request, event Event, actor, detail string) (store.Record, error) {
	return b.append(ctx, b.event(req, event, actor, detail), b.tells(&req, threaded(req), false))
}

// auditOrSay writes a record, and when the store will not take it says so
// in the thread and to the requester, rather than go on silently.
func (b *teller) auditOrSay(ctx context.Context, req store.Request, event Event, actor, detail string) {
	if _, err := b.audit(ctx, req, event, actor, detail); err == nil {
		return
	}
	words := "revokebot could not write this to its audit log; tell whoever runs revokebot. " + detail
	ctx, cancel := recordContext(ctx)
	defer cancel()
	if req.RootTS != "" {
		b.postQuiet(ctx, req.Channel, req.RootTS, ":warning: "+words)
	}
	b.private(ctx, Recipient{User: req.Requester, Channel: req.Channel}, words)
}

// append writes a record and its messages, trying again a few times: a
// lost record is worse than a late one.
func (b *teller) append(ctx context.Context, e store.Event, tells []store.Tell) (store.Record, error) {
	ctx, cancel := recordContext(ctx)
	defer cancel()
	var rec store.Record
	err := retryRecord(ctx, func() error {
		var err error
		rec, err = b.store.AppendAudit(ctx, e, tells...)
		return err
	})
	if err != nil {
		b.log.Error("could not write the audit log", "request_id", e.RequestID, "event", e.Event, "error", err)
		return rec, err
	}
	b.kick()
	return rec, nil
}

// errMaybeSealed is a seal refused as done after a try that failed
// without an answer: that try may be the one that sealed it.
var errMaybeSealed = errors.New("the seal may have been kept by an earlier try")

// sealTask ends task id, which owner holds, keeping state, and writes
// the record that seals it with its messages in the same transaction:
// nobody is told of a state that is not kept. A lost lease returns an
// error wrapping store.ErrConflict, and writes nothing.
func (b *teller) sealTask(ctx context.Context, req store.Request, id, owner string, state []byte, event Event, actor, detail string) error {
	ctx, cancel := recordContext(ctx)
	defer cancel()
	e, tells := b.event(req, event, actor, detail), b.tells(&req, threaded(req), false)
	unanswered := false
	err := retryRecord(ctx, func() error {
		_, err := b.store.SealTask(ctx, id, owner, state, e, tells...)
		if err != nil && !errors.Is(err, store.ErrConflict) {
			unanswered = true // its commit may have gone through all the same
		}
		return err
	})
	if errors.Is(err, store.ErrConflict) && unanswered {
		return fmt.Errorf("%w: %w", errMaybeSealed, err)
	}
	if err != nil {
		if !errors.Is(err, store.ErrConflict) {
			b.log.Error("could not write the audit log", "request_id", e.RequestID, "event", e.Event, "error", err)
		}
		return err
	}
	b.kick()
	return nil
}

// decide moves req from `from` to `to` and writes the audit record of the
// move, the redraw of its card and the messages that report it, all in one
// store transaction: the card never shows a state the log lacks. A lost
// compare-and-set returns the current request and an error wrapping
// store.ErrConflict, and writes nothing.
func (b *teller) decide(ctx context.Context, req store.Request, to store.State, c store.Change, event Event, actor, detail string) (store.Request, error) {
	ctx, cancel := recordContext(ctx)
	defer cancel()
	e := b.event(req, event, actor, detail)
	c.Audit, c.Tell = &e, b.tells(&req, true, true)
	if c.At.IsZero() {
		c.At = b.now()
	}
	b.keepWriteBack(ctx, req, to)
	var out store.Request
	err := retryRecord(ctx, func() error {
		var err error
		out, _, err = b.store.Decide(ctx, req.ID, req.State, to, c)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		b.log.Error("could not record a decision", "request_id", req.ID, "event", string(event), "error", err)
	}
	if err == nil {
		b.kick()
		b.startWriteBack(out)
	}
	return out, err
}

// retryRecord tries a store write three times, a second apart, unless the
// store answered: a lost compare-and-set or an illegal move is an answer.
func retryRecord(ctx context.Context, write func() error) error {
	var err error
	for try := range 3 {
		if try > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(time.Duration(try) * time.Second):
			}
		}
		err = write()
		if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrIllegal) || errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return err
}

// refuse records a refused command or click: in its request's thread when
// inThread, else only in the audit log and channel. Repeats by someone the
// policy does not name (an outsider) are folded into one record a minute.
// The caller tells the person, and says it was recorded only when refuse
// returns nil (or errFolded).
func (b *teller) refuse(ctx context.Context, req *store.Request, actor, detail string, inThread, outsider bool) error {
	if outsider && b.fold.add(actor, req, detail, inThread) {
		return errFolded
	}
	e := store.Event{Time: b.now().UTC(), Event: string(EvRefused), Actor: actor, Detail: detail}
	if req != nil {
		e = b.event(*req, EvRefused, actor, detail)
	}
	_, err := b.append(ctx, e, b.tells(req, inThread && req != nil && threaded(*req), false))
	return err
}

// kick wakes this replica's outbox deliverer.
func (b *teller) kick() {
	select {
	case b.outbox.kick <- struct{}{}:
	default:
	}
}

// auditLine is an audit record as the audit channel shows it: the sequence
// number and hash let anyone compare the durable log with this channel,
// which its writer cannot rewrite.
func auditLine(rec store.Record) string {
	line := fmt.Sprintf("%s *%s* · #%d `%.12s`", Event(rec.Event.Event).icon(), rec.Event.Event, rec.Seq, rec.Hash)
	if rec.RequestID != "" {
		line += fmt.Sprintf(" · `%s`", rec.RequestID)
	}
	if rec.Target != "" {
		line += " · " + clean(rec.Target, auditTargetMost)
	}
	return line + " · " + rec.Detail
}

// auditTargetMost bounds the target field as the audit channel shows it:
// room for every user of a request, "upn (object ID)".
const auditTargetMost = MaxTargets * (upnMost + 42)

// auditTarget names a request's users in the audit log's target field.
func auditTarget(t requestTarget) string {
	parts := make([]string, len(t.Users))
	for i, u := range t.Users {
		parts[i] = fmt.Sprintf("%s (%s)", u.UPN, u.ID)
	}
	return strings.Join(parts, ", ")
}
