package graph

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/revokebot/revokebot/revoke"
)

// maxRiskBatch is the most users one Identity Protection call names, and
// riskSendTimeout the longest one may take.
const (
	maxRiskBatch    = 20
	riskSendTimeout = 30 * time.Second
)

// riskBatch gathers the users of concurrent calls of one Identity
// Protection action (confirmCompromised, dismiss) into one request: the
// actions take a list of userIds and the tenant one request a second, so
// twenty users called one by one would take twenty seconds. Whoever holds
// the pacer's turn sends every user waiting by then; the others get its
// answer. A batch Graph refuses as a bad request is tried again one user at
// a time, so that one unknown user fails alone.
type riskBatch struct {
	pace    *pacer
	mu      sync.Mutex
	waiting []*riskWaiter
}

type riskWaiter struct {
	id    string
	alone bool       // send this user by itself
	done  chan error // the answer of the request that named it
}

// errAlone tells a waiter that its batch was refused and it is to be sent alone.
var errAlone = errors.New("graph: batch refused; send alone")

// do sends userID in the next request of the action, through send, and
// returns Graph's answer to that request.
func (b *riskBatch) do(ctx context.Context, userID string, send func(ctx context.Context, ids []string) error) error {
	w := &riskWaiter{id: userID, done: make(chan error, 1)}
	for {
		b.mu.Lock()
		b.waiting = append(b.waiting, w)
		b.mu.Unlock()
		err := b.wait(ctx, w, send)
		if err != errAlone {
			return err
		}
		w = &riskWaiter{id: userID, alone: true, done: make(chan error, 1)}
	}
}

// wait takes the pacer's turn, or gets the answer of the holder that sent w.
func (b *riskBatch) wait(ctx context.Context, w *riskWaiter, send func(context.Context, []string) error) error {
	p := b.pace
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		if b.drop(w) {
			return ctx.Err()
		}
		return <-w.done // already in a request in flight: its answer comes
	case <-p.turn:
	}
	defer func() { p.turn <- struct{}{} }()
	select {
	case err := <-w.done: // sent while this one waited for the turn
		return err
	default:
	}
	if err := ctx.Err(); err != nil { // the turn and the end came together
		b.drop(w)
		return err
	}
	if err := p.await(ctx); err != nil {
		if b.drop(w) {
			return err
		}
		return <-w.done
	}
	batch := b.take(w)
	ids := make([]string, len(batch))
	for i, x := range batch {
		ids[i] = x.id
	}
	// The request speaks for every user in it, so it runs on a context of
	// its own: the holder's ending must not fail the others.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), riskSendTimeout)
	err := send(sctx, ids)
	cancel()
	p.last = p.now()
	for _, x := range batch {
		if err != nil && len(batch) > 1 && aboutAUser(err) {
			x.done <- errAlone
			continue
		}
		x.done <- err
	}
	return <-w.done
}

// take removes the next request's users from the waiting: w alone when it
// must be sent alone, else w and the others that may share a request.
func (b *riskBatch) take(w *riskWaiter) []*riskWaiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.waiting = slices.DeleteFunc(b.waiting, func(x *riskWaiter) bool { return x == w })
	batch := []*riskWaiter{w}
	if w.alone {
		return batch
	}
	var rest []*riskWaiter
	for _, x := range b.waiting {
		if !x.alone && len(batch) < maxRiskBatch {
			batch = append(batch, x)
			continue
		}
		rest = append(rest, x)
	}
	b.waiting = rest
	return batch
}

// drop takes w out of the waiting; false when a request already holds it.
func (b *riskBatch) drop(w *riskWaiter) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.waiting)
	b.waiting = slices.DeleteFunc(b.waiting, func(x *riskWaiter) bool { return x == w })
	return len(b.waiting) < n
}

// aboutAUser reports whether a refusal may be about one of the users named
// (an ID Graph does not know), so that each is worth sending alone; load,
// the network, a missing permission or licence speak for every user.
func aboutAUser(err error) bool {
	switch revoke.KindOf(classify("", "", err)) {
	case revoke.KindBadRequest, revoke.KindNotFound:
		return true
	}
	return false
}
