package request

import (
	"context"
	"errors"

	"github.com/revokebot/revokebot/revoke"
)

// action is one step a request takes on each user: a containment action
// or a release's. Everything revokebot knows of it is in its value, in one
// file (action_*.go): adding an action is adding a file and a line to the
// lists below, not editing a switch in every part of the workflow.
type action struct {
	name revoke.Action
	// line says on the card what it will do, short says it within a
	// sentence ("block sign-in"), and verb names it when it fails
	// ("Blocking sign-in").
	line, short, verb string
	// missing says why this deployment cannot run it, "" when it can.
	missing func(Config) string
	// list reads for the card what the action will remove from u and
	// returns what writes it into the user's listing (its own fields
	// only: the actions of a card list at once); lines words that under
	// the user's line. Both nil when it lists nothing.
	list  func(b *executor, ctx context.Context, u revoke.User) func(*userListing)
	lines func(l userListing) string
	// run does it to u, shown being what the card listed, and returns its
	// words (mrkdwn, directory text cleaned). An error whose words are
	// already said is errSaid; a partialError did part of the work.
	run func(b *executor, ctx context.Context, u revoke.User, shown userListing, out *userOutcome) (string, error)
	// failed words a failure where the action has reasons of its own; ""
	// leaves describe's general words.
	failed func(err error) string
	// shownBy reports whether a user read back from Graph shows the
	// action done; nil when the read-back cannot tell.
	shownBy func(p revoke.Proof) bool
	// left says, after the actions, what of the action's target is left
	// against what the card listed (residual.go): its line of the report
	// of what access is left. nil: the action leaves no access to check.
	left func(c leftCheck) residual
}

// containActions are the containment actions, in the order they run for
// each user (revoke.Order, which the grammar, `check` and the policy's
// validation take; a test holds the two together).
var containActions = []*action{&disableAction, &resetPasswordAction, &sessionsAction, &mfaAction, &consentsAction,
	&mailboxAction, &forwardingAction, &protocolsAction, &sharePointAction, &slackAction, &compromisedAction}

// releaseActions are a release's steps, in order (revoke.ReleaseOrder).
var releaseActions = []*action{&enableAction, &dismissRiskAction, &restoreProtocolsAction}

// actionOf is a's value; nil for a name revokebot does not know (a request
// stored by a later version).
func actionOf(a revoke.Action) *action {
	for _, act := range containActions {
		if act.name == a {
			return act
		}
	}
	for _, act := range releaseActions {
		if act.name == a {
			return act
		}
	}
	return nil
}

// errSaid marks an action's failure whose words are already in its outcome.
var errSaid = errors.New("the action failed; its words say how")
