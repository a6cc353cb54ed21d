package request

import (
	"context"
	"fmt"
	"time"

	"github.com/revokebot/revokebot/store"
)

// systemActor is the audit actor of what revokebot does by itself (expiry,
// recovery after a restart).
const systemActor = "revokebot"

// execute runs a request's actions after it moved to running; only the
// worker that won the compare-and-set gets here.
func (b *executor) execute(ctx context.Context, req store.Request) {
	t := targetsOf(req)
	if !t.plainRevoke() {
		b.contain(ctx, req, t)
		return
	}
	user := t.Users[0]
	log := b.log.With("request_id", req.ID, "target", user.ID)
	if _, err := b.tell.audit(ctx, req, EvStarted, systemActor, "Revoking the sign-in sessions of "+Escape(user.UPN)+"…"); err != nil {
		b.fail(ctx, req, "revokebot could not write its audit log, so nothing was revoked.")
		return
	}
	res, err := b.cfg.Revoker.RevokeSessions(ctx, user.ID)
	if err == nil {
		b.m.Revocation("succeeded")
	}
	if err != nil {
		b.m.Revocation("failed")
		log.Warn("revocation failed", "error", err)
		b.fail(ctx, req, "Revocation failed: "+describe(err))
		return
	}
	detail := fmt.Sprintf("Sign-in sessions of %s revoked; Graph accepted it at %s.", Escape(user.UPN), clock(res.At))
	if user.Guest() {
		detail += " :warning: This is a B2B guest: revocation does not affect the guest's sessions in their home tenant."
	}
	// Graph has accepted: record it even if shutdown is cancelling the job,
	// or the next start would call a revocation that worked "interrupted".
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	proof := b.proofs(ctx, []userOutcome{{User: user, RevokedAt: res.At}})
	req, err = b.store.Transition(ctx, req.ID, store.StateRunning, store.StateSucceeded, store.Change{Detail: detail, At: b.now()})
	if err != nil {
		log.Error("revoked, but could not record it", "error", err)
		return
	}
	b.settle(ctx, req, EvSucceeded, systemActor, detail+proof[0])
	log.Info("sessions revoked")
	b.watch.watch(req, []userOutcome{{User: user, RevokedAt: res.At}})
}

// fail ends a running request as failed, with the words a responder reads.
func (b *executor) fail(ctx context.Context, req store.Request, detail string) {
	req, err := b.store.Transition(ctx, req.ID, store.StateRunning, store.StateFailed, store.Change{Detail: detail, At: b.now()})
	if err != nil {
		b.log.Error("could not record a failure", "request_id", req.ID, "error", err)
		return
	}
	b.settle(ctx, req, EvFailed, systemActor, detail)
}

// settle records a request's new state in the audit log and only then, if
// that worked, shows it on the card.
func (b *executor) settle(ctx context.Context, req store.Request, event Event, actor, detail string) {
	if _, err := b.tell.audit(ctx, req, event, actor, detail); err != nil {
		return
	}
	b.updateCard(ctx, req)
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
}

// recoverRunning ends requests whose worker died (a crash, a killed replica):
// whether Graph got the call is unknown, so the thread says so instead of
// running it a second time. It runs at start and with every sweep.
func (b *executor) recoverRunning(ctx context.Context, running []store.Request) {
	for _, r := range running {
		// A bulk job is resumed from its checkpoint instead (resumeBulk).
		if r.Kind == store.KindAll || b.now().Sub(r.UpdatedAt) < orphanAfter {
			continue
		}
		b.fail(ctx, r, "Interrupted: revokebot stopped while this ran, so it may or may not have taken effect. Check the user and run `/revoke` again if needed.")
	}
}
