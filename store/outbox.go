package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Delivery is what a message of the outbox does when it is delivered.
type Delivery string

// The deliveries the outbox knows. Reply and audit tell of an audit record,
// so they can only be written with one (Change.Audit, AppendAudit).
const (
	DeliverReply Delivery = "reply" // the record's words as a reply in its request's thread
	DeliverCard  Delivery = "card"  // redraw the request's root card from its stored state (post it when RootTS is empty)
	DeliverAudit Delivery = "audit" // the record as a line in the audit channel
)

// Tell asks for one message to be delivered after the write that carries it.
type Tell struct {
	Kind      Delivery
	Key       string // delivery order: messages with the same key are delivered one at a time, in Seq order
	RequestID string
	Channel   string // the audit channel for DeliverAudit; may be empty otherwise
}

// Message is a Tell as the outbox keeps it until it is delivered.
type Message struct {
	Seq int64 // assigned by the store, increasing, never reused
	Tell
	AuditSeq   int64     // the audit record it tells of; 0 for none
	Attempts   int       // failed deliveries so far (Retry)
	NextAt     time.Time // not to be tried before; zero: at once
	Owner      string    // who holds the lease; empty when nobody does
	LeaseUntil time.Time
	LastError  string // why the last attempt failed
	CreatedAt  time.Time
}

// Outbox is the durable queue of Slack messages. A message is written in the
// same transaction as the change it announces (Change.Tell, AppendAudit), so
// it is sent at least once however the process dies; a replica claims it
// with a lease, as a bulk job is claimed, and says when it has been
// delivered. Delivered messages are deleted: the audit log is the lasting
// account of what happened, and a queue that only holds what is still to do
// stays small, so a claim reads few rows.
//
// Every write after a claim names the owner and fails with ErrConflict when
// the message has passed to someone else (or is gone, delivered by them).
// As for Bulk, the fence checks the owner, not the time.
type Outbox interface {
	// Enqueue puts messages in the outbox that tell of no audit record
	// (AuditSeq 0), such as a card to post; they may be tried at once.
	Enqueue(ctx context.Context, tells ...Tell) error
	// ClaimMessages gives owner, until `until`, the first undelivered message
	// (by Seq) of up to limit keys, each when its NextAt is at or before now
	// and it is not leased to another owner (it has no owner, its lease ended
	// at or before now, or owner holds it already), and returns them by Seq.
	// A message is never returned while an earlier one of its key is
	// undelivered, even if that one is leased or waiting for its NextAt.
	// The claim is atomic: two replicas claiming at once never get the same
	// message. owner must not be empty and until must be after now (a zero
	// now means the store's clock); a limit of 0 claims nothing.
	ClaimMessages(ctx context.Context, owner string, now, until time.Time, limit int) ([]Message, error)
	// Delivered removes message seq, which owner holds; ErrConflict, changing
	// nothing, when owner does not hold it.
	Delivered(ctx context.Context, seq int64, owner string) error
	// Retry records a failed attempt of message seq, which owner holds: one
	// more attempt, NextAt next (zero: at once), LastError lastErr, and the
	// lease released. ErrConflict, changing nothing, when owner does not hold it.
	Retry(ctx context.Context, seq int64, owner string, next time.Time, lastErr string) error
	// OutboxPending counts the undelivered messages.
	OutboxPending(ctx context.Context) (int, error)
}

func (d Delivery) valid() bool { return d == DeliverReply || d == DeliverCard || d == DeliverAudit }

// prepareTells checks and cleans tells the way prepareRequest does a
// request; withRecord says whether the write that carries them appends an
// audit record for them to tell of.
func prepareTells(tells []Tell, withRecord bool) ([]Tell, error) {
	out := make([]Tell, 0, len(tells))
	for _, t := range tells {
		t.Kind = Delivery(cleanText(string(t.Kind)))
		t.Key, t.RequestID, t.Channel = cleanText(t.Key), cleanText(t.RequestID), cleanText(t.Channel)
		switch {
		case !t.Kind.valid():
			return nil, fmt.Errorf("store: tell: unknown delivery %q", t.Kind)
		case t.Key == "":
			return nil, fmt.Errorf("store: tell %s without a key", t.Kind)
		case t.Kind != DeliverCard && !withRecord:
			// A message keeps no words of its own: a reply or an audit line
			// without a record would have nothing to say.
			return nil, fmt.Errorf("store: tell %s without an audit record to tell of", t.Kind)
		case t.Kind != DeliverAudit && t.RequestID == "":
			return nil, fmt.Errorf("store: tell %s without a request", t.Kind)
		case t.Kind == DeliverAudit && t.Channel == "":
			return nil, errors.New("store: tell audit without a channel")
		}
		out = append(out, t)
	}
	return out, nil
}

// prepareMessageClaim cleans and checks ClaimMessages' arguments, for the
// reasons prepareClaim gives.
func prepareMessageClaim(owner string, now, until time.Time, limit int, clock func() time.Time) (string, time.Time, time.Time, error) {
	owner = cleanText(owner)
	if now = utc(now); now.IsZero() {
		now = utc(clock())
	}
	until = utc(until)
	switch {
	case owner == "":
		return owner, now, until, errors.New("store: claim messages without an owner")
	case !until.After(now):
		return owner, now, until, fmt.Errorf("store: claim messages: lease until %s is not after %s", until, now)
	case limit < 0:
		return owner, now, until, fmt.Errorf("store: claim messages: negative limit %d", limit)
	}
	return owner, now, until, nil
}

// messageColumns is what every read of a message selects.
const messageColumns = `seq, kind, order_key, request_id, channel, audit_seq, attempts, next_at, owner, lease_until, last_error, created_at`

// firstOfKey is the claim's choice, in either backend's SQL (%[1]s is the
// placeholder of now, %[2]s of owner): the first message of its key, due,
// and free or already owner's. Delivered messages are deleted, so the first
// row of a key is its first undelivered message.
const firstOfKey = `f.seq = (SELECT min(e.seq) FROM outbox e WHERE e.order_key = f.order_key)
	AND (f.next_at IS NULL OR f.next_at <= %[1]s)
	AND (f.owner = '' OR f.owner = %[2]s OR f.lease_until IS NULL OR f.lease_until <= %[1]s)`

// messageConflict explains a refused write after a claim: holder has the
// message now, or it is gone (delivered by whoever took it over).
func messageConflict(seq int64, owner, holder string, found bool) error {
	if !found {
		return fmt.Errorf("message %d: %q does not hold it: it is no longer in the outbox: %w", seq, owner, ErrConflict)
	}
	return fmt.Errorf("message %d: %q does not hold it (%q does): %w", seq, owner, holder, ErrConflict)
}
