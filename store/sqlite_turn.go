package store

import "sync"

// appendTurn orders this process's appends to the SQLite chain so that an
// appender signs its record while the one before it commits. One writing
// connection takes one transaction at a time, each ending in an fsync; an
// appender that waited for it to sign inside its own transaction would add
// the signature's time to every append. Instead it takes the turn, signs
// its record as the one after the head the last appender inserted (perhaps
// not committed yet), and only then waits for the connection. The
// transaction reads the head again and signs again if the guess was wrong
// (that commit failed, or another process appended): the chain is always
// what the database holds.
//
// The turn is taken before a transaction begins and given up once its
// record is inserted, never the other way round, so no transaction holding
// the connection ever waits for the turn.
type appendTurn struct {
	mu    sync.Mutex
	seq   int64
	hash  string
	known bool // seq and hash are the head after the last record inserted
}

// turn is one appender's hold of the turn.
type turn struct {
	t    *appendTurn
	once sync.Once
	pre  preSig
}

// preSig is a record signed before its transaction, for the hash it names.
type preSig struct{ hash, keyID, sig string }

// take waits for the turn and signs e as the record after the last one
// inserted; without a signer, or before any record, it only takes the turn.
func (a *appendTurn) take(sign Signer, e Event) *turn {
	a.mu.Lock()
	t := &turn{t: a}
	if sign != nil && a.known {
		h := chain(a.seq+1, a.hash, e).Hash
		t.pre = preSig{hash: h, keyID: sign.ID(), sig: sign.Sign(hashBytes(h))}
	}
	return t
}

// signed is the key ID and signature of the record whose hash is h: the
// one made before the transaction when it guessed right.
func (t *turn) signed(sign Signer, h string) (keyID, sig string) {
	switch {
	case t != nil && t.pre.hash == h:
		return t.pre.keyID, t.pre.sig
	case sign == nil:
		return "", ""
	}
	return sign.ID(), sign.Sign(hashBytes(h))
}

// inserted remembers r as the head and gives up the turn.
func (t *turn) inserted(r Record) {
	if t == nil {
		return
	}
	t.t.seq, t.t.hash, t.t.known = r.Seq, r.Hash, true
	t.release()
}

// release gives up the turn; later calls do nothing.
func (t *turn) release() {
	if t != nil {
		t.once.Do(t.t.mu.Unlock)
	}
}
