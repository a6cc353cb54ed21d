package request

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// actionOutcome is what one action did to one user.
type actionOutcome struct {
	Action revoke.Action
	OK     bool
	Words  string // mrkdwn, input escaped
}

// userOutcome is what a request did to one user.
type userOutcome struct {
	RequestID string // the request it is part of
	User      revoke.User
	Actions   []actionOutcome
	RevokedAt time.Time // when Graph accepted the session revocation; zero if it did not
}

func (u userOutcome) ok() bool {
	for _, a := range u.Actions {
		if !a.OK {
			return false
		}
	}
	return true
}

// containParallel is how many users a request works on at once; each
// user's actions still run one after another, in order.
const containParallel = 4

// contain runs every action of a request on every user, each user's in the
// order of revoke.Order so that the attacker cannot sign straight back in.
// One failing action is reported and does not stop the others.
func (b *executor) contain(ctx context.Context, req store.Request, t requestTarget) {
	// Until its log part is started below, a sweep leaves the snapshot to
	// this worker: the read-back goes first under Graph's reports budget.
	defer b.runs.mark("after:" + req.ID)()
	log := b.log.With("request_id", req.ID, "targets", len(t.Users))
	verb := "Containing"
	if t.Release {
		verb = "Releasing"
	}
	start := fmt.Sprintf("%s %s: %s…", verb, plural(len(t.Users), "user"), lowerFirst(actionList(t.Actions)))
	if _, err := b.tell.audit(ctx, req, EvStarted, systemActor, start); err != nil {
		b.fail(ctx, req, "revokebot could not write its audit log, so nothing was done.")
		return
	}
	sealed := make(chan struct{})
	if t.Release {
		close(sealed)
	} else {
		go func() { defer close(sealed); b.sealSnapshot(ctx, req, t) }()
	}
	outs := make([]userOutcome, len(t.Users))
	sem := make(chan struct{}, containParallel)
	var wg sync.WaitGroup
	for i, u := range t.Users {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			outs[i] = b.containUser(ctx, req.ID, u, t.Actions, t.Listed[u.ID])
			<-sealed // the snapshot's seal comes before any outcome in the log
			// Recorded as soon as known, and told in the thread as it
			// comes: a crash before the end still leaves each finished
			// user's outcome in the audit log, and the end need not
			// repeat it.
			_, _ = b.tell.append(ctx, b.tell.event(req, EvOutcome, systemActor, userReport(outs[i])), b.tell.tells(&req, true, false))
		})
	}
	wg.Wait()

	_, failed := containReport(outs)
	to, event := store.StateSucceeded, EvSucceeded
	summary := fmt.Sprintf("Done: every action succeeded for %s.", plural(len(outs), "user"))
	if failed > 0 {
		to, event = store.StateFailed, EvFailed
		summary = fmt.Sprintf("Some actions failed for %d of %s; the thread says which.", failed, plural(len(outs), "user"))
	}
	detail := summary
	if t.Release {
		detail += "\n" + releaseLag
	}
	if _, ok := b.finish(ctx, req, to, event, summary, detail); !ok {
		return
	}
	log.Info("actions done", "failed_users", failed, "release", t.Release)
	b.readBack(ctx, req, outs)
	// A release revokes nothing, so the watch has nobody to watch.
	b.watch.watch(req, outs)
	if !t.Release {
		b.completeSnapshot(req)
	}
}

// containUser runs the actions on one user, in order.
func (b *executor) containUser(ctx context.Context, requestID string, u revoke.User, actions []revoke.Action, shown userListing) userOutcome {
	out := userOutcome{RequestID: requestID, User: u}
	for _, a := range actions {
		o := actionOutcome{Action: a}
		// A replica configured differently from the one that took the
		// request may lack an action's client.
		if why := b.unavailable(a); why != "" {
			o.Words = actionName(a) + " was not done: " + why
			out.Actions = append(out.Actions, o)
			continue
		}
		var err error
		o.Words, err = actionOf(a).run(b, ctx, u, shown, &out)
		o.OK = err == nil
		var partial *partialError
		if errors.As(err, &partial) {
			b.log.Warn("containment action partly failed", "action", string(a), "target", u.ID, "error", err)
			o.Words = actionName(a) + " partly failed. " + partial.words
		} else if err != nil && !errors.Is(err, errSaid) {
			b.log.Warn("containment action failed", "action", string(a), "target", u.ID, "error", err)
			o.Words = actionName(a) + " failed: " + describeAction(a, err)
		}
		out.Actions = append(out.Actions, o)
	}
	return out
}

// actionName names an action in a failure: "Blocking sign-in failed: …".
func actionName(a revoke.Action) string {
	if act := actionOf(a); act != nil {
		return act.verb
	}
	return string(a)
}

// describeAction words a failed action: the action's own words where it
// has reasons of its own, else the general ones.
func describeAction(a revoke.Action, err error) string {
	if act := actionOf(a); act != nil && act.failed != nil {
		if words := act.failed(err); words != "" {
			return words
		}
	}
	switch revoke.KindOf(err) {
	case revoke.KindSynced:
		return "this account is synced from an on-premises directory, so Entra ID cannot change it: disable it in on-premises Active Directory (and let the sync run), then revoke its sessions again."
	case revoke.KindUnlicensed:
		return "Identity Protection needs a Microsoft Entra ID P2 licence in this tenant, which it does not have."
	case revoke.KindFederated:
		return "this user's domain is federated, so the password lives with the identity provider (AD FS or another): reset it there."
	case revoke.KindPasswordRefused:
		return "the tenant's password policy refused the new password (stricter complexity rules, or its banned-password list), though it met Entra's published rules: reset it by hand in the Entra admin center, and tell whoever runs revokebot."
	}
	return describe(err)
}

// readBackTries bounds how often a user is read back while Graph does not
// yet show what the actions did.
const readBackTries = 3

// proofs reads each user back once the actions are done: the words, per
// user, of what Graph now says, and what it said
// (nil where it could not be read, whys saying why). Entra ID replicates
// writes with a delay, so users whose read does not show an action yet are
// read again a little later, all in one round, before the thread says so;
// users are read a few at a time, so ten lagging users cost a round's wait,
// not ten.
func (b *executor) proofs(ctx context.Context, outs []userOutcome) (words []string, read []*revoke.Proof, whys []string) {
	words, read, whys = make([]string, len(outs)), make([]*revoke.Proof, len(outs)), make([]string, len(outs))
	if b.cfg.Prover == nil {
		return words, read, whys
	}
	proofs := make([]revoke.Proof, len(outs))
	errs := make([]error, len(outs))
	todo := make([]int, len(outs))
	for i := range outs {
		todo[i] = i
	}
	for try := 1; len(todo) > 0; try++ {
		if try > 1 && revoke.SleepContext(ctx, b.cfg.ReadBackWait) != nil {
			break
		}
		sem := make(chan struct{}, containParallel)
		var wg sync.WaitGroup
		for _, i := range todo {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				proofs[i], errs[i] = b.cfg.Prover.ReadBack(ctx, outs[i].User.ID)
			})
		}
		wg.Wait()
		var again []int
		for _, i := range todo {
			if errs[i] == nil && !outs[i].shows(proofs[i]) && try < readBackTries {
				again = append(again, i)
			}
		}
		todo = again
	}
	for i, o := range outs {
		p, err := proofs[i], errs[i]
		if err != nil {
			whys[i] = "the user could not be read back (" + describe(err) + ")"
			words[i] = ":grey_question: Could not read the user back: " + describe(err)
			continue
		}
		read[i] = &p
		account := "sign-in *blocked*"
		if p.AccountEnabled {
			account = "sign-in *allowed*"
		}
		valid := "not set"
		if !p.SessionsValidFrom.IsZero() {
			valid = clock(p.SessionsValidFrom)
		}
		words[i] = fmt.Sprintf("Read back from Graph: %s (`accountEnabled` %t); tokens issued before %s are refused (`signInSessionsValidFromDateTime`).",
			account, p.AccountEnabled, valid)
		if !o.shows(p) {
			words[i] += " :warning: Graph does not show every action yet: directory changes can take a few minutes to replicate. `/revoke status` and the user's page in the Entra admin center show it later."
		}
	}
	return words, read, whys
}

// shows reports whether a read-back reflects the actions that succeeded.
func (u userOutcome) shows(p revoke.Proof) bool {
	for _, a := range u.Actions {
		if act := actionOf(a.Action); a.OK && act != nil && act.shownBy != nil && !act.shownBy(p) {
			return false
		}
	}
	// Graph stamps signInSessionsValidFromDateTime with its own clock, to
	// the second, before its answer reaches us: allow for that and for skew.
	return u.RevokedAt.IsZero() || !p.SessionsValidFrom.Before(u.RevokedAt.Add(-clockSlack))
}

// clockSlack is how far Graph's clock and ours may disagree about when a
// revocation happened.
const clockSlack = 30 * time.Second

// containReport is the thread's account of a request: each user, each
// action. It returns how many users had a failure.
func containReport(outs []userOutcome) (string, int) {
	parts := make([]string, len(outs))
	failed := 0
	for i, o := range outs {
		parts[i] = userReport(o)
		if !o.ok() {
			failed++
		}
	}
	return strings.Join(parts, "\n"), failed
}

// userReport is one user's part of the report.
func userReport(o userOutcome) string {
	var sb strings.Builder
	mark := ":white_check_mark:"
	if !o.ok() {
		mark = ":x:"
	}
	fmt.Fprintf(&sb, "%s *%s* (%s)", mark, clean(o.User.UPN, upnMost), cleanName(o.User.DisplayName))
	for _, a := range o.Actions {
		icon := ":heavy_check_mark:"
		if !a.OK {
			icon = ":x:"
		}
		fmt.Fprintf(&sb, "\n  %s %s", icon, a.Words)
	}
	return sb.String()
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
