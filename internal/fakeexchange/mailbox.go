package fakeexchange

import (
	"fmt"
	"strings"
)

// Mailbox is one mailbox's state as its cmdlets show it. Property names
// follow the cmdlets' output (Get-Mailbox, Get-CASMailbox).
type Mailbox struct {
	UPN                  string // also the primary SMTP address
	Alias                string // default: the UPN's local part; also Name
	DisplayName          string // default: Alias
	Guid                 string
	RecipientTypeDetails string // default UserMailbox
	Forwarding           Forwarding
	CAS                  CAS
}

// Forwarding is the mailbox's own forwarding (Set-Mailbox), which a user can
// set in Outlook on the web and Graph cannot see.
type Forwarding struct {
	// SmtpAddress is ForwardingSmtpAddress as Exchange shows it, with its
	// proxy type: "smtp:x@evil.example"; "" for none.
	SmtpAddress string
	// Address is ForwardingAddress: a recipient in the tenant, by name.
	Address                    string
	DeliverToMailboxAndForward bool
}

// CAS is the mailbox's client access settings (Set-CASMailbox) that decide
// which protocols can reach it.
type CAS struct {
	PopEnabled, ImapEnabled, EwsEnabled, ActiveSyncEnabled bool
	// SmtpClientAuthenticationDisabled is nil ("blank", the default) when
	// the mailbox follows the organisation's Set-TransportConfig setting
	// (learn.microsoft.com/powershell/module/exchange/set-casmailbox).
	SmtpClientAuthenticationDisabled *bool
}

type mailbox struct {
	Mailbox
	rules []*Rule
}

// RecipientTypes are the RecipientTypeDetails values Get-Mailbox filters on,
// the one enum parameter among the cmdlets served.
var RecipientTypes = []string{"DiscoveryMailbox", "EquipmentMailbox", "GroupMailbox", "LegacyMailbox", "LinkedMailbox",
	"LinkedRoomMailbox", "RoomMailbox", "SchedulingMailbox", "SharedMailbox", "TeamMailbox", "UserMailbox"}

// AddMailbox adds a user mailbox with the service's defaults: every
// protocol on, SMTP AUTH following the organisation, no forwarding.
func (s *Server) AddMailbox(upn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	alias, _, _ := strings.Cut(upn, "@")
	n := len(s.mailboxes) + 1
	s.mailboxes = append(s.mailboxes, &mailbox{Mailbox: Mailbox{
		UPN: upn, Alias: alias, DisplayName: alias, RecipientTypeDetails: "UserMailbox",
		Guid: fmt.Sprintf("%08x-5e1f-4c1a-9a6e-%012x", n, n),
		CAS:  CAS{PopEnabled: true, ImapEnabled: true, EwsEnabled: true, ActiveSyncEnabled: true},
	}})
}

// Update changes a mailbox's state with f; false when there is no such
// mailbox.
func (s *Server) Update(identity string, f func(*Mailbox)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.find(identity)
	if m == nil {
		return false
	}
	f(&m.Mailbox)
	return true
}

// SetForwarding sets a mailbox's forwarding, as a user in Outlook on the web
// (SmtpAddress) or an admin (Address) would. An address without a proxy
// type gets "smtp:", as Exchange stores it.
func (s *Server) SetForwarding(identity string, f Forwarding) bool {
	if f.SmtpAddress != "" && !strings.Contains(f.SmtpAddress, ":") {
		f.SmtpAddress = "smtp:" + f.SmtpAddress
	}
	return s.Update(identity, func(m *Mailbox) { m.Forwarding = f })
}

// SetCAS sets a mailbox's client access settings.
func (s *Server) SetCAS(identity string, c CAS) bool {
	return s.Update(identity, func(m *Mailbox) { m.CAS = c })
}

// Mailbox returns a copy of a mailbox's state.
func (s *Server) Mailbox(identity string) (Mailbox, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.find(identity); m != nil {
		return m.Mailbox, true
	}
	return Mailbox{}, false
}

// find resolves an identity as the cmdlets' Identity parameter does, by a
// value that names one mailbox: UPN (= primary address), alias (= name) or
// GUID, case-insensitively. The display name is not among the identities
// the parameter accepts (learn.microsoft.com/powershell/module/exchange/
// set-mailbox, -Identity). It answers the first match, for the test
// helpers; the cmdlets use resolve, which refuses an identity that names
// several. Callers hold s.mu.
func (s *Server) find(identity string) *mailbox {
	if ms := s.matches(identity); len(ms) > 0 {
		return ms[0]
	}
	return nil
}

// resolve is find for a cmdlet: not found is a 404, and an identity that
// names more than one mailbox (an alias shared across domains) is refused
// rather than guessed at. Callers hold s.mu.
func (s *Server) resolve(identity string) (*mailbox, response, bool) {
	switch ms := s.matches(identity); len(ms) {
	case 0:
		return nil, notFound(identity), false
	case 1:
		return ms[0], response{}, true
	}
	return nil, ambiguous(identity), false
}

func (s *Server) matches(identity string) []*mailbox {
	id := strings.TrimSpace(identity)
	var out []*mailbox
	for _, m := range s.mailboxes {
		for _, v := range []string{m.UPN, m.Alias, m.Guid} {
			if v != "" && strings.EqualFold(v, id) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

func (m *mailbox) identity() map[string]any {
	return map[string]any{
		"Identity": m.Alias, "Name": m.Alias, "DisplayName": m.DisplayName, "Alias": m.Alias,
		"UserPrincipalName": m.UPN, "PrimarySmtpAddress": m.UPN, "Guid": m.Guid,
		"ExternalDirectoryObjectId": m.Guid, "RecipientTypeDetails": m.RecipientTypeDetails,
	}
}

func (m *mailbox) mailboxValue() map[string]any {
	v := m.identity()
	v["EmailAddresses@odata.type"] = "#Collection(String)"
	v["EmailAddresses"] = []string{"SMTP:" + m.UPN}
	v["ForwardingSmtpAddress"] = nullIfEmpty(m.Forwarding.SmtpAddress)
	v["ForwardingAddress"] = nullIfEmpty(m.Forwarding.Address)
	v["DeliverToMailboxAndForward"] = m.Forwarding.DeliverToMailboxAndForward
	return v
}

func (m *mailbox) casValue() map[string]any {
	v := m.identity()
	c := m.CAS
	v["PopEnabled"], v["ImapEnabled"], v["EwsEnabled"], v["ActiveSyncEnabled"] = c.PopEnabled, c.ImapEnabled, c.EwsEnabled, c.ActiveSyncEnabled
	v["OWAEnabled"], v["MAPIEnabled"] = true, true
	if c.SmtpClientAuthenticationDisabled == nil {
		v["SmtpClientAuthenticationDisabled"] = nil
	} else {
		v["SmtpClientAuthenticationDisabled"] = *c.SmtpClientAuthenticationDisabled
	}
	return v
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// getMailboxes serves Get-Mailbox and Get-CASMailbox: one mailbox by
// Identity, or the tenant's, filtered by RecipientTypeDetails and cut at
// ResultSize (default 1000, as the cmdlets' own default).
func (s *Server) getMailboxes(in input, value func(*mailbox) map[string]any) ([]map[string]any, response, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := in.str("Identity"); ok {
		m, resp, ok := s.resolve(id)
		if !ok {
			return nil, resp, false
		}
		return []map[string]any{value(m)}, response{}, true
	}
	limit := 1000
	if n, ok := in.str("ResultSize"); ok {
		limit = 0
		_, _ = fmt.Sscan(n, &limit) // "Unlimited" leaves 0: no limit
	}
	types := in.enums("RecipientTypeDetails", RecipientTypes)
	var out []map[string]any
	for _, m := range s.mailboxes {
		if len(types) > 0 && !containsFold(types, m.RecipientTypeDetails) {
			continue
		}
		if limit > 0 && len(out) == limit {
			break
		}
		out = append(out, value(m))
	}
	return out, response{}, true
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
