// Package signing holds revokebot's Ed25519 signing key: made by `keygen`,
// kept outside the database, it signs every audit record and every decision
// that lets a request run, so that whoever can write the database, and does
// not hold the key, can neither make the bot act nor forge its record.
package signing

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Key is the private key the bot signs with.
type Key struct {
	priv ed25519.PrivateKey
	pub  PublicKey
}

// PublicKey is a key that checks signatures, and names the key that made them.
type PublicKey struct {
	key ed25519.PublicKey
	id  string
}

// Generate makes a new key.
func Generate() (Key, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("signing: generate key: %w", err)
	}
	return Key{priv: priv, pub: newPublic(pub)}, nil
}

func newPublic(k ed25519.PublicKey) PublicKey { return PublicKey{key: k, id: keyID(k)} }

// keyID is the first 16 hex digits of the SHA-256 of the raw 32-byte key.
func keyID(k ed25519.PublicKey) string {
	sum := sha256.Sum256(k)
	return hex.EncodeToString(sum[:8])
}

// Public is the key's public half.
func (k Key) Public() PublicKey { return k.pub }

// ID names the key, as key_id does in the audit log.
func (k Key) ID() string { return k.pub.id }

// Valid reports whether k holds a key (the zero Key does not).
func (k Key) Valid() bool { return len(k.priv) == ed25519.PrivateKeySize }

// Sign signs msg, returning the signature as standard padded base64.
func (k Key) Sign(msg []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(k.priv, msg))
}

// ID names the key.
func (p PublicKey) ID() string { return p.id }

// String is the key as `keygen` prints it: base64 of its 32 bytes.
func (p PublicKey) String() string { return base64.StdEncoding.EncodeToString(p.key) }

// Verify reports whether sig (base64) is p's signature of msg.
func (p PublicKey) Verify(msg []byte, sig string) bool {
	raw, err := base64.StdEncoding.DecodeString(sig)
	return err == nil && len(p.key) == ed25519.PublicKeySize && ed25519.Verify(p.key, msg, raw)
}

// MarshalPEM is the private key as `keygen` writes it: PKCS#8 in PEM.
func (k Key) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePEM reads a private key that MarshalPEM wrote. Its errors never
// quote the input, which is a secret.
func ParsePEM(data []byte) (Key, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return Key{}, errors.New("not a PEM \"PRIVATE KEY\" block (make one with `revokebot keygen`)")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return Key{}, errors.New("not a PKCS#8 private key (make one with `revokebot keygen`)")
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return Key{}, fmt.Errorf("a %T, not an Ed25519 key (make one with `revokebot keygen`)", k)
	}
	return Key{priv: priv, pub: newPublic(priv.Public().(ed25519.PublicKey))}, nil
}

// ParsePublic reads a public key as `keygen` prints it (base64 of the raw
// 32 bytes), or the PEM of a private key, whose public half it takes.
func ParsePublic(text string) (PublicKey, error) {
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, "-----BEGIN") {
		k, err := ParsePEM([]byte(text))
		return k.Public(), err
	}
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return PublicKey{}, errors.New("not a public key: want the base64 of 32 bytes that `revokebot keygen` prints")
	}
	return newPublic(ed25519.PublicKey(raw)), nil
}
