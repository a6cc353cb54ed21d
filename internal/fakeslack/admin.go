package fakeslack

import (
	"net/url"
	"slices"
)

// adminUsersWrite is the scope admin.users.session.reset asks of its user
// token (api.slack.com/methods/admin.users.session.reset).
const adminUsersWrite = "admin.users:write"

// defaultAdminUserID is the org admin who holds AdminOptions.Token when
// AdminOptions.UserID is empty. Enterprise Grid user IDs begin with W.
const defaultAdminUserID = "W0ADMIN"

// AdminOptions is an org admin's user token (xoxp-…), which the Admin API
// methods take instead of the bot token.
type AdminOptions struct {
	// Token is accepted beside the bot token; empty means no admin token.
	Token string
	// UserID is whose token it is, reported by auth.test; default "W0ADMIN".
	UserID string
	// Scopes are the token's scopes, sent as X-OAuth-Scopes; nil means
	// just admin.users:write. A token without it gets missing_scope from
	// admin.users.session.reset, which is also what a user who is not an
	// org admin ends up with, since Slack grants admin.* scopes only to
	// org admins and owners.
	Scopes []string
}

// SessionReset is one admin.users.session.reset the workspace carried out.
type SessionReset struct {
	// MobileOnly and WebOnly are the call's flags; both false ends every
	// session of the user.
	MobileOnly, WebOnly bool
}

// SessionResets returns the session resets done for userID, oldest first.
func (s *Server) SessionResets(userID string) []SessionReset {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.resets[userID])
}

func (s *Server) adminUserID() string {
	if s.opts.Admin.UserID != "" {
		return s.opts.Admin.UserID
	}
	return defaultAdminUserID
}

func (s *Server) adminScopes() []string {
	if s.opts.Admin.Scopes != nil {
		return s.opts.Admin.Scopes
	}
	return []string{adminUsersWrite}
}

// adminUsersSessionReset ends a user's sessions. Token type and scope are
// checked before it runs (checkToken, methodScopes); the rest follows the
// error table of api.slack.com/methods/admin.users.session.reset.
func (s *Server) adminUsersSessionReset(c caller, p url.Values) (map[string]any, *apiError) {
	// "This method is not available for this product level": the Admin
	// API exists only on Enterprise Grid.
	if s.opts.EnterpriseID == "" {
		return nil, &apiError{"feature_not_enabled", ""}
	}
	id := p.Get("user_id")
	if id == "" {
		return nil, &apiError{"invalid_arguments", "missing required field: user_id"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	switch {
	case !ok:
		return nil, &apiError{"user_not_found", ""}
	case u.IsBot:
		return nil, &apiError{"cannot_reset_bot", ""}
	case id == s.opts.PrimaryOwner && c.userID != id:
		// "Only primary owner can reset primary owner's sessions."
		return nil, &apiError{"cannot_reset_primary_owner", ""}
	}
	s.resets[id] = append(s.resets[id], SessionReset{MobileOnly: truthy(p.Get("mobile_only")), WebOnly: truthy(p.Get("web_only"))})
	return map[string]any{}, nil
}

// truthy reads a Slack boolean argument, which form posts send as "true"
// or "1".
func truthy(v string) bool { return v == "true" || v == "1" }
