package store

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/revokebot/revokebot/signing"
)

// Event is one audit event as the bot reports it.
type Event struct {
	Time                                    time.Time
	Event, RequestID, Actor, Target, Detail string
}

// Record is an Event as the audit log keeps it: numbered, chained and, once
// the bot has a key, signed.
type Record struct {
	Seq int64
	Event
	PrevHash, Hash string // hex sha256
	// KeyID names the key that signed the record and Sig is its signature
	// of the 32 bytes Hash spells (base64); both empty on a record written
	// before the bot had a key.
	KeyID, Sig string
}

// Signer signs each record as it is appended: Sign(digest) is the
// signature of the record's 32-byte hash, ID names the key.
type Signer interface {
	ID() string
	Sign(digest []byte) string
}

// Checker says why sig, made by key keyID, is not a trusted signature of
// digest; nil when it is.
type Checker interface {
	Check(digest []byte, keyID, sig string) error
}

// Verified is what VerifyAudit checked: every record, and how many of them
// stand unsigned at the start of the log, written before the bot had a key.
type Verified struct {
	Records, Unsigned int
}

// ChainError says where the audit chain first breaks.
type ChainError struct {
	Seq    int64 // 0 when the break is not at one record (the chain head is gone)
	Reason string
	Err    error // the signature check's error, for errors.Is; nil for other breaks
}

// Unwrap gives the signature check's error.
func (e *ChainError) Unwrap() error { return e.Err }

// Error implements error.
func (e *ChainError) Error() string {
	if e.Seq == 0 {
		return "audit log: " + e.Reason
	}
	return fmt.Sprintf("audit record %d: %s", e.Seq, e.Reason)
}

// genesisHash is the PrevHash of the first record.
var genesisHash = strings.Repeat("0", 64)

// hashDomain versions the encoding: a later format change must not produce
// hashes that could be mistaken for this one.
const hashDomain = "revokebot-audit-v1"

// prepareEvent checks e and normalises it to what every backend can store
// unchanged, because the hash is computed over exactly these values and
// VerifyAudit recomputes it from what was read back.
func prepareEvent(e Event, now func() time.Time) (Event, error) {
	if e.Event == "" {
		return e, errors.New("store: audit event without a name")
	}
	if e.Time.IsZero() {
		e.Time = now()
	}
	e.Time = utc(e.Time)
	// PostgreSQL text refuses NUL and invalid UTF-8; cleaning here keeps the
	// backends interchangeable instead of losing an audit record there.
	for _, s := range []*string{&e.Event, &e.RequestID, &e.Actor, &e.Target, &e.Detail} {
		*s = cleanText(*s)
	}
	return e, nil
}

// seal numbers e, chains it after prev and signs it with sign, if any.
func seal(seq int64, prev string, e Event, sign Signer) Record {
	r := chain(seq, prev, e)
	if sign != nil {
		r.KeyID, r.Sig = sign.ID(), sign.Sign(hashBytes(r.Hash))
	}
	return r
}

// chain numbers e and chains it after prev, unsigned.
func chain(seq int64, prev string, e Event) Record {
	r := Record{Seq: seq, Event: e, PrevHash: prev}
	r.Hash = recordHash(r)
	return r
}

// hashBytes is the raw digest a record's hex hash spells, which its
// signature covers; nil for a hash that is not hex.
func hashBytes(h string) []byte {
	b, _ := hex.DecodeString(h)
	return b
}

// CheckRecord says why r is not a record the store wrote and signed with a
// key keys trusts: its hash is not its content's (a genuine record's hash
// and signature copied onto other words), it is unsigned, or its signature
// does not verify. nil when it is.
func CheckRecord(r Record, keys Checker) error {
	switch {
	case recordHash(r) != r.Hash:
		return errors.New("its hash is not its content's")
	case r.Sig == "":
		return errors.New("it is not signed")
	}
	return keys.Check(hashBytes(r.Hash), r.KeyID, r.Sig)
}

// recordHash is sha256 over the domain tag and then, each as an 8-byte
// big-endian length followed by its bytes: seq (decimal), time (RFC 3339 with
// nanoseconds, UTC), event, request ID, actor, target, detail and the previous
// hash. Length prefixes make the encoding unambiguous, so an outside verifier
// can recompute it in a few lines.
func recordHash(r Record) string {
	return hex.EncodeToString(signing.Digest(hashDomain, strconv.FormatInt(r.Seq, 10), r.Time.UTC().Format(time.RFC3339Nano),
		r.Event.Event, r.RequestID, r.Actor, r.Target, r.Detail, r.PrevHash))
}

// chainCheck walks records in Seq order; a backend feeds it every record and
// then the head it keeps, and reports the first break.
type chainCheck struct {
	n        int64  // records checked, and the Seq of the last one
	prev     string // hash of the last record
	keys     Checker
	unsigned int // records before the first signed one
}

// newChainCheck checks the chain and, with keys, every record's signature;
// without keys it still refuses an unsigned record after a signed one.
func newChainCheck(keys Checker) *chainCheck { return &chainCheck{prev: genesisHash, keys: keys} }

func (c *chainCheck) verified() Verified { return Verified{Records: int(c.n), Unsigned: c.unsigned} }

func (c *chainCheck) next(r Record) *ChainError {
	want := c.n + 1
	switch {
	case r.Seq > want:
		return &ChainError{Seq: want, Reason: "missing"}
	case r.Seq < want:
		return &ChainError{Seq: r.Seq, Reason: "out of order"}
	case r.PrevHash != c.prev:
		return &ChainError{Seq: r.Seq, Reason: "previous hash does not match the record before it"}
	case recordHash(r) != r.Hash:
		return &ChainError{Seq: r.Seq, Reason: "hash does not match its content"}
	}
	if err := c.signature(r); err != nil {
		return err
	}
	c.n, c.prev = r.Seq, r.Hash
	return nil
}

// signature checks r's signature: a record appended by anyone without the
// key has none, or one that does not verify.
func (c *chainCheck) signature(r Record) *ChainError {
	switch {
	case r.Sig == "" && r.KeyID == "" && c.n == int64(c.unsigned): // no signed record yet
		c.unsigned++
		return nil
	case r.Sig == "":
		return &ChainError{Seq: r.Seq, Reason: "not signed, after signed records: it was not written by revokebot"}
	case c.keys == nil:
		return nil
	}
	if err := c.keys.Check(hashBytes(r.Hash), r.KeyID, r.Sig); err != nil {
		return &ChainError{Seq: r.Seq, Reason: "signature: " + err.Error(), Err: err}
	}
	return nil
}

// end compares the walk with the head row, which is updated in the same
// transaction as every append: without it, cutting records off the end
// would leave a valid, shorter chain.
func (c *chainCheck) end(headSeq int64, headHash string) *ChainError {
	switch {
	case headSeq > c.n:
		return &ChainError{Seq: c.n + 1, Reason: fmt.Sprintf("missing: the log ends at record %d but its head says %d", c.n, headSeq)}
	case headSeq < c.n:
		return &ChainError{Seq: headSeq + 1, Reason: fmt.Sprintf("not in the chain head, which ends at record %d", headSeq)}
	case headHash != c.prev:
		return &ChainError{Seq: c.n, Reason: "hash does not match the chain head"}
	}
	return nil
}
