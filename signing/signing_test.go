package signing

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSignVerifyAndIDs(t *testing.T) {
	t.Parallel()
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	msg := Digest("revokebot-test", "a", "b")
	sig := k.Sign(msg)
	ring := NewKeyring(k.Public())
	if err := ring.Check(msg, k.ID(), sig); err != nil {
		t.Fatalf("own signature refused: %v", err)
	}
	if len(k.ID()) != 16 {
		t.Errorf("key ID %q: want 16 hex digits", k.ID())
	}
	other, _ := Generate()
	for name, c := range map[string]struct {
		msg      []byte
		id, sig  string
		want     error
		ringKeys Keyring
	}{
		"unsigned":        {msg, k.ID(), "", ErrUnsigned, ring},
		"other message":   {Digest("revokebot-test", "ab", ""), k.ID(), sig, ErrBadSig, ring},
		"other key's sig": {msg, k.ID(), other.Sign(msg), ErrBadSig, ring},
		"unknown key":     {msg, other.ID(), other.Sign(msg), ErrUnknownKey, ring},
		"not base64":      {msg, k.ID(), "!!", ErrBadSig, ring},
	} {
		if err := c.ringKeys.Check(c.msg, c.id, c.sig); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// Digest's length prefixes keep field boundaries.
	if string(Digest("d", "ab", "")) == string(Digest("d", "a", "b")) {
		t.Error("Digest confuses field boundaries")
	}
}

func TestPEMAndPublicRoundTrip(t *testing.T) {
	t.Parallel()
	k, _ := Generate()
	pemBytes, err := k.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePEM(pemBytes)
	if err != nil || back.ID() != k.ID() {
		t.Fatalf("ParsePEM: %v, id %s want %s", err, back.ID(), k.ID())
	}
	pub, err := ParsePublic(k.Public().String())
	if err != nil || pub.ID() != k.ID() {
		t.Fatalf("ParsePublic: %v", err)
	}
	if pub, err := ParsePublic(string(pemBytes)); err != nil || pub.ID() != k.ID() {
		t.Fatalf("ParsePublic of a PEM: %v", err)
	}
	for _, bad := range []string{"", "abc", k.Public().String()[:20], "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		if _, err := ParsePublic(bad); err == nil {
			t.Errorf("ParsePublic(%q) accepted", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error quotes the input: %v", err)
		}
	}
}

func TestLoadOrCreate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "revokebot.db.key")
	k, err := LoadOrCreate(path)
	if err != nil {
		t.Fatalf("first start: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v: want 0600", fi.Mode().Perm(), err)
	}
	again, err := LoadOrCreate(path)
	if err != nil || again.ID() != k.ID() {
		t.Fatalf("second start: id %s want %s, %v", again.ID(), k.ID(), err)
	}
	if _, err := Create(path); err == nil {
		t.Fatal("Create overwrote a key")
	}
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreate(path); err == nil {
		t.Fatal("a broken key file was accepted")
	}
}
