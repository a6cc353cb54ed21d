package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	if n, err := s.VerifyAudit(ctx, nil); n.Records != 0 || err != nil {
		t.Fatalf("VerifyAudit on an empty log = %d, %v; want 0, nil", n, err)
	}
	events := []store.Event{
		{Time: base, Event: "requested", RequestID: "r1", Actor: "U01", Target: "alice@contoso.com", Detail: "sessions"},
		{Time: base.Add(time.Second), Event: "refused", RequestID: "", Actor: "U09", Target: "bob", Detail: "not a requester"},
		{Time: base.Add(2 * time.Second), Event: "confirmed", RequestID: "r1", Actor: "U01", Target: "alice@contoso.com"},
		{Event: "succeeded", RequestID: "r1", Actor: "U01", Target: "alice@contoso.com", Detail: "accepted at 15:09:29Z"},
	}
	var recs []store.Record
	prev := strings.Repeat("0", 64)
	for i, e := range events {
		r, err := s.AppendAudit(ctx, e)
		if err != nil {
			t.Fatalf("AppendAudit(%s): %v", e.Event, err)
		}
		if r.Seq != int64(i+1) || r.PrevHash != prev || len(r.Hash) != 64 || r.Hash == prev {
			t.Errorf("record %d: seq %d, prev %s, hash %s; want seq %d chained after %s", i, r.Seq, r.PrevHash, r.Hash, i+1, prev)
		}
		if r.Event.Event != e.Event || r.RequestID != e.RequestID || r.Actor != e.Actor || r.Target != e.Target || r.Detail != e.Detail {
			t.Errorf("record %d = %+v, want the event %+v", i, r.Event, e)
		}
		if !e.Time.IsZero() {
			sameTime(t, "Time", r.Time, e.Time)
		} else if r.Time.IsZero() || r.Time.Location() != time.UTC {
			t.Errorf("a zero Time was stored as %v, want now in UTC", r.Time)
		}
		prev = r.Hash
		recs = append(recs, r)
	}
	trail, err := s.AuditTrail(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Record{recs[0], recs[2], recs[3]}
	if len(trail) != len(want) {
		t.Fatalf("AuditTrail(r1) has %d records, want %d", len(trail), len(want))
	}
	for i := range want {
		if !sameRecord(trail[i], want[i]) {
			t.Errorf("AuditTrail(r1)[%d] = %+v, want %+v", i, trail[i], want[i])
		}
	}
	if none, err := s.AuditTrail(ctx, "r404"); err != nil || len(none) != 0 {
		t.Errorf("AuditTrail of an unknown request = %v, %v; want none", none, err)
	}
	if n, err := s.VerifyAudit(ctx, nil); n.Records != len(events) || err != nil {
		t.Errorf("VerifyAudit = %d, %v; want %d, nil", n, err, len(events))
	}
	if _, err := s.AppendAudit(ctx, store.Event{RequestID: "r1"}); err == nil {
		t.Error("AppendAudit accepted an event without a name")
	}
}

// testAuditCleansText: text some databases refuse is cleaned before hashing,
// so the record still lands and still verifies.
func testAuditCleansText(t *testing.T, s store.Store) {
	ctx := context.Background()
	r, err := s.AppendAudit(ctx, store.Event{Time: base, Event: "refused", Actor: "U1", Target: "bad\x00name\xff", Detail: "ünïcode ok"})
	if err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	if r.Target != "bad\uFFFDname\uFFFD" || r.Detail != "ünïcode ok" {
		t.Errorf("stored target %q, detail %q", r.Target, r.Detail)
	}
	if n, err := s.VerifyAudit(ctx, nil); n.Records != 1 || err != nil {
		t.Errorf("VerifyAudit = %d, %v; want 1, nil", n, err)
	}
}

// testAuditConcurrent: appends from many goroutines form one linear chain.
func testAuditConcurrent(t *testing.T, s store.Store) {
	const workers, each = 8, 25
	ctx := context.Background()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[int64]bool{}
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r, err := s.AppendAudit(ctx, store.Event{Time: base, Event: "started", RequestID: fmt.Sprint("r", w), Actor: "U1", Detail: fmt.Sprint(i)})
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				mu.Lock()
				if seen[r.Seq] {
					t.Errorf("seq %d handed out twice", r.Seq)
				}
				seen[r.Seq] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if n, err := s.VerifyAudit(ctx, nil); n.Records != workers*each || err != nil {
		t.Errorf("VerifyAudit = %d, %v; want %d, nil", n, err, workers*each)
	}
	for w := range workers {
		trail, err := s.AuditTrail(ctx, fmt.Sprint("r", w))
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range trail {
			if r.Detail != fmt.Sprint(i) {
				t.Errorf("worker %d's trail out of order at %d: %q", w, i, r.Detail)
				break
			}
		}
	}
}

func sameRecord(a, b store.Record) bool {
	return a.Seq == b.Seq && a.Time.Equal(b.Time) && a.Event.Event == b.Event.Event && a.RequestID == b.RequestID &&
		a.Actor == b.Actor && a.Target == b.Target && a.Detail == b.Detail && a.PrevHash == b.PrevHash && a.Hash == b.Hash
}
