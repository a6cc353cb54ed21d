package request

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// systemActor is the audit actor of what revokebot does by itself (expiry,
// recovery after a restart).
const systemActor = "revokebot"

// execute runs a request's actions after it moved to running; only the
// worker that won the compare-and-set gets here.
func (b *executor) execute(ctx context.Context, req store.Request) {
	if why := b.forged(ctx, req); why != "" {
		b.tell.tampered(ctx, req, "before running it", why)
		return
	}
	t := targetsOf(req)
	if !t.plainRevoke() {
		b.contain(ctx, req, t)
		return
	}
	defer b.runs.mark("after:" + req.ID)() // as in contain
	user := t.Users[0]
	log := b.log.With("request_id", req.ID, "target", user.ID)
	if _, err := b.tell.audit(ctx, req, EvStarted, systemActor, "Revoking the sign-in sessions of "+clean(user.UPN, upnMost)+"…"); err != nil {
		b.fail(ctx, req, "revokebot could not write its audit log, so nothing was revoked.")
		return
	}
	sealed := make(chan struct{})
	go func() { defer close(sealed); b.sealSnapshot(ctx, req, t) }()
	res, err := b.cfg.Revoker.RevokeSessions(ctx, user.ID)
	<-sealed
	if err != nil {
		b.m.Revocation("failed")
		log.Warn("revocation failed", "error", err)
		b.fail(ctx, req, "Revocation failed: "+describe(err))
		return
	}
	b.m.Revocation("succeeded")
	detail := fmt.Sprintf("Sign-in sessions of %s revoked; Graph accepted it at %s.", clean(user.UPN, upnMost), clock(res.At))
	if user.Guest() {
		detail += " :warning: This is a B2B guest: revocation does not affect the guest's sessions in their home tenant."
	}
	outs := []userOutcome{{User: user, RevokedAt: res.At,
		Actions: []actionOutcome{{Action: revoke.ActionSessions, OK: true}}}}
	if _, ok := b.finish(ctx, req, store.StateSucceeded, EvSucceeded, detail, detail); !ok {
		return
	}
	log.Info("sessions revoked")
	b.readBack(ctx, req, outs)
	b.watch.watch(req, outs)
	b.completeSnapshot(req)
}

// finish records the end of a running request: its state, its card and
// its audit record in one write, on a context of its own, since Graph has
// acted whatever happened to the work's. When the store will not take it,
// the thread and the requester are told directly, so that what was done is
// never silent. It reports whether the end was recorded.
func (b *executor) finish(ctx context.Context, req store.Request, to store.State, event Event, cardLine, detail string) (store.Request, bool) {
	done, err := b.tell.decide(ctx, req, to, store.Change{Detail: cardLine}, event, systemActor, detail)
	if err == nil {
		return done, true
	}
	if errors.Is(err, store.ErrConflict) {
		b.log.Warn("the request was ended elsewhere first", "request_id", req.ID, "state", string(done.State))
		return done, false
	}
	words := "revokebot could not record the outcome in its store, so this is the only account of it; tell whoever runs revokebot. " +
		"What happened: " + detail
	ctx, cancel := recordContext(ctx)
	defer cancel()
	if req.RootTS != "" {
		b.postQuiet(ctx, req.Channel, req.RootTS, ":warning: "+words)
	}
	b.private(ctx, Recipient{User: req.Requester, Channel: req.Channel}, words)
	return req, false
}

// fail ends a running request as failed, with the words a responder reads.
func (b *executor) fail(ctx context.Context, req store.Request, detail string) {
	b.finish(ctx, req, store.StateFailed, EvFailed, detail, detail)
}

// readBackFor bounds the read-back step as a whole: a few reads per user,
// a throttled Graph's Retry-After included.
const readBackFor = 2 * time.Minute

// readBack is the step after an outcome is recorded: each user read back
// from Graph, as evidence, and what access is left of what the card
// listed, action by action, recorded as its own audit event; a line saying
// something is still there flags the record. Its deadline is its own, so a
// slow or lagging directory delays only this evidence. Without a Prover
// there is no read-back.
func (b *executor) readBack(ctx context.Context, req store.Request, outs []userOutcome) {
	if b.cfg.Prover == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackFor)
	defer cancel()
	words, read, whys := b.proofs(ctx, outs)
	left, still := b.accessLeft(ctx, outs, targetsOf(req).Listed, read, whys)
	for i, o := range outs {
		words[i] += leftWords(left[i])
		if len(outs) > 1 {
			words[i] = fmt.Sprintf("*%s*: %s", clean(o.User.UPN, upnMost), words[i])
		}
	}
	detail := strings.Join(words, "\n")
	if still > 0 {
		detail = fmt.Sprintf(":x: *Access is left after the actions:* %s still there (marked :x: below); check by hand, or run `/revoke` again.\n", plural(still, "thing")) + detail
	}
	_, _ = b.tell.audit(ctx, req, EvReadBack, systemActor, detail)
}

// orphanAfter is how long a request may stay running before it is taken for
// abandoned: longer than any job may run (jobTimeout), so a request still
// being worked on, by this replica or another, is never touched.
const orphanAfter = jobTimeout + time.Minute

// tendRunning looks at the running requests once, at start and with every
// sweep: single-user ones whose worker died are ended, bulk jobs that nobody
// holds are resumed.
func (b *executor) tendRunning(ctx context.Context) {
	running, err := b.store.InState(ctx, store.StateRunning)
	if err != nil {
		b.log.Error("could not list running requests", "error", err)
		return
	}
	b.recoverRunning(ctx, running)
	b.bulk.resumeBulk(ctx, running)
	b.watch.resumeWatches(ctx)
	b.resumeSnapshots(ctx)
	b.resumeWriteBacks(ctx)
}

// recoverRunning ends requests whose worker died (a crash, a killed
// replica). What the audit log holds of their users is reported as done;
// only the rest is of unknown outcome, and is not run a second time.
func (b *executor) recoverRunning(ctx context.Context, running []store.Request) {
	for _, r := range running {
		// A bulk job is resumed from its checkpoint instead (resumeBulk).
		if r.Kind == store.KindAll || b.now().Sub(r.UpdatedAt) < orphanAfter {
			continue
		}
		if why := b.forged(ctx, r); why != "" {
			b.tell.tampered(ctx, r, "when it was found running after a restart", why)
			continue
		}
		known := ""
		if trail, err := b.store.AuditTrail(ctx, r.ID); err == nil {
			for _, rec := range trail {
				if rec.Event.Event == string(EvOutcome) {
					known += "\n" + rec.Detail
				}
			}
		}
		detail := "Interrupted: revokebot stopped while this ran, so it may or may not have taken effect. Check the user and run `/revoke` again if needed."
		if known != "" {
			detail = "Interrupted: revokebot stopped while this ran. Recorded before it stopped:" + known +
				"\nAny other user's actions may or may not have taken effect: check them and run `/revoke` again if needed."
		}
		b.fail(ctx, r, detail)
	}
}
