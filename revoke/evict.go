package revoke

import (
	"crypto/rand"
	"errors"
	"math/big"
	"strings"
	"time"
)

// Method is one of a user's authentication methods, as the card lists it.
type Method struct {
	ID   string
	Type string // Graph's type without the prefix and suffix: phone, fido2, microsoftAuthenticator, …
	// Label names the method for a person: a device or key name, an
	// e-mail address, or a phone number masked to its last digits.
	Label   string
	Created time.Time // zero where Graph does not say (phone, email, softwareOath)
}

// Password reports whether m is the password, which is never removed.
func (m Method) Password() bool { return m.Type == "password" }

// Grant is a delegated permission grant a user gave an app (consent type
// Principal). The audit record keeps all of it, so it can be restored.
type Grant struct {
	ID         string
	ClientID   string // the client's service principal object ID
	ClientName string // its display name; empty when it could not be read
	AppID      string // the client's application ID
	ResourceID string // the resource's service principal object ID
	Scope      string // space-separated delegated permissions
}

// Rule is an inbox rule, with what it does that matters after a takeover.
type Rule struct {
	ID                string
	Name              string
	Enabled, ReadOnly bool
	ForwardTo         []string // addresses
	RedirectTo        []string
	ForwardAsAttach   []string
	Delete            bool // moves mail to Deleted Items
	PermanentDelete   bool
}

// Suspicious reports whether the rule sends mail away or deletes it: the
// rules an attacker leaves behind to hide replies or copy the mailbox out.
func (r Rule) Suspicious() bool {
	return len(r.ForwardTo) > 0 || len(r.RedirectTo) > 0 || len(r.ForwardAsAttach) > 0 || r.Delete || r.PermanentDelete
}

// Does words what a suspicious rule does, e.g. "forwards to x@evil.example".
func (r Rule) Does() string {
	var parts []string
	add := func(verb string, to []string) {
		if len(to) > 0 {
			parts = append(parts, verb+" to "+strings.Join(to, ", "))
		}
	}
	add("forwards", r.ForwardTo)
	add("redirects", r.RedirectTo)
	add("forwards as attachment", r.ForwardAsAttach)
	switch {
	case r.PermanentDelete:
		parts = append(parts, "deletes permanently")
	case r.Delete:
		parts = append(parts, "deletes")
	}
	return strings.Join(parts, "; ")
}

// MaskPhone keeps a phone number's last digits (2 for a short number, up
// to 4) and hides the rest, so a card shows which phone without giving out
// the number.
func MaskPhone(number string) string {
	var digits []rune
	for _, r := range number {
		if r >= '0' && r <= '9' {
			digits = append(digits, r)
		}
	}
	keep := min(4, max(2, len(digits)-6))
	if len(digits) <= keep {
		return strings.Repeat("•", len(digits))
	}
	return strings.Repeat("•", len(digits)-keep) + string(digits[len(digits)-keep:])
}

// Password classes: a generated password holds at least one of each, which
// meets every Entra complexity rule (3 of 4 classes).
const (
	pwLower  = "abcdefghijkmnopqrstuvwxyz"
	pwUpper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	pwDigit  = "23456789"
	pwSymbol = "!#$%*+-=?@^_~"
	// PasswordLength is long enough that guessing is hopeless and well
	// under Entra's 256.
	PasswordLength = 32
)

// NewPassword returns a random password from crypto/rand with every
// character class. Callers hand it to Graph and drop it: it is never
// logged, stored, shown or audited.
func NewPassword() (string, error) {
	all := pwLower + pwUpper + pwDigit + pwSymbol
	out := make([]byte, PasswordLength)
	pick := func(set string) (byte, error) {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			return 0, errors.New("no randomness for a password")
		}
		return set[n.Int64()], nil
	}
	var err error
	for i, set := range []string{pwLower, pwUpper, pwDigit, pwSymbol} {
		if out[i], err = pick(set); err != nil {
			return "", err
		}
	}
	for i := 4; i < len(out); i++ {
		if out[i], err = pick(all); err != nil {
			return "", err
		}
	}
	// Shuffle, so the classes are not always in the first four places.
	for i := len(out) - 1; i > 0; i-- {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", errors.New("no randomness for a password")
		}
		j := n.Int64()
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}
