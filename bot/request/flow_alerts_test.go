package request

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// detections is Microsoft's detections as the fakes of the workflow's
// tests hold them: incidents and risky users, read as Graph filters them.
type detections struct {
	mu        sync.Mutex
	incidents []revoke.Incident
	risky     []revoke.RiskyUser
	reads     int
	// failAfter, when not 0, is how many pages of incidents are handed
	// over before the read fails, as a throttled next page does.
	failAfter int
}

// detectionsPage is how many detections the fake hands over at a time,
// small so that the flows cross pages.
const detectionsPage = 2

func (d *detections) Incidents(_ context.Context, since time.Time, sevs []string, page func([]revoke.Incident)) error {
	d.mu.Lock()
	d.reads++
	var out []revoke.Incident
	for _, inc := range d.incidents {
		if !inc.Updated.Before(since) && slices.Contains(sevs, inc.Severity) {
			out = append(out, inc)
		}
	}
	failAfter := d.failAfter
	d.mu.Unlock()
	n := 0
	for p := range slices.Chunk(out, detectionsPage) {
		if n++; failAfter > 0 && n > failAfter {
			return &revoke.Error{Kind: revoke.KindThrottled, Op: "list Defender incidents", Err: errors.New("429")}
		}
		page(p)
	}
	return nil
}

func (d *detections) RiskyUsers(_ context.Context, since time.Time, levels []string, page func([]revoke.RiskyUser)) error {
	d.mu.Lock()
	var out []revoke.RiskyUser
	for _, u := range d.risky {
		if !u.Updated.Before(since) && slices.Contains(levels, u.Level) {
			out = append(out, u)
		}
	}
	d.mu.Unlock()
	for p := range slices.Chunk(out, detectionsPage) {
		page(p)
	}
	return nil
}

func (d *detections) add(inc revoke.Incident) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.incidents {
		if d.incidents[i].ID == inc.ID {
			d.incidents[i] = inc
			return
		}
	}
	d.incidents = append(d.incidents, inc)
}

// comments is the Defender incidents' comments.
type comments struct {
	mu   sync.Mutex
	by   map[string][]string
	fail error
}

func (c *comments) CommentIncident(_ context.Context, id, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	c.by[id] = append(c.by[id], text)
	return nil
}

func (c *comments) of(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.by[id])
}

func alertsFlow(t *testing.T) (*flow, *detections, *comments) {
	d, cs := &detections{}, &comments{by: map[string][]string{}}
	f := newFlow(t, func(c *Config) {
		c.AlertSources, c.IncidentComments = d, cs
		c.Policy.Alerts = &authz.Alerts{Channel: chInc, Every: time.Minute, Quiet: 24 * time.Hour, Actions: []string{"sessions"},
			Defender: &authz.AlertSource{Min: authz.LevelHigh}, RiskyUsers: &authz.AlertSource{Min: authz.LevelHigh}}
	})
	return f, d, cs
}

// incidentNaming is a Defender incident whose one alert names user.
func incidentNaming(id, severity, title string, at time.Time, user revoke.User) revoke.Incident {
	return revoke.Incident{ID: id, Title: title, Severity: severity, Status: "active", Updated: at,
		WebURL: "https://security.microsoft.com/incidents/" + id,
		Alerts: []revoke.IncidentAlert{{ID: "a-" + id, Title: "Suspicious inbox forwarding", Severity: severity,
			Users: []revoke.EvidenceUser{{UPN: user.UPN, ObjectID: user.ID}}}}}
}

// alertCards are the requests revokebot opened from detections.
func (f *flow) alertCards() []store.Request {
	f.t.Helper()
	var out []store.Request
	for _, s := range []store.State{store.StatePending, store.StateRunning, store.StateSucceeded, store.StateFailed, store.StateCancelled, store.StateExpired} {
		rs, err := f.st.InState(f.ctx, s)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, r := range rs {
			if isAlert(r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// TestFlowAlertCard: a high-severity incident naming alice makes one
// card, asked by revokebot, recorded as alerted; another look makes none;
// an update is one line in its thread; a low-severity incident makes none;
// a stranger's confirm is refused, a requester's runs it and makes them its
// requester in the signed record, and its outcome is written back to the
// incident.
func TestFlowAlertCard(t *testing.T) {
	t.Parallel()
	f, d, cs := alertsFlow(t)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	f.w.runs.open(ctx)
	at := f.clock.Now().Add(-time.Minute)
	d.add(incidentNaming("101", "high", "BEC: forwarding to an outside address", at, alice))
	d.add(incidentNaming("102", "low", "Unusual sign-in", at, carol))
	f.w.exec.lookAlerts(f.ctx)
	f.w.exec.lookAlerts(f.ctx)
	cards := f.alertCards()
	if len(cards) != 1 || cards[0].Requester != systemActor || cards[0].Channel != chInc || cards[0].Subjects[0] != alice.ID {
		t.Fatalf("cards %+v", cards)
	}
	r := cards[0]
	if ev := f.events(r.ID); ev != "alerted" {
		t.Fatalf("events %s", ev)
	}
	f.deliver()
	card := f.msg.everything()
	for _, want := range []string{"Alert: contain 1 user", "*Microsoft Defender XDR* incident <https://security.microsoft.com/incidents/101|BEC∶ forwarding to an outside address>", "severity *high*", "Dismiss"} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}

	f.clock.Advance(time.Minute)
	d.add(incidentNaming("101", "high", "BEC: forwarding to an outside address", f.clock.Now(), alice))
	f.w.exec.lookAlerts(f.ctx)
	f.w.exec.lookAlerts(f.ctx)
	if ev := f.events(r.ID); ev != "alerted,alerted" || len(f.alertCards()) != 1 {
		t.Fatalf("after an update: events %s, %d cards", ev, len(f.alertCards()))
	}

	f.command(uReq, chInc, "status "+r.ID)
	if got := f.msg.private(uReq); !strings.Contains(got, "Requested by revokebot, from Microsoft Defender XDR") || strings.Contains(got, "<@revokebot>") {
		t.Errorf("status of an unconfirmed alert card: %q", got)
	}
	f.click(uStr, ActionConfirm, r)
	if f.revoker.count() != 0 || f.get(r.ID).State != store.StatePending {
		t.Fatal("a stranger's confirm ran it")
	}
	f.click(uGroupie, ActionConfirm, r)
	f.w.runs.wait()
	got := f.get(r.ID)
	if got.State != store.StateSucceeded || got.DecidedBy != uGroupie || f.revoker.count() != 1 {
		t.Fatalf("after a requester's confirm: %s %q, %d revocations; told %q", got.State, got.DecidedBy, f.revoker.count(), f.msg.private(uGroupie))
	}
	if got.Requester != uGroupie || got.Sig == r.Sig || f.w.forgedStatement(got) != "" || !isAlert(got) {
		t.Fatalf("the confirmer is not the requester in the signed record: requester %q, sig changed %v, %q", got.Requester, got.Sig != r.Sig, f.w.forgedStatement(got))
	}
	c := cs.of("101")
	if len(c) != 1 || !strings.Contains(c[0], "revokebot request "+r.ID+": alice@contoso.com contained by gus@contoso.com") {
		t.Fatalf("write-back %q", c)
	}
	if ev := f.events(r.ID); !strings.HasSuffix(ev, "writtenback") {
		t.Errorf("events %s", ev)
	}
}

// TestFlowAlertConfirmTampered: an alert card whose users were changed in
// the database is not run by a confirm, nor signed again naming the
// confirmer: the statement revokebot signed is checked first.
func TestFlowAlertConfirmTampered(t *testing.T) {
	t.Parallel()
	f, d, _ := alertsFlow(t)
	d.add(incidentNaming("151", "high", "BEC", f.clock.Now().Add(-time.Minute), alice))
	f.w.exec.lookAlerts(f.ctx)
	cards := f.alertCards()
	if len(cards) != 1 {
		t.Fatalf("%d cards", len(cards))
	}
	r := cards[0]
	f.attack(`UPDATE requests SET target = CAST(replace(replace(CAST(target AS TEXT), '` + alice.ID + `', '` + carol.ID + `'), 'alice@', 'carol@') AS BLOB) WHERE id = '` + r.ID + `'`)
	if !strings.Contains(string(f.get(r.ID).Target), carol.ID) {
		t.Fatal("the attack did not change the target")
	}
	f.click(uGroupie, ActionConfirm, r)
	got := f.get(r.ID)
	if f.revoker.count() != 0 || got.Requester != systemActor || got.Sig != r.Sig {
		t.Fatalf("a changed alert card: %s, requester %q, sig changed %v, %d revocations", got.State, got.Requester, got.Sig != r.Sig, f.revoker.count())
	}
	f.wantTampered(r.ID, true)
}

// TestFlowAlertProtectedUser: an alert card for a protected user needs an
// approver, as any card for them does: a requester's confirm is refused,
// an approver's approval runs it; nobody confirmed it, so revokebot stays
// its requester. When the outcome cannot be recorded, the thread says so,
// and no private message goes to revokebot, which is no Slack user.
func TestFlowAlertProtectedUser(t *testing.T) {
	t.Parallel()
	f, d, cs := alertsFlow(t)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	f.w.runs.open(ctx)
	d.add(incidentNaming("401", "high", "CEO fraud", f.clock.Now().Add(-time.Minute), boss))
	f.w.exec.lookAlerts(f.ctx)
	cards := f.alertCards()
	if len(cards) != 1 || !cards[0].NeedsApproval {
		t.Fatalf("cards %+v", cards)
	}
	r := cards[0]
	f.click(uGroupie, ActionConfirm, r)
	if f.revoker.count() != 0 || f.get(r.ID).State != store.StatePending {
		t.Fatal("a requester's confirm ran a protected user's alert card")
	}
	f.click(uApp, ActionApprove, r)
	f.w.runs.wait()
	got := f.get(r.ID)
	if got.State != store.StateSucceeded || got.Requester != systemActor || got.DecidedBy != uApp || f.revoker.count() != 1 {
		t.Fatalf("after the approval: %s, requester %q, decided by %q, %d revocations", got.State, got.Requester, got.DecidedBy, f.revoker.count())
	}
	if c := cs.of("401"); len(c) != 1 {
		t.Errorf("write-back %q", c)
	}

	f.clock.Advance(48 * time.Hour) // past alerts.quiet
	d.add(incidentNaming("402", "high", "CEO fraud again", f.clock.Now().Add(-time.Minute), boss))
	f.w.exec.lookAlerts(f.ctx)
	var again store.Request
	for _, c := range f.alertCards() {
		if c.State == store.StatePending {
			again = c
		}
	}
	if again.ID == "" {
		t.Fatal("no second card after alerts.quiet")
	}
	f.deliver()
	f.flaky().failTo[store.StateSucceeded] = 3
	f.click(uApp, ActionApprove, again)
	f.w.runs.wait()
	if !strings.Contains(f.msg.everything(), "could not record the outcome") {
		t.Fatal("the unrecorded outcome was not said in the thread")
	}
	if p := f.msg.private(systemActor); p != "" {
		t.Errorf("revokebot was sent private messages: %q", p)
	}
}

// TestFlowAlertReadFailsMidway: a read that fails after its first page
// cards what that page named and leaves the watermark where it was; the
// next look reads it all again and cards the rest, none twice.
func TestFlowAlertReadFailsMidway(t *testing.T) {
	t.Parallel()
	f, d, _ := alertsFlow(t)
	at := f.clock.Now().Add(-time.Minute)
	d.add(incidentNaming("301", "high", "Password spray", at, alice))
	d.add(incidentNaming("302", "high", "Password spray", at.Add(time.Second), carol))
	d.add(incidentNaming("303", "high", "Password spray", at.Add(2*time.Second), mallory))
	d.failAfter = 1
	f.w.exec.lookAlerts(f.ctx)
	if n := len(f.alertCards()); n != 2 {
		t.Fatalf("after a read that failed on its second page: %d cards, want the first page's 2", n)
	}
	task, err := f.st.Task(f.ctx, alertsTask)
	if err != nil {
		t.Fatal(err)
	}
	var st alertsState
	if err := json.Unmarshal(task.State, &st); err != nil || st.Defender.After(at) {
		t.Fatalf("the watermark moved past a page never read: %+v %v", st, err)
	}
	d.mu.Lock()
	d.failAfter = 0
	d.mu.Unlock()
	f.w.exec.lookAlerts(f.ctx)
	cards := f.alertCards()
	if len(cards) != 3 {
		t.Fatalf("after the next look: %d cards, want 3", len(cards))
	}
	for _, c := range cards {
		if ev := f.events(c.ID); ev != "alerted" {
			t.Errorf("card %s: events %s", c.ID, ev)
		}
	}
}

// TestFlowAlertQuietAndOpen: a second incident for a user whose card is
// open is a line in its thread; once the card is decided, another within
// alerts.quiet makes none; a risky user at the level makes a card; a
// restarted replica opens none again.
func TestFlowAlertQuietAndOpen(t *testing.T) {
	t.Parallel()
	f, d, _ := alertsFlow(t)
	at := f.clock.Now().Add(-time.Minute)
	d.add(incidentNaming("201", "high", "Password spray", at, alice))
	f.w.exec.lookAlerts(f.ctx)
	d.add(incidentNaming("202", "high", "Mass download", at, alice))
	f.w.exec.lookAlerts(f.ctx)
	cards := f.alertCards()
	if len(cards) != 1 || f.events(cards[0].ID) != "alerted,alerted" {
		t.Fatalf("%d cards, events %s", len(cards), f.events(cards[0].ID))
	}
	f.click(uReq, ActionCancel, cards[0])
	if got := f.get(cards[0].ID).State; got != store.StateCancelled {
		t.Fatalf("dismissed: %s", got)
	}
	f.clock.Advance(time.Hour)
	d.add(incidentNaming("203", "high", "Token theft", f.clock.Now(), alice))
	d.mu.Lock()
	d.risky = append(d.risky, revoke.RiskyUser{ID: carol.ID, UPN: carol.UPN, Level: "high", State: "atRisk", Detail: "none", Updated: f.clock.Now()})
	d.mu.Unlock()
	f.w.exec.lookAlerts(f.ctx)
	cards = f.alertCards()
	if len(cards) != 2 || cards[0].Subjects[0] != carol.ID || !strings.Contains(string(cards[0].Target), `"source":"risky_users"`) {
		t.Fatalf("after quiet and a risky user: %+v", cards)
	}

	cfg := f.w.cfg
	cfg.Replica = "next-replica"
	next, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The lease of the first replica has passed.
	f.w.store.ReleaseTask(f.ctx, alertsTask, f.w.cfg.Replica)
	next.exec.lookAlerts(f.ctx)
	if n := len(f.alertCards()); n != 2 {
		t.Fatalf("a restarted replica: %d cards, want 2", n)
	}
}

// TestFlowAlertDisruption: an incident of Defender's attack disruption,
// with alice disabled, says so on the card.
func TestFlowAlertDisruption(t *testing.T) {
	t.Parallel()
	f, d, _ := alertsFlow(t)
	d.add(incidentNaming("301", "high", "BEC financial fraud (attack disruption)", f.clock.Now(), alice))
	f.w.exec.lookAlerts(f.ctx)
	f.deliver()
	if card := f.msg.everything(); !strings.Contains(card, "automatic attack disruption") {
		t.Fatalf("card:\n%s", card)
	}
}

// TestFlowAlertDigest: ten more incidents about a user whose card is open
// are one line in its thread, naming the first three and counting the
// rest; a look after it says nothing more.
func TestFlowAlertDigest(t *testing.T) {
	t.Parallel()
	f, d, _ := alertsFlow(t)
	at := f.clock.Now().Add(-time.Minute)
	d.add(incidentNaming("401", "high", "Inbox rule", at, alice))
	f.w.exec.lookAlerts(f.ctx)
	for i := range 10 {
		d.add(incidentNaming(fmt.Sprintf("41%d", i), "high", "Mass download", at, alice))
	}
	f.w.exec.lookAlerts(f.ctx)
	f.w.exec.lookAlerts(f.ctx)
	cards := f.alertCards()
	if len(cards) != 1 || f.events(cards[0].ID) != "alerted,alerted" {
		t.Fatalf("%d cards, events %s", len(cards), f.events(cards[0].ID))
	}
	trail, err := f.st.AuditTrail(f.ctx, cards[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := trail[1].Detail; strings.Count(got, "Another alert names this user") != 3 || !strings.Contains(got, "…and 7 more alerts naming this user") {
		t.Errorf("digest %q", got)
	}
}

// TestFlowAlertCardPostFails: an alert card Slack would not post stays
// pending, unposted, and the detection uncarded; a look after the grace
// posts it. A write-back task pointing at a person's request ends without
// a comment or a crash.
func TestFlowAlertCardPostFails(t *testing.T) {
	t.Parallel()
	f, d, cs := alertsFlow(t)
	d.add(incidentNaming("501", "high", "Token replay", f.clock.Now(), alice))
	f.msg.failWith(&SendError{Code: "ratelimited", Temporary: true})
	f.w.exec.lookAlerts(f.ctx)
	cards := f.alertCards()
	if len(cards) != 1 || cards[0].State != store.StatePending || cards[0].RootTS != "" {
		t.Fatalf("after a refused post: %+v", cards)
	}
	f.msg.failWith(nil)
	f.w.exec.lookAlerts(f.ctx) // within the grace: not yet
	if f.get(cards[0].ID).RootTS != "" {
		t.Fatal("posted within the grace, when the replica that opened it may still")
	}
	f.clock.Advance(2 * cardPostGrace)
	f.w.exec.lookAlerts(f.ctx)
	if got := f.get(cards[0].ID); got.RootTS == "" || got.State != store.StatePending || len(f.alertCards()) != 1 {
		t.Fatalf("after the grace: %+v", got)
	}

	f.command(uReq, chInc, "carol")
	r := f.newest()
	if err := f.st.CreateTask(f.ctx, store.Task{ID: writeBackKind + ":" + r.ID, Kind: writeBackKind, RequestID: r.ID}); err != nil {
		t.Fatal(err)
	}
	f.w.writeBack(f.ctx, r.ID)
	if task, err := f.st.Task(f.ctx, writeBackKind+":"+r.ID); err != nil || !task.Done || len(cs.of("501")) != 0 {
		t.Fatalf("a write-back of a person's request: %+v %v", task, err)
	}
}
