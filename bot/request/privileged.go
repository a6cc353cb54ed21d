package request

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// RoleLister lists the users holding directory roles, whom /revoke all
// revokes before everyone else.
type RoleLister interface {
	RoleHolders(ctx context.Context) (revoke.RoleHolders, error)
}

// privilegedKind is the store's kind of the task that keeps a job's
// privileged set: who goes first, and how many they are.
const privilegedKind = "privileged"

// privilegedFor bounds the lookup of role holders before a job lists.
const privilegedFor = 2 * time.Minute

// privilegedSet is a job's privileged accounts, as its checkpoint keeps
// them: they hold the checkpoint's first Count places.
type privilegedSet struct {
	Users   []revoke.User `json:"users"`
	Count   int           `json:"count"`
	Skipped int           `json:"skipped,omitempty"` // of them, left out by the policy (protected)
	Notes   []string      `json:"notes,omitempty"`
}

// holderUsers are the role holders as the bulk engine takes them. Graph's
// role listing gives no userType or accountEnabled: a guest is known by its
// UPN, and a disabled holder is revoked anyway (harmless, and its tokens
// are the ones that matter).
func holderUsers(h revoke.RoleHolders) []revoke.User {
	out := make([]revoke.User, len(h.Users))
	for i, u := range h.Users {
		out[i] = revoke.User{ID: u.ID, UPN: u.UPN, DisplayName: u.DisplayName, UserType: "Member", AccountEnabled: true}
		if strings.Contains(strings.ToUpper(u.UPN), "#EXT#") {
			out[i].UserType = "Guest"
		}
	}
	return out
}

// firstUsers is the bulk engine's First for req: the privileged set kept
// in the store, or, on the job's first run, the role holders read from
// Graph now and kept. Without a RoleLister, or without the permission, the
// job runs in listing order and the thread says why.
func (b *bulkRunner) firstUsers(req store.Request) func(ctx context.Context) ([]revoke.User, error) {
	return func(ctx context.Context) ([]revoke.User, error) {
		if b.cfg.RoleHolders == nil {
			return nil, nil
		}
		id := privilegedKind + ":" + req.ID
		if set, ok := b.loadPrivileged(ctx, req); ok {
			return set.Users, nil
		}
		lctx, cancel := context.WithTimeout(ctx, privilegedFor)
		holders, err := b.cfg.RoleHolders.RoleHolders(lctx)
		cancel()
		if err != nil {
			why := describe(err)
			if revoke.KindOf(err) == revoke.KindForbidden {
				why = "the app lacks `RoleManagement.Read.Directory`, so it cannot see who holds directory roles."
			}
			b.tell.auditOrSay(ctx, req, EvPrivileged, systemActor, "Privileged accounts are not taken first: "+why+" The job revokes in listing order.")
			return nil, err
		}
		// Every user of the set takes a place in the checkpoint, skipped or
		// not: the first len(Users) places are theirs.
		set := privilegedSet{Users: holderUsers(holders)}
		set.Count = len(set.Users)
		for _, u := range set.Users {
			if b.skipReason(u) != "" {
				set.Skipped++
			}
		}
		for _, n := range holders.Notes {
			set.Notes = append(set.Notes, n.String())
		}
		raw, _ := json.Marshal(set)
		if err := b.store.CreateTask(ctx, store.Task{ID: id, Kind: privilegedKind, RequestID: req.ID, State: raw}); err != nil && !errors.Is(err, store.ErrDuplicate) {
			return nil, err
		}
		protected := b.protectedHolders(set.Users)
		words := fmt.Sprintf("Revoking the %s holding directory roles first, then everyone else.", plural(len(set.Users)-protected, "privileged account"))
		if len(set.Users) == 0 {
			words = "No user holds a directory role that Graph shows, so the job revokes in listing order."
		}
		if protected > 0 {
			words += fmt.Sprintf(" %s holding roles stay excluded.", plural(protected, "protected account"))
		}
		if len(set.Notes) > 0 {
			words += " Not seen: " + clean(strings.Join(set.Notes, "; "), graphMost) + "."
		}
		b.tell.auditOrSay(ctx, req, EvPrivileged, systemActor, words)
		return set.Users, nil
	}
}

// protectedHolders counts the role holders the policy protects.
func (b *env) protectedHolders(us []revoke.User) int {
	n := 0
	for _, u := range us {
		if b.policy.SkipReason(authz.Account{ID: u.ID, UPN: u.UPN}) == authz.SkipProtected {
			n++
		}
	}
	return n
}

// heldUsers gives a resumed job the privileged accounts its first run put
// at the head of its checkpoint, from the store: the others wait for them
// after a restart too. None when the first run found none.
func (b *bulkRunner) heldUsers(req store.Request) func(ctx context.Context) []revoke.User {
	return func(ctx context.Context) []revoke.User {
		set, _ := b.loadPrivileged(ctx, req)
		return set.Users
	}
}

// loadPrivileged reads a job's privileged set from the store; false when
// it has none (yet).
func (b *bulkRunner) loadPrivileged(ctx context.Context, req store.Request) (privilegedSet, bool) {
	var set privilegedSet
	t, err := b.store.Task(ctx, privilegedKind+":"+req.ID)
	if err != nil || json.Unmarshal(t.State, &set) != nil {
		return privilegedSet{}, false
	}
	return set, true
}

// privileged keeps one run's privileged set once the store has it: it does
// not change after the job's first run made it.
type privileged struct {
	b    *bulkRunner
	req  store.Request
	set  privilegedSet
	have bool
}

func (p *privileged) get(ctx context.Context) privilegedSet {
	if !p.have && p.b.cfg.RoleHolders != nil {
		p.set, p.have = p.b.loadPrivileged(ctx, p.req)
	}
	return p.set
}

// left is how many of the job's privileged accounts are still to be
// revoked, and how many are to be revoked at all (the policy's skips left
// out); (0, 0) when the job has none.
func (p *privileged) left(ctx context.Context) (left, total int) {
	set := p.get(ctx)
	if set.Count == 0 {
		return 0, 0
	}
	total = set.Count - set.Skipped
	pending, err := p.b.store.UsersWith(ctx, p.req.ID, []store.Outcome{store.OutcomePending}, 0, set.Count)
	if err != nil {
		return 0, total
	}
	for _, u := range pending {
		if u.Seq <= int64(set.Count) {
			left++
		}
	}
	return left, total
}
