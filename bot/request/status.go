package request

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/revokebot/revokebot/store"
)

// handleStatus answers /revoke status <request-id>, to the caller only.
func (b *intake) handleStatus(ctx context.Context, cmd CommandEvent, parsed Command) {
	reply := func(text string) { b.private(ctx, cmd.recipient(), text) }
	if !b.inspect(ctx, cmd, reply) {
		return
	}
	req, err := b.store.Request(ctx, parsed.RequestID)
	if errors.Is(err, store.ErrNotFound) {
		reply(fmt.Sprintf("revokebot knows no request `%s`.", clean(parsed.RequestID, echoMost)))
		return
	}
	var trail []store.Record
	if err == nil {
		trail, err = b.store.AuditTrail(ctx, req.ID)
	}
	if err != nil {
		b.log.Error("could not read a request", "request_id", parsed.RequestID, "error", err)
		reply("revokebot could not read its store. Try again in a moment.")
		return
	}
	reply(renderStatus(req, trail))
}

// renderStatus writes a request's state and audit trail for one reader. It is pure.
func renderStatus(r store.Request, trail []store.Record) string {
	t := targetsOf(r)
	var sb strings.Builder
	fmt.Fprintf(&sb, "*Request `%s`* — %s\n", r.ID, stateWords(r.State))
	if r.Kind == store.KindAll {
		sb.WriteString("Target: every eligible user of the tenant\n")
	}
	for _, u := range t.Users {
		fmt.Fprintf(&sb, "Target: *%s* · %s · `%s`\n", cleanName(u.DisplayName), clean(u.UPN, upnMost), Escape(u.ID))
	}
	switch {
	case t.Release:
		fmt.Fprintf(&sb, "Release: %s\n", lowerFirst(actionList(t.Actions)))
	case r.Kind != store.KindAll && !t.plainRevoke():
		fmt.Fprintf(&sb, "Actions: %s\n", actionList(t.Actions))
	}
	if t.Reason != "" {
		fmt.Fprintf(&sb, "Reason: %s\n", clean(t.Reason, reasonMost))
	}
	fmt.Fprintf(&sb, "Requested by %s in <#%s> at %s", askedBy(r), r.Channel, clock(r.CreatedAt))
	if r.State == store.StatePending {
		fmt.Fprintf(&sb, "; expires %s", clock(r.ExpiresAt))
	}
	sb.WriteString("\n*Audit trail*")
	for _, rec := range trail {
		fmt.Fprintf(&sb, "\n• %s · #%d · *%s* · %s", clock(rec.Time), rec.Seq, rec.Event.Event, rec.Detail)
	}
	return sb.String()
}

func stateWords(s store.State) string {
	switch s {
	case store.StatePending:
		return "waiting for a decision"
	case store.StateRunning:
		return "running"
	case store.StateSucceeded:
		return "done"
	}
	return string(s)
}
