package request

import (
	"context"
	"fmt"
	"strings"

	"github.com/revokebot/revokebot/store"
)

// historyLimit is how many past requests /revoke history lists.
const historyLimit = 20

// handleHistory answers /revoke history <target>, to the caller only: the
// requests that named the user, newest first, each with its audit trail.
func (b *intake) handleHistory(ctx context.Context, cmd CommandEvent, parsed Command) {
	reply := func(text string) { b.private(ctx, cmd.recipient(), text) }
	if !b.inspect(ctx, cmd, reply) {
		return
	}
	t := parsed.Targets[0]
	subject, label := t.Value, "`"+clean(t.Value, upnMost)+"`"
	// An object ID is looked up as given: a deleted user has a history too.
	if t.Kind != TargetObjectID {
		u, msg := b.resolve(ctx, t)
		if msg != "" {
			reply(msg)
			return
		}
		subject, label = u.ID, fmt.Sprintf("%s (%s)", cleanName(u.DisplayName), clean(u.UPN, upnMost))
	}
	reqs, err := b.store.RequestsAbout(ctx, subject, historyLimit)
	trails := make([][]store.Record, len(reqs))
	for i := 0; err == nil && i < len(reqs); i++ {
		trails[i], err = b.store.AuditTrail(ctx, reqs[i].ID)
	}
	if err != nil {
		b.log.Error("could not read the history", "target", subject, "error", err)
		reply("revokebot could not read its store. Try again in a moment.")
		return
	}
	reply(renderHistory(label, reqs, trails))
}

// renderHistory lists past requests about one user for one reader. It is pure.
func renderHistory(label string, reqs []store.Request, trails [][]store.Record) string {
	if len(reqs) == 0 {
		return "revokebot has no request about " + label + "."
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "*Requests about* %s, newest first", label)
	if len(reqs) == historyLimit {
		fmt.Fprintf(&sb, " (the last %d)", historyLimit)
	}
	for i, r := range reqs {
		t := targetsOf(r)
		names := make([]string, len(t.Actions))
		for j, a := range t.Actions {
			names[j] = string(a)
		}
		what := strings.Join(names, ", ")
		if t.Release {
			what = "release (" + what + ")"
		}
		fmt.Fprintf(&sb, "\n\n• `%s` · %s · by %s · %s · *%s*", r.ID, clock(r.CreatedAt), askedBy(r), what, stateWords(r.State))
		if len(t.Users) > 1 {
			fmt.Fprintf(&sb, " · %s in the request", plural(len(t.Users), "user"))
		}
		if t.Reason != "" {
			sb.WriteString("\n   Reason: " + clean(t.Reason, 200))
		}
		var steps []string
		for _, rec := range trails[i] {
			step := fmt.Sprintf("%s %s", rec.Event.Event, rec.Time.UTC().Format("15:04:05"))
			if rec.Actor != "" && rec.Actor != systemActor {
				step += " <@" + rec.Actor + ">"
			}
			steps = append(steps, step)
		}
		if len(steps) > 0 {
			sb.WriteString("\n   " + strings.Join(steps, " → "))
		}
	}
	sb.WriteString("\n\n`/revoke status rb-…` shows one request's whole audit trail.")
	return sb.String()
}
