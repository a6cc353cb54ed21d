package fakeexchange

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Rule is an inbox rule as Get-InboxRule shows it.
type Rule struct {
	// Identity is "<mailbox alias>\<RuleIdentity>", set by AddRule. What
	// the service puts before the backslash (alias, name or object ID) is
	// not documented; Disable-InboxRule takes the value as listed.
	Identity     string
	RuleIdentity string // a 64-bit number, in decimal; set by AddRule
	Name         string
	Enabled      bool
	// Hidden rules (made over MAPI, invisible in Outlook) are listed only
	// with -IncludeHidden (learn.microsoft.com/powershell/module/exchange/get-inboxrule).
	Hidden   bool
	Priority int
	// ForwardTo, ForwardAsAttachmentTo and RedirectTo hold addresses; the
	// cmdlet shows each as "\"addr\" [SMTP:addr]".
	ForwardTo, ForwardAsAttachmentTo, RedirectTo []string
	DeleteMessage, SoftDeleteMessage             bool
	MoveToFolder                                 string
}

// AddRule adds r to a mailbox's rules and returns its Identity; false when
// there is no such mailbox.
func (s *Server) AddRule(mailboxIdentity string, r Rule) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.find(mailboxIdentity)
	if m == nil {
		return "", false
	}
	s.nextRule++
	r.RuleIdentity = strconv.FormatUint(s.nextRule, 10)
	r.Identity = m.Alias + `\` + r.RuleIdentity
	if r.Priority == 0 {
		r.Priority = len(m.rules) + 1
	}
	m.rules = append(m.rules, &r)
	return r.Identity, true
}

// Rules returns copies of a mailbox's rules, hidden ones included.
func (s *Server) Rules(mailboxIdentity string) []Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.find(mailboxIdentity)
	if m == nil {
		return nil
	}
	out := make([]Rule, len(m.rules))
	for i, r := range m.rules {
		out[i] = *r
	}
	return out
}

func (r *Rule) value(m *mailbox) map[string]any {
	recipients := func(addrs []string) any {
		if len(addrs) == 0 {
			return nil // an empty multi-valued property comes back null
		}
		out := make([]string, len(addrs))
		for i, a := range addrs {
			out[i] = `"` + a + `" [SMTP:` + a + `]`
		}
		return out
	}
	return map[string]any{
		"Identity": r.Identity, "RuleIdentity": json.Number(r.RuleIdentity), "Name": r.Name,
		"Enabled": r.Enabled, "Priority": r.Priority, "MailboxOwnerId": m.Alias,
		"ForwardTo@odata.type": "#Collection(String)", "ForwardTo": recipients(r.ForwardTo),
		"ForwardAsAttachmentTo": recipients(r.ForwardAsAttachmentTo), "RedirectTo": recipients(r.RedirectTo),
		"DeleteMessage": r.DeleteMessage, "SoftDeleteMessage": r.SoftDeleteMessage,
		"MoveToFolder": nullIfEmpty(r.MoveToFolder), "StopProcessingRules": false, "InError": false,
	}
}

// ruleMailbox finds the mailbox a rule call is about: -Mailbox, else the
// part of -Identity before a backslash. Callers hold s.mu.
func (s *Server) ruleMailbox(in input) (*mailbox, string, response, bool) {
	id, _ := in.str("Identity")
	name, hasMailbox := in.str("Mailbox")
	before, after, qualified := strings.Cut(id, `\`)
	switch {
	case hasMailbox:
		if qualified {
			id = after
		}
	case qualified:
		name, id = before, after
	default:
		// An app has no mailbox of its own for the cmdlet to default to.
		return nil, "", badParameter(bindingType, "Cannot process command because of one or more missing mandatory parameters: Mailbox."), false
	}
	m, resp, ok := s.resolve(name)
	if !ok {
		return nil, "", resp, false
	}
	return m, id, response{}, true
}

// findRule resolves a rule by RuleIdentity or name within m.
func (m *mailbox) findRule(id string, hidden bool) *Rule {
	for _, r := range m.rules {
		if r.Hidden && !hidden {
			continue
		}
		if r.RuleIdentity == id || strings.EqualFold(r.Name, id) {
			return r
		}
	}
	return nil
}

// getInboxRules serves Get-InboxRule: a mailbox's rules, or the one
// -Identity names; hidden ones only with -IncludeHidden.
func (s *Server) getInboxRules(in input) ([]map[string]any, response, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, id, resp, ok := s.ruleMailbox(in)
	if !ok {
		return nil, resp, false
	}
	hidden, _ := in.boolean("IncludeHidden")
	if in.has("Identity") {
		r := m.findRule(id, hidden)
		if r == nil {
			full, _ := in.str("Identity")
			return nil, notFound(full), false
		}
		return []map[string]any{r.value(m)}, response{}, true
	}
	var out []map[string]any
	for _, r := range m.rules {
		if !r.Hidden || hidden {
			out = append(out, r.value(m))
		}
	}
	return out, response{}, true
}

// disableInboxRule serves Disable-InboxRule. It finds hidden rules too: CIPP
// disables every rule Get-InboxRule -IncludeHidden lists with it
// (Modules/CIPPCore/Public/Webhooks/Invoke-CIPPWebhookProcessing.ps1).
func (s *Server) disableInboxRule(in input) ([]map[string]any, response, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, id, resp, ok := s.ruleMailbox(in)
	if !ok {
		return nil, resp, false
	}
	r := m.findRule(id, true)
	if r == nil {
		full, _ := in.str("Identity")
		return nil, notFound(full), false
	}
	r.Enabled = false
	return nil, response{}, true
}
