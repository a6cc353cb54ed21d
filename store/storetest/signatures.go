package storetest

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/revokebot/revokebot/signing"
	"github.com/revokebot/revokebot/store"
)

var signatureTests = []contractTest{
	{"AuditSigned", testAuditSigned},
	{"AuditKeyRotated", testAuditKeyRotated},
	{"SignaturesKept", testSignaturesKept},
	{"RequesterSigned", testRequesterSigned},
}

// testRequesterSigned: a decision may name a new requester together with
// the statement's new signature, never one without the other, and both
// are kept from then on.
func testRequesterSigned(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := newRequest("a1")
	r.Requester, r.Sig = "revokebot", "statement-sig"
	if err := s.CreateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	for _, c := range []store.Change{{At: base, Requester: "U07"}, {At: base, RequestSig: "resigned"}} {
		if _, _, err := s.Decide(ctx, "a1", store.StatePending, store.StateRunning, c); !errors.Is(err, store.ErrIllegal) {
			t.Errorf("Decide(%+v) = %v, want ErrIllegal", c, err)
		}
	}
	if got := get(t, s, "a1"); got.State != store.StatePending || got.Requester != "revokebot" || got.Sig != "statement-sig" {
		t.Fatalf("refused changes changed it: %+v", got)
	}
	got, _, err := s.Decide(ctx, "a1", store.StatePending, store.StateRunning,
		store.Change{At: base, DecidedBy: "U07", Sig: "run-sig", Requester: "U07", RequestSig: "resigned"})
	if err != nil || got.Requester != "U07" || got.Sig != "resigned" || got.DecisionSig != "run-sig" || got.DecidedBy != "U07" {
		t.Fatalf("after the confirm: %+v, %v", got, err)
	}
	if again := get(t, s, "a1"); again.Requester != "U07" || again.Sig != "resigned" {
		t.Errorf("read back: requester %q sig %q", again.Requester, again.Sig)
	}
	if got, _, err = s.Decide(ctx, "a1", store.StateRunning, store.StateSucceeded, store.Change{At: base}); err != nil || got.Requester != "U07" || got.Sig != "resigned" {
		t.Fatalf("after finishing: %+v, %v; want the requester and signature kept", got, err)
	}
}

func newKey(t *testing.T) signing.Key {
	t.Helper()
	k, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testAuditSigned: records appended before the store had a key stand
// unsigned at the start; from then on every way of appending signs, the
// signature covers the record's hash, and VerifyAudit names a record signed
// by another key, or unsigned after signed ones.
func testAuditSigned(t *testing.T, s store.Store) {
	ctx := context.Background()
	for range 2 {
		if _, err := s.AppendAudit(ctx, store.Event{Time: base, Event: "requested", RequestID: "r0"}); err != nil {
			t.Fatal(err)
		}
	}
	k := newKey(t)
	store.SignWith(k)(s)
	if _, err := s.AppendAudit(ctx, store.Event{Time: base, Event: "requested", RequestID: "r1"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"r1", "r2"} {
		if err := s.CreateRequest(ctx, newRequest(id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Decide(ctx, "r1", store.StatePending, store.StateCancelled,
		store.Change{At: base, Audit: &store.Event{Event: "cancelled", RequestID: "r1"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.Approve(ctx, "r2", "U02", 2, store.Change{At: base, Audit: &store.Event{Event: "approved", RequestID: "r2"}}); err != nil {
		t.Fatal(err)
	}
	ring := signing.NewKeyring(k.Public())
	v, err := s.VerifyAudit(ctx, ring)
	if err != nil || v.Records != 5 || v.Unsigned != 2 {
		t.Fatalf("VerifyAudit = %+v, %v; want 5 records, the first 2 unsigned", v, err)
	}
	for seq := int64(3); seq <= 5; seq++ {
		r, err := s.AuditRecord(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if r.KeyID != k.ID() || ring.Check(hashOf(t, r), r.KeyID, r.Sig) != nil {
			t.Errorf("record %d: key %q sig %q: not signed by the store's key over its hash", seq, r.KeyID, r.Sig)
		}
	}
	other := newKey(t)
	_, err = s.VerifyAudit(ctx, signing.NewKeyring(other.Public()))
	if ce, ok := errors.AsType[*store.ChainError](err); !ok || ce.Seq != 3 || !errors.Is(err, signing.ErrUnknownKey) {
		t.Errorf("VerifyAudit with another key = %v, want record 3 refused", err)
	}
	store.SignWith(nil)(s)
	if _, err := s.AppendAudit(ctx, store.Event{Time: base, Event: "approved", RequestID: "r2"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.VerifyAudit(ctx, ring)
	if ce, ok := errors.AsType[*store.ChainError](err); !ok || ce.Seq != 6 {
		t.Errorf("VerifyAudit after an unsigned record = %v, want record 6 refused", err)
	}
	if _, err := s.VerifyAudit(ctx, nil); err == nil {
		t.Error("VerifyAudit without keys let an unsigned record after signed ones pass")
	}
}

// hashOf is the 32 bytes a record's hex hash spells.
func hashOf(t *testing.T, r store.Record) []byte {
	t.Helper()
	b, err := hex.DecodeString(r.Hash)
	if err != nil || len(b) != 32 {
		t.Fatalf("hash %q is not 32 bytes of hex", r.Hash)
	}
	return b
}

// testSignaturesKept: the store keeps the bot's signatures as given: a
// request's, the decision's that moved it to running, each approval's; a
// change without one leaves the request's as it was.
func testSignaturesKept(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := newRequest("r1")
	r.NeedsApproval, r.Sig = false, "statement-sig"
	if err := s.CreateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Decide(ctx, "r1", store.StatePending, store.StateRunning, store.Change{At: base, Sig: "confirm-sig"})
	if err != nil || got.Sig != "statement-sig" || got.DecisionSig != "confirm-sig" {
		t.Fatalf("after confirm: sig %q decision %q, %v", got.Sig, got.DecisionSig, err)
	}
	if got, _, err = s.Decide(ctx, "r1", store.StateRunning, store.StateSucceeded, store.Change{At: base}); err != nil || got.DecisionSig != "confirm-sig" {
		t.Fatalf("after finishing: decision %q, %v; want it kept", got.DecisionSig, err)
	}
	if err := s.CreateRequest(ctx, newRequest("r2")); err != nil {
		t.Fatal(err)
	}
	for i, who := range []string{"U02", "U03"} {
		c := store.Change{At: base, Sig: "run-by-" + who, ApprovalSig: "approved-by-" + who}
		cur, as, _, err := s.Approve(ctx, "r2", who, 2, c)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"", "run-by-U03"}[i]; cur.DecisionSig != want {
			t.Errorf("after %d approvals: decision sig %q, want %q (only the approval that runs it)", i+1, cur.DecisionSig, want)
		}
		if as[len(as)-1].Sig != "approved-by-"+who && as[0].Sig != "approved-by-"+who {
			t.Errorf("approvals %+v lack %s's signature", as, who)
		}
	}
	as, err := s.Approvals(ctx, "r2")
	if err != nil || len(as) != 2 {
		t.Fatalf("Approvals = %+v, %v", as, err)
	}
	for _, a := range as {
		if a.Sig != "approved-by-"+a.Approver {
			t.Errorf("approval of %s: sig %q", a.Approver, a.Sig)
		}
	}
}

// testAuditKeyRotated: after a rotation the new key signs from then on, and
// the whole log verifies with both public keys, not with the new one alone.
func testAuditKeyRotated(t *testing.T, s store.Store) {
	ctx := context.Background()
	old, cur := newKey(t), newKey(t)
	for i, k := range []signing.Key{old, old, cur, cur} {
		store.SignWith(k)(s)
		if _, err := s.AppendAudit(ctx, store.Event{Time: base, Event: "requested", RequestID: fmt.Sprint("r", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := s.VerifyAudit(ctx, signing.NewKeyring(old.Public(), cur.Public())); err != nil || v.Records != 4 || v.Unsigned != 0 {
		t.Fatalf("VerifyAudit with both keys = %+v, %v", v, err)
	}
	_, err := s.VerifyAudit(ctx, signing.NewKeyring(cur.Public()))
	if ce, ok := errors.AsType[*store.ChainError](err); !ok || ce.Seq != 1 {
		t.Errorf("VerifyAudit with the new key only = %v, want record 1 named", err)
	}
}
