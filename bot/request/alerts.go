package request

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// Alert cards: every alerts.every, one replica (the holder of a lease on
// the task alertsTask) looks at Defender XDR incidents and Entra ID
// Protection's risky users changed since its watermark, less an overlap,
// and opens a card for each (detection, user) it has not carded: a
// request whose requester is revokebot and whose TriggerID is the card's
// key, which the store keeps unique, so that no replica or restart opens
// one twice. Nothing runs until a requester confirms. A later alert for a
// user whose card is open is told in that card's thread; a user whose
// card was decided within alerts.quiet gets none.

// AlertSources reads Microsoft's detections, handing them over a page at
// a time: a look over thousands holds one page.
type AlertSources interface {
	Incidents(ctx context.Context, since time.Time, severities []string, page func([]revoke.Incident)) error
	RiskyUsers(ctx context.Context, since time.Time, levels []string, page func([]revoke.RiskyUser)) error
}

const (
	alertsKind = "alerts"
	alertsTask = "alerts:look"
	// alertOverlap is how far before its watermark a look reads again: an
	// incident Graph indexes late is still found, and one seen twice is
	// carded once.
	alertOverlap = 5 * time.Minute
	// cardPostGrace is how long an alert card may stay recorded and not
	// posted before a look posts it: longer than posting takes.
	cardPostGrace = time.Minute
)

// lookCache keeps, for one look, the users its detections named: a look
// over a thousand incidents about ten people asks Graph ten times, not a
// thousand.
type lookCache struct {
	mu    sync.Mutex
	users map[revoke.Lookup][]revoke.User
	told  map[string]*toldLines // by request ID: what the look has for its thread
}

type lookCacheKey struct{}

// resolveOnce resolves l through the look's cache, when ctx has one.
func (b *executor) resolveOnce(ctx context.Context, l revoke.Lookup) ([]revoke.User, error) {
	c, _ := ctx.Value(lookCacheKey{}).(*lookCache)
	l.Value = strings.ToLower(l.Value)
	if c != nil {
		c.mu.Lock()
		users, ok := c.users[l]
		c.mu.Unlock()
		if ok {
			return users, nil
		}
	}
	users, err := b.cfg.Directory.Resolve(ctx, l)
	if err == nil && c != nil {
		c.mu.Lock()
		c.users[l] = users
		c.mu.Unlock()
	}
	return users, err
}

// alertsState is the looker's checkpoint: how far each source was read.
type alertsState struct {
	Defender time.Time `json:"defender"`
	Risky    time.Time `json:"risky"`
}

// alertLoop looks every alerts.every until ctx ends; it runs on every
// replica, and the lease lets one look at a time.
func (b *executor) alertLoop(ctx context.Context) {
	a := b.policy.Alerts
	if a == nil || b.cfg.AlertSources == nil {
		return
	}
	t := time.NewTicker(a.Every)
	defer t.Stop()
	for {
		b.lookAlerts(ctx)
		select {
		case <-ctx.Done():
			rctx, cancel := recordContext(ctx)
			_ = b.store.ReleaseTask(rctx, alertsTask, b.cfg.Replica)
			cancel()
			return
		case <-t.C:
		}
	}
}

// lookAlerts is one look, when this replica holds the lease (or takes it
// from one that stopped renewing it).
func (b *executor) lookAlerts(ctx context.Context) {
	a := b.policy.Alerts
	now := b.now()
	rctx, cancel := recordContext(ctx)
	err := b.store.CreateTask(rctx, store.Task{ID: alertsTask, Kind: alertsKind})
	cancel()
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		b.log.Warn("could not keep the alert looker's task", "error", err)
		return
	}
	task, err := b.store.ClaimTask(ctx, alertsTask, b.cfg.Replica, time.Now(), time.Now().Add(3*a.Every))
	if err != nil {
		return // another replica looks
	}
	var st alertsState
	if len(task.State) > 0 {
		_ = json.Unmarshal(task.State, &st)
	}
	start := now.Add(-a.Every) // the first look: what changed since one look ago
	ctx = context.WithValue(ctx, lookCacheKey{}, &lookCache{users: map[revoke.Lookup][]revoke.User{}})
	b.alerts.forget(minTime(orTime(st.Defender, start), orTime(st.Risky, start)).Add(-2 * alertOverlap))
	if a.Defender != nil {
		st.Defender = b.lookIncidents(ctx, orTime(st.Defender, start))
		b.m.AlertLag(alertDefender, b.now().Sub(st.Defender))
	}
	if a.RiskyUsers != nil {
		st.Risky = b.lookRisky(ctx, orTime(st.Risky, start))
		b.m.AlertLag(alertRisky, b.now().Sub(st.Risky))
	}
	b.tellLook(ctx)
	if ctx.Err() != nil {
		return // cut short by a stop: the watermark stays where it was
	}
	raw, _ := json.Marshal(st)
	rctx, cancel = recordContext(ctx)
	defer cancel()
	if err := b.store.SaveTask(rctx, alertsTask, b.cfg.Replica, raw, false); err != nil {
		b.log.Warn("could not save the alert watermark", "error", err)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func orTime(t, or time.Time) time.Time {
	if t.IsZero() {
		return or
	}
	return t
}

// atLeast are the levels at or above min, as Graph spells them.
func atLeast(min authz.Level) []string {
	var out []string
	for l := min; l <= authz.LevelHigh; l++ {
		out = append(out, l.String())
	}
	return out
}

// detection is one user a detection names, to be carded.
type detection struct {
	lookup revoke.Lookup
	origin alertOrigin
	name   string // "defender:<incident>" or "risk:<user>:<time>": the card's key but the user
}

// lookSource reads a source's detections since mark, less the overlap,
// and cards them a page at a time as they arrive. It returns the new mark:
// the latest change carded, or mark when any could not be read or carded
// (all of it is read again next time; what was carded is not carded twice).
func (b *executor) lookSource(ctx context.Context, source string, mark time.Time, read func(since time.Time, page func([]detection)) error) time.Time {
	next, whole := mark, true
	err := read(mark.Add(-alertOverlap), func(dets []detection) {
		for _, d := range dets {
			if d.origin.At.After(next) {
				next = d.origin.At
			}
		}
		if !b.cardAll(ctx, dets) {
			whole = false
		}
	})
	if err != nil {
		b.m.AlertLook(source, "failed")
		b.log.Warn("could not read an alert source", "source", source, "error", err)
		return mark
	}
	b.m.AlertLook(source, "read")
	if !whole {
		return mark
	}
	return next
}

// lookIncidents cards the users of the incidents updated since mark.
func (b *executor) lookIncidents(ctx context.Context, mark time.Time) time.Time {
	return b.lookSource(ctx, alertDefender, mark, func(since time.Time, page func([]detection)) error {
		return b.cfg.AlertSources.Incidents(ctx, since, atLeast(b.policy.Alerts.Defender.Min), func(incs []revoke.Incident) {
			var dets []detection
			for _, inc := range incs {
				dets = append(dets, incidentDetections(inc)...)
			}
			page(dets)
		})
	})
}

// incidentDetections are the users an incident's alerts name, each once;
// an on-premises account alone names nobody.
func incidentDetections(inc revoke.Incident) []detection {
	seen := map[string]bool{}
	var out []detection
	for _, al := range inc.Alerts {
		for _, ev := range al.Users {
			l := revoke.Lookup{Kind: revoke.ByObjectID, Value: ev.ObjectID}
			if ev.ObjectID == "" {
				l = revoke.Lookup{Kind: revoke.ByAddress, Value: ev.UPN}
			}
			if l.Value == "" || seen[strings.ToLower(l.Value)] {
				continue
			}
			seen[strings.ToLower(l.Value)] = true
			out = append(out, detection{lookup: l, name: "defender:" + inc.ID, origin: alertOrigin{Source: alertDefender, ID: inc.ID,
				Title: inc.Title, Severity: inc.Severity, Link: inc.WebURL, At: inc.Updated, Disruption: inc.Disruption()}})
		}
	}
	return out
}

// lookRisky cards the users whose risk changed since mark, at or above
// the policy's level.
func (b *executor) lookRisky(ctx context.Context, mark time.Time) time.Time {
	return b.lookSource(ctx, alertRisky, mark, func(since time.Time, page func([]detection)) error {
		return b.cfg.AlertSources.RiskyUsers(ctx, since, atLeast(b.policy.Alerts.RiskyUsers.Min), func(users []revoke.RiskyUser) {
			dets := make([]detection, 0, len(users))
			for _, u := range users {
				dets = append(dets, detection{lookup: revoke.Lookup{Kind: revoke.ByObjectID, Value: u.ID},
					name:   fmt.Sprintf("risk:%s:%d", u.ID, u.Updated.UnixMilli()),
					origin: alertOrigin{Source: alertRisky, ID: u.ID, Title: "riskState " + u.State + ", " + u.Detail, Severity: u.Level, At: u.Updated}})
			}
			page(dets)
		})
	})
}

// alertParallel is how many users a look cards at once: each card waits
// on Graph (the user, the card's listings) and Slack, and a look over many
// detections must end within alerts.every.
const alertParallel = 8

// cardAll cards dets: the users they name are looked up, a few at a time,
// then each user's detections are carded in order, a few users at a time;
// one user's are never carded at once, so the first opens their card and
// the others fold into it. False when any could not be carded for a reason
// another look may cure.
func (b *executor) cardAll(ctx context.Context, dets []detection) bool {
	// What this replica carded at an earlier look, read again through the
	// overlap, costs nothing more: the store holds it either way.
	dets = slices.DeleteFunc(slices.Clone(dets), func(d detection) bool { return b.alerts.done(d) })
	var mu sync.Mutex
	whole := true
	fail := func() { mu.Lock(); whole = false; mu.Unlock() }
	users := make([]*revoke.User, len(dets))
	each(len(dets), func(i int) {
		us, err := b.resolveOnce(ctx, dets[i].lookup)
		switch {
		case err != nil && ctx.Err() != nil:
			fail() // revokebot is stopping: the next look reads it again
		case err != nil:
			b.log.Warn("could not look up a user an alert names", "detection", dets[i].name, "error", err)
			if revoke.Retryable(err) {
				fail()
			}
		case len(us) != 1:
			b.log.Info("an alert names no single Entra ID user; no card", "detection", dets[i].name, "found", len(us))
		default:
			users[i] = &us[0]
		}
	})
	var order []string
	byUser := map[string][]int{}
	for i, u := range users {
		if u == nil {
			continue
		}
		id := strings.ToLower(u.ID)
		if _, ok := byUser[id]; !ok {
			order = append(order, id)
		}
		byUser[id] = append(byUser[id], i)
	}
	each(len(order), func(k int) {
		if !b.holdAlerts(ctx) {
			fail() // another replica looks now, or revokebot is stopping
			return
		}
		for _, i := range byUser[order[k]] {
			if !b.cardAlert(ctx, *users[i], dets[i].origin, dets[i].name) {
				fail()
				continue
			}
			b.alerts.keep(dets[i])
		}
	})
	return whole && ctx.Err() == nil
}

// holdAlerts renews this replica's lease on the looker; false when another
// replica holds it now, and this look must stop carding.
func (b *executor) holdAlerts(ctx context.Context) bool {
	_, err := b.store.ClaimTask(ctx, alertsTask, b.cfg.Replica, time.Now(), time.Now().Add(3*b.policy.Alerts.Every))
	return err == nil
}

// cardedCache remembers, on one replica, the detections it carded (or
// folded, or let be) at recent looks, by name, user lookup and time of
// change: the overlap reads them again at every look.
type cardedCache struct {
	mu   sync.Mutex
	seen map[string]time.Time // name|lookup -> the change carded
}

func detectionKey(d detection) string { return d.name + "|" + strings.ToLower(d.lookup.Value) }

func (c *cardedCache) done(d detection) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.seen[detectionKey(d)]
	return ok && !d.origin.At.After(at)
}

func (c *cardedCache) keep(d detection) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	c.seen[detectionKey(d)] = d.origin.At
}

// forget drops what changed before since: no look reads it again.
func (c *cardedCache) forget(since time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, at := range c.seen {
		if at.Before(since) {
			delete(c.seen, k)
		}
	}
}

// each runs fn(0…n-1), alertParallel at a time, and waits for them: a
// few goroutines take the indexes in turn, so a look over thousands of
// detections starts a few, not thousands.
func each(n int, fn func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, alertParallel) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// cardAlert opens the card of one detection for user u, unless the user's
// card for it exists (an update: told in its thread once), the user has
// another card open (told in that one's thread), or a card of theirs was
// decided within alerts.quiet. False when the card could not be kept, for
// a reason another look may cure.
func (b *executor) cardAlert(ctx context.Context, u revoke.User, origin alertOrigin, detection string) bool {
	origin.Key = "alert:" + detection + ":" + strings.ToLower(u.ID)
	past, err := b.store.RequestsAbout(ctx, u.ID, 20)
	if err != nil {
		b.log.Warn("could not read a user's requests", "error", err)
		return false
	}
	for _, r := range past {
		if !isAlert(r) {
			continue
		}
		a := targetsOf(r).Alert
		switch {
		case a.Key == origin.Key && r.State == store.StatePending && r.RootTS == "":
			// Recorded, and not posted: the replica that opened it
			// stopped in between, or Slack refused the post. Its card is
			// posted once it is clearly nobody's to post; until then the
			// detection is not carded, and is read again.
			if b.now().Sub(r.CreatedAt) < cardPostGrace {
				return false
			}
			return b.intake.showCard(ctx, b.log.With("request_id", r.ID), r, func(string) {})
		case a.Key == origin.Key || r.State == store.StatePending:
			// The same detection updated, or another while a card is
			// open: a line in the open card's thread, once for each
			// change, or nothing once it is decided.
			if r.State == store.StatePending {
				b.tellAlert(ctx, r, origin)
			}
			b.m.AlertCard(origin.Source, "folded")
			return true
		case b.now().Sub(r.UpdatedAt) < b.policy.Alerts.Quiet:
			b.log.Info("an alert for a user carded recently; no card", "detection", detection, "request_id", r.ID)
			b.m.AlertCard(origin.Source, "quiet")
			return true
		}
	}
	return b.openAlertCard(ctx, u, origin)
}

// openAlertCard records and posts the card: the request, as a person's
// would be, but asked by revokebot, with the detection it rests on.
func (b *executor) openAlertCard(ctx context.Context, u revoke.User, origin alertOrigin) bool {
	a := b.policy.Alerts
	actions := actionsFor(a.Actions, Command{})
	for _, act := range actions {
		if why := b.unavailable(act); why != "" {
			b.log.Warn("an alert card's action is not available here; no card", "action", string(act), "reason", why)
			return true
		}
	}
	listing := b.listBeforeCard(ctx, []revoke.User{u}, actions)
	t := requestTarget{User: u, Users: []revoke.User{u}, Actions: actions, Listed: listing.first, Alert: &origin}
	cmd := CommandEvent{User: systemActor, Channel: a.Channel, TriggerID: origin.Key}
	kept := true
	b.intake.open(ctx, cmd, t, b.policy.IsProtected(u.UPN, u.Mail, u.ID), func(text string) {
		kept = false
		b.log.Warn("an alert card could not be opened", "key", origin.Key, "reason", text)
	}, listing)
	if kept {
		b.m.AlertCard(origin.Source, "opened")
	}
	return kept
}

// tellAlert says in an open card's thread that another detection names
// its user, once for each (the task named after it is the mark).
func (b *executor) tellAlert(ctx context.Context, r store.Request, origin alertOrigin) {
	if own := targetsOf(r).Alert; origin.Key == own.Key && !origin.At.After(own.At) {
		return // the detection the card was opened from, read again
	}
	mark := fmt.Sprintf("%s:%d", origin.Key, origin.At.UnixMilli())
	if _, err := b.store.Task(ctx, mark); !errors.Is(err, store.ErrNotFound) {
		return // told already, or the store cannot say: the next look asks again
	}
	what := strings.TrimSuffix(strings.TrimSuffix(origin.lead(), " Contain it?"), ".")
	words := fmt.Sprintf("Another alert names this user: %s.", what)
	if origin.Key == targetsOf(r).Alert.Key {
		words = fmt.Sprintf("The incident was updated at %s: %s.", clock(origin.At), what)
	}
	if c, ok := ctx.Value(lookCacheKey{}).(*lookCache); ok {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.told == nil {
			c.told = map[string]*toldLines{}
		}
		t := c.told[r.ID]
		if t == nil {
			t = &toldLines{req: r}
			c.told[r.ID] = t
		}
		if len(t.lines) < toldMost {
			t.lines = append(t.lines, words) // the rest are a count and their IDs
		}
		t.ids = append(t.ids, origin.ID)
		t.marks = append(t.marks, mark)
		return
	}
	if _, err := b.tell.audit(ctx, r, EvAlerted, systemActor, words); err == nil {
		b.markTold(ctx, r.ID, mark)
	}
}

// markTold notes that an alert was told in request id's thread, after the
// line is recorded: a stop in between tells it again, never loses it.
func (b *executor) markTold(ctx context.Context, id string, marks ...string) {
	ctx, cancel := recordContext(ctx)
	defer cancel()
	for _, m := range marks {
		_ = b.store.CreateTask(ctx, store.Task{ID: m, Kind: "alertseen", RequestID: id, Done: true})
	}
}

// toldLines are the lines one look has for an open card's thread.
type toldLines struct {
	req   store.Request
	lines []string // the first toldMost of them
	ids   []string // the incidents or users they are about, all of them
	marks []string // the tasks that note them told, once they are
}

// toldMost is how many alerts a look tells one by one in a card's
// thread: a thousand incidents about one person are one line more, not a
// thousand, which Slack would take a quarter of an hour to post.
const toldMost = 3

// tellLook says what a look has for each open card's thread: each line,
// or the first few and a count of the rest.
func (b *executor) tellLook(ctx context.Context) {
	c, ok := ctx.Value(lookCacheKey{}).(*lookCache)
	if !ok {
		return
	}
	c.mu.Lock()
	told := c.told
	c.told = nil
	c.mu.Unlock()
	for _, t := range told {
		if len(t.ids) <= toldMost {
			for i, w := range t.lines {
				if _, err := b.tell.audit(ctx, t.req, EvAlerted, systemActor, w); err == nil {
					b.markTold(ctx, t.req.ID, t.marks[i])
				}
			}
			continue
		}
		ids := t.ids[toldMost:]
		shown := ids[:min(len(ids), 50)]
		words := strings.Join(t.lines, "\n") + fmt.Sprintf("\n…and %d more alerts naming this user (%s%s).",
			len(ids), "`"+strings.Join(escapeAll(shown), "`, `")+"`", map[bool]string{true: ", …", false: ""}[len(ids) > len(shown)])
		if _, err := b.tell.audit(ctx, t.req, EvAlerted, systemActor, words); err == nil {
			b.markTold(ctx, t.req.ID, t.marks...)
		}
	}
}

func escapeAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Escape(s)
	}
	return out
}
