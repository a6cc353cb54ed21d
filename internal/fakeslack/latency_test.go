package fakeslack

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestLatencyDelaysCallsSideBySide(t *testing.T) {
	const d = 100 * time.Millisecond
	s := newServer(t, Options{Latency: d})
	api := apiClient(s)

	start := time.Now()
	if _, err := api.AuthTest(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < d {
		t.Errorf("one call took %v, want at least %v", took, d)
	}

	// Twenty at once: one after another they would take 2s.
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start = time.Now()
	for range n {
		wg.Go(func() {
			_, _, err := api.PostMessage("C1", slack.MsgOptionText("slow", false))
			errs <- err
		})
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if took < d || took > n*d/2 {
		t.Errorf("%d concurrent calls took %v, want about %v", n, took, d)
	}

	// The call is handled at once; only its answer is late.
	s.SetLatency(5 * time.Second)
	impatient := slack.New(botToken, slack.OptionAPIURL(s.APIURL()),
		slack.OptionHTTPClient(&http.Client{Timeout: 300 * time.Millisecond}))
	if _, _, err := impatient.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("timed out", false)); err == nil {
		t.Error("a client that gives up first got an answer")
	}
	if m := s.Messages(); len(m) != n+1 || m[n].Text != "timed out" {
		t.Errorf("%d messages, want the timed-out post recorded too", len(m))
	}

	s.SetLatency(0)
	start = time.Now()
	if _, err := api.AuthTest(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took >= d {
		t.Errorf("without latency a call took %v", took)
	}
}
