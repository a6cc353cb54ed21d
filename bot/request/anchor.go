package request

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/revokebot/revokebot/store"
)

// anchorBatch is how many record numbers one AuditHashes call asks for.
const anchorBatch = store.MaxAuditHashes

// The audit channel is the log's anchor: its writer (the bot, or whoever
// holds the store) cannot rewrite what Slack already shows. Holding the
// channel's lines against the log catches what the hash chain alone cannot:
// records cut off the end with the head rewound, or a record rewritten and
// every later hash sealed again.

// AnchorLog is what the check reads of the audit log.
type AnchorLog interface {
	AuditHead(ctx context.Context) (seq int64, hash string, err error)
	AuditHashes(ctx context.Context, seqs []int64) (map[int64]string, error)
	AuditExporter
}

// ChannelHistory hands page the texts of the bot's own messages in the
// audit channel, newest first, one page of Slack's history at a time.
type ChannelHistory func(ctx context.Context, page func(texts []string) error) error

// AnchorReport is what the channel showed and how it compares with the log.
type AnchorReport struct {
	Lines    int   // audit lines the channel shows, repeats included
	Highest  int64 // the highest record number among them; 0 for none
	Lowest   int64 // the lowest; records before it may predate the channel or its history
	Head     int64 // the log's head
	HeadHash string
	// Break is the lowest-numbered record on which channel and log
	// disagree; nil when they agree.
	Break *AnchorBreak
	// Missing are the numbers between Lowest and Highest the channel does
	// not show (deleted lines), but for those in GivenUp: lines the outbox
	// gave up on, as an undelivered record in the log says.
	Missing []Span
	GivenUp []GivenUp
}

// AnchorBreak is one record the channel shows and the log does not hold as shown.
type AnchorBreak struct {
	Seq    int64
	Shown  string // the hash prefix the channel shows
	Reason string
}

// Error words the break for the person running the check.
func (b *AnchorBreak) Error() string {
	return fmt.Sprintf("audit record %d: the audit channel shows it with hash %s, but %s", b.Seq, b.Shown, b.Reason)
}

// auditLinePattern reads what auditLine writes first: icon, event, number
// and hash prefix. Only the start of the line is read, so a target or detail
// quoting another line's number cannot pass for one.
var auditLinePattern = regexp.MustCompile("^(?::[a-z0-9_+-]+: )?\\*[a-z_]+\\* · #([0-9]{1,18}) `([0-9a-f]{12})`")

// ParseAuditLine reads the record number and hash prefix off an audit
// channel line; ok is false for any other message.
func ParseAuditLine(text string) (seq int64, hashPrefix string, ok bool) {
	m := auditLinePattern.FindStringSubmatch(text)
	if m == nil {
		return 0, "", false
	}
	seq, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || seq < 1 {
		return 0, "", false
	}
	return seq, m[2], true
}

// CheckAnchor holds every audit line of the channel against the log, a page
// at a time, so memory stays flat however long the history. A line beyond
// the log's head, a number the log lacks and a hash that differs are each a
// break; the report names the lowest-numbered one. It also lists the
// numbers the channel skips, since every record is posted there in order.
func CheckAnchor(ctx context.Context, log AnchorLog, history ChannelHistory) (AnchorReport, error) {
	var r AnchorReport
	var runs spans // every number the channel shows
	var err error
	if r.Head, r.HeadHash, err = log.AuditHead(ctx); err != nil {
		return r, fmt.Errorf("read the audit log's head: %w", err)
	}
	note := func(b *AnchorBreak) {
		if r.Break == nil || b.Seq < r.Break.Seq {
			r.Break = b
		}
	}
	err = history(ctx, func(texts []string) error {
		shown := make(map[int64]string, len(texts))
		var seqs []int64
		for _, text := range texts {
			seq, prefix, ok := ParseAuditLine(text)
			if !ok {
				continue
			}
			r.Lines++
			r.Highest = max(r.Highest, seq)
			runs.add(seq)
			if seq > r.Head {
				note(&AnchorBreak{Seq: seq, Shown: prefix, Reason: fmt.Sprintf(
					"the log ends at record %d: it was cut short, its head rewound", r.Head)})
				continue
			}
			if prev, seen := shown[seq]; seen {
				if prev != prefix {
					note(&AnchorBreak{Seq: seq, Shown: prefix, Reason: "the channel also shows it with hash " + prev})
				}
				continue
			}
			shown[seq] = prefix
			seqs = append(seqs, seq)
		}
		for len(seqs) > 0 {
			n := min(len(seqs), anchorBatch)
			held, err := log.AuditHashes(ctx, seqs[:n])
			if err != nil {
				return fmt.Errorf("read the audit log: %w", err)
			}
			for _, seq := range seqs[:n] {
				switch h, ok := held[seq]; {
				case !ok:
					note(&AnchorBreak{Seq: seq, Shown: shown[seq], Reason: "the log lacks it"})
				case !strings.HasPrefix(h, shown[seq]):
					note(&AnchorBreak{Seq: seq, Shown: shown[seq], Reason: "the log holds it with hash " + h})
				}
			}
			seqs = seqs[n:]
		}
		return nil
	})
	if err != nil || len(runs) == 0 {
		return r, err
	}
	r.Lowest, r.Missing = runs[0].From, runs.holes()
	return r, r.explain(ctx, log)
}
