package slack

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	goslack "github.com/slack-go/slack"
)

// groupTTL bounds how stale a user group's membership may be: someone
// removed from the responders group loses access within a minute.
const groupTTL = 60 * time.Second

type groupEntry struct {
	members map[string]bool
	at      time.Time
}

// groupCache answers "which of these user groups is this person in" from
// usergroups.users.list, cached per group for at most groupTTL.
type groupCache struct {
	api     *goslack.Client
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]groupEntry
}

func newGroupCache(api *goslack.Client, now func() time.Time) *groupCache {
	return &groupCache{api: api, now: now, entries: map[string]groupEntry{}}
}

// MemberOf returns the groups among groups that userID is in. A group that
// cannot be read is an error only when no other group admits the person.
func (c *groupCache) MemberOf(ctx context.Context, userID string, groups []string) ([]string, error) {
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

func (c *groupCache) members(ctx context.Context, group string) (map[string]bool, error) {
	c.mu.Lock()
	e, ok := c.entries[group]
	c.mu.Unlock()
	if ok && c.now().Sub(e.at) < groupTTL {
		return e.members, nil
	}
	ids, err := c.api.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("usergroups.users.list %s: %s", group, slackErrorCode(err))
	}
	e = groupEntry{members: make(map[string]bool, len(ids)), at: c.now()}
	for _, id := range ids {
		e.members[id] = true
	}
	c.mu.Lock()
	c.entries[group] = e
	c.mu.Unlock()
	return e.members, nil
}
