package fakeexchange

import (
	"net/http"
	"strings"
)

// confirm is the common parameter Set- and Disable- cmdlets take; CIPP
// sends Confirm=$false with Disable-InboxRule. Nothing prompts over REST.
var confirm = param{"Confirm", kSwitch, nil}

// cmdlets are the cmdlets served, by lower-cased name (cmdlet names are
// case-insensitive: CIPP sends both Get-CASMailbox and Get-CasMailbox).
var cmdlets = map[string]cmdlet{
	"get-mailbox": {
		params: []param{{"Identity", kString, nil}, {"ResultSize", kResultSize, nil}, {"RecipientTypeDetails", kEnum, RecipientTypes}},
		run: func(s *Server, in input) ([]map[string]any, response, bool) {
			return s.getMailboxes(in, (*mailbox).mailboxValue)
		},
	},
	"get-casmailbox": {
		params: []param{{"Identity", kString, nil}, {"ResultSize", kResultSize, nil}},
		run: func(s *Server, in input) ([]map[string]any, response, bool) {
			return s.getMailboxes(in, (*mailbox).casValue)
		},
	},
	"set-mailbox": {
		write: true,
		params: []param{{"Identity", kString, nil}, {"ForwardingSmtpAddress", kStringOrNull, nil},
			{"ForwardingAddress", kStringOrNull, nil}, {"DeliverToMailboxAndForward", kBool, nil}, confirm},
		required: []string{"Identity"},
		run:      (*Server).setMailbox,
	},
	"set-casmailbox": {
		write: true,
		params: []param{{"Identity", kString, nil}, {"PopEnabled", kBool, nil}, {"ImapEnabled", kBool, nil},
			{"EwsEnabled", kBool, nil}, {"ActiveSyncEnabled", kBool, nil},
			{"SmtpClientAuthenticationDisabled", kBoolOrNull, nil}, confirm},
		required: []string{"Identity"},
		run:      (*Server).setCASMailbox,
	},
	"get-inboxrule": {
		params: []param{{"Mailbox", kString, nil}, {"Identity", kString, nil}, {"IncludeHidden", kSwitch, nil}},
		run:    (*Server).getInboxRules,
	},
	"disable-inboxrule": {
		write: true,
		params: []param{{"Identity", kString, nil}, {"Mailbox", kString, nil},
			{"AlwaysDeleteOutlookRulesBlob", kSwitch, nil}, {"Force", kSwitch, nil}, confirm},
		required: []string{"Identity"},
		run:      (*Server).disableInboxRule,
	},
}

// setMailbox serves Set-Mailbox's forwarding parameters. Every parameter is
// checked before any is applied, so a refused call changes nothing.
func (s *Server) setMailbox(in input) ([]map[string]any, response, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := in.str("Identity")
	m, resp, ok := s.resolve(id)
	if !ok {
		return nil, resp, false
	}
	f := m.Forwarding
	if in.has("ForwardingSmtpAddress") {
		addr, set := in.str("ForwardingSmtpAddress")
		f.SmtpAddress = ""
		if set {
			// A ProxyAddress: "smtp:" is assumed when no type is given.
			kind, rest, typed := strings.Cut(addr, ":")
			if !typed {
				kind, rest = "smtp", addr
			}
			if !strings.EqualFold(kind, "smtp") || !validSMTP(rest) {
				return nil, badParameter(transformType, "Cannot process argument transformation on parameter 'ForwardingSmtpAddress'. \""+
					addr+"\" isn't a valid SMTP address."), false
			}
			f.SmtpAddress = "smtp:" + rest
		}
	}
	if in.has("ForwardingAddress") {
		f.Address = ""
		if name, set := in.str("ForwardingAddress"); set {
			to, resp, ok := s.resolve(name)
			if !ok {
				return nil, resp, false
			}
			f.Address = to.Alias
		}
	}
	if in.has("DeliverToMailboxAndForward") {
		f.DeliverToMailboxAndForward, _ = in.boolean("DeliverToMailboxAndForward")
	}
	m.Forwarding = f
	return nil, response{}, true
}

func validSMTP(addr string) bool {
	local, domain, ok := strings.Cut(addr, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(addr, " \t\r\n<>\"")
}

// setCASMailbox serves Set-CASMailbox's protocol switches.
func (s *Server) setCASMailbox(in input) ([]map[string]any, response, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := in.str("Identity")
	m, resp, ok := s.resolve(id)
	if !ok {
		return nil, resp, false
	}
	c := &m.CAS
	for name, dst := range map[string]*bool{"PopEnabled": &c.PopEnabled, "ImapEnabled": &c.ImapEnabled,
		"EwsEnabled": &c.EwsEnabled, "ActiveSyncEnabled": &c.ActiveSyncEnabled} {
		if in.has(name) {
			*dst, _ = in.boolean(name)
		}
	}
	if in.has("SmtpClientAuthenticationDisabled") {
		v, null := in.boolean("SmtpClientAuthenticationDisabled")
		c.SmtpClientAuthenticationDisabled = nil
		if !null {
			c.SmtpClientAuthenticationDisabled = &v
		}
	}
	return nil, response{}, true
}

// ok200 is an empty successful answer, for faults that swallow a write.
func ok200(s *Server) response {
	return jsonResponse(http.StatusOK, listBody{Context: s.URL() + "/adminapi/beta/$metadata#Collection(Exchange.GenericHashTable)",
		WarningsType: "#Collection(String)", Warnings: []string{}, Value: []map[string]any{}})
}
