package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const writeTimeout = 5 * time.Second

// wsConn is one Socket Mode connection.
type wsConn struct {
	id   int
	ws   *websocket.Conn
	wmu  sync.Mutex    // gorilla allows one concurrent writer of data frames
	done chan struct{} // closed when the read loop has ended
}

func (c *wsConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// ackMsg is an ack read from a socket.
type ackMsg struct {
	payload json.RawMessage
	at      time.Time
}

// pendingAck is an envelope waiting for its ack.
type pendingAck struct {
	ch chan ackMsg // buffered: the reader never blocks on a slow waiter
	// shown, for a slash command, is where Slack shows the ack's payload.
	shown *ackTarget
}

// handleLink is the websocket endpoint apps.connections.open points at.
func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket] && !s.closed
	delete(s.tickets, ticket) // a ticket opens one connection, as with Slack
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid_ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has already answered
	}
	c := &wsConn{ws: ws, done: make(chan struct{})}
	defer s.forget(c)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.opened++
	c.id = s.opened
	s.all[c] = struct{}{}
	n := len(s.live) + 1
	s.mu.Unlock()

	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": n,
		"debug_info": map[string]any{
			"host": "fakeslack", "build_number": 1, "approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": AppID},
	})
	if c.write(hello) != nil {
		return
	}
	s.mu.Lock()
	if _, ok := s.all[c]; ok && !s.closed {
		s.live[c] = struct{}{}
	}
	s.mu.Unlock()

	go s.ping(c)
	s.readLoop(c)
}

// forget tears c down once its reader has stopped. A connection that is gone
// is never chosen for an envelope again.
func (s *Server) forget(c *wsConn) {
	s.mu.Lock()
	delete(s.live, c)
	delete(s.all, c)
	s.mu.Unlock()
	_ = c.ws.Close()
	close(c.done)
}

// ping sends PING control frames because slack-go reconnects when it has
// seen none for its maxPingInterval (30s by default).
func (s *Server) ping(c *wsConn) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for i := 1; ; i++ {
		select {
		case <-c.done:
			return
		case <-s.done:
			return
		case <-t.C:
			// WriteControl may run concurrently with WriteMessage.
			if c.ws.WriteControl(websocket.PingMessage, fmt.Appendf(nil, "ping-%d", i), time.Now().Add(writeTimeout)) != nil {
				return
			}
		}
	}
}

// readLoop reads acks until the socket fails; gorilla answers the client's
// close frames and pongs need no handling.
func (s *Server) readLoop(c *wsConn) {
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		at := time.Now()
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		p := s.pending[ack.EnvelopeID]
		delete(s.pending, ack.EnvelopeID) // a second ack for the same envelope is ignored
		if p != nil && p.shown != nil {
			// Under the same lock as the delete, so the message is there
			// by the time SlashCommand returns the ack.
			s.showAck(*p.shown, ack.Payload)
		}
		s.mu.Unlock()
		if p != nil {
			p.ch <- ackMsg{payload: ack.Payload, at: at}
		}
	}
}

// OpenConnections is the number of connections that have been sent hello and
// are eligible for envelopes.
func (s *Server) OpenConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}

// ConnectionsOpened is the number of websocket connections ever accepted.
func (s *Server) ConnectionsOpened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// WaitConnections waits until at least n connections are open and have been
// sent hello.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	return s.waitUntil(ctx, func() bool { return s.OpenConnections() >= n },
		func() string { return fmt.Sprintf("%d of %d Socket Mode connections open", s.OpenConnections(), n) })
}

// WaitConnectionAfter waits until a connection accepted after the first
// `opened` ones (see ConnectionsOpened) is open and has been sent hello. A
// client's new connection is told apart this way from one that is closing
// but not yet seen closed, which counting open connections would mistake
// for it.
func (s *Server) WaitConnectionAfter(ctx context.Context, opened int) error {
	newer := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for c := range s.live {
			if c.id > opened {
				return true
			}
		}
		return false
	}
	return s.waitUntil(ctx, newer, func() string { return fmt.Sprintf("no Socket Mode connection after the first %d open", opened) })
}

func (s *Server) waitUntil(ctx context.Context, done func() bool, state func() string) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if done() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("fakeslack: %s (%d ever opened): %w", state(), s.ConnectionsOpened(), ctx.Err())
		case <-s.done:
			return errors.New("fakeslack: server closed")
		case <-t.C:
		}
	}
}

// takeLive removes and returns every live connection, so that nothing new is
// sent on them while they are being shut down.
func (s *Server) takeLive() []*wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := make([]*wsConn, 0, len(s.live))
	for c := range s.live {
		conns = append(conns, c)
	}
	s.live = map[*wsConn]struct{}{}
	return conns
}

// Disconnect sends {"type":"disconnect","reason":reason} on every open
// connection, as Slack does every few hours, then closes them; the client is
// expected to reconnect by itself. Envelopes still waiting for an ack are not
// redelivered. It returns once the messages are written; the sockets close as
// soon as the client hangs up, or after two seconds.
func (s *Server) Disconnect(reason string) {
	msg, _ := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": "fakeslack"},
	})
	for _, c := range s.takeLive() {
		_ = c.write(msg)
		go func() {
			t := time.NewTimer(2 * time.Second)
			defer t.Stop()
			select {
			case <-c.done:
			case <-t.C:
			}
			_ = c.ws.Close()
		}()
	}
}

// DropConnections closes every socket without a word, like a network failure.
func (s *Server) DropConnections() {
	for _, c := range s.takeLive() {
		_ = c.ws.Close()
	}
}

// pickConn chooses one live connection at random, as Slack spreads envelopes.
func (s *Server) pickConn() *wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.live) == 0 {
		return nil
	}
	i := rand.IntN(len(s.live))
	for c := range s.live {
		if i == 0 {
			return c
		}
		i--
	}
	return nil
}

// deliver sends an envelope to one connection and waits for its ack. A
// non-nil shown marks an envelope whose ack may carry a message
// (accepts_response_payload) and says where Slack shows it.
func (s *Server) deliver(ctx context.Context, typ string, payload any, retry int, shown *ackTarget) (Ack, error) {
	id := envelopeID()
	env := map[string]any{
		"envelope_id":              id,
		"type":                     typ,
		"accepts_response_payload": shown != nil,
		"retry_attempt":            retry,
		"retry_reason":             "",
		"payload":                  payload,
	}
	if retry > 0 {
		env["retry_reason"] = "timeout"
	}
	b, err := json.Marshal(env)
	if err != nil {
		return Ack{}, err
	}
	// Registered before the write so an ack that beats us back is not lost.
	p := &pendingAck{ch: make(chan ackMsg, 1), shown: shown}
	s.mu.Lock()
	s.pending[id] = p
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
	}()

	c, sentAt, err := s.send(ctx, b)
	if err != nil {
		return Ack{EnvelopeID: id}, fmt.Errorf("fakeslack: %s envelope %s not delivered: %w", typ, id, err)
	}
	select {
	case a := <-p.ch:
		return Ack{EnvelopeID: id, Payload: a.payload, SentAt: sentAt, AckedAt: a.at}, nil
	case <-s.done:
		return Ack{EnvelopeID: id, SentAt: sentAt}, errors.New("fakeslack: server closed before ack")
	case <-ctx.Done():
		why := "no ack"
		select {
		case <-c.done:
			why = "connection closed before ack"
		default:
		}
		return Ack{EnvelopeID: id, SentAt: sentAt}, fmt.Errorf("fakeslack: %s envelope %s on connection #%d: %s: %w",
			typ, id, c.id, why, ctx.Err())
	}
}

// send writes b on a random live connection, waiting for one if none is open
// and moving on to another if a write fails.
func (s *Server) send(ctx context.Context, b []byte) (*wsConn, time.Time, error) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if c := s.pickConn(); c != nil {
			sentAt := time.Now()
			if c.write(b) == nil {
				return c, sentAt, nil
			}
			_ = c.ws.Close() // its reader will forget it
			s.mu.Lock()
			delete(s.live, c)
			s.mu.Unlock()
			continue
		}
		select {
		case <-ctx.Done():
			return nil, time.Time{}, fmt.Errorf("no Socket Mode connection open (%d ever opened): %w", s.ConnectionsOpened(), ctx.Err())
		case <-s.done:
			return nil, time.Time{}, errors.New("server closed")
		case <-t.C:
		}
	}
}
