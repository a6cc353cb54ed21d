package fakeslack

import (
	"bytes"
	"maps"
	"net/http"
	"strings"
	"time"
)

// SetLatency changes how long every HTTP answer is held back (see
// Options.Latency); 0 answers at once. Requests already waiting keep the
// latency they started with.
//
// The request is handled as soon as it arrives and only its answer waits, as
// with a slow network or a Slack slow to reply: a client that gives up first
// may find its message posted all the same. Each request waits on its own
// goroutine and without the server's lock, so concurrent calls are delayed
// side by side, not one after another.
func (s *Server) SetLatency(d time.Duration) {
	s.latency.Store(int64(max(d, 0)))
}

// delayed wraps the HTTP handler with the configured latency. The websocket
// endpoint is left alone: the upgrade needs the real connection, and Socket
// Mode's speed is not what Latency models.
func (s *Server) delayed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := time.Duration(s.latency.Load())
		if d <= 0 || strings.HasPrefix(r.URL.Path, "/link/") {
			next.ServeHTTP(w, r)
			return
		}
		held := &heldWriter{header: http.Header{}}
		next.ServeHTTP(held, r)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return // the client hung up; nobody to answer
		case <-s.done:
			// Close waits for requests in flight: answer now rather than hold it up.
		}
		maps.Copy(w.Header(), held.header)
		w.WriteHeader(held.statusOr200())
		_, _ = w.Write(held.body.Bytes())
	})
}

// heldWriter keeps a handler's answer until the latency has passed.
type heldWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// Header returns the header map the handler fills in.
func (h *heldWriter) Header() http.Header { return h.header }

// WriteHeader keeps the first status, as net/http does.
func (h *heldWriter) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

// Write buffers the body.
func (h *heldWriter) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return h.body.Write(b)
}

func (h *heldWriter) statusOr200() int {
	if h.status == 0 {
		return http.StatusOK
	}
	return h.status
}
