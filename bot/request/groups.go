package request

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"
)

// groupTTL bounds how stale a user group's membership may be: someone
// removed from the responders group loses access within a minute.
const groupTTL = 60 * time.Second

type groupEntry struct {
	members map[string]bool
	at      time.Time
}

// membership answers "which of these user groups is this person in" from
// the platform's group listing, cached per group for at most groupTTL. The
// dispatcher may also peek at it without waiting, to route work.
type membership struct {
	src     GroupMembers
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]groupEntry
	loading map[string]chan struct{} // one lookup of a group at a time
}

func newMembership(src GroupMembers, now func() time.Time) *membership {
	return &membership{src: src, now: now, entries: map[string]groupEntry{}, loading: map[string]chan struct{}{}}
}

// warm loads the groups, so that the dispatcher can place the policy's
// people from the first command after a start.
func (c *membership) warm(ctx context.Context, groups []string) {
	for _, g := range groups {
		_, _ = c.members(ctx, g)
	}
}

// MemberOf returns the groups among groups that userID is in. A group that
// cannot be read is an error only when no other group admits the person.
func (c *membership) MemberOf(ctx context.Context, userID string, groups []string) ([]string, error) {
	var in []string
	var firstErr error
	for _, g := range groups {
		members, err := c.members(ctx, g)
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		if members[userID] {
			in = append(in, g)
		}
	}
	if len(in) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return in, nil
}

func (c *membership) members(ctx context.Context, group string) (map[string]bool, error) {
	for {
		c.mu.Lock()
		e, ok := c.entries[group]
		if ok && c.now().Sub(e.at) < groupTTL {
			c.mu.Unlock()
			return e.members, nil
		}
		wait, busy := c.loading[group]
		if !busy {
			done := make(chan struct{})
			c.loading[group] = done
			c.mu.Unlock()
			defer func() {
				c.mu.Lock()
				delete(c.loading, group)
				c.mu.Unlock()
				close(done)
			}()
			break
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wait:
		}
	}
	ids, err := c.src.Members(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("usergroups.users.list %s: %s", group, sendCode(err))
	}
	e := groupEntry{members: make(map[string]bool, len(ids)), at: c.now()}
	for _, id := range ids {
		e.members[id] = true
	}
	c.mu.Lock()
	c.entries[group] = e
	c.mu.Unlock()
	return e.members, nil
}

// Knowledge is what the cache can tell without asking the platform.
type Knowledge int

// What a peek at the cache says about a person and some groups.
const (
	Unsure   Knowledge = iota // not known (or only known not to be in, from a stale entry)
	InGroup                   // in one of them, by a fresh or stale entry: the work re-checks
	NotInAny                  // in none of them, by fresh entries of each
)

// peek says, without waiting, whether userID is in any of groups.
func (c *membership) peek(userID string, groups []string) Knowledge {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	allFresh := true
	for _, g := range groups {
		e, ok := c.entries[g]
		if ok && e.members[userID] {
			return InGroup
		}
		allFresh = allFresh && ok && now.Sub(e.at) < groupTTL
	}
	if allFresh {
		return NotInAny
	}
	return Unsure
}
