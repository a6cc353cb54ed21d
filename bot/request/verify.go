package request

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/revokebot/revokebot/store"
)

// watch starts the sign-in watch the policy asks for (verify.for) on the
// users whose sessions were revoked. It runs beside the request's worker,
// which has finished: a watch lasts minutes, longer than a job may.
func (b *watcher) watch(req store.Request, outs []userOutcome) {
	v := b.policy.Verify
	if v.For <= 0 || b.cfg.SignIns == nil {
		return
	}
	var users []userOutcome
	for _, o := range outs {
		if !o.RevokedAt.IsZero() {
			users = append(users, o)
		}
	}
	if len(users) == 0 {
		return
	}
	if !b.runs.start("verify:"+req.ID, func(ctx context.Context) { b.watchSignIns(ctx, req, users) }) {
		// Shutdown began while the actions ran: say so rather than let the
		// thread suggest a watch is on.
		b.watchInterrupted(context.Background(), req, "did not start")
	}
}

// watchSignIns looks at the users' sign-in logs every verify.every for
// verify.for, and posts an alarm for each successful sign-in after the
// revocation: the attacker may hold a token revocation did not end, or the
// password. The watch runs on the wall clock because it sleeps.
func (b *watcher) watchSignIns(ctx context.Context, req store.Request, users []userOutcome) {
	v := b.policy.Verify
	upns := make([]string, len(users))
	for i, u := range users {
		upns[i] = Escape(u.User.UPN)
	}
	who := strings.Join(upns, ", ")
	_, _ = b.tell.audit(ctx, req, EvWatching, systemActor, fmt.Sprintf("Watching the sign-ins of %s for %s: a successful sign-in after the revocation is posted here.", who, duration(v.For)))
	seen := map[string]bool{}
	unread := map[string]bool{}
	alarms := 0
	end := time.Now().Add(v.For)
	for {
		last := !time.Now().Before(end)
		for _, u := range users {
			if unread[u.User.ID] {
				continue
			}
			ins, err := b.cfg.SignIns.SignIns(ctx, u.User.ID, u.RevokedAt)
			if ctx.Err() != nil {
				b.watchInterrupted(ctx, req, "stopped early")
				return
			}
			if err != nil {
				unread[u.User.ID] = true
				b.log.Warn("could not read sign-ins", "request_id", req.ID, "target", u.User.ID, "error", err)
				_, _ = b.tell.audit(ctx, req, EvUnverified, systemActor, fmt.Sprintf("Could not read the sign-in log of %s, so it is not watched: %s", Escape(u.User.UPN), describe(err)))
				continue
			}
			for _, in := range ins {
				if !in.Success || !in.At.After(u.RevokedAt) || seen[in.ID] {
					continue
				}
				seen[in.ID] = true
				alarms++
				_, _ = b.tell.audit(ctx, req, EvAlarm, systemActor, fmt.Sprintf("*Successful sign-in after the revocation:* %s signed in at %s from IP `%s` with %s. Sessions were revoked at %s.",
					Escape(u.User.UPN), clock(in.At), orDash(Escape(in.IP)), orDash(Escape(in.App)), clock(u.RevokedAt)))
			}
		}
		if last {
			break
		}
		select {
		case <-ctx.Done():
			b.watchInterrupted(ctx, req, "stopped early")
			return
		case <-time.After(min(v.Every, max(time.Until(end), 0))):
		}
	}
	switch {
	case alarms > 0:
		_, _ = b.tell.audit(ctx, req, EvVerified, systemActor, fmt.Sprintf("The sign-in watch ended: %s after the revocation (above). Block sign-in with `--disable` and reset the password if you have not.", plural(alarms, "successful sign-in")))
	case len(unread) == len(users):
	default:
		_, _ = b.tell.audit(ctx, req, EvVerified, systemActor, fmt.Sprintf("The sign-in watch ended: no successful sign-in by %s after the revocation in %s.", who, duration(v.For)))
	}
}

// watchInterrupted says in the thread that a watch did not run its course,
// so that nobody takes silence for a clean log.
func (b *watcher) watchInterrupted(ctx context.Context, req store.Request, what string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, _ = b.tell.audit(ctx, req, EvUnverified, systemActor, "The sign-in watch "+what+" because revokebot is shutting down; check the users' sign-in logs by hand.")
}
