package request

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/revokebot/revokebot/store"
)

// Span is the record numbers From to To, both included.
type Span struct{ From, To int64 }

// GivenUp is a record whose audit-channel line the outbox gave up on, and
// the undelivered record that says so.
type GivenUp struct{ Seq, Record int64 }

// spans are the numbers the channel shows, as sorted, disjoint and
// non-adjacent runs. The channel shows every record in order, so an intact
// channel is one run however long its history: memory grows with the gaps,
// not with the lines.
type spans []Span

func (s *spans) add(n int64) {
	r := *s
	// i is the first run ending at or after n-1: the only ones n can join.
	i := sort.Search(len(r), func(i int) bool { return r[i].To >= n-1 })
	switch {
	case i < len(r) && r[i].From <= n && n <= r[i].To:
		return // shown already: a repeat
	case i < len(r) && r[i].To == n-1:
		r[i].To = n
		if i+1 < len(r) && r[i+1].From == n+1 {
			r[i].To = r[i+1].To
			r = slices.Delete(r, i+1, i+2)
		}
	case i < len(r) && r[i].From == n+1:
		r[i].From = n // the usual case: history is read newest first
	default:
		r = slices.Insert(r, i, Span{n, n})
	}
	*s = r
}

// holes are the numbers between the lowest and the highest shown that the
// channel does not show.
func (s spans) holes() []Span {
	var out []Span
	for i := 1; i < len(s); i++ {
		out = append(out, Span{s[i-1].To + 1, s[i].From - 1})
	}
	return out
}

// AuditExporter is the log read once, oldest first, to find what explains a
// hole: the undelivered records.
type AuditExporter interface {
	ExportAudit(ctx context.Context, since time.Time, fn func(store.Record) error) error
}

// explain moves the numbers of r.Missing whose line the outbox gave up on,
// as an undelivered record says, to r.GivenUp. The log is read only when
// there are holes.
func (r *AnchorReport) explain(ctx context.Context, log AuditExporter) error {
	if len(r.Missing) == 0 {
		return nil
	}
	err := log.ExportAudit(ctx, time.Time{}, func(rec store.Record) error {
		seq, ok := givenUpLine(rec)
		if !ok || !inSpans(r.Missing, seq) {
			return nil
		}
		r.GivenUp = append(r.GivenUp, GivenUp{Seq: seq, Record: rec.Seq})
		r.Missing = cut(r.Missing, seq)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the audit log for undelivered records: %w", err)
	}
	slices.SortFunc(r.GivenUp, func(a, b GivenUp) int { return cmp.Compare(a.Seq, b.Seq) })
	return nil
}

func inSpans(s []Span, n int64) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].To >= n })
	return i < len(s) && s[i].From <= n
}

// cut takes n, which one of s holds, out of s.
func cut(s []Span, n int64) []Span {
	i := sort.Search(len(s), func(i int) bool { return s[i].To >= n })
	switch sp := s[i]; {
	case sp.From == sp.To:
		return slices.Delete(s, i, i+1)
	case n == sp.From:
		s[i].From++
	case n == sp.To:
		s[i].To--
	default:
		s[i].To = n - 1
		return slices.Insert(s, i+1, Span{n + 1, sp.To})
	}
	return s
}

// countSpans is how many numbers the spans hold.
func countSpans(s []Span) int64 {
	var n int64
	for _, sp := range s {
		n += sp.To - sp.From + 1
	}
	return n
}

// maxNamed bounds how many numbers or runs a report names before it says
// how many more there are.
const maxNamed = 20

// MissingCount is how many numbers Missing holds.
func (r AnchorReport) MissingCount() int64 { return countSpans(r.Missing) }

// MissingNames names Missing compactly: "#4–#6, #9 and 12 more".
func (r AnchorReport) MissingNames() string {
	var parts []string
	var named int64
	for _, sp := range r.Missing[:min(len(r.Missing), maxNamed)] {
		if sp.From == sp.To {
			parts = append(parts, fmt.Sprintf("#%d", sp.From))
		} else {
			parts = append(parts, fmt.Sprintf("#%d–#%d", sp.From, sp.To))
		}
		named += sp.To - sp.From + 1
	}
	out := strings.Join(parts, ", ")
	if rest := r.MissingCount() - named; rest > 0 {
		out += fmt.Sprintf(" and %d more", rest)
	}
	return out
}

// GivenUpNames names GivenUp with the records that say so: "#7 (record #9)".
func (r AnchorReport) GivenUpNames() string {
	var parts []string
	for _, x := range r.GivenUp[:min(len(r.GivenUp), maxNamed)] {
		parts = append(parts, fmt.Sprintf("#%d (record #%d)", x.Seq, x.Record))
	}
	out := strings.Join(parts, ", ")
	if len(r.GivenUp) > maxNamed {
		out += fmt.Sprintf(" and %d more", len(r.GivenUp)-maxNamed)
	}
	return out
}
