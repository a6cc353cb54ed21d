package request

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// watchKind is the store's kind of a sign-in watch task.
const watchKind = "watch"

// watchLease is how long a replica holds a watch between looks (three
// looks' worth, at least 2 s); a watch whose replica died is carried on by
// another after it. verify.every is 10 s or more, so 30 s in practice.
func (b *watcher) watchLease() time.Duration {
	return max(3*b.policy.Verify.Every, 2*time.Second)
}

// watchState is a sign-in watch's checkpoint in the store: whom it
// watches, until when, and what it has already said.
type watchState struct {
	Users  []watchedUser `json:"users"`
	End    time.Time     `json:"end"`
	Seen   []string      `json:"seen,omitempty"`   // sign-in IDs already raised
	Unread []string      `json:"unread,omitempty"` // users whose log cannot be read: refused for good
	// Late are the users whose read failed at the last look for a reason
	// another try may cure (throttled, Graph unavailable, no answer): they
	// are read again at the next look, which covers everything since the
	// revocation, so nothing is missed.
	Late   []string `json:"late,omitempty"`
	Alarms int      `json:"alarms"`
	Begun  bool     `json:"begun"` // the "watching" record is written
}

type watchedUser struct {
	ID        string    `json:"id"`
	UPN       string    `json:"upn"`
	RevokedAt time.Time `json:"revokedAt"`
}

// watch starts the sign-in watch the policy asks for (verify.for) on the
// users whose sessions were revoked: a task in the store that this replica
// runs, and another carries on if this one stops. A watch lasts minutes,
// longer than a job may, so it runs beside the request's worker.
func (b *watcher) watch(req store.Request, outs []userOutcome) {
	v := b.policy.Verify
	if v.For <= 0 || b.cfg.SignIns == nil {
		return
	}
	st := watchState{End: time.Now().Add(v.For)}
	for _, o := range outs {
		if !o.RevokedAt.IsZero() {
			st.Users = append(st.Users, watchedUser{ID: o.User.ID, UPN: o.User.UPN, RevokedAt: o.RevokedAt})
		}
	}
	if len(st.Users) == 0 {
		return
	}
	raw, _ := json.Marshal(st)
	ctx, cancel := recordContext(context.Background())
	defer cancel()
	t := store.Task{ID: "watch:" + req.ID, Kind: watchKind, RequestID: req.ID, State: raw}
	if err := b.store.CreateTask(ctx, t); err != nil && !errors.Is(err, store.ErrDuplicate) {
		b.log.Error("could not record the sign-in watch", "request_id", req.ID, "error", err)
		b.tell.auditOrSay(ctx, req, EvUnverified, systemActor, "revokebot could not record the sign-in watch in its store, so it is not watching: check the users' sign-in logs by hand.")
		return
	}
	b.resume(t.ID, req)
}

// resumeWatches carries on the watches nobody holds: after a restart, or
// when the replica running one died. It runs at start and with every sweep.
func (b *watcher) resumeWatches(ctx context.Context) {
	if b.cfg.SignIns == nil {
		return
	}
	b.unheld(ctx, watchKind, func(req store.Request) { b.resume("watch:"+req.ID, req) })
}

// unheld hands each open task of kind that no live replica holds to
// carry, with its request: the watches and snapshots a stopped or dead
// replica left.
func (b *env) unheld(ctx context.Context, kind string, carry func(store.Request)) {
	tasks, err := b.store.OpenTasks(ctx, kind)
	if err != nil {
		b.log.Warn("could not list open tasks", "kind", kind, "error", err)
		return
	}
	now := time.Now()
	for _, t := range tasks {
		if t.Owner != "" && t.Owner != b.cfg.Replica && t.LeaseUntil.After(now) {
			continue
		}
		if req, err := b.store.Request(ctx, t.RequestID); err == nil {
			carry(req)
		}
	}
}

// resume runs watch id on this replica unless it already does.
func (b *watcher) resume(id string, req store.Request) {
	b.runs.start(id, func(ctx context.Context) { b.run(ctx, id, req) })
}

// run looks at the users' sign-in logs every verify.every until the
// watch's end, and records an alarm for each successful sign-in after the
// revocation: the attacker may hold a token revocation did not end, or the
// password. Each look renews the lease and saves the checkpoint. The watch
// runs on the wall clock because it sleeps.
func (b *watcher) run(ctx context.Context, id string, req store.Request) {
	log := b.log.With("request_id", req.ID)
	claim := func() (watchState, bool) {
		var st watchState
		t, err := b.store.ClaimTask(ctx, id, b.cfg.Replica, time.Now(), time.Now().Add(b.watchLease()))
		if err != nil {
			return st, false // another replica holds it, or it is done
		}
		if err := json.Unmarshal(t.State, &st); err != nil {
			log.Error("a sign-in watch's checkpoint cannot be read; ending it", "error", err)
			return st, false
		}
		return st, true
	}
	st, ok := claim()
	if !ok {
		return
	}
	if why := b.forgedWatch(ctx, req, st); why != "" {
		b.tell.tampered(ctx, req, "at its sign-in watch", why)
		b.save(ctx, id, st, true)
		return
	}
	who := make([]string, len(st.Users))
	for i, u := range st.Users {
		who[i] = clean(u.UPN, upnMost)
	}
	if !st.Begun {
		b.tell.auditOrSay(ctx, req, EvWatching, systemActor, fmt.Sprintf("Watching the sign-ins of %s for %s: a successful sign-in after the revocation is posted here.%s",
			strings.Join(who, ", "), duration(time.Until(st.End).Round(time.Second)), lookPace(len(st.Users), b.policy.Verify.Every)))
		st.Begun = true
		b.save(ctx, id, st, false)
	} else {
		b.tell.auditOrSay(ctx, req, EvWatching, systemActor, fmt.Sprintf("The sign-in watch of %s goes on, on replica `%s`, until %s.",
			strings.Join(who, ", "), Escape(b.cfg.Replica), clock(st.End)))
	}
	finals := 0
	for {
		last := finals > 0 || !time.Now().Before(st.End)
		began := time.Now()
		if !b.look(ctx, id, req, &st, finals > 0) {
			return // another replica carries it on
		}
		if ctx.Err() != nil {
			b.pause(req, id)
			return
		}
		if last && len(st.Late) > 0 && finals < finalTries {
			// The watch's end must not rest on a failed read: the late
			// users are read again, after a pause, a few times.
			finals++
			select {
			case <-ctx.Done():
				b.pause(req, id)
				return
			case <-time.After(min(finalPause, b.policy.Verify.Every)):
			}
			continue
		}
		if last {
			break
		}
		b.save(ctx, id, st, false)
		select {
		case <-ctx.Done():
			b.pause(req, id)
			return
		// Looks start verify.every apart; one that took longer (a look
		// at many users waits on Graph's reports budget) is followed at once.
		case <-time.After(max(min(b.policy.Verify.Every-time.Since(began), time.Until(st.End)), 0)):
		}
	}
	if !b.renew(ctx, id) {
		return
	}
	for _, u := range st.Users {
		if slices.Contains(st.Late, u.ID) {
			b.tell.auditOrSay(ctx, req, EvUnverified, systemActor, fmt.Sprintf("The sign-in log of %s could not be read at the watch's end: check its sign-ins since %s by hand.", clean(u.UPN, upnMost), clock(u.RevokedAt)))
		}
	}
	switch {
	case st.Alarms > 0:
		b.tell.auditOrSay(ctx, req, EvVerified, systemActor, fmt.Sprintf("The sign-in watch ended: %s after the revocation (above). Block sign-in with `--disable` and reset the password if you have not.", plural(st.Alarms, "successful sign-in")))
	case len(st.Unread) == len(st.Users):
		b.tell.auditOrSay(ctx, req, EvUnverified, systemActor, "The sign-in watch ended without reading any sign-in log (above): check the users' sign-ins by hand.")
	default:
		b.tell.auditOrSay(ctx, req, EvVerified, systemActor, fmt.Sprintf("The sign-in watch ended: no successful sign-in by %s after the revocation in %s.", strings.Join(who, ", "), duration(b.policy.Verify.For)))
	}
	b.save(ctx, id, st, true)
}

// look reads each user's sign-ins once (onlyLate: those whose last read
// failed, after the watch's end) and raises what is new. Before each user
// it renews the lease, so that a slow look is never taken over while
// it runs; it reports false when the lease went to another replica.
func (b *watcher) look(ctx context.Context, id string, req store.Request, st *watchState, onlyLate bool) bool {
	seen := map[string]bool{}
	for _, s := range st.Seen {
		seen[s] = true
	}
	unread := map[string]bool{}
	for _, u := range st.Unread {
		unread[u] = true
	}
	late := st.Late
	st.Late = nil
	if !b.renew(ctx, id) {
		return false
	}
	renewed := true // just now, for the first user read
	for _, u := range st.Users {
		if unread[u.ID] || onlyLate && !slices.Contains(late, u.ID) {
			continue
		}
		if !renewed && !b.renew(ctx, id) {
			return false
		}
		renewed = false
		ins, err := b.cfg.SignIns.SignIns(ctx, u.ID, u.RevokedAt)
		if ctx.Err() != nil {
			return true
		}
		if err != nil && revoke.Retryable(err) {
			st.Late = append(st.Late, u.ID)
			b.log.Warn("could not read sign-ins; reading them at the next look", "request_id", req.ID, "target", u.ID, "error", err)
			if !slices.Contains(late, u.ID) {
				b.tell.auditOrSay(ctx, req, EvUnverified, systemActor, fmt.Sprintf("Could not read the sign-in log of %s at this look (%s); it is read again at the next, from the revocation on.", clean(u.UPN, upnMost), describe(err)))
			}
			continue
		}
		if err != nil {
			st.Unread = append(st.Unread, u.ID)
			b.log.Warn("could not read sign-ins", "request_id", req.ID, "target", u.ID, "error", err)
			b.tell.auditOrSay(ctx, req, EvUnverified, systemActor, fmt.Sprintf("Could not read the sign-in log of %s, so it is not watched: %s", clean(u.UPN, upnMost), describe(err)))
			continue
		}
		for _, in := range ins {
			if !in.Success || !in.At.After(u.RevokedAt) || seen[in.ID] {
				continue
			}
			seen[in.ID] = true
			st.Seen = append(st.Seen, in.ID)
			st.Alarms++
			b.tell.auditOrSay(ctx, req, EvAlarm, systemActor, fmt.Sprintf("*Successful sign-in after the revocation:* %s signed in at %s from IP `%s` with %s. Sessions were revoked at %s.%s",
				clean(u.UPN, upnMost), clock(in.At), orDash(Escape(in.IP)), orDash(cleanName(in.App)), clock(u.RevokedAt), b.seenBefore(ctx, req.ID, u.ID, in.IP)))
		}
	}
	return true
}

// renew extends this replica's lease on watch id; false when another
// replica holds it now (or it is done), and this one must stop.
func (b *watcher) renew(ctx context.Context, id string) bool {
	_, err := b.store.ClaimTask(ctx, id, b.cfg.Replica, time.Now(), time.Now().Add(b.watchLease()))
	return err == nil || ctx.Err() != nil
}

// save writes the watch's checkpoint; a watch that lost its lease stops
// at its next claim.
func (b *watcher) save(ctx context.Context, id string, st watchState, done bool) {
	raw, _ := json.Marshal(st)
	ctx, cancel := recordContext(ctx)
	defer cancel()
	if err := b.store.SaveTask(ctx, id, b.cfg.Replica, raw, done); err != nil {
		b.log.Warn("could not save the sign-in watch", "task", id, "error", err)
	}
}

// pause hands a watch cut short by a shutdown to the next replica, and
// says so, so that nobody takes silence for a clean log.
func (b *watcher) pause(req store.Request, id string) {
	ctx, cancel := recordContext(context.Background())
	defer cancel()
	_ = b.store.ReleaseTask(ctx, id, b.cfg.Replica)
	b.tell.auditOrSay(ctx, req, EvUnverified, systemActor, "The sign-in watch paused because revokebot is restarting; another replica, or revokebot started again, carries it on.")
}

// After the watch's last look, users whose read failed for a reason another
// try may cure are read again up to finalTries times, finalPause apart (or
// verify.every, when shorter).
const (
	finalTries = 3
	finalPause = 2 * time.Second
)

// LookTakes is how long one look of the watch takes at least for users
// under Graph's reports budget, which the sign-in log shares with the
// authentication methods: revoke.ReportsLimit reads per
// revoke.ReportsWindow per app and tenant. The first window's reads go at
// once.
func LookTakes(users int) time.Duration {
	if users <= revoke.ReportsLimit {
		return 0
	}
	return time.Duration((users-1)/revoke.ReportsLimit) * revoke.ReportsWindow
}

// lookPace words, when a look at users takes longer than verify.every,
// how often each is really read, and the verify.every that keeps to it.
func lookPace(users int, every time.Duration) string {
	takes := LookTakes(users)
	if takes <= every {
		return ""
	}
	return fmt.Sprintf(" Graph lets revokebot read %d sign-in logs per %s, so a look at these %d users takes about %s: each is read every %s or so, not every %s (`verify.every: %s` or more keeps to what the policy says).",
		revoke.ReportsLimit, duration(revoke.ReportsWindow), users, duration(takes), duration(takes), duration(every), takes)
}
