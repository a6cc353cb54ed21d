package request

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// deliverer sends the outbox's messages to Slack: each message at least
// once, in order per thread and in record order in the audit channel,
// through Slack outages, restarts and replicas (the store leases each
// message to one replica at a time).
type deliverer struct {
	*env
	kick chan struct{}
	// drawn remembers the last card this process drew for each request,
	// so that a redraw of a card whose stored state has not changed since
	// (two decisions told after both were recorded) is not sent again.
	drawn   map[string]string
	drawnMu sync.Mutex
}

// maxDrawn bounds drawn: past it, the memory starts again, which costs at
// most one redundant redraw a card.
const maxDrawn = 1024

// alreadyDrawn reports whether card m of request id is what this process
// last drew, and remembers it otherwise.
func (d *deliverer) alreadyDrawn(id string, m Message) bool {
	raw, _ := json.Marshal(m)
	sum := sha256.Sum256(raw)
	key := string(sum[:])
	d.drawnMu.Lock()
	defer d.drawnMu.Unlock()
	if d.drawn[id] == key {
		return true
	}
	if d.drawn == nil || len(d.drawn) >= maxDrawn {
		d.drawn = map[string]string{}
	}
	d.drawn[id] = key
	return false
}

// The outbox runs on the wall clock, not the injected one: its timings are
// Slack's (rate limits, retries), not the policy's deadlines.

// Outbox tuning: a claim holds a message this long, at most this many keys
// are worked on at once, and the store is looked at this often when
// nothing wakes the loop (messages of other replicas, retries due).
const (
	outboxParallel = 8
	outboxPoll     = 250 * time.Millisecond
	// A message Slack refuses for what it is (see undeliverable) is tried
	// this many times before it is given up.
	outboxPermanentTries = 5
)

// run delivers until ctx ends.
func (d *deliverer) run(ctx context.Context) {
	t := time.NewTicker(outboxPoll)
	defer t.Stop()
	for {
		if d.deliverDue(ctx) > 0 {
			continue // the next message of a key is due now
		}
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
		case <-t.C:
		}
	}
}

// outboxFlush bounds how long a shutdown waits for the outbox.
const outboxFlush = 5 * time.Second

// flush delivers until the outbox is empty, or limit passes: a message
// whose attempt the stopping loop cut short is due again a moment later.
func (d *deliverer) flush(ctx context.Context, limit time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for ctx.Err() == nil {
		if d.deliverDue(ctx) > 0 {
			continue
		}
		if n, err := d.store.OutboxPending(ctx); err != nil || n == 0 {
			return
		}
		if revoke.SleepContext(ctx, 100*time.Millisecond) != nil {
			return
		}
	}
}

// deliverDue claims what is due and delivers it, one goroutine a key; it
// returns how many messages it claimed.
func (d *deliverer) deliverDue(ctx context.Context) int {
	now := time.Now()
	msgs, err := d.store.ClaimMessages(ctx, d.cfg.Replica, now, now.Add(d.cfg.OutboxLease), outboxParallel)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("could not read the outbox", "error", err)
		}
		return 0
	}
	var wg sync.WaitGroup
	for _, m := range msgs {
		wg.Go(func() { d.deliverOne(ctx, m) })
	}
	wg.Wait()
	return len(msgs)
}

// deliverOne sends one message and records how that went.
func (d *deliverer) deliverOne(ctx context.Context, m store.Message) {
	err := d.send(ctx, m)
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if err == nil || errors.Is(err, errGone) {
		if err := d.store.Delivered(rctx, m.Seq, d.cfg.Replica); err != nil && !errors.Is(err, store.ErrConflict) {
			d.log.Warn("could not mark an outbox message delivered; it may be sent again", "seq", m.Seq, "error", err)
		}
		return
	}
	var se *SendError
	errors.As(err, &se)
	if se != nil && undeliverable[se.Code] && m.Attempts+1 >= outboxPermanentTries {
		if d.giveUp(rctx, m, sendCode(err)) == nil {
			_ = d.store.Delivered(rctx, m.Seq, d.cfg.Replica)
			return
		}
		// Not recorded: kept, and given up on a later try.
	}
	wait := backoff(m.Attempts, se)
	if se != nil && !se.Temporary && !undeliverable[se.Code] {
		// A channel the bot left, a token refused: nothing a retry mends
		// soon, and nothing to give up on either. Someone must act.
		wait = max(wait, min(time.Duration(m.Attempts+1)*5*time.Second, time.Minute))
	}
	if err == errNoCard {
		wait = 100 * time.Millisecond
	}
	if err := d.store.Retry(rctx, m.Seq, d.cfg.Replica, time.Now().Add(wait), sendCode(err)); err != nil && !errors.Is(err, store.ErrConflict) {
		d.log.Warn("could not record an outbox retry", "seq", m.Seq, "error", err)
	}
	switch {
	case m.Attempts == 0:
		d.log.Warn("could not deliver to slack; will try again", "kind", string(m.Kind), "request_id", m.RequestID, "error", sendCode(err))
	case m.Attempts%20 == 19:
		d.log.Error("slack still refuses a message; it waits in the outbox", "kind", string(m.Kind), "request_id", m.RequestID,
			"attempts", m.Attempts+1, "error", sendCode(err))
	}
}

// undeliverable are Slack's answers about a message itself, which no
// retry mends: such a message is given up after a few tries, so that it
// does not hold up its thread or the audit channel for ever. Every other
// failure is retried until Slack takes the message.
var undeliverable = map[string]bool{
	"msg_too_long": true, "invalid_blocks": true, "invalid_blocks_format": true, "no_text": true,
	"message_not_found": true, "cant_update_message": true, "edit_window_closed": true,
}

// errGone marks a message that has nothing left to deliver to.
var errGone = errors.New("nothing to deliver to")

// errNoCard marks a thread message whose card is not posted yet.
var errNoCard = &SendError{Code: "card not posted yet", Temporary: true}

// send renders a message from the durable state it points at and posts it.
func (d *deliverer) send(ctx context.Context, m store.Message) error {
	switch m.Kind {
	case store.DeliverAudit:
		rec, err := d.store.AuditRecord(ctx, m.AuditSeq)
		if err != nil {
			return storeErr(err)
		}
		if why := d.unsignedRecord(rec); why != "" {
			d.refuseUnsigned(ctx, rec, why)
			return errGone
		}
		_, err = d.msg.Post(ctx, m.Channel, "", Message{Text: clipReply(auditLine(rec))})
		return err
	case store.DeliverReply, store.DeliverCard:
		req, err := d.store.Request(ctx, m.RequestID)
		if err != nil {
			return storeErr(err)
		}
		if req.RootTS == "" {
			if req.State.Terminal() {
				return errGone // its card was never posted: there is no thread
			}
			return errNoCard
		}
		if m.Kind == store.DeliverCard {
			msg := cardMessage(d.cardFor(ctx, req))
			if d.alreadyDrawn(req.ID, msg) {
				return nil
			}
			if err := d.msg.Update(ctx, req.Channel, req.RootTS, msg); err != nil {
				d.forgetDrawn(req.ID)
				return err
			}
			return nil
		}
		rec, err := d.store.AuditRecord(ctx, m.AuditSeq)
		if err != nil {
			return storeErr(err)
		}
		if why := d.unsignedRecord(rec); why != "" {
			d.refuseUnsigned(ctx, rec, why)
			return errGone
		}
		if rec.RequestID != req.ID {
			// A genuine record of another request, pointed at this
			// thread by a row the bot did not write.
			d.refuseUnsigned(ctx, rec, "it is a record of another request")
			return errGone
		}
		text := Event(rec.Event.Event).icon() + " " + rec.Detail
		if Event(rec.Event.Event) == EvOutcome {
			text = rec.Detail // a user's report carries its own mark
		}
		_, err = d.msg.Post(ctx, req.Channel, req.RootTS, Message{Text: clipReply(text)})
		return err
	}
	return errGone
}

// maxReply keeps a thread reply under Slack's 40,000 characters, which it
// refuses for good (msg_too_long): a containment of 20 users with long
// lists of removed items can reach it.
const maxReply = 39000

// clipReply shortens a reply that would be refused, pointing to where the
// whole of it is: each user's outcome is its own audit record.
func clipReply(text string) string {
	if len([]rune(text)) <= maxReply {
		return text
	}
	const more = "\n… cut short for Slack: each user's full outcome is its own record in the audit log and the audit channel."
	return clipRunes(text, maxReply-len([]rune(more))-1) + more
}

// storeErr turns a store failure while rendering into a retry, except a
// message pointing at nothing, which no retry mends.
func storeErr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errGone
	}
	return &SendError{Code: "store unavailable", Temporary: true}
}

// backoff is how long a message waits after its attempt-th failure: what
// Slack asked for, else half a second doubling to 5 s, so that everything
// waiting goes out within seconds of Slack's return. One message per key is
// tried at a time, so an outage costs a few requests a second at most.
func backoff(attempts int, se *SendError) time.Duration {
	if se != nil && se.RetryAfter > 0 {
		return se.RetryAfter
	}
	d := 500 * time.Millisecond << min(attempts, 4)
	return min(d, 5*time.Second)
}

// forgetDrawn drops what alreadyDrawn remembered of a card whose update
// failed, so that the retry sends it.
func (d *deliverer) forgetDrawn(id string) {
	d.drawnMu.Lock()
	defer d.drawnMu.Unlock()
	delete(d.drawn, id)
}
