package store

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// MaxAuditHashes is how many seqs one AuditHashes call may name: enough for a
// verifier's spot checks, few enough that the query and its answer stay small.
const MaxAuditHashes = 1000

// WriteJSONL writes every record ExportAudit yields for since to w as JSON
// Lines, the format `revokebot audit export` prints, so that an outside
// verifier can recompute each hash from its line alone. Each line is one
// object with the keys seq (a number), time, event, request_id, actor,
// target, detail, prev_hash, hash, key_id and sig (strings), in that order
// (key_id and sig are empty on a record written before the bot had a key); time is
// exactly the string the hash covers (RFC 3339 with nanoseconds, UTC), and
// strings are escaped as encoding/json does with HTML escaping off, so "<"
// and "&" come out as they are. It returns the count of lines written; after
// an error the lines before it are still flushed to w, as far as w takes them.
func WriteJSONL(ctx context.Context, s interface {
	ExportAudit(context.Context, time.Time, func(Record) error) error
}, since time.Time, w io.Writer) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	var n int64
	err := s.ExportAudit(ctx, since, func(r Record) error {
		// Encoding into the buffer's free space copies nothing for a line
		// that fits, which is nearly every line.
		if _, err := bw.Write(appendJSONLine(bw.AvailableBuffer(), r)); err != nil {
			return err
		}
		n++
		return nil
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return n, err
}

// appendJSONLine encodes r as one JSON Lines line by appending, which is
// several times faster than json.Encoder with reflection over a struct: the
// encoding is the larger part of an export's cost once the rows are read.
func appendJSONLine(b []byte, r Record) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, r.Seq, 10)
	b = append(b, `,"time":"`...)
	b = r.Time.UTC().AppendFormat(b, time.RFC3339Nano) // digits, '-', ':', '.', 'T', 'Z': nothing to escape
	b = append(b, `","event":`...)
	b = appendJSONString(b, r.Event.Event)
	b = append(b, `,"request_id":`...)
	b = appendJSONString(b, r.RequestID)
	b = append(b, `,"actor":`...)
	b = appendJSONString(b, r.Actor)
	b = append(b, `,"target":`...)
	b = appendJSONString(b, r.Target)
	b = append(b, `,"detail":`...)
	b = appendJSONString(b, r.Detail)
	b = append(b, `,"prev_hash":`...)
	b = appendJSONString(b, r.PrevHash)
	b = append(b, `,"hash":`...)
	b = appendJSONString(b, r.Hash)
	b = append(b, `,"key_id":`...)
	b = appendJSONString(b, r.KeyID)
	b = append(b, `,"sig":`...)
	b = appendJSONString(b, r.Sig)
	return append(b, "}\n"...)
}

// appendJSONString quotes s byte for byte as encoding/json does with HTML
// escaping off (export_test.go holds it to that), so a line reads back with
// any JSON decoder as the exact string the hash covers.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029': // as encoding/json: valid JSON, but not valid JavaScript
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// sinceMicros is since as the Unix microseconds both backends compare with,
// rounded up: the stored times are whole microseconds, so a record is at or
// after since exactly when it is at or after the next whole microsecond.
func sinceMicros(since time.Time) int64 {
	us := since.UnixMicro()
	if since.After(time.UnixMicro(us)) {
		us++
	}
	return us
}

// checkAuditHashes refuses more seqs than MaxAuditHashes, the same way on
// every backend.
func checkAuditHashes(seqs []int64) error {
	if len(seqs) > MaxAuditHashes {
		return fmt.Errorf("store: audit hashes: %d seqs in one call, at most %d", len(seqs), MaxAuditHashes)
	}
	return nil
}
