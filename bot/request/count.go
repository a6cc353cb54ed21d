package request

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/revoke/bulk"
)

// Counter counts the tenant's users matching an OData filter without
// listing them (Graph's /users/$count), for /revoke all's card.
type Counter interface {
	CountUsers(ctx context.Context, filter string) (int, error)
}

// countFor bounds counting for the card: the card is posted within seconds
// whatever the tenant's size, with counts or with the words that it has none.
const countFor = 10 * time.Second

// How a card's counts were made.
const (
	countedByDirectory = "directory" // Graph's $count: eventually consistent
	countedByListing   = "listing"   // a full listing, for a tenant small enough
	countedNot         = ""          // no counts: the job counts as it lists
)

// count fills a /revoke all preview with the tenant's numbers: from Graph's
// directory count when it can, else from a listing if one ends in time,
// else none, said as such. Either way the job counts again as it lists.
func (b *intake) count(ctx context.Context) (*preview, error) {
	ra := b.policy.RevokeAll
	p := &preview{Writes: ra.Writes, Per: ra.Per}
	ctx, cancel := context.WithTimeout(ctx, countFor)
	defer cancel()
	var err error
	if b.cfg.Counter != nil {
		if err = b.countDirectory(ctx, p); err == nil {
			p.Counted = countedByDirectory
		} else {
			b.log.Warn("could not count the tenant's users with $count; listing it instead", "error", err)
		}
	}
	if p.Counted == countedNot {
		p.Eligible, p.Skipped, err = bulk.Preview(ctx, b.cfg.Lister, b.bulk.skipReason)
		if err == nil {
			p.Counted = countedByListing
		}
	}
	if p.Counted == countedNot {
		p.Eligible, p.Skipped = 0, nil
		if !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, err
		}
		return p, nil // the tenant is too large, or Graph too slow, to count in time
	}
	p.Estimate = bulk.Estimate(p.Eligible, ra.Writes, ra.Per)
	if b.cfg.RoleHolders != nil {
		if h, err := b.cfg.RoleHolders.RoleHolders(ctx); err == nil {
			us := holderUsers(h)
			p.ProtectedHolders = b.protectedHolders(us)
			p.Privileged = len(us) - p.ProtectedHolders
			p.PrivilegedKnown = true
		} else {
			b.log.Warn("could not list the role holders for the card", "error", err)
		}
	}
	return p, nil
}

// countDirectory counts with $count: everyone, the eligible, the guests and
// disabled accounts the policy skips; protected accounts are looked up one
// by one (the list is short) and moved from their bucket to their own.
func (b *intake) countDirectory(ctx context.Context, p *preview) error {
	ra := b.policy.RevokeAll
	var eligible []string
	if !ra.IncludeDisabled {
		eligible = append(eligible, "accountEnabled eq true")
	}
	if !ra.IncludeGuests {
		eligible = append(eligible, "userType eq 'Member'")
	}
	queries := map[string]string{"eligible": strings.Join(eligible, " and ")}
	if !ra.IncludeGuests {
		queries[authz.SkipGuest] = "userType eq 'Guest'"
	}
	if !ra.IncludeDisabled {
		// A disabled guest is skipped as a guest, as SkipReason does.
		queries[authz.SkipDisabled] = "accountEnabled eq false"
		if !ra.IncludeGuests {
			queries[authz.SkipDisabled] += " and userType eq 'Member'"
		}
	}
	counts := map[string]int{}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for name, filter := range queries {
		wg.Go(func() {
			n, err := b.cfg.Counter.CountUsers(ctx, filter)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			counts[name] = n
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	p.Eligible = counts["eligible"]
	p.Skipped = map[string]int{}
	for k, n := range counts {
		if k != "eligible" && n > 0 {
			p.Skipped[k] = n
		}
	}
	unprotected := b.policy
	unprotected.Protected = nil
	users, _ := b.resolveProtected(ctx)
	for _, u := range users {
		bucket := unprotected.SkipReason(authz.Account{ID: u.ID, UPN: u.UPN, Mail: u.Mail, Guest: u.Guest(), Enabled: u.AccountEnabled})
		switch bucket {
		case "":
			p.Eligible--
		default:
			p.Skipped[bucket]--
		}
		p.Skipped[authz.SkipProtected]++
	}
	return nil
}

// maxProtectedLookups bounds the lookups of protected accounts for a card;
// past it, the count of protected accounts is what the policy lists.
const maxProtectedLookups = 50

// resolveProtected finds the tenant's users on the protected list, by
// their UPN or object ID, each once; unresolved are the entries no single
// user answered, and those past maxProtectedLookups, which are not looked up.
func (b *env) resolveProtected(ctx context.Context) (users []revoke.User, unresolved []string) {
	seen := map[string]bool{}
	for i, want := range b.policy.Protected {
		if i >= maxProtectedLookups {
			unresolved = append(unresolved, want)
			continue
		}
		kind := revoke.ByAddress
		if guidRe.MatchString(want) {
			kind = revoke.ByObjectID
		}
		found, err := b.cfg.Directory.Resolve(ctx, revoke.Lookup{Kind: kind, Value: strings.ToLower(want)})
		switch {
		case err != nil || len(found) != 1:
			unresolved = append(unresolved, want)
		case !seen[found[0].ID]:
			seen[found[0].ID] = true
			users = append(users, found[0])
		}
	}
	return users, unresolved
}
