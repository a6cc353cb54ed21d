package request

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// The log part of the evidence snapshot: each user's sign-ins of the day
// and directory events of the week before the click, and the directory
// roles they hold. The logs are read under Graph's reports budget (5 reads
// per 10 s per app and tenant), which the card, the watch and --mfa share,
// so they are read after the actions, never before them. The snapshot's
// task holds a lease while they are read: a replica that stops, or dies,
// leaves the rest to the next one (resumeSnapshots), which reads them all
// again (they end at the click, so they are the same) and seals the whole.
const (
	signInsBefore = 24 * time.Hour
	eventsBefore  = 7 * 24 * time.Hour
	// eventsRead is how many directory events are asked for: more than a
	// snapshot keeps, so that it can say some were left out.
	eventsRead = 999
	// snapshotLease is how long a replica holds a snapshot between two
	// users' reads; a read waits for the budget, 10 s at most per window.
	snapshotLease = 2 * time.Minute
	// logTries bounds the reads of one user's log that Graph throttles or
	// fails for a while (Config.ReadBackWait apart).
	logTries = 3
)

// readsLogs reports whether this revokebot reads any log a snapshot's
// log part holds.
func (b *env) readsLogs() bool { return b.cfg.SignIns != nil || b.cfg.Changes != nil }

// completeSnapshot reads the log part of req's snapshot on this replica,
// beside everything else: the request's actions are done.
func (b *executor) completeSnapshot(req store.Request) {
	id := SnapshotID(req.ID)
	b.runs.start(id, func(ctx context.Context) { b.readLogs(ctx, id, req) })
}

// resumeSnapshots carries on the log parts nobody reads: after a restart,
// or when the replica reading one died (a replica without log readers
// seals them saying so). It runs at start and with every sweep. A request
// whose actions still run is left to its worker, which starts its log
// part when they end.
func (b *executor) resumeSnapshots(ctx context.Context) {
	b.unheld(ctx, snapshotKind, func(req store.Request) {
		if req.State != store.StatePending && req.State != store.StateRunning && !b.runs.busy("after:"+req.ID) {
			b.completeSnapshot(req)
		}
	})
}

// readLogs reads every user's logs into the snapshot, then seals the whole
// with a second `snapshot` record and attaches it. It builds only on a
// first part revokebot sealed: one the database changed is said, and left.
func (b *executor) readLogs(ctx context.Context, id string, req store.Request) {
	claim := func() (store.Task, bool) {
		t, err := b.store.ClaimTask(ctx, id, b.cfg.Replica, time.Now(), time.Now().Add(snapshotLease))
		return t, err == nil
	}
	t, ok := claim()
	if !ok {
		return // another replica reads it, it is done, or revokebot is stopping
	}
	release := func() {
		rctx, cancel := recordContext(ctx)
		defer cancel()
		_ = b.store.ReleaseTask(rctx, id, b.cfg.Replica)
	}
	sealed, err := b.seals(ctx, req.ID)
	if err != nil {
		b.log.Warn("could not read a snapshot's seals; trying again later", "request_id", req.ID, "error", err)
		release()
		return
	}
	var s snapshot
	if len(sealed) == 0 {
		// Its record could not be written when it was kept: that was said
		// then, and nothing is built on a part nobody sealed.
		b.tell.auditOrSay(ctx, req, EvSnapshot, systemActor, "The evidence snapshot's first part was never sealed (its audit record could not be written), so its sign-ins and directory events were not added.")
		b.saveSnapshot(ctx, id, nil)
		return
	}
	if !slices.Contains(sealed, digestOf(t.State)) || json.Unmarshal(t.State, &s) != nil || s.Logs != logsPending {
		b.tell.auditOrSay(ctx, req, EvTampered, systemActor, "The stored evidence snapshot is not the one revokebot sealed before the actions, so its sign-ins and directory events were not added: whoever can write revokebot's database changed it. The sealed part is the one the `snapshot` record above names; check the database's access and `revokebot audit verify`.")
		b.saveSnapshot(ctx, id, nil)
		return
	}
	roles, rolesWhy := b.rolesOf(ctx)
	for i := range s.Users {
		if _, ok := claim(); !ok {
			if ctx.Err() != nil {
				release()
			}
			return // another replica reads it now, or revokebot is stopping
		}
		b.readUserLogs(ctx, &s.Users[i], s.TakenAt)
		if ctx.Err() != nil {
			release() // revokebot is stopping: the next start reads them again
			return
		}
		u := &s.Users[i]
		u.Roles = roles[strings.ToLower(u.ID)]
		if rolesWhy != "" {
			u.notRead("directory_roles", rolesWhy)
		}
	}
	s.Logs = logsRead
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return
	}
	// The seal's record and the document are kept in one transaction,
	// under the lease: told of the seal, anyone can print what it seals. A
	// stop before it leaves the first part, still sealed, and the next
	// replica reads the logs again and seals what it reads.
	if err := b.tell.sealTask(ctx, req, id, b.cfg.Replica, raw, EvSnapshot, systemActor, fmt.Sprintf(
		"Evidence snapshot of %s completed with their sign-ins of the 24 hours and directory events of the 7 days before the click, and sealed again: sha256 `%s` (`revokebot audit snapshot %s` prints it).%s",
		plural(len(s.Users), "user"), digestOf(raw), Escape(req.ID), unreadParts(s))); err != nil {
		if !errors.Is(err, store.ErrConflict) {
			release() // the next start, or sweep, reads them again
			return
		}
		if !errors.Is(err, errMaybeSealed) {
			return // another replica took the lease and reads them
		}
		// A try whose commit went through unanswered, then refused as
		// done when tried again: the document kept may be this one.
		rctx, cancel := recordContext(ctx)
		cur, terr := b.store.Task(rctx, id)
		cancel()
		if terr != nil || !cur.Done || digestOf(cur.State) != digestOf(raw) {
			return
		}
	}
	b.attachLater(req, raw)
}

// readUserLogs reads one user's sign-ins and directory events before the
// click into u, each part bounded, or says why it is not there.
func (b *executor) readUserLogs(ctx context.Context, u *userSnapshot, at time.Time) {
	left := maps.Clone(u.Left)
	if left == nil {
		left = map[string]int{}
	}
	if b.cfg.SignIns == nil {
		u.notRead("sign_ins_24h", "this revokebot does not read sign-in logs")
	} else {
		ins, err := tryLog(ctx, b.cfg.ReadBackWait, func() ([]revoke.SignIn, error) { return b.cfg.SignIns.SignIns(ctx, u.ID, at.Add(-signInsBefore)) })
		if err != nil {
			u.notRead("sign_ins_24h", describe(err))
		}
		ins = slices.DeleteFunc(ins, func(in revoke.SignIn) bool { return in.At.After(at) })
		u.SignIns = bounded(ins, "sign_ins_24h", left)
	}
	if b.cfg.Changes == nil {
		u.notRead("directory_events_7d", "this revokebot does not read the directory audit log")
	} else {
		evs, err := tryLog(ctx, b.cfg.ReadBackWait, func() ([]revoke.DirectoryEvent, error) {
			return b.cfg.Changes.DirectoryAudits(ctx, u.ID, at.Add(-eventsBefore), eventsRead)
		})
		if err != nil {
			u.notRead("directory_events_7d", describe(err))
		}
		evs = slices.DeleteFunc(evs, func(e revoke.DirectoryEvent) bool { return e.At.After(at) })
		u.DirectoryEvents = bounded(evs, "directory_events_7d", left)
	}
	if len(left) > 0 {
		u.Left = left
	}
}

// tryLog reads a log, again after pause while Graph throttles or fails
// for a while, up to logTries times.
func tryLog[T any](ctx context.Context, pause time.Duration, read func() ([]T, error)) ([]T, error) {
	var err error
	for try := 1; try <= logTries; try++ {
		var out []T
		if out, err = read(); err == nil || !revoke.Retryable(err) || ctx.Err() != nil {
			return out, err
		}
		if try < logTries && revoke.SleepContext(ctx, pause) != nil {
			break
		}
	}
	return nil, err
}

// rolesOf reads the directory roles users hold, by lower-case object ID,
// or says why it cannot. One listing of the tenant's role holders
// serves every user; no action changes a role, so the roles read after
// the actions are those held before.
func (b *executor) rolesOf(ctx context.Context) (map[string][]revoke.RoleHold, string) {
	if b.cfg.RoleHolders == nil {
		return nil, "this revokebot does not list directory role holders"
	}
	h, err := b.cfg.RoleHolders.RoleHolders(ctx)
	if err != nil {
		return nil, describe(err)
	}
	out := map[string][]revoke.RoleHold{}
	for _, holder := range h.Users {
		out[strings.ToLower(holder.ID)] = holder.Roles
	}
	why := ""
	if len(h.Notes) > 0 {
		why = "some role holders could not be listed (eligible ones, or members of groups holding roles): `revokebot check` says which permission is missing"
	}
	return out, why
}

// notRead says why part of a user's snapshot is not there.
func (u *userSnapshot) notRead(part, why string) {
	if u.NotRead == nil {
		u.NotRead = map[string]string{}
	}
	u.NotRead[part] = why
}

// unreadParts words, for the seal's record, the log parts not read.
func unreadParts(s snapshot) string {
	var parts []string
	for _, u := range s.Users {
		for _, part := range []string{"sign_ins_24h", "directory_events_7d"} {
			if why, ok := u.NotRead[part]; ok {
				parts = append(parts, fmt.Sprintf("%s of %s (%s)", strings.ReplaceAll(part, "_", " "), clean(u.UPN, upnMost), why))
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " Not read: " + strings.Join(parts, "; ") + "."
}

// seals are the digests revokebot's own `snapshot` records sealed for
// request id, oldest first; records it did not sign are not counted.
func (b *env) seals(ctx context.Context, id string) ([]string, error) {
	trail, err := b.store.AuditTrail(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range trail {
		if r.Event.Event == string(EvSnapshot) && b.unsignedRecord(r) == "" {
			if d := SnapshotDigest(r.Detail); d != "" {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// saveSnapshot ends the snapshot's task, keeping raw (nil: what is stored);
// false when the store would not.
func (b *executor) saveSnapshot(ctx context.Context, id string, raw []byte) bool {
	ctx, cancel := recordContext(ctx)
	defer cancel()
	if err := b.store.SaveTask(ctx, id, b.cfg.Replica, raw, true); err != nil {
		if !errors.Is(err, store.ErrConflict) {
			b.log.Error("could not keep the evidence snapshot", "task", id, "error", err)
		}
		return false
	}
	return true
}
