package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// testDecideRace is testTransitionRace with a record and messages: exactly
// one decision wins, and only its record and its messages are written,
// while other writers append records and messages at the same time (on a
// shared database they take the same locks, in the same order).
func testDecideRace(t *testing.T, s store.Store) {
	const racers, appenders, each = 20, 4, 10
	ctx := context.Background()
	create(t, s, newRequest("r1"))
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		winners []store.Record
	)
	for i := range racers {
		to := store.StateRunning
		if i%2 == 1 {
			to = store.StateCancelled
		}
		actor := fmt.Sprint("U", i)
		wg.Go(func() {
			<-start
			c := store.Change{DecidedBy: actor,
				Audit: &store.Event{Event: string(to), RequestID: "r1", Actor: actor},
				Tell: []store.Tell{
					{Kind: store.DeliverReply, Key: "r1", RequestID: "r1"},
					{Kind: store.DeliverAudit, Key: "audit", RequestID: "r1", Channel: "C0AUDIT"},
				}}
			r, rec, err := s.Decide(ctx, "r1", store.StatePending, to, c)
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, rec)
				mu.Unlock()
				if r.DecidedBy != actor || rec.Actor != actor {
					t.Errorf("%s won with request %+v, record %+v", actor, r, rec)
				}
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("%s: %v, want nil or ErrConflict", actor, err)
			case rec != (store.Record{}):
				t.Errorf("%s lost but got record %+v", actor, rec)
			}
		})
	}
	for a := range appenders {
		wg.Go(func() {
			<-start
			for i := range each {
				key := fmt.Sprint("other", a)
				if _, err := s.AppendAudit(ctx, store.Event{Event: "started", RequestID: key, Actor: "U1", Detail: fmt.Sprint(i)},
					store.Tell{Kind: store.DeliverReply, Key: key, RequestID: key}); err != nil {
					t.Errorf("AppendAudit: %v", err)
					return
				}
				if err := s.Enqueue(ctx, card(key)); err != nil {
					t.Errorf("Enqueue: %v", err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d decisions won, want exactly 1", len(winners))
	}
	if n, err := s.VerifyAudit(ctx, nil); n.Records != 1+appenders*each || err != nil {
		t.Errorf("VerifyAudit = %d, %v; want %d, nil", n, err, 1+appenders*each)
	}
	trail, err := s.AuditTrail(ctx, "r1")
	if err != nil || len(trail) != 1 || !sameRecord(trail[0], winners[0]) {
		t.Errorf("AuditTrail(r1) = %+v, %v; want the winner's record alone", trail, err)
	}
	if n := pending(t, s); n != 2+2*appenders*each {
		t.Errorf("OutboxPending = %d, want %d", n, 2+2*appenders*each)
	}
	for _, m := range claim(t, s, "X", base, 100) {
		if m.RequestID == "r1" && m.AuditSeq != winners[0].Seq {
			t.Errorf("r1's %s tells of record %d, want the winner's %d", m.Kind, m.AuditSeq, winners[0].Seq)
		}
	}
}

// testOutboxConcurrentClaims is replicas sharing one outbox while messages
// keep coming: every message is delivered exactly once, and the messages of
// a key in the order of their Seq. Some attempts fail and are retried, which
// hands the message back to whoever claims next. The leases outlive the
// test, so no message may change hands except through Retry.
func testOutboxConcurrentClaims(t *testing.T, s store.Store) {
	const producers, each, keys, consumers = 2, 100, 10, 4
	ctx := context.Background()
	var (
		mu        sync.Mutex
		order     = map[string][]int64{}  // key -> Seqs in the order they were delivered
		byProduct = map[string][]string{} // key -> RequestIDs in the order they were delivered
		deliverer = map[int64]string{}    // Seq -> who delivered it
		produced  = make(chan struct{})   // closed when every message is in
		pw, cw    sync.WaitGroup
	)
	for p := range producers {
		pw.Go(func() {
			for i := 0; i < each; i += 5 {
				var batch []store.Tell
				for n := i; n < i+5; n++ {
					key := fmt.Sprint("k", (n*7+p*3)%keys)
					batch = append(batch, store.Tell{Kind: store.DeliverCard, Key: key, RequestID: fmt.Sprintf("p%d-%03d", p, n)})
				}
				if err := s.Enqueue(ctx, batch...); err != nil {
					t.Errorf("producer %d: %v", p, err)
					return
				}
			}
		})
	}
	go func() { pw.Wait(); close(produced) }()
	for c := range consumers {
		owner := fmt.Sprint("replica-", c)
		cw.Go(func() {
			retried := map[int64]bool{}
			for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
				ms, err := s.ClaimMessages(ctx, owner, base, base.Add(time.Hour), 3)
				if err != nil {
					t.Errorf("%s: ClaimMessages: %v", owner, err)
					return
				}
				if len(ms) == 0 {
					select {
					case <-produced:
						if n, err := s.OutboxPending(ctx); err != nil || n == 0 {
							return
						}
					default:
					}
					time.Sleep(time.Millisecond)
					continue
				}
				for _, m := range ms {
					if m.Seq%5 == 0 && !retried[m.Seq] {
						retried[m.Seq] = true
						if err := s.Retry(ctx, m.Seq, owner, time.Time{}, "slack: 503"); err != nil {
							t.Errorf("%s: Retry(%d): %v", owner, m.Seq, err)
						}
						continue
					}
					// Recorded before Delivered: the next message of the key
					// cannot be claimed until Delivered has committed.
					mu.Lock()
					if who, ok := deliverer[m.Seq]; ok {
						t.Errorf("message %d delivered by %s and again by %s", m.Seq, who, owner)
					}
					deliverer[m.Seq] = owner
					order[m.Key] = append(order[m.Key], m.Seq)
					byProduct[m.Key] = append(byProduct[m.Key], m.RequestID)
					mu.Unlock()
					if err := s.Delivered(ctx, m.Seq, owner); err != nil {
						t.Errorf("%s: Delivered(%d): %v", owner, m.Seq, err)
					}
				}
			}
			t.Errorf("%s gave up with messages left", owner)
		})
	}
	cw.Wait()
	if len(deliverer) != producers*each {
		t.Errorf("%d messages delivered, want %d", len(deliverer), producers*each)
	}
	for key, seqs := range order {
		if !slices.IsSorted(seqs) {
			t.Errorf("key %s delivered out of Seq order: %v", key, seqs)
		}
		// Each producer's messages of a key in the order it wrote them.
		for p := range producers {
			var mine []string
			for _, id := range byProduct[key] {
				if id[:3] == fmt.Sprintf("p%d-", p) {
					mine = append(mine, id)
				}
			}
			if !slices.IsSorted(mine) {
				t.Errorf("key %s: producer %d's messages delivered as %v", key, p, mine)
			}
		}
	}
	if n := pending(t, s); n != 0 {
		t.Errorf("OutboxPending = %d after every delivery, want 0", n)
	}
}
