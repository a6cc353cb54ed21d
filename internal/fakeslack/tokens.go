package fakeslack

// caller is whom a Web API token belongs to: the bot, or the org admin of
// Options.Admin. Methods that answer differently by token (auth.test, the
// admin methods, users.info's e-mail field) read it.
type caller struct {
	admin  bool
	userID string
	scopes []string
}

// checkToken returns the caller of token, or the Slack error for a token
// that may not call the method. wantApp is apps.connections.open, which
// takes the app-level token alone; userOnly is a method whose page lists
// the user token as its only token type (methodScopes).
func (s *Server) checkToken(token string, wantApp, userOnly bool) (caller, string) {
	bot := token != "" && token == s.opts.BotToken
	admin := token != "" && token == s.opts.Admin.Token
	app := token != "" && token == s.opts.AppToken
	switch {
	case wantApp && app:
		return caller{}, ""
	case wantApp && (bot || admin), !wantApp && app:
		return caller{}, "not_allowed_token_type"
	case admin:
		return caller{admin: true, userID: s.adminUserID(), scopes: s.adminScopes()}, ""
	case bot && userOnly:
		// Slack refuses a bot token before it looks at scopes: a bot can
		// never hold admin.* scopes.
		return caller{}, "not_allowed_token_type"
	case bot:
		return caller{userID: BotUserID, scopes: s.grantedScopes()}, ""
	default:
		return caller{}, "invalid_auth"
	}
}
