// Package auditline reads revokebot's audit export as an outside verifier
// would: the JSON Lines record and its hash, written from docs/audit.md's
// description rather than taken from package store, so that tests hold the
// store to what is documented.
package auditline

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// Line is one line of `revokebot audit export`, its fields in the format's
// key order.
type Line struct {
	Seq       int64  `json:"seq"`
	Time      string `json:"time"`
	Event     string `json:"event"`
	RequestID string `json:"request_id"`
	Actor     string `json:"actor"`
	Target    string `json:"target"`
	Detail    string `json:"detail"`
	PrevHash  string `json:"prev_hash"`
	Hash      string `json:"hash"`
	KeyID     string `json:"key_id"`
	Sig       string `json:"sig"`
}

// Hash is the record hash as docs/audit.md tells an outside verifier to
// compute it: sha256 over the domain tag and each field, every one
// preceded by its length as 8 bytes big-endian, in hex.
func Hash(l Line) string {
	h := sha256.New()
	for _, f := range []string{"revokebot-audit-v1", strconv.FormatInt(l.Seq, 10), l.Time,
		l.Event, l.RequestID, l.Actor, l.Target, l.Detail, l.PrevHash} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Signed reports whether l carries a signature by pub (the raw 32-byte
// Ed25519 public key) of its hash, as docs/audit.md tells an outside verifier
// to check it.
func Signed(pub []byte, l Line) bool {
	sum, err := hex.DecodeString(l.Hash)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(l.Sig)
	return err == nil && ed25519.Verify(ed25519.PublicKey(pub), sum, sig)
}
