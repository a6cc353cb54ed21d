package request

import (
	"context"
	"time"

	"github.com/revokebot/revokebot/store"
)

// sweep expires pending requests whose time is up, so the card says so even
// when nobody clicks.
func (b *Workflow) sweep(ctx context.Context) {
	t := time.NewTicker(b.cfg.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b.sweepOnce(ctx)
	}
}

// sweepOnce expires what is due and tends what is running.
func (b *Workflow) sweepOnce(ctx context.Context) {
	due, err := b.store.DuePending(ctx, b.now())
	if err != nil {
		b.log.Warn("could not list expired requests", "error", err)
		return
	}
	for _, r := range due {
		b.decide.expire(ctx, r)
	}
	b.exec.tendRunning(ctx)
}

// expire moves a pending request to expired; when another worker or replica
// got there first, it does nothing.
func (b *decider) expire(ctx context.Context, r store.Request) {
	r.State = store.StatePending
	_, _ = b.tell.decide(ctx, r, store.StateExpired, store.Change{DecidedBy: systemActor}, EvExpired, systemActor,
		"No decision before "+clock(r.ExpiresAt)+"; nothing was revoked.")
}
