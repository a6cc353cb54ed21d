package request

import (
	"context"
	"fmt"
	"strings"

	"github.com/revokebot/revokebot/store"
)

// audit writes one record to the durable audit log, and only then tells the
// thread and the audit channel. Details are Slack mrkdwn with every piece of
// input already escaped.
func (b *teller) audit(ctx context.Context, req store.Request, event Event, actor, detail string) (store.Record, error) {
	target := auditTarget(targetsOf(req))
	if req.Kind == store.KindAll {
		target = "all users"
	}
	if req.Kind == store.KindAll {
		target = "all users"
	}
	rec, err := b.store.AppendAudit(ctx, store.Event{
		Time: b.now().UTC(), Event: string(event), RequestID: req.ID, Actor: actor, Target: target, Detail: detail,
	})
	if err != nil {
		b.log.Error("could not write the audit log", "request_id", req.ID, "event", string(event), "error", err)
		return rec, err
	}
	if req.RootTS != "" {
		b.postQuiet(ctx, req.Channel, req.RootTS, event.icon()+" "+detail)
	}
	b.postAuditChannel(ctx, rec)
	return rec, nil
}

// refuse records a refused command or click; the caller tells the person,
// and says it was recorded only when refuse returns nil.
func (b *teller) refuse(ctx context.Context, req *store.Request, actor, detail string, inThread bool) error {
	if req != nil && inThread {
		_, err := b.audit(ctx, *req, EvRefused, actor, detail)
		return err
	}
	e := store.Event{Time: b.now().UTC(), Event: string(EvRefused), Actor: actor, Detail: detail}
	if req != nil {
		e.RequestID = req.ID
	}
	rec, err := b.store.AppendAudit(ctx, e)
	if err != nil {
		b.log.Error("could not write the audit log", "event", string(EvRefused), "error", err)
		return err
	}
	b.postAuditChannel(ctx, rec)
	return nil
}

func (b *teller) postAuditChannel(ctx context.Context, rec store.Record) {
	if b.policy.AuditChannel == "" {
		return
	}
	// The sequence number and hash let anyone compare the durable log with
	// this channel, which its writer cannot rewrite.
	line := fmt.Sprintf("%s *%s* · #%d `%.12s`", Event(rec.Event.Event).icon(), rec.Event.Event, rec.Seq, rec.Hash)
	if rec.RequestID != "" {
		line += fmt.Sprintf(" · `%s`", rec.RequestID)
	}
	if rec.Target != "" {
		line += " · " + Escape(rec.Target)
	}
	line += " · " + rec.Detail
	b.postQuiet(ctx, b.policy.AuditChannel, "", line)
}

// auditTarget names a request's users in the audit log's target field.
func auditTarget(t requestTarget) string {
	parts := make([]string, len(t.Users))
	for i, u := range t.Users {
		parts[i] = fmt.Sprintf("%s (%s)", u.UPN, u.ID)
	}
	return strings.Join(parts, ", ")
}
