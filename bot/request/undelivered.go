package request

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/revokebot/revokebot/store"
)

// A message Slack refuses for what it is (see undeliverable) is given up,
// so that it does not hold up its thread or the audit channel for ever.
// Giving up deletes it from the outbox, so the give-up is itself an audit
// record: the log then says why a line is missing from the audit channel
// (audit verify --slack reads it) or a reply from a thread.

// giveUp writes the undelivered record of m, which Slack refused with
// code on its last try. An error means nothing was written and m must stay
// in the outbox: a message is never dropped without its record.
func (d *deliverer) giveUp(ctx context.Context, m store.Message, code string) error {
	d.log.Error("slack refuses this message for good; giving it up", "seq", m.Seq, "kind", string(m.Kind),
		"request_id", m.RequestID, "audit_seq", m.AuditSeq, "error", code)
	e := store.Event{Time: d.now().UTC(), Event: string(EvUndelivered), RequestID: m.RequestID, Actor: systemActor,
		Detail: undeliveredDetail(m, code)}
	if m.AuditSeq > 0 {
		rec, err := d.store.AuditRecord(ctx, m.AuditSeq)
		if err != nil {
			return err
		}
		if Event(rec.Event.Event) == EvUndelivered {
			// The line of a give-up refused in turn: one more record would
			// only be refused again. The log line above is all there is.
			return nil
		}
		e.RequestID, e.Target = rec.RequestID, rec.Target
	}
	// The audit channel only: a reply in a thread Slack refuses would be
	// refused again.
	_, err := d.tell.append(ctx, e, d.tell.tells(nil, false, false))
	return err
}

// undeliveredDetail words a give-up. An audit line's begins as
// undeliveredPattern reads it.
func undeliveredDetail(m store.Message, code string) string {
	why := fmt.Sprintf("for good (`%s`, %d tries); the outbox gave it up", Escape(code), m.Attempts+1)
	switch m.Kind {
	case store.DeliverAudit:
		return fmt.Sprintf("record #%d: Slack refused its line in the audit channel %s %s, so the channel will not show it",
			m.AuditSeq, Escape(m.Channel), why)
	case store.DeliverReply:
		return fmt.Sprintf("record #%d: Slack refused its reply in the request's thread %s", m.AuditSeq, why)
	}
	return "Slack refused the redraw of the request's card " + why + ", so the card may show an older state"
}

// undeliveredPattern reads the number of the record whose audit-channel
// line was given up off the start of an undelivered record's detail.
var undeliveredPattern = regexp.MustCompile(`^record #([0-9]{1,18}): Slack refused its line in the audit channel `)

// givenUpLine returns the record whose audit-channel line rec says was
// given up; ok is false for any other record.
func givenUpLine(rec store.Record) (seq int64, ok bool) {
	if Event(rec.Event.Event) != EvUndelivered {
		return 0, false
	}
	m := undeliveredPattern.FindStringSubmatch(rec.Detail)
	if m == nil {
		return 0, false
	}
	seq, err := strconv.ParseInt(m[1], 10, 64)
	return seq, err == nil && seq > 0
}
