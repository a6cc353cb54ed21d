package fakeslack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Message is a message the bot made visible: posted, ephemeral or sent through
// a response_url. Updates (chat.update, replace_original) change it in place.
type Message struct {
	Channel, TS, ThreadTS string
	Text                  string
	// Blocks are exactly as the client sent them ("[]" or empty when none).
	Blocks json.RawMessage
	// Ephemeral messages are seen only by User.
	Ephemeral bool
	// User is who sees an ephemeral message; for a response_url post or an
	// ack it is the person who ran the command or clicked, ephemeral or not.
	User string
	// Via is "chat.postMessage", "chat.postEphemeral", "response_url",
	// "files.completeUploadExternal", "ack" (a slash command's ack payload)
	// or "AddMessage".
	Via string
	// Author is who posted the message: empty for the bot, which posts
	// everything except what a test adds with AddMessage on someone's behalf.
	Author string
	// Files are the files a files.completeUploadExternal message shares.
	Files []FileRef
	// Updates counts the edits (chat.update or response_url replace_original).
	Updates int
	// Deleted is set by chat.delete or response_url delete_original.
	Deleted  bool
	PostedAt time.Time
}

type msgKey struct{ channel, ts string }

// record is the server's copy of a message plus every earlier block version,
// so that a stale click can still name a button that has since been removed.
type record struct {
	Message
	history []json.RawMessage
	// replies are a top-level message's thread replies in ts order, for
	// the reply_count conversations.history reports.
	replies []*record
}

func (m Message) clone() Message {
	m.Blocks = bytes.Clone(m.Blocks)
	m.Files = slices.Clone(m.Files)
	return m
}

// addMessage stores m with a fresh ts and reports it. Callers hold s.mu.
func (s *Server) addMessage(m Message, kind string) Message {
	m.TS = s.nextTS()
	m.PostedAt = time.Now()
	r := &record{Message: m}
	s.msgs = append(s.msgs, r)
	s.byKey[msgKey{m.Channel, m.TS}] = r
	s.index(r)
	s.emit(Event{Kind: kind, At: m.PostedAt, Message: m.clone()})
	return m.clone()
}

// AddMessage records m as if it had just been posted, without going through
// the Web API: to seed a channel's history, or to stand for a person's
// message (set Author). It gets a fresh TS and PostedAt, Via defaults to
// "AddMessage", and observers see a post (an ephemeral one if m.Ephemeral).
// It returns the message as stored.
func (s *Server) AddMessage(m Message) Message {
	if m.Via == "" {
		m.Via = "AddMessage"
	}
	m = m.clone() // the caller keeps its slices
	kind := "post"
	if m.Ephemeral {
		kind = "ephemeral"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addMessage(m, kind)
}

// updateMessage applies an edit to r and reports it. Callers hold s.mu.
func (s *Server) updateMessage(r *record, edit func(*Message)) Message {
	if len(r.Blocks) > 0 {
		r.history = append(r.history, r.Blocks)
	}
	edit(&r.Message)
	r.Updates++
	s.emit(Event{Kind: "update", Message: r.clone()})
	return r.clone()
}

// Delete deletes the message at (channel, ts) as a person allowed to (a
// workspace admin) would, without going through the Web API: history no
// longer lists it. It reports whether there was such a message.
func (s *Server) Delete(channel, ts string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byKey[msgKey{channel, ts}]
	if !ok || r.Deleted || r.Ephemeral {
		return false
	}
	s.updateMessage(r, func(m *Message) { m.Deleted = true })
	return true
}

// Messages returns a snapshot of every message, in the order they were posted.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, r := range s.msgs {
		out[i] = r.clone()
	}
	return out
}

// Message returns the current state of the message at (channel, ts).
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byKey[msgKey{channel, ts}]
	if !ok {
		return Message{}, false
	}
	return r.clone(), true
}

// Thread returns the replies whose ThreadTS is rootTS, in order.
func (s *Server) Thread(channel, rootTS string) []Message {
	return s.filter(func(m *Message) bool {
		return m.Channel == channel && m.ThreadTS == rootTS && m.TS != rootTS
	})
}

// Ephemerals returns the ephemeral messages shown to userID, in order.
func (s *Server) Ephemerals(userID string) []Message {
	return s.filter(func(m *Message) bool { return m.Ephemeral && m.User == userID })
}

func (s *Server) filter(keep func(*Message) bool) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, r := range s.msgs {
		if keep(&r.Message) {
			out = append(out, r.clone())
		}
	}
	return out
}

// WaitFor polls cond every 10ms until it holds or ctx ends. The error then
// lists the messages seen so far, which is usually what explains a failure.
func (s *Server) WaitFor(ctx context.Context, cond func(s *Server) bool) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if cond(s) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("fakeslack: condition not met: %w\n%s", ctx.Err(), s.Transcript())
		case <-t.C:
		}
	}
}

// Transcript renders the messages seen so far, one per line with their
// buttons, for failure messages and debugging.
func (s *Server) Transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transcriptLocked()
}

func (s *Server) transcriptLocked() string {
	if len(s.msgs) == 0 {
		return "(no messages)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d message(s):\n", len(s.msgs))
	for _, r := range s.msgs {
		m := r.Message
		fmt.Fprintf(&b, "  [%s %s", m.Channel, m.TS)
		if m.ThreadTS != "" {
			fmt.Fprintf(&b, " thread=%s", m.ThreadTS)
		}
		if m.Ephemeral {
			fmt.Fprintf(&b, " ephemeral->%s", m.User)
		}
		fmt.Fprintf(&b, " via %s", m.Via)
		if m.Updates > 0 {
			fmt.Fprintf(&b, " updates=%d", m.Updates)
		}
		if m.Deleted {
			b.WriteString(" deleted")
		}
		fmt.Fprintf(&b, "] %q", m.Text)
		for _, btn := range s.Buttons(m) {
			fmt.Fprintf(&b, " [button %s=%q %q]", btn.ActionID, btn.Value, btn.Text)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// wireMessage is a message object as Slack serves it. A struct rather than a
// map because conversations.history encodes up to 999 at a time.
type wireMessage struct {
	Type     string          `json:"type"`
	User     string          `json:"user"`
	BotID    string          `json:"bot_id,omitempty"`
	AppID    string          `json:"app_id,omitempty"`
	Team     string          `json:"team"`
	Text     string          `json:"text"`
	TS       string          `json:"ts"`
	ThreadTS string          `json:"thread_ts,omitempty"`
	Blocks   json.RawMessage `json:"blocks,omitempty"`
	Files    []wireFile      `json:"files,omitempty"`
	Upload   bool            `json:"upload,omitempty"`
	// The thread fields of a root, which only conversations.history fills in.
	ReplyCount      int      `json:"reply_count,omitempty"`
	ReplyUsersCount int      `json:"reply_users_count,omitempty"`
	ReplyUsers      []string `json:"reply_users,omitempty"`
	LatestReply     string   `json:"latest_reply,omitempty"`
}

// wireFile is a file as a message object lists it.
type wireFile struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Title string `json:"title"`
	Mode  string `json:"mode"`
}

// wire renders m as Slack returns a message object (chat.postMessage's
// "message", an interaction payload's "message", conversations.history).
func (s *Server) wire(m Message) *wireMessage {
	w := &wireMessage{Type: "message", User: BotUserID, BotID: BotID, AppID: AppID, Team: s.opts.TeamID,
		Text: m.Text, TS: m.TS, ThreadTS: m.ThreadTS, Blocks: m.Blocks}
	if m.Author != "" {
		// A person's message names only them.
		w.User, w.BotID, w.AppID = m.Author, "", ""
	}
	if len(m.Files) > 0 {
		w.Files, w.Upload = make([]wireFile, len(m.Files)), true
		for i, f := range m.Files {
			w.Files[i] = wireFile{ID: f.ID, Name: f.Name, Title: f.Title, Mode: "hosted"}
		}
	}
	return w
}
