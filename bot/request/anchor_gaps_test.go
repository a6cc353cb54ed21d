package request

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/revokebot/revokebot/store"
)

// withoutLines drops the channel's lines of the given record numbers, as a
// person deleting them would.
func withoutLines(lines []string, seqs ...int64) []string {
	return slices.DeleteFunc(slices.Clone(lines), func(text string) bool {
		seq, _, ok := ParseAuditLine(text)
		return ok && slices.Contains(seqs, seq)
	})
}

func TestCheckAnchorGaps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("intact: the log is not read again", func(t *testing.T) {
		l, lines := newMemLog(300)
		r, err := CheckAnchor(ctx, l, pages(lines, 50))
		if err != nil || len(r.Missing) != 0 || r.Lowest != 1 || l.exported != 0 {
			t.Fatalf("%+v %v, %d exports", r, err, l.exported)
		}
	})
	t.Run("a deleted line", func(t *testing.T) {
		l, lines := newMemLog(50)
		r, err := CheckAnchor(ctx, l, pages(withoutLines(lines, 12), 7))
		if err != nil || r.Break != nil || !slices.Equal(r.Missing, []Span{{12, 12}}) || r.MissingNames() != "#12" {
			t.Fatalf("%+v %v", r, err)
		}
	})
	t.Run("many deleted, named compactly", func(t *testing.T) {
		l, lines := newMemLog(200)
		gone := []int64{4, 5, 6, 9}
		for s := int64(20); s < 120; s += 2 {
			gone = append(gone, s) // 50 more, each alone
		}
		r, _ := CheckAnchor(ctx, l, pages(withoutLines(lines, gone...), 999))
		if r.MissingCount() != int64(len(gone)) {
			t.Fatalf("%d missing, want %d", r.MissingCount(), len(gone))
		}
		got := r.MissingNames()
		if !strings.HasPrefix(got, "#4–#6, #9, #20, #22, ") || !strings.HasSuffix(got, ", #54 and 32 more") {
			t.Fatalf("%q", got)
		}
	})
	t.Run("a line the outbox gave up on", func(t *testing.T) {
		l, lines := newMemLog(60)
		l.records = []store.Record{
			{Seq: 3, Event: store.Event{Event: "outcome", Detail: "record #7: Slack refused its line in the audit channel C1 for good"}},
			{Seq: 58, Event: store.Event{Event: string(EvUndelivered), Detail: undeliveredDetail(
				store.Message{Tell: store.Tell{Kind: store.DeliverAudit, Channel: "C1"}, AuditSeq: 7, Attempts: 4}, "msg_too_long")}},
			{Seq: 59, Event: store.Event{Event: string(EvUndelivered), Detail: undeliveredDetail(
				store.Message{Tell: store.Tell{Kind: store.DeliverReply}, AuditSeq: 8, Attempts: 4}, "msg_too_long")}},
		}
		r, err := CheckAnchor(ctx, l, pages(withoutLines(lines, 7, 8), 10))
		if err != nil || !slices.Equal(r.GivenUp, []GivenUp{{7, 58}}) || !slices.Equal(r.Missing, []Span{{8, 8}}) {
			t.Fatalf("%+v %v", r, err)
		}
		if got := r.GivenUpNames(); got != "#7 (record #58)" {
			t.Errorf("%q", got)
		}
	})
	t.Run("a channel starting late, repeats out of order", func(t *testing.T) {
		l, lines := newMemLog(40)
		lines = withoutLines(lines, 1, 2, 3)
		lines = append(lines[:5], append([]string{lines[30]}, lines[5:]...)...) // a slow retry lands late
		r, err := CheckAnchor(ctx, l, pages(lines, 6))
		if err != nil || r.Break != nil || len(r.Missing) != 0 || r.Lowest != 4 || r.Highest != 40 {
			t.Fatalf("%+v %v", r, err)
		}
	})
}

// TestSpans: whatever the order and the repeats, the runs are the numbers
// added, and the holes what lies between them.
func TestSpans(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		want := map[int64]bool{}
		var s spans
		for range rng.IntN(60) {
			n := 1 + rng.Int64N(80)
			want[n] = true
			s.add(n)
		}
		var got []int64
		for i, sp := range s {
			if sp.From > sp.To || (i > 0 && s[i-1].To+1 >= sp.From) {
				t.Fatalf("round %d: runs not sorted, disjoint and apart: %v", round, s)
			}
			for n := sp.From; n <= sp.To; n++ {
				got = append(got, n)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("round %d: runs %v hold %d numbers, want %d", round, s, len(got), len(want))
		}
		for _, n := range got {
			if !want[n] {
				t.Fatalf("round %d: %d in %v was never added", round, n, s)
			}
		}
		holes := s.holes()
		for _, h := range holes {
			for n := h.From; n <= h.To; n++ {
				if want[n] {
					t.Fatalf("round %d: hole %v holds %d", round, h, n)
				}
			}
		}
		for _, h := range slices.Backward(holes) {
			for n := h.To; n >= h.From; n-- {
				holes = cut(holes, n)
			}
		}
		if len(holes) != 0 {
			t.Fatalf("round %d: cutting every hole's numbers left %v", round, holes)
		}
	}
}
