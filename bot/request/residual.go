package request

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/revokebot/revokebot/revoke"
)

// What access is left: after the actions, each user is read again and
// held, action by action, against what the card listed before them (the
// evidence snapshot's first part). "The API said 200" is not containment:
// a rule the action could not disable, a method registered again since,
// sessions still valid from before, are each named as still there, and the
// thread flags them. Each action says how in its own file (action.left).

// leftState is what a read-back says of one action's target.
type leftState int

const (
	leftGone      leftState = iota + 1 // nothing of it is left
	leftStill                          // some of it is still there: the action did not take hold
	leftUnchecked                      // it could not be read; words say why
)

// residual is one action's line of the report.
type residual struct {
	state leftState
	words string // mrkdwn, directory text cleaned
}

func gone(words string) residual       { return residual{leftGone, words} }
func stillThere(words string) residual { return residual{leftStill, words} }
func unchecked(why string) residual    { return residual{leftUnchecked, "Not checked: " + why} }

// leftCheck is what an action's left holds against: the card's listing
// (Before), the action's listing read again after it (After; empty for an
// action that lists nothing), the user read back (Proof, nil when it could
// not be, ProofWhy saying why) and what the actions did to the user.
type leftCheck struct {
	Before, After userListing
	Proof         *revoke.Proof
	ProofWhy      string
	Out           userOutcome
	Done          bool // this action succeeded
}

// notShownYet is the line of an action that succeeded but that the user
// read back does not show yet: Entra ID replicates with a delay, and the
// read-back's own words say so. It is not access left.
func notShownYet() residual {
	return unchecked("Graph does not show it yet: directory changes can take a few minutes to replicate (`/revoke status` shows it later).")
}

// account is the user read back, or the line saying why it is not there.
func (c leftCheck) account() (revoke.Proof, residual, bool) {
	if c.Proof == nil {
		return revoke.Proof{}, unchecked(c.ProofWhy), false
	}
	return *c.Proof, residual{}, true
}

// accessLeft reads each user's listings again, for the actions that have
// them, and words, per user, each action's line; it returns the words and
// how many lines say something is still there. proofs and whys are the
// users read back (nil and why where not).
func (b *executor) accessLeft(ctx context.Context, outs []userOutcome, listed map[string]userListing, proofs []*revoke.Proof, whys []string) ([]string, int) {
	words := make([]string, len(outs))
	counts := make([]int, len(outs))
	sem := make(chan struct{}, containParallel)
	var wg sync.WaitGroup
	for i, o := range outs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c := leftCheck{Before: listed[o.User.ID], Proof: proofs[i], ProofWhy: whys[i], Out: o}
			words[i], counts[i] = b.userLeft(ctx, c)
		})
	}
	wg.Wait()
	still := 0
	for _, n := range counts {
		still += n
	}
	return words, still
}

// userLeft is one user's lines of the report and how many say still there.
func (b *executor) userLeft(ctx context.Context, c leftCheck) (string, int) {
	var lines []string
	still := 0
	for _, a := range c.Out.Actions {
		act := actionOf(a.Action)
		if act == nil || act.left == nil {
			continue
		}
		cc := c
		cc.After, cc.Done = userListing{}, a.OK
		var r residual
		switch why := act.missing(b.cfg); {
		case why != "":
			r = unchecked("this revokebot cannot: " + why)
		default:
			if act.list != nil {
				act.list(b, ctx, c.Out.User)(&cc.After)
			}
			r = act.left(cc)
		}
		icon := ":white_check_mark: Gone"
		switch r.state {
		case leftStill:
			icon, still = ":x: *Still there*", still+1
		case leftUnchecked:
			icon = ":grey_question:"
		}
		lines = append(lines, fmt.Sprintf("  %s (%s): %s", icon, act.short, r.words))
	}
	return strings.Join(lines, "\n"), still
}

// leftWords is the report's part of a user's read-back record.
func leftWords(lines string) string {
	if lines == "" {
		return ""
	}
	return "\n*What access is left*, against what the card listed before the actions:\n" + lines
}

// listedBefore words, in a line of the report, how much the card listed;
// what was still being listed at the click was not.
func (c leftCheck) listedBefore(n int) string {
	if c.Before.Pending {
		return "the card was still listing at the click"
	}
	return fmt.Sprintf("%d listed before", n)
}

// leftNames words what is still there for the report, marking what the
// card did not list before as new.
func leftNames[T any](xs []T, name func(T) string, key func(T) string, before []T) string {
	was := map[string]bool{}
	for _, x := range before {
		was[key(x)] = true
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = name(x)
		if !was[key(x)] {
			parts[i] += " (new since the card)"
		}
	}
	return strings.Join(parts, ", ")
}
