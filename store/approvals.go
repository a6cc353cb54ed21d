package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Approval is one approver's approval of a request.
type Approval struct {
	Approver string    // Slack user ID
	At       time.Time // in UTC, to the microsecond
	Sig      string    // the bot's signature of the approval (Change.ApprovalSig)
}

// Quorum keeps the approvals of requests that run once N different people
// have approved them (N of M). Each approval is a compare-and-set like
// Decide's, and counting is part of it: two approvals arriving at once, on
// one replica or two, are both counted and move the request at most once,
// and an approver who clicks twice is counted once.
//
// The store counts approvers; it does not know who may approve. The caller
// refuses the requester and anyone else not allowed before calling Approve.
type Quorum interface {
	// Approve records approver's approval of pending request id and, when it
	// is the need-th distinct approval (a need below 1 means 1), moves the
	// request to running, in one transaction with c's record, messages and
	// job:
	//
	//   - The request must be pending and, when c.Unexpired, its ExpiresAt
	//     after c.At (zero: now); otherwise Approve returns the current
	//     request and an error wrapping ErrConflict, and writes nothing. An
	//     unknown request is ErrNotFound.
	//   - An approver who approved already is counted once: Approve returns
	//     the current request, the approvals so far and an error wrapping
	//     ErrDuplicate, and writes nothing.
	//   - Otherwise the approval is stored with At c.At, c.Audit is appended
	//     (as Decide does) and c.Tell put in the outbox, telling of that
	//     record, whether or not the request moves: the record says "approved,
	//     1 of 2" as well as "approved, 2 of 2".
	//   - With need approvals the request becomes running, as Decide(id,
	//     pending, running, c) would make it, with DecidedBy c.DecidedBy or,
	//     when that is empty, approver; c.CreateJob starts its bulk job.
	//   - With fewer it stays pending and only its UpdatedAt becomes c.At, so
	//     that whoever redraws its card from the stored request sees that it
	//     changed; DecidedBy, Detail and CreateJob wait for the last approval.
	//
	// It returns the request after the change, all its approvals oldest first
	// (by At, then Approver) and the record appended (zero without c.Audit).
	Approve(ctx context.Context, id, approver string, need int, c Change) (Request, []Approval, Record, error)
	// Approvals lists a request's approvals, oldest first (by At, then
	// Approver); empty for none or an unknown request.
	Approvals(ctx context.Context, id string) ([]Approval, error)
}

// approval is an Approve call checked and cleaned before the database is
// asked, as decision is for Decide, so that both backends count and write
// exactly the same and a bad event fails the call, not the transaction.
type approval struct {
	id, approver string
	need         int
	c            Change   // made by prepareChange
	d            decision // written with every approval counted
}

func prepareApproval(id, approver string, need int, c Change, now func() time.Time) (approval, error) {
	a := approval{id: cleanText(id), approver: cleanText(approver), need: max(need, 1), c: prepareChange(c, now)}
	if a.approver == "" {
		return a, fmt.Errorf("store: approval of request %q without an approver", a.id)
	}
	var err error
	a.d, err = prepareDecision(a.c)
	return a, err
}

// check is Approve's compare, made on the request as read with its row
// locked, so that it holds until the commit: pending and, when asked,
// unexpired. It explains a refusal as Decide's lost compare-and-set does.
func (a approval) check(cur Request) error {
	if cur.State != StatePending || a.c.Unexpired && !cur.ExpiresAt.IsZero() && !cur.ExpiresAt.After(a.c.At) {
		return casConflict(cur, StatePending)
	}
	return nil
}

// step is what `approved` approvals, this one among them, make of the
// request: the state it goes to, the change the compare-and-set writes and
// what is written beside it. Short of need the request stays pending and
// only its UpdatedAt moves (see Quorum.Approve), and its job waits.
func (a approval) step(approved int) (State, Change, decision) {
	if approved >= a.need {
		c := a.c
		if c.DecidedBy == "" {
			c.DecidedBy = a.approver
		}
		return StateRunning, c, a.d
	}
	d := a.d
	d.job = false
	return StatePending, Change{At: a.c.At, Unexpired: a.c.Unexpired}, d
}

// notFound and duplicate are the refusals Approve returns as they are.
func (a approval) notFound() error { return fmt.Errorf("request %q: %w", a.id, ErrNotFound) }

func (a approval) duplicate() error {
	return fmt.Errorf("request %q: %q approved it already: %w", a.id, a.approver, ErrDuplicate)
}

// result is what Approve returns once its transaction has ended with err:
// r and as are what the transaction read or wrote, and are only returned
// where Quorum.Approve says; any other error is the database's.
func (a approval) result(r Request, as []Approval, rec Record, err error) (Request, []Approval, Record, error) {
	switch {
	case err == nil:
		return r, as, rec, nil
	case errors.Is(err, ErrNotFound):
		return Request{}, nil, Record{}, err
	case errors.Is(err, ErrConflict):
		return r, nil, Record{}, err
	case errors.Is(err, ErrDuplicate):
		return r, as, Record{}, err
	}
	return Request{}, nil, Record{}, fmt.Errorf("store: approval of request %q by %q: %w", a.id, a.approver, err)
}
