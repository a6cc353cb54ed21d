package revoke

import (
	"fmt"
	"strings"
)

// ExchangeAppID is the appId of Office 365 Exchange Online, the resource
// whose app role Exchange's admin endpoint wants.
const ExchangeAppID = "00000002-0000-0ff1-ce00-000000000000"

// PermExchangeManageAsApp is the app role an app needs to run Exchange
// cmdlets app-only; ManageAsAppV2 and AdminAPI.ManageAsApp, its look-alikes,
// do not do (NOTES, "Exchange Online beyond Graph").
var PermExchangeManageAsApp = Permission{"Exchange.ManageAsApp", "dc50a0fb-09a3-484d-be87-e023b12c6440", ExchangeAppID}

// The directory roles the app's service principal needs beside the app
// role: Exchange refuses every cmdlet to an app without one.
var (
	RoleExchangeAdmin  = DirectoryRole{"Exchange Administrator", "29232cdf-9323-42fd-ade2-1d097af3e4de"}
	RoleSecurityReader = DirectoryRole{"Security Reader", "5d6b6bb7-de71-4623-b4af-96380a352509"} // reads only
)

// Forwarding is a mailbox's own forwarding, which a user (or an attacker in
// their session) can set in Outlook on the web and Graph cannot see.
type Forwarding struct {
	SMTPAddress string // ForwardingSmtpAddress without "smtp:": any address, inside or out
	Address     string // ForwardingAddress: a recipient of the tenant, as Exchange names it
	KeepCopy    bool   // DeliverToMailboxAndForward: a copy stays in the mailbox
}

// Forwards reports whether mail leaves the mailbox this way.
func (f Forwarding) Forwards() bool { return f.SMTPAddress != "" || f.Address != "" }

// String words the forwarding for a card, e.g. "forwards to x@evil.example
// (keeps a copy)".
func (f Forwarding) String() string {
	var to []string
	for _, a := range []string{f.SMTPAddress, f.Address} {
		if a != "" {
			to = append(to, a)
		}
	}
	if len(to) == 0 {
		return "no forwarding"
	}
	s := "forwards to " + strings.Join(to, " and ")
	if f.KeepCopy {
		s += " (keeps a copy)"
	}
	return s
}

// Protocol is a way into a mailbox that app passwords and stolen tokens
// keep using after a password reset. Its values are stored in audit
// records, so that a release turns back on exactly what was on.
type Protocol string

// The protocols, in the order they are listed. SMTP AUTH has two: it is
// on either by the mailbox's own setting or by following the
// organisation's (SmtpClientAuthenticationDisabled blank), and a release
// must put back which.
const (
	ProtocolPOP         Protocol = "pop"
	ProtocolIMAP        Protocol = "imap"
	ProtocolEWS         Protocol = "ews"
	ProtocolActiveSync  Protocol = "activesync"
	ProtocolSMTP        Protocol = "smtp"
	ProtocolSMTPDefault Protocol = "smtp-default"
)

var protocolOrder = []Protocol{ProtocolPOP, ProtocolIMAP, ProtocolEWS, ProtocolActiveSync, ProtocolSMTP, ProtocolSMTPDefault}

// ProtocolOrder lists the protocols in the order they are shown.
func ProtocolOrder() []Protocol { return append([]Protocol(nil), protocolOrder...) }

// ParseProtocol reads a protocol's name as an audit record stores it.
func ParseProtocol(s string) (Protocol, error) {
	for _, p := range protocolOrder {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown mail protocol %q", s)
}

// String words the protocol for a person.
func (p Protocol) String() string {
	switch p {
	case ProtocolPOP:
		return "POP"
	case ProtocolIMAP:
		return "IMAP"
	case ProtocolEWS:
		return "EWS"
	case ProtocolActiveSync:
		return "ActiveSync"
	case ProtocolSMTP:
		return "SMTP AUTH"
	case ProtocolSMTPDefault:
		return "SMTP AUTH (organisation's setting)"
	}
	return string(p)
}

// SMTPAuth is a mailbox's SMTP AUTH setting (SmtpClientAuthenticationDisabled
// inverted). The zero value is the service's default.
type SMTPAuth int

// The SMTP AUTH settings.
const (
	SMTPDefault SMTPAuth = iota // blank: the organisation's Set-TransportConfig decides
	SMTPOn                      // SmtpClientAuthenticationDisabled $false
	SMTPOff                     // SmtpClientAuthenticationDisabled $true
)

// Protocols is what Get-CASMailbox says of a mailbox's protocols.
type Protocols struct {
	POP, IMAP, EWS, ActiveSync bool
	SMTP                       SMTPAuth
}

// On lists the protocols that can reach the mailbox, in order. SMTP AUTH
// following the organisation counts as on: the tenant may allow it, and
// turning it off explicitly costs nothing.
func (p Protocols) On() []Protocol {
	var out []Protocol
	for _, x := range []struct {
		on bool
		p  Protocol
	}{{p.POP, ProtocolPOP}, {p.IMAP, ProtocolIMAP}, {p.EWS, ProtocolEWS}, {p.ActiveSync, ProtocolActiveSync},
		{p.SMTP == SMTPOn, ProtocolSMTP}, {p.SMTP == SMTPDefault, ProtocolSMTPDefault}} {
		if x.on {
			out = append(out, x.p)
		}
	}
	return out
}

// MailboxRule is an inbox rule as Exchange lists it, hidden ones included:
// Rule.ID is Exchange's Identity, which disabling takes.
type MailboxRule struct {
	Rule
	// Hidden rules are made over MAPI and shown by neither Outlook nor
	// Graph; only Get-InboxRule -IncludeHidden lists them.
	Hidden bool
}
