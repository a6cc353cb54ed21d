package fakeslack

import (
	"slices"
	"sync"

	"github.com/revokebot/revokebot/deploy"
)

// scopeNeed is the scope a Web API method asks of a token. Most methods
// ask one scope whatever the call; the conversations.* methods ask one by the
// kind of channel, and Slack's missing_scope answer names the one that
// applies to the channel at hand.
type scopeNeed struct {
	scope   string // "" for a method that needs no scope
	private string // for a private channel, when it differs from scope
	// userOnly is a method whose page lists "user" as its only token
	// type: a bot token gets not_allowed_token_type.
	userOnly bool
}

// emailScope is what Slack asks before it shows profile.email in users.info
// (and users.list): without it the call succeeds and the field is absent
// (api.slack.com/scopes/users:read.email; changelog 2016-11-10
// "addressing email addresses").
const emailScope = "users:read.email"

// methodScopes holds, for every method in apiMethods, the scopes that
// Slack's method page lists (api.slack.com/methods/<name>, now also
// docs.slack.dev/reference/methods/<name>, "Scopes: Bot token", or "User
// token" for the admin methods). A test keeps the two tables in step. The
// conversations.* pages also list im:… and mpim:… scopes, for DMs, which
// the fake does not model.
var methodScopes = map[string]scopeNeed{
	"auth.test":                    {}, // "No scopes required"
	"chat.postMessage":             {scope: "chat:write"},
	"chat.update":                  {scope: "chat:write"},
	"chat.delete":                  {scope: "chat:write"},
	"chat.postEphemeral":           {scope: "chat:write"},
	"users.info":                   {scope: "users:read"}, // the e-mail field: emailScope
	"users.lookupByEmail":          {scope: emailScope},   // "Requires users:read.email"
	"usergroups.users.list":        {scope: "usergroups:read"},
	"conversations.info":           {scope: "channels:read", private: "groups:read"},
	"conversations.history":        {scope: "channels:history", private: "groups:history"},
	"files.getUploadURLExternal":   {scope: "files:write"},
	"files.completeUploadExternal": {scope: "files:write"},
	// "Works with: user, admin.users:write"; Enterprise Grid only.
	"admin.users.session.reset": {scope: adminUsersWrite, userOnly: true},
}

// missingScope returns the scope a call of method on channel needs and the
// granted scopes lack, or "".
func (s *Server) missingScope(method, channel string, granted []string) string {
	n := methodScopes[method]
	need := n.scope
	if n.private != "" && s.private[channel] {
		need = n.private
	}
	if need == "" || slices.Contains(granted, need) {
		return ""
	}
	return need
}

// grantedScopes are the bot token's scopes: Options.Scopes, else the manifest's.
func (s *Server) grantedScopes() []string {
	if s.opts.Scopes != nil {
		return s.opts.Scopes
	}
	return manifestScopes()
}

// ManifestScopes returns the bot scopes deploy/slack-app-manifest.yaml asks
// for, which a fake workspace grants unless Options.Scopes says otherwise.
// Tests start from it to take one scope away.
func ManifestScopes() []string { return slices.Clone(manifestScopes()) }

// manifestScopes parses the embedded manifest once. The manifest is part of
// the build, so a manifest without bot scopes is a bug in the tree, which the
// package's tests catch before anyone else does.
var manifestScopes = sync.OnceValue(func() []string {
	scopes, err := deploy.SlackBotScopes()
	if err != nil {
		panic("fakeslack: " + err.Error())
	}
	return scopes
})
