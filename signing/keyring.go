package signing

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// Keyring is the public keys whose signatures are trusted, by key ID: the
// bot's own, and for old records the keys it signed with before a rotation.
type Keyring map[string]PublicKey

// NewKeyring trusts keys.
func NewKeyring(keys ...PublicKey) Keyring {
	r := Keyring{}
	for _, k := range keys {
		r[k.id] = k
	}
	return r
}

// Errors Check returns, so that callers can say which it was.
var (
	ErrUnsigned   = errors.New("not signed")
	ErrUnknownKey = errors.New("signed by a key revokebot was not given")
	ErrBadSig     = errors.New("signature does not match")
)

// Check says why sig, made by key keyID, is not a trusted signature of msg;
// nil when it is.
func (r Keyring) Check(msg []byte, keyID, sig string) error {
	if sig == "" {
		return ErrUnsigned
	}
	k, ok := r[keyID]
	if !ok {
		return fmt.Errorf("%w (key %q)", ErrUnknownKey, clipID(keyID))
	}
	if !k.Verify(msg, sig) {
		return fmt.Errorf("%w (key %s)", ErrBadSig, k.id)
	}
	return nil
}

// clipID keeps a key ID read from the database short in an error.
func clipID(id string) string {
	if len(id) > 16 {
		return id[:16] + "…"
	}
	return id
}

// Digest is what a decision's signature covers: the SHA-256 of a domain tag
// and the fields, each preceded by its length as 8 bytes big-endian, so that
// no two different lists of fields encode alike and a signature made for one
// purpose (domain) cannot stand for another.
func Digest(domain string, fields ...string) []byte {
	h := sha256.New()
	for _, f := range append([]string{domain}, fields...) {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		h.Write([]byte(f))
	}
	return h.Sum(nil)
}
