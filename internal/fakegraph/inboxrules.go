package fakegraph

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// InboxRule is a rule of a user's Inbox, served by GET
// /users/{id}/mailFolders/inbox/messageRules in the messageRule shape.
type InboxRule struct {
	ID          string // id; generated in Outlook's short base64 form when empty
	DisplayName string // displayName
	Sequence    int    // sequence; 0 puts the rule after the user's others
	IsEnabled   bool   // isEnabled
	// IsReadOnly marks a rule the REST API may not modify or delete,
	// e.g. one Outlook for Windows made with client-only features.
	IsReadOnly bool
	// ForwardTo, RedirectTo and ForwardAsAttachmentTo are the addresses
	// of the actions of the same names.
	ForwardTo, RedirectTo, ForwardAsAttachmentTo []string
	// Delete, PermanentDelete, MarkAsRead and StopProcessingRules are the
	// boolean actions of the same names.
	Delete, PermanentDelete, MarkAsRead, StopProcessingRules bool
	// MoveToFolder is actions.moveToFolder, a folder id.
	MoveToFolder string
	// FromContains is conditions.senderContains; empty means the rule
	// applies to every message.
	FromContains []string
}

func (r InboxRule) clone() InboxRule {
	r.ForwardTo = slices.Clone(r.ForwardTo)
	r.RedirectTo = slices.Clone(r.RedirectTo)
	r.ForwardAsAttachmentTo = slices.Clone(r.ForwardAsAttachmentTo)
	r.FromContains = slices.Clone(r.FromContains)
	return r
}

// AddInboxRules adds rules to the Inbox of the user whose id or
// userPrincipalName is userID; a rule with the id of one already there
// replaces it. It panics when there is no such user.
func (s *Server) AddInboxRules(userID string, rs ...InboxRule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := s.mustUserKey(userID, "add inbox rules for")
	if s.cs.rules == nil {
		s.cs.rules = make(map[string][]*InboxRule)
	}
	list := s.cs.rules[key]
	for _, r := range rs {
		r = r.clone()
		if r.ID == "" {
			s.cs.nextRule++
			var b [8]byte
			b[0] = 1
			binary.BigEndian.PutUint32(b[4:], uint32(s.cs.nextRule))
			r.ID = base64.StdEncoding.EncodeToString(b[:])
		}
		if r.Sequence == 0 {
			r.Sequence = len(list) + 1
		}
		if i := slices.IndexFunc(list, func(o *InboxRule) bool { return o.ID == r.ID }); i >= 0 {
			list[i] = &r
		} else {
			list = append(list, &r)
		}
	}
	s.cs.rules[key] = list
}

// InboxRules returns copies of the user's Inbox rules in the order added;
// nil for an unknown user.
func (s *Server) InboxRules(userID string) []InboxRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.userKey(userID)
	if !ok {
		return nil
	}
	var out []InboxRule
	for _, r := range s.cs.rules[key] {
		out = append(out, r.clone())
	}
	return out
}

// listInboxRules serves GET /users/{id}/mailFolders/inbox/messageRules.
// Outlook answers every rule at once (a mailbox's rules fit in 256 KB);
// only a $top smaller than that pages, by position in the list.
func (s *Server) listInboxRules(c *call) response {
	top := 1 << 30
	if v := c.queryOption("$top"); len(v) > 0 {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil || n < 1 {
			return graphError(http.StatusBadRequest, "ErrorInvalidUrlQuery", "The value '"+v[0]+"' of the query parameter '$top' is invalid.")
		}
		top = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, resp, ok := s.mailboxOf(c.params["id"])
	if !ok {
		return resp
	}
	rules := s.cs.rules[strings.ToLower(u.ID)]
	body := map[string]any{"@odata.context": metadataBase + "#users('" + u.ID + "')/mailFolders('inbox')/messageRules"}
	return s.offsetPage(c, "messageRules", len(rules), top, body, func(i int) map[string]any {
		return inboxRuleJSON(rules[i])
	})
}

// patchInboxRule serves PATCH /users/{id}/mailFolders/inbox/messageRules/{ruleId}:
// 200 with the rule. Only isEnabled is implemented; any other property is
// refused with a 400 naming the fake, so a client never believes an
// update landed that the fake dropped.
func (s *Server) patchInboxRule(c *call) response {
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(c.body))
	if err := dec.Decode(&body); err != nil || body == nil || dec.More() {
		return graphError(http.StatusBadRequest, "RequestBodyRead", "Invalid request body: a JSON object of messageRule properties is expected.")
	}
	var enabled *bool
	for name, v := range body {
		switch {
		case name == "@odata.type" && v == "#microsoft.graph.messageRule":
			// The SDK may annotate the entity it sends with its type.
		case name == "isEnabled":
			b, ok := v.(bool)
			if !ok {
				return graphError(http.StatusBadRequest, "RequestBodyRead", "Invalid value for property 'isEnabled': a boolean is expected.")
			}
			enabled = &b
		default:
			return badRequest("Updating '%s' of a messageRule is not implemented by fakegraph; only isEnabled is.", name)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	u, resp, ok := s.mailboxOf(c.params["id"])
	if !ok {
		return resp
	}
	rules := s.cs.rules[strings.ToLower(u.ID)]
	i := slices.IndexFunc(rules, func(r *InboxRule) bool { return r.ID == c.params["ruleId"] })
	if i < 0 {
		return graphError(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
	}
	r := rules[i]
	if r.IsReadOnly {
		// Graph documents isReadOnly as "cannot be modified or deleted by
		// the rules REST API" without naming the refusal; the fake answers
		// Exchange's usual refusal of a write to a protected item, 403
		// ErrorAccessDenied, so a client treats it as final rather than
		// retrying. Not verified against a live read-only rule.
		return accessDenied()
	}
	if enabled != nil {
		r.IsEnabled = *enabled
	}
	out := inboxRuleJSON(r)
	out["@odata.context"] = metadataBase + "#users('" + u.ID + "')/mailFolders('inbox')/messageRules/$entity"
	return jsonResponse(http.StatusOK, out)
}

// inboxRuleJSON renders r as Outlook does: conditions and actions carry
// only the predicates and actions the rule sets.
func inboxRuleJSON(r *InboxRule) map[string]any {
	conditions := map[string]any{}
	if len(r.FromContains) > 0 {
		conditions["senderContains"] = slices.Clone(r.FromContains)
	}
	actions := map[string]any{}
	for name, addrs := range map[string][]string{"forwardTo": r.ForwardTo, "redirectTo": r.RedirectTo, "forwardAsAttachmentTo": r.ForwardAsAttachmentTo} {
		if len(addrs) > 0 {
			actions[name] = recipientsJSON(addrs)
		}
	}
	for name, set := range map[string]bool{"delete": r.Delete, "permanentDelete": r.PermanentDelete, "markAsRead": r.MarkAsRead, "stopProcessingRules": r.StopProcessingRules} {
		if set {
			actions[name] = true
		}
	}
	if r.MoveToFolder != "" {
		actions["moveToFolder"] = r.MoveToFolder
	}
	return map[string]any{
		"id":          r.ID,
		"displayName": r.DisplayName,
		"sequence":    r.Sequence,
		"isEnabled":   r.IsEnabled,
		"hasError":    false,
		"isReadOnly":  r.IsReadOnly,
		"conditions":  conditions,
		"actions":     actions,
	}
}

// recipientsJSON renders addresses as Outlook's recipients, naming each by
// its address since the fake keeps no display names.
func recipientsJSON(addrs []string) []map[string]any {
	out := make([]map[string]any, len(addrs))
	for i, a := range addrs {
		out[i] = map[string]any{"emailAddress": map[string]any{"name": a, "address": a}}
	}
	return out
}
