package store

import (
	"errors"
	"fmt"
	"time"
)

// ErrIllegal is a transition the state machine does not have (Transitions):
// a caller's bug, refused before the database is asked, so the request stays
// as it was. It is not a lost race, which is ErrConflict.
var ErrIllegal = errors.New("store: illegal transition")

// Edge is one legal move of a request, from one state to another.
type Edge struct{ From, To State }

// Transitions is the state machine of a request: every move Transition and
// Decide accept, and no other. A state with no edge out of it is terminal
// (State.Terminal). It is read, never written: Legal and both backends use
// this one table.
var Transitions = [...]Edge{
	{StatePending, StateRunning},   // confirmed or approved
	{StatePending, StateCancelled}, // withdrawn by the requester or an approver
	{StatePending, StateDenied},    // refused by an approver
	{StatePending, StateExpired},   // nobody decided in time
	{StatePending, StateFailed},    // could not even be shown or started
	{StateRunning, StateSucceeded},
	{StateRunning, StateFailed},
	{StateRunning, StateStopped}, // a bulk job stopped by a person
}

// Legal reports whether a request may move from `from` to `to`.
func Legal(from, to State) bool {
	for _, e := range Transitions {
		if e.From == from && e.To == to {
			return true
		}
	}
	return false
}

// checkTransition refuses what no compare-and-set should be asked to do,
// before either backend touches the database.
func checkTransition(id string, from, to State) error {
	switch {
	case !from.valid() || !to.valid():
		return fmt.Errorf("request %q: unknown state in %q -> %q: %w", id, from, to, ErrIllegal)
	case from.Terminal():
		return fmt.Errorf("request %q: %s is final, it cannot become %s: %w", id, from, to, ErrIllegal)
	case !Legal(from, to):
		return fmt.Errorf("request %q: %s cannot become %s: %w", id, from, to, ErrIllegal)
	}
	return nil
}

// decision is what Decide and Approve write besides the new state, checked
// and cleaned before the database is asked, so that a bad event or message
// fails the call rather than the transaction half way.
type decision struct {
	audit *Event // nil: no record
	tells []Tell
	job   bool // start the request's bulk job (Change.CreateJob)
	sign  Signer
	turn  *turn // SQLite: the append's turn, and its record signed before the transaction
}

// prepareDecision cleans the Audit and Tell of c, which prepareChange made.
// A zero Time of the event is the transition's At, so the record and the
// request agree on when it happened.
func prepareDecision(c Change) (decision, error) {
	d := decision{job: c.CreateJob}
	if (c.Requester == "") != (c.RequestSig == "") {
		return d, fmt.Errorf("store: a change of requester needs the statement's new signature, and only it: %w", ErrIllegal)
	}
	if c.Audit != nil {
		e, err := prepareEvent(*c.Audit, func() time.Time { return c.At })
		if err != nil {
			return d, err
		}
		d.audit = &e
	}
	var err error
	d.tells, err = prepareTells(c.Tell, d.audit != nil)
	return d, err
}
