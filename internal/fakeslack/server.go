// Package fakeslack is an in-process fake Slack workspace that speaks the real
// Web API and Socket Mode wire protocols on 127.0.0.1, so that the unmodified
// slack-go client (github.com/slack-go/slack and its socketmode package) can be
// driven end to end by tests, demos and benchmarks without any mock in between.
package fakeslack

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Identities the fake workspace gives the bot and its app. They are exported so
// tests can assert on what auth.test and posted messages report.
const (
	BotUserID = "U0BOT"  // user_id of the bot user (auth.test, message.user)
	BotID     = "B0FAKE" // bot_id of the bot (auth.test, message.bot_id)
	AppID     = "A0FAKE" // api_app_id of the app (envelopes, hello)

	// verificationToken is the deprecated per-app token Slack still puts in
	// payloads; slack-go ignores it in Socket Mode but real payloads carry it.
	verificationToken = "fakeverificationtoken"
	teamDomain        = "fakeslack"
	maxResponseUses   = 5
)

// Options configures a fake workspace.
type Options struct {
	// BotToken and AppToken are the only tokens accepted; a wrong or missing
	// token gets {"ok":false,"error":"invalid_auth"}.
	BotToken, AppToken string
	// TeamID defaults to "T0FAKE".
	TeamID string
	// Users is the directory served by users.info.
	Users []User
	// Groups maps a user group ID (S…) to its member user IDs, for usergroups.users.list.
	Groups map[string][]string
	// PingInterval is the websocket PING period, default 5s. slack-go drops a
	// connection that sees no PING for 30s, so it must stay well below that.
	PingInterval time.Duration
	// Scopes are the bot token's scopes, sent as X-OAuth-Scopes on every Web
	// API answer to the bot token, as Slack does. Nil: ManifestScopes(), what
	// deploy/slack-app-manifest.yaml asks for. Every method asks the scope
	// Slack's method page lists (scopes.go) and answers missing_scope
	// without it; users.info leaves out profile.email without users:read.email.
	Scopes []string
	// Channels, when set, are the only channels conversations.info knows,
	// each mapped to whether the bot is a member; files.completeUploadExternal
	// shares only into known channels the bot is in. Nil: every channel
	// exists and the bot is in it. conversations.history reads only known
	// channels the bot is in, too.
	Channels map[string]bool
	// PrivateChannels are the IDs of the private channels; every other
	// channel is public. conversations.info and conversations.history ask
	// groups:read and groups:history for a private channel where they ask
	// channels:read and channels:history for a public one, and
	// conversations.info reports is_private. The fake is told because
	// Slack's IDs do not say: private channels made since 2021 begin with C
	// like public ones.
	PrivateChannels []string
	// Admin is an org admin's user token for the Admin API methods
	// (admin.users.session.reset); unset, only the bot and app tokens work.
	Admin AdminOptions
	// EnterpriseID, when set, makes the workspace part of an Enterprise
	// Grid org of that ID (E…): auth.test reports it as enterprise_id, and
	// the Admin API methods answer feature_not_enabled without it.
	EnterpriseID string
	// PrimaryOwner is the org's primary owner's user ID, whose sessions
	// only that owner may reset (cannot_reset_primary_owner).
	PrimaryOwner string
	// Latency holds back every answer to an HTTP request (Web API methods,
	// apps.connections.open included, response_url and upload_url posts)
	// by this long, as a slow Slack would; see SetLatency.
	Latency time.Duration
}

// User is a person (or bot) in the fake directory.
type User struct {
	ID, Name, RealName, Email    string
	Deleted, IsBot, IsRestricted bool
}

// Server is a running fake workspace. All methods are safe for concurrent use.
type Server struct {
	opts     Options
	srv      *httptest.Server
	base     string // "http://127.0.0.1:PORT"
	upgrader websocket.Upgrader
	events   *dispatcher
	done     chan struct{}   // closed by Close
	latency  atomic.Int64    // time.Duration; read without s.mu so that held answers wait side by side
	private  map[string]bool // Options.PrivateChannels; never changes, so read without s.mu

	mu        sync.Mutex
	closed    bool
	users     map[string]User
	groups    map[string][]string
	msgs      []*record
	byKey     map[msgKey]*record
	history   map[string][]*record // per channel, top-level messages in ts order
	calls     []Call
	faults    map[string]*fault
	outages   []*outage
	live      map[*wsConn]struct{} // hello sent, eligible for envelopes
	all       map[*wsConn]struct{} // every socket not yet torn down
	opened    int
	tickets   map[string]bool
	pending   map[string]*pendingAck
	responses map[string]*responseURL
	tsSeq     int64
	idSeq     int64
	uploads   map[string]*upload // by file ID; kept once completed, to refuse a second completion
	shared    []File
	resets    map[string][]SessionReset // admin.users.session.reset, per user ID
}

// New starts a fake workspace listening on 127.0.0.1 on a free port.
func New(opts Options) *Server {
	if opts.TeamID == "" {
		opts.TeamID = "T0FAKE"
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 5 * time.Second
	}
	s := &Server{
		opts:      opts,
		events:    newDispatcher(),
		done:      make(chan struct{}),
		users:     map[string]User{},
		groups:    map[string][]string{},
		byKey:     map[msgKey]*record{},
		history:   map[string][]*record{},
		faults:    map[string]*fault{},
		live:      map[*wsConn]struct{}{},
		all:       map[*wsConn]struct{}{},
		tickets:   map[string]bool{},
		pending:   map[string]*pendingAck{},
		responses: map[string]*responseURL{},
		uploads:   map[string]*upload{},
		private:   map[string]bool{},
		resets:    map[string][]SessionReset{},
	}
	for _, id := range opts.PrivateChannels {
		s.private[id] = true
	}
	// slack-go dials with Origin: https://api.slack.com, which gorilla's
	// default same-origin check would reject with 403.
	s.upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	for _, u := range opts.Users {
		s.users[u.ID] = u
	}
	for id, members := range opts.Groups {
		s.groups[id] = append([]string(nil), members...)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.handleAPI)
	mux.HandleFunc("/link/", s.handleLink)
	mux.HandleFunc("/response/", s.handleResponseURL)
	mux.HandleFunc("/upload/", s.handleUpload)
	s.latency.Store(int64(opts.Latency))
	s.srv = httptest.NewServer(s.delayed(mux))
	s.base = s.srv.URL
	return s
}

// APIURL is the Web API base URL with its trailing slash, for slack.OptionAPIURL.
func (s *Server) APIURL() string { return s.base + "/api/" }

// Close closes every socket and stops the server. Clients see their
// connections fail and retry until they are stopped.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	conns := make([]*wsConn, 0, len(s.all))
	for c := range s.all {
		conns = append(conns, c)
	}
	s.live = map[*wsConn]struct{}{}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close()
	}
	s.srv.Close()
	s.events.close()
}

// SetGroup replaces the members of a user group (creating it if needed).
func (s *Server) SetGroup(id string, members []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = append([]string(nil), members...)
}

// AddUser adds or replaces a user in the directory.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// userName returns the handle Slack would show for id; unknown people still
// get a plausible one because real payloads never carry an empty user_name.
func (s *Server) userName(id string) string {
	if u, ok := s.users[id]; ok && u.Name != "" {
		return u.Name
	}
	return "user-" + id
}

// channelName derives a stable name because the fake keeps no channel directory.
func channelName(id string) string { return "channel-" + id }

// nextTS returns a message timestamp in Slack's "seconds.micros" form. Numbers
// are deterministic and strictly increasing so tests can compare them as
// strings as well as numbers. Callers hold s.mu.
func (s *Server) nextTS() string {
	s.tsSeq++
	micros := int64(1764300000)*1_000_000 + s.tsSeq*100
	return fmt.Sprintf("%d.%06d", micros/1_000_000, micros%1_000_000)
}

// nextSeq returns a small unique number for IDs. Callers hold s.mu.
func (s *Server) nextSeq() int64 {
	s.idSeq++
	return s.idSeq
}

// randomHex returns n random bytes hex-encoded; used where Slack's IDs are opaque.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// envelopeID returns a UUID-shaped identifier, as Slack uses for envelopes.
func envelopeID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// slackTime formats t like Slack's action_ts ("seconds.micros").
func slackTime(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}
