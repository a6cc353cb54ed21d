package fakegraph

import (
	"net/http"
	"strings"
)

// Outlook answers a user's mailbox paths itself, with its own limits and
// errors: 4 concurrent requests per mailbox per app
// (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits)
// and Exchange-style error codes.
const maxMailboxConcurrency = 4

// The refusal of a 5th concurrent request, as captured from Graph in
// https://github.com/alcionai/corso/issues/3695 and
// https://github.com/magodo/terraform-provider-outlook/issues/21.
const (
	codeMailboxThrottled = "ApplicationThrottled"
	msgMailboxThrottled  = "Application is over its MailboxConcurrency limit."
)

// The answer for a user without an Exchange Online mailbox (unlicensed,
// soft-deleted, on-premises, or a guest), as captured in
// https://github.com/iyear/E5SubBot/issues/39.
const (
	codeNoMailbox = "MailboxNotEnabledForRESTAPI"
	msgNoMailbox  = "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
)

// mailboxSlot is a request's hold on its mailbox's concurrency: key is ""
// when the request is not to a mailbox path or was refused (over), so
// leaving releases nothing.
type mailboxSlot struct {
	key  string
	over bool
}

// SetNoMailbox makes the user whose id or userPrincipalName is userID have
// no Exchange Online mailbox: their mailFolders paths answer 404
// MailboxNotEnabledForRESTAPI. It panics when there is no such user.
func (s *Server) SetNoMailbox(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := s.mustUserKey(userID, "take the mailbox of")
	if s.cs.noMailbox == nil {
		s.cs.noMailbox = make(map[string]bool)
	}
	s.cs.noMailbox[key] = true
}

// enterMailbox counts a request to /v1.0/users/{id}/mailFolders/... as in
// flight against that user's mailbox, or marks it over the limit when 4
// already are. The user is resolved to its object id, so the id and the
// userPrincipalName share one count; an unknown user is counted by the
// segment as sent. $batch items are not counted: the fake runs them one
// at a time.
func (s *Server) enterMailbox(escapedPath string) mailboxSlot {
	segs, ok := splitPath(strings.TrimPrefix(escapedPath, apiVersion))
	if !ok || len(segs) < 3 || !strings.EqualFold(segs[0], "users") || !strings.EqualFold(segs[2], "mailFolders") {
		return mailboxSlot{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(segs[1])
	if u := s.lookup(segs[1]); u != nil {
		key = strings.ToLower(u.ID)
	}
	if s.cs.inFlight == nil {
		s.cs.inFlight = make(map[string]int)
	}
	if s.cs.inFlight[key] >= maxMailboxConcurrency {
		return mailboxSlot{over: true}
	}
	s.cs.inFlight[key]++
	return mailboxSlot{key: key}
}

// leaveMailbox releases slot once its request is answered.
func (s *Server) leaveMailbox(slot mailboxSlot) {
	if slot.key == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cs.inFlight[slot.key]--; s.cs.inFlight[slot.key] <= 0 {
		delete(s.cs.inFlight, slot.key)
	}
}

// mailboxThrottled answers a request over the mailbox's concurrency. The
// slot frees as soon as one of the others is answered, so a short
// Retry-After is enough.
func mailboxThrottled() response {
	resp := graphError(http.StatusTooManyRequests, codeMailboxThrottled, msgMailboxThrottled)
	resp.header = http.Header{"Retry-After": {"1"}}
	return resp
}

// mailboxOf resolves the mailbox of /users/{key}: the user, or Outlook's
// refusal when there is no such user or no mailbox. s.mu must be held.
func (s *Server) mailboxOf(key string) (*User, response, bool) {
	u := s.lookup(key)
	if u == nil {
		// Outlook, not the directory, answers for mailbox paths.
		return nil, graphError(http.StatusNotFound, "ErrorInvalidUser", "The requested user '"+key+"' is invalid."), false
	}
	if s.cs.noMailbox[strings.ToLower(u.ID)] {
		return nil, graphError(http.StatusNotFound, codeNoMailbox, msgNoMailbox), false
	}
	return u, response{}, true
}
