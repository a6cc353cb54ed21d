package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestReadyzNeedsTheStore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		connected bool
		ping      error
		want      int
	}{
		{true, nil, 200},
		{false, nil, 503},
		{true, errors.New("database is locked"), 503},
	} {
		h := healthHandler(probes{connected: func() bool { return tc.connected }, ping: func(context.Context) error { return tc.ping }})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != tc.want {
			t.Errorf("connected=%v ping=%v: %d, want %d", tc.connected, tc.ping, rec.Code, tc.want)
		}
	}
}
