package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// outboxTests are the contract of store.Outbox and of the messages and
// records that Decide and AppendAudit write with a change. As for bulk
// jobs, lease times are injected and lie in the past of the wall clock.
var outboxTests = []contractTest{
	{"OutboxKeyOrder", testOutboxKeyOrder},
	{"OutboxLease", testOutboxLease},
	{"OutboxInvalid", testOutboxInvalid},
	{"AuditTells", testAuditTells},
	{"DecideTells", testDecideTells},
	{"DecideCreateJob", testDecideCreateJob},
	{"DecideRace", testDecideRace},
	{"OutboxConcurrentClaims", testOutboxConcurrentClaims},
}

// card is a message to redraw the card of request id, in its own order.
func card(id string) store.Tell {
	return store.Tell{Kind: store.DeliverCard, Key: id, RequestID: id}
}

func enqueue(t *testing.T, s store.Store, tells ...store.Tell) {
	t.Helper()
	if err := s.Enqueue(context.Background(), tells...); err != nil {
		t.Fatalf("Enqueue(%d): %v", len(tells), err)
	}
}

func claim(t *testing.T, s store.Store, owner string, now time.Time, limit int) []store.Message {
	t.Helper()
	ms, err := s.ClaimMessages(context.Background(), owner, now, now.Add(time.Minute), limit)
	if err != nil {
		t.Fatalf("ClaimMessages(%s, %v): %v", owner, now, err)
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].Seq <= ms[i-1].Seq {
			t.Errorf("ClaimMessages returned seq %d after %d, want them by Seq", ms[i].Seq, ms[i-1].Seq)
		}
	}
	for _, m := range ms {
		if m.Owner != owner {
			t.Errorf("claimed message %d has owner %q, want %q", m.Seq, m.Owner, owner)
		}
		sameTime(t, "LeaseUntil", m.LeaseUntil, now.Add(time.Minute))
	}
	return ms
}

func delivered(t *testing.T, s store.Store, m store.Message) {
	t.Helper()
	if err := s.Delivered(context.Background(), m.Seq, m.Owner); err != nil {
		t.Fatalf("Delivered(%d, %s): %v", m.Seq, m.Owner, err)
	}
}

func pending(t *testing.T, s store.Store) int {
	t.Helper()
	n, err := s.OutboxPending(context.Background())
	if err != nil {
		t.Fatalf("OutboxPending: %v", err)
	}
	return n
}

// requestsOf renders messages as their RequestIDs, which the tests use to
// tell them apart.
func requestsOf(ms []store.Message) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.RequestID)
	}
	return strings.Join(out, " ")
}

// testOutboxKeyOrder: a key's messages go out one at a time, in Seq order,
// whatever holds up the first of them; other keys are not held up by it.
func testOutboxKeyOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := func(n int) store.Tell {
		return store.Tell{Kind: store.DeliverCard, Key: "A", RequestID: fmt.Sprint("a", n)}
	}
	enqueue(t, s, a(1), a(2))
	enqueue(t, s, card("b1"), a(3))
	if n := pending(t, s); n != 4 {
		t.Fatalf("OutboxPending = %d, want 4", n)
	}
	first := claim(t, s, "X", base, 10)
	if got := requestsOf(first); got != "a1 b1" {
		t.Fatalf("first claim = %s, want the first of each key: a1 b1", got)
	}
	for _, m := range first {
		if m.Kind != store.DeliverCard || m.AuditSeq != 0 || m.Attempts != 0 || !m.NextAt.IsZero() || m.LastError != "" {
			t.Errorf("new message = %+v", m)
		}
		if m.CreatedAt.IsZero() || m.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt = %v, want a time in UTC", m.CreatedAt)
		}
	}
	if first[1].Key != "b1" || first[0].Key != "A" || first[1].Seq <= first[0].Seq {
		t.Errorf("keys %q, %q, seqs %d, %d", first[0].Key, first[1].Key, first[0].Seq, first[1].Seq)
	}
	if got := claim(t, s, "Y", base, 10); len(got) != 0 {
		t.Fatalf("claim while a1 is out = %s, want nothing: a2 waits for a1", requestsOf(got))
	}
	delivered(t, s, first[0])
	next := claim(t, s, "Y", base, 10)
	if got := requestsOf(next); got != "a2" {
		t.Fatalf("claim after a1 was delivered = %s, want a2", got)
	}
	// A retry that waits holds back the rest of its key, and only its key.
	if err := s.Retry(ctx, next[0].Seq, "Y", base.Add(10*time.Minute), "slack: \x00ratelimited\xff"); err != nil {
		t.Fatal(err)
	}
	delivered(t, s, first[1])
	enqueue(t, s, card("b2"))
	if got := requestsOf(claim(t, s, "Z", base.Add(time.Minute), 10)); got != "b2" {
		t.Fatalf("claim while a2 waits = %s, want b2 alone", got)
	}
	// b2 is Z's own: claiming it again is a heartbeat. a3 still waits for a2.
	later := claim(t, s, "Z", base.Add(10*time.Minute), 10)
	if got := requestsOf(later); got != "a2 b2" {
		t.Fatalf("claim when a2 is due = %s, want a2 b2", got)
	}
	m := later[0]
	if m.Attempts != 1 || m.LastError != "slack: \uFFFDratelimited\uFFFD" {
		t.Errorf("retried message: %d attempts, last error %q", m.Attempts, m.LastError)
	}
	sameTime(t, "NextAt", m.NextAt, base.Add(10*time.Minute))
	delivered(t, s, m)
	if got := requestsOf(claim(t, s, "Z", base.Add(10*time.Minute), 1)); got != "a3" {
		t.Errorf("claim with limit 1 = %s, want a3 (the first by Seq)", got)
	}
	if n := pending(t, s); n != 2 {
		t.Errorf("OutboxPending = %d, want 2 (a3 and b2)", n)
	}
}

// testOutboxLease: a lease that ran out lets another owner take the message,
// and the old owner's writes are then refused and change nothing.
func testOutboxLease(t *testing.T, s store.Store) {
	ctx := context.Background()
	enqueue(t, s, card("r1"))
	m := claim(t, s, "X", base, 10)[0]
	if got := claim(t, s, "Y", base.Add(59*time.Second), 10); len(got) != 0 {
		t.Fatalf("claim during X's lease = %s", requestsOf(got))
	}
	// A lease that ends at now has ended.
	taken := claim(t, s, "Y", base.Add(time.Minute), 10)
	if len(taken) != 1 || taken[0].Seq != m.Seq {
		t.Fatalf("claim at the end of X's lease = %s, want r1", requestsOf(taken))
	}
	if err := s.Delivered(ctx, m.Seq, "X"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Delivered by the old owner: %v, want ErrConflict", err)
	}
	if err := s.Retry(ctx, m.Seq, "X", base.Add(time.Hour), "late"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Retry by the old owner: %v, want ErrConflict", err)
	}
	if err := s.Delivered(ctx, m.Seq, ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Delivered by nobody: %v, want ErrConflict", err)
	}
	// The refused writes changed nothing: Y's heartbeat finds it as it was.
	again := claim(t, s, "Y", base.Add(90*time.Second), 10)
	if len(again) != 1 || again[0].Attempts != 0 || again[0].LastError != "" || !again[0].NextAt.IsZero() {
		t.Fatalf("after the refused writes: %+v", again)
	}
	// A retry releases the lease: with no wait, anyone may take it at once.
	if err := s.Retry(ctx, m.Seq, "Y", time.Time{}, "slack: 503"); err != nil {
		t.Fatal(err)
	}
	if err := s.Retry(ctx, m.Seq, "Y", time.Time{}, "twice"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second Retry after the lease was released: %v, want ErrConflict", err)
	}
	z := claim(t, s, "Z", base.Add(90*time.Second), 10)
	if len(z) != 1 || z[0].Attempts != 1 || z[0].LastError != "slack: 503" || !z[0].NextAt.IsZero() {
		t.Fatalf("claim after the retry = %+v", z)
	}
	delivered(t, s, z[0])
	if err := s.Delivered(ctx, m.Seq, "Z"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Delivered twice: %v, want ErrConflict", err)
	}
	if err := s.Retry(ctx, 1<<40, "Z", time.Time{}, ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Retry of an unknown message: %v, want ErrConflict", err)
	}
	if n := pending(t, s); n != 0 {
		t.Errorf("OutboxPending = %d after delivery, want 0", n)
	}
	if got := claim(t, s, "Z", base.Add(time.Hour), 10); len(got) != 0 {
		t.Errorf("a delivered message was claimed again: %s", requestsOf(got))
	}
}

// testOutboxInvalid: messages that could not be delivered, and claims that
// are a caller's bug, are refused, and not as a lost race.
func testOutboxInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	for name, tell := range map[string]store.Tell{
		"unknown kind":           {Kind: "fax", Key: "r1", RequestID: "r1"},
		"no key":                 {Kind: store.DeliverCard, RequestID: "r1"},
		"card without a request": {Kind: store.DeliverCard, Key: "r1"},
		"reply without a record": {Kind: store.DeliverReply, Key: "r1", RequestID: "r1"},
		"audit without a record": {Kind: store.DeliverAudit, Key: "audit", Channel: "C1"},
	} {
		if err := s.Enqueue(ctx, card("ok"), tell); err == nil {
			t.Errorf("Enqueue accepted a tell with %s", name)
		}
	}
	if _, err := s.AppendAudit(ctx, store.Event{Event: "x"}, store.Tell{Kind: store.DeliverAudit, Key: "audit"}); err == nil {
		t.Error("AppendAudit accepted an audit line without a channel")
	}
	if _, err := s.AppendAudit(ctx, store.Event{Event: "x"}, store.Tell{Kind: store.DeliverReply, Key: "r1"}); err == nil {
		t.Error("AppendAudit accepted a reply without a request")
	}
	if n := pending(t, s); n != 0 {
		t.Errorf("refused writes left %d messages", n)
	}
	if n, err := s.VerifyAudit(ctx, nil); n.Records != 0 || err != nil {
		t.Errorf("refused appends left %d records (%v)", n, err)
	}
	if err := s.Enqueue(ctx); err != nil {
		t.Errorf("Enqueue of nothing: %v", err)
	}
	for name, c := range map[string]struct {
		owner      string
		now, until time.Time
		limit      int
	}{
		"empty owner":       {"", base, base.Add(time.Minute), 1},
		"lease ends at now": {"X", base, base, 1},
		"negative limit":    {"X", base, base.Add(time.Minute), -1},
	} {
		if _, err := s.ClaimMessages(ctx, c.owner, c.now, c.until, c.limit); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("claim with %s: %v, want a refusal that is not a lost race", name, err)
		}
	}
	enqueue(t, s, card("r1"))
	if ms, err := s.ClaimMessages(ctx, "X", base, base.Add(time.Minute), 0); err != nil || len(ms) != 0 {
		t.Errorf("claim with limit 0 = %v, %v; want nothing", ms, err)
	}
	if _, err := s.AuditRecord(ctx, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AuditRecord of an empty log: %v, want ErrNotFound", err)
	}
}
