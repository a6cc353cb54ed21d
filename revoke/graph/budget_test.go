package graph

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
)

// TestReportsBudgetShared: twelve callers listing methods and reading
// sign-ins at once share the client's one reports budget: none draws a 429
// from a fake holding Graph's 5 requests per window, and none is dropped.
func TestReportsBudgetShared(t *testing.T) {
	t.Parallel()
	const window = 100 * time.Millisecond
	g, c := containFake(t, fakegraph.Options{ReportsWindow: window})
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = c.AuthMethods(context.Background(), aliceID)
			} else {
				_, err = c.SignIns(context.Background(), aliceID, time.Time{})
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := g.ReportsThrottled(); n != 0 {
		t.Errorf("%d requests throttled", n)
	}
	// 12 requests at 5 a window need at least two further windows.
	if took := time.Since(start); took < 2*window {
		t.Errorf("12 reads in %v: faster than the budget allows", took)
	}
}

// TestRiskBudgetCoversReads: reading users' risk and dismissing it, at
// once, keep to Identity Protection's one request per interval.
func TestRiskBudgetCoversReads(t *testing.T) {
	t.Parallel()
	g, c := containFake(t, fakegraph.Options{})
	g.SetRisk(aliceID, "high")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, _, err := c.UserRisk(context.Background(), aliceID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Go(func() {
		if _, err := c.DismissRisk(context.Background(), aliceID); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	if n := g.RiskThrottled(); n != 0 {
		t.Errorf("%d requests throttled", n)
	}
}
