package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// probes are what /readyz asks: is Slack connected, does the store answer.
type probes struct {
	connected func() bool
	ping      func(ctx context.Context) error
	metrics   http.Handler
}

// healthHandler serves /healthz (the process lives), /readyz (it can do its
// job: Socket Mode connected and the store answering) and /metrics.
func healthHandler(p probes) http.Handler {
	mux := http.NewServeMux()
	if p.metrics != nil {
		mux.Handle("GET /metrics", p.metrics)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !p.connected() {
			http.Error(w, "not ready: the Slack Socket Mode connection is down", http.StatusServiceUnavailable)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := p.ping(ctx); err != nil {
			http.Error(w, "not ready: the store does not answer", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}

// serveHealth listens on addr until ctx ends. A port that cannot be bound is
// an error at start-up, before Slack is contacted.
func serveHealth(ctx context.Context, addr string, h http.Handler, log *slog.Logger) (wait func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, errors.New("REVOKEBOT_LISTEN: cannot listen on " + addr)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("health server stopped", "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	log.Info("health endpoints listening", "addr", ln.Addr().String())
	return func() { <-done }, nil
}
