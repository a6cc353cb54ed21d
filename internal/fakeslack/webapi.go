package fakeslack

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Call is one Web API request as the server received it.
type Call struct {
	Method string
	At     time.Time // when the request arrived
	// Params are the form (or query) parameters with the token removed.
	Params url.Values
	// Error is the Slack error code returned, empty on success. An answer
	// that carries no Slack error (an outage's bare status) is "http_"
	// and the status: "http_503".
	Error string
	// Refused is set when a scripted failure (an Outage or a FailNext
	// fault) answered instead of the method, so the call changed nothing.
	Refused bool
}

// Calls returns a snapshot of the Web API call log, in arrival order.
// response_url posts are logged too, with Method "response_url", and posts to
// an upload_url with Method "upload".
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Params = cloneValues(c.Params)
		out[i] = c
	}
	return out
}

// logCall appends a call and returns the functions that record its outcome:
// done for an answer the method gave, refused for a scripted failure that
// answered in its place.
func (s *Server) logCall(method string, params url.Values) (done, refused func(errCode string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := len(s.calls)
	s.calls = append(s.calls, Call{Method: method, At: time.Now(), Params: params})
	record := func(errCode string, refused bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.calls[i].Error, s.calls[i].Refused = errCode, refused
	}
	return func(errCode string) { record(errCode, false) }, func(errCode string) { record(errCode, true) }
}

// apiError is a Slack error with an optional human-readable detail, which
// Slack puts in response_metadata.messages.
type apiError struct{ code, detail string }

type apiHandler func(s *Server, c caller, p url.Values) (map[string]any, *apiError)

// plain adapts a method that answers every caller alike.
func plain(h func(*Server, url.Values) (map[string]any, *apiError)) apiHandler {
	return func(s *Server, _ caller, p url.Values) (map[string]any, *apiError) { return h(s, p) }
}

var apiMethods = map[string]apiHandler{
	"auth.test":                    (*Server).authTest,
	"chat.postMessage":             plain((*Server).chatPostMessage),
	"chat.update":                  plain((*Server).chatUpdate),
	"chat.delete":                  plain((*Server).chatDelete),
	"chat.postEphemeral":           plain((*Server).chatPostEphemeral),
	"files.getUploadURLExternal":   plain((*Server).filesGetUploadURLExternal),
	"files.completeUploadExternal": plain((*Server).filesCompleteUploadExternal),
	"users.info":                   (*Server).usersInfo,
	"users.lookupByEmail":          (*Server).usersLookupByEmail,
	"usergroups.users.list":        plain((*Server).usergroupsUsersList),
	"conversations.info":           plain((*Server).conversationsInfo),
	"conversations.history":        plain((*Server).conversationsHistory),
	"admin.users.session.reset":    (*Server).adminUsersSessionReset,
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	// slack-go sends Web API methods as form posts with a token field, and
	// apps.connections.open as an empty JSON post with a Bearer header;
	// ParseForm covers the former and leaves the JSON body alone.
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	params := cloneValues(r.Form)
	token := params.Get("token")
	params.Del("token")
	if token == "" {
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	done, refused := s.logCall(method, params)
	// An outage is Slack's edge failing: it answers before any token,
	// method or scope is looked at.
	if f, ok := s.outageFor(method); ok {
		refused(f.err)
		writeFault(w, f)
		return
	}

	h, known := apiMethods[method]
	wantApp := method == "apps.connections.open"
	if !known && !wantApp {
		done("unknown_method")
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	c, code := s.checkToken(token, wantApp, methodScopes[method].userOnly)
	if code != "" {
		done(code)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
		return
	}
	if !wantApp {
		scopes := c.scopes
		w.Header().Set("X-OAuth-Scopes", strings.Join(scopes, ","))
		if need := s.missingScope(method, params.Get("channel"), scopes); need != "" {
			done("missing_scope")
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "missing_scope",
				"needed": need, "provided": strings.Join(scopes, ",")})
			return
		}
	}
	if f, ok := s.takeFault(method); ok {
		refused(f.err)
		writeFault(w, f)
		return
	}
	var resp map[string]any
	var aerr *apiError
	if wantApp {
		resp, aerr = s.appsConnectionsOpen()
	} else {
		resp, aerr = h(s, c, params)
	}
	if aerr != nil {
		done(aerr.code)
		body := map[string]any{"ok": false, "error": aerr.code}
		if aerr.detail != "" {
			body["response_metadata"] = map[string]any{"messages": []string{"[ERROR] " + aerr.detail}}
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	done("")
	resp["ok"] = true
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) appsConnectionsOpen() (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ticket := randomHex(12)
	s.tickets[ticket] = true
	wsURL := "ws" + strings.TrimPrefix(s.base, "http") + "/link/?ticket=" + ticket + "&app_id=" + AppID
	return map[string]any{"url": wsURL}, nil
}

func (s *Server) authTest(c caller, _ url.Values) (map[string]any, *apiError) {
	resp := map[string]any{
		"url":     "https://" + teamDomain + ".slack.com/",
		"team":    "Fake Slack",
		"user":    "revokebot",
		"team_id": s.opts.TeamID,
		"user_id": c.userID,
	}
	// A user token's answer has no bot_id: that is how `check` tells the
	// two apart without trusting the token's prefix.
	if c.admin {
		s.mu.Lock()
		resp["user"] = s.userName(c.userID)
		s.mu.Unlock()
	} else {
		resp["bot_id"] = BotID
	}
	if s.opts.EnterpriseID != "" {
		resp["enterprise_id"] = s.opts.EnterpriseID
	}
	return resp, nil
}

// messageInput reads and validates the fields shared by the chat.* methods.
func messageInput(p url.Values) (text string, blocks json.RawMessage, aerr *apiError) {
	if p.Get("channel") == "" {
		return "", nil, &apiError{"channel_not_found", "channel is required"}
	}
	if _, ok := p["blocks"]; ok {
		blocks = json.RawMessage(p.Get("blocks"))
		if code, detail := validateBlocks(blocks); code != "" {
			return "", nil, &apiError{code, detail}
		}
	}
	text = p.Get("text")
	if utf8.RuneCountInString(text) > 40000 {
		return "", nil, &apiError{"msg_too_long", "text longer than 40000 characters"}
	}
	return text, blocks, nil
}

func (s *Server) chatPostMessage(p url.Values) (map[string]any, *apiError) {
	text, blocks, aerr := messageInput(p)
	if aerr != nil {
		return nil, aerr
	}
	if text == "" && !hasBlocks(blocks) && p.Get("attachments") == "" {
		return nil, &apiError{"no_text", "text or blocks required"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.addMessage(Message{
		Channel: p.Get("channel"), ThreadTS: p.Get("thread_ts"),
		Text: text, Blocks: blocks, Via: "chat.postMessage",
	}, "post")
	return map[string]any{"channel": m.Channel, "ts": m.TS, "message": s.wire(m)}, nil
}

func (s *Server) chatUpdate(p url.Values) (map[string]any, *apiError) {
	text, blocks, aerr := messageInput(p)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byKey[msgKey{p.Get("channel"), p.Get("ts")}]
	if !ok || r.Deleted {
		return nil, &apiError{"message_not_found", ""}
	}
	if r.Ephemeral {
		return nil, &apiError{"cant_update_message", "ephemeral messages can only be changed through response_url"}
	}
	// Slack keeps the previous blocks when the field is absent and clears
	// them for "[]"; text likewise only changes when sent.
	_, sentText := p["text"]
	_, sentBlocks := p["blocks"]
	m := s.updateMessage(r, func(m *Message) {
		if sentText {
			m.Text = text
		}
		if sentBlocks {
			m.Blocks = blocks
		}
	})
	return map[string]any{"channel": m.Channel, "ts": m.TS, "text": m.Text, "message": s.wire(m)}, nil
}

func (s *Server) chatDelete(p url.Values) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byKey[msgKey{p.Get("channel"), p.Get("ts")}]
	if !ok || r.Deleted || r.Ephemeral {
		return nil, &apiError{"message_not_found", ""}
	}
	m := s.updateMessage(r, func(m *Message) { m.Deleted = true })
	return map[string]any{"channel": m.Channel, "ts": m.TS}, nil
}

func (s *Server) chatPostEphemeral(p url.Values) (map[string]any, *apiError) {
	text, blocks, aerr := messageInput(p)
	if aerr != nil {
		return nil, aerr
	}
	if p.Get("user") == "" {
		return nil, &apiError{"user_not_found", "user is required"}
	}
	if text == "" && !hasBlocks(blocks) {
		return nil, &apiError{"no_text", "text or blocks required"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.addMessage(Message{
		Channel: p.Get("channel"), ThreadTS: p.Get("thread_ts"), Text: text, Blocks: blocks,
		Ephemeral: true, User: p.Get("user"), Via: "chat.postEphemeral",
	}, "ephemeral")
	return map[string]any{"message_ts": m.TS}, nil
}

func (s *Server) usersInfo(c caller, p url.Values) (map[string]any, *apiError) {
	s.mu.Lock()
	u, ok := s.users[p.Get("user")]
	s.mu.Unlock()
	if !ok {
		return nil, &apiError{"user_not_found", ""}
	}
	return map[string]any{"user": s.userObject(u, c.scopes)}, nil
}

// userObject is u as users.info and users.lookupByEmail show it to a
// caller holding scopes.
func (s *Server) userObject(u User, scopes []string) map[string]any {
	profile := map[string]any{
		"real_name": u.RealName, "display_name": u.Name,
		"real_name_normalized": u.RealName, "display_name_normalized": u.Name,
		"team": s.opts.TeamID,
	}
	// Slack leaves the field out, rather than refusing the call, for a
	// token without the e-mail scope.
	if slices.Contains(scopes, emailScope) {
		profile["email"] = u.Email
	}
	return map[string]any{
		"id": u.ID, "team_id": s.opts.TeamID, "name": u.Name, "real_name": u.RealName,
		"deleted": u.Deleted, "is_bot": u.IsBot, "is_restricted": u.IsRestricted,
		"is_ultra_restricted": false, "profile": profile,
	}
}

// usersLookupByEmail finds the user whose profile e-mail is p's email
// (docs.slack.dev/reference/methods/users.lookupByEmail: bot token,
// users:read.email, users_not_found for an address nobody has). The page
// does not say whether the match ignores case. The fake ignores it, as mail
// systems do for the domain and in practice for the local part; a client
// that must not depend on it is tested by scripting users_not_found with
// FailNext.
func (s *Server) usersLookupByEmail(c caller, p url.Values) (map[string]any, *apiError) {
	email := p.Get("email")
	s.mu.Lock()
	var found *User
	for _, u := range s.users {
		// Lowest ID first, so that a directory with a shared address
		// answers the same user every time.
		if email != "" && strings.EqualFold(u.Email, email) && (found == nil || u.ID < found.ID) {
			found = &u
		}
	}
	s.mu.Unlock()
	if found == nil {
		return nil, &apiError{"users_not_found", ""}
	}
	return map[string]any{"user": s.userObject(*found, c.scopes)}, nil
}

func (s *Server) usergroupsUsersList(p url.Values) (map[string]any, *apiError) {
	s.mu.Lock()
	members, ok := s.groups[p.Get("usergroup")]
	members = append([]string{}, members...)
	s.mu.Unlock()
	if !ok {
		return nil, &apiError{"no_such_subteam", ""}
	}
	return map[string]any{"users": members}, nil
}

func (s *Server) conversationsInfo(p url.Values) (map[string]any, *apiError) {
	id := p.Get("channel")
	member, known := s.opts.Channels[id]
	if s.opts.Channels == nil {
		member, known = true, true
	}
	if id == "" || !known {
		return nil, &apiError{"channel_not_found", ""}
	}
	return map[string]any{"channel": map[string]any{
		"id": id, "name": channelName(id), "is_channel": true, "is_private": s.private[id],
		"is_member": member, "created": 1764000000,
	}}, nil
}

// hasBlocks reports whether raw holds at least one block; "[]" is no content.
func hasBlocks(raw json.RawMessage) bool {
	bs, _ := parseBlocks(raw)
	return len(bs) > 0
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
