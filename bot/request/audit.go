package request

import (
	"context"
	"fmt"
	"strings"

	"github.com/revokebot/revokebot/store"
)

var eventIcons = map[string]string{
	"requested": ":memo:", "refused": ":no_entry_sign:", "confirmed": ":ballot_box_with_check:",
	"approved": ":ballot_box_with_check:", "denied": ":no_entry:", "cancelled": ":heavy_multiplication_x:",
	"expired": ":alarm_clock:", "started": ":hourglass_flowing_sand:", "succeeded": ":white_check_mark:",
	"failed": ":x:", "stopped": ":octagonal_sign:", "stopping": ":octagonal_sign:", "resumed": ":arrows_counterclockwise:",
	"watching": ":eyes:", "alarm": ":rotating_light:", "verified": ":shield:", "unverified": ":grey_question:",
}

// audit writes one record to the durable audit log, and only then tells the
// thread and the audit channel. Details are Slack mrkdwn with every piece of
// input already escaped.
func (b *teller) audit(ctx context.Context, req store.Request, event, actor, detail string) (store.Record, error) {
	target := auditTarget(targetsOf(req))
	if req.Kind == store.KindAll {
		target = "all users"
	}
	if req.Kind == store.KindAll {
		target = "all users"
	}
	rec, err := b.store.AppendAudit(ctx, store.Event{
		Time: b.now().UTC(), Event: event, RequestID: req.ID, Actor: actor, Target: target, Detail: detail,
	})
	if err != nil {
		b.log.Error("could not write the audit log", "request_id", req.ID, "event", event, "error", err)
		return rec, err
	}
	if req.RootTS != "" {
		b.postQuiet(ctx, req.Channel, req.RootTS, eventIcons[event]+" "+detail)
	}
	b.postAuditChannel(ctx, rec)
	return rec, nil
}

// refuse records a refused command or click; the caller tells the person,
// and says it was recorded only when refuse returns nil.
func (b *teller) refuse(ctx context.Context, req *store.Request, actor, detail string) error {
	if req != nil {
		_, err := b.audit(ctx, *req, "refused", actor, detail)
		return err
	}
	rec, err := b.store.AppendAudit(ctx, store.Event{Time: b.now().UTC(), Event: "refused", Actor: actor, Detail: detail})
	if err != nil {
		b.log.Error("could not write the audit log", "event", "refused", "error", err)
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
	line := fmt.Sprintf("%s *%s* · #%d `%.12s`", eventIcons[rec.Event.Event], rec.Event.Event, rec.Seq, rec.Hash)
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
