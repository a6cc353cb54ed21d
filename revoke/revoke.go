// Package revoke is the Microsoft Graph side of revokebot: the users it finds,
// the results of revoking them and the errors Graph answers, classified once.
// The Graph SDK itself lives in revoke/graph so that the rest of the tree
// compiles without it.
package revoke

import (
	"strings"
	"time"
)

// User is an Entra ID account as a responder needs to see it before acting.
type User struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	UPN            string `json:"userPrincipalName"`
	Mail           string `json:"mail,omitempty"`
	UserType       string `json:"userType,omitempty"`
	AccountEnabled bool   `json:"accountEnabled"`
	JobTitle       string `json:"jobTitle,omitempty"`
	Department     string `json:"department,omitempty"`
	// ProxyAddresses are the mailbox's addresses as Graph gives them
	// ("SMTP:" primary, "smtp:" others), so that a release can tell that
	// a chat account's e-mail is one of this user's.
	ProxyAddresses []string `json:"proxyAddresses,omitempty"`
}

// HasAddress reports whether email is one of the user's addresses: the
// UPN, the mail or a proxy address (any type prefix but SMTP's ignored),
// compared case-insensitively as Exchange does.
func (u User) HasAddress(email string) bool {
	email = strings.TrimSpace(email)
	if email == "" {
		return false
	}
	if strings.EqualFold(email, u.UPN) || strings.EqualFold(email, u.Mail) {
		return true
	}
	for _, p := range u.ProxyAddresses {
		if kind, addr, ok := strings.Cut(p, ":"); ok && strings.EqualFold(kind, "smtp") && strings.EqualFold(addr, email) {
			return true
		}
	}
	return false
}

// Guest reports whether the account is a B2B guest, on which session
// revocation has no effect.
func (u User) Guest() bool { return strings.EqualFold(u.UserType, "Guest") }

// LookupKind says which directory property a lookup value is matched against.
type LookupKind int

// The kinds of lookup a target can need.
const (
	ByAddress  LookupKind = iota // UPN, mail or proxy address
	ByObjectID                   // Entra object ID (GUID)
	ByAlias                      // mailNickname
)

// Lookup is one target to find in the directory.
type Lookup struct {
	Kind  LookupKind
	Value string
}

// Page is one page of a listing of the tenant's users.
type Page struct {
	Users []User
	// Next is the link to the following page (Graph's @odata.nextLink);
	// empty on the last page.
	Next string
}

// Result is the outcome of a successful session revocation.
type Result struct {
	// At is when Graph accepted the revocation.
	At time.Time
}

// ODataString quotes s as an OData string literal: a single quote inside is
// doubled, so input can never end the literal and add a clause of its own.
func ODataString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Graph's identity and access reports budget, which the sign-in log, the
// directory audit log and users' authentication methods share: ReportsLimit
// requests per ReportsWindow per app and tenant, any method
// (learn.microsoft.com/graph/throttling-limits).
const (
	ReportsLimit  = 5
	ReportsWindow = 10 * time.Second
)
