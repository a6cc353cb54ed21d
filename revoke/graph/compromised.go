package graph

import (
	"context"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/identityprotection"

	"github.com/revokebot/revokebot/revoke"
)

// ConfirmCompromised tells Identity Protection the user is compromised
// (POST /identityProtection/riskyUsers/confirmCompromised), which raises
// their user risk to high for risk-based Conditional Access. It needs Entra
// ID P2 (KindUnlicensed without it). Calls through one Client, retries
// included, are spaced Config.CompromisedInterval apart to stay within the
// tenant's 1 request/s.
func (c *Client) ConfirmCompromised(ctx context.Context, userID string) (revoke.Result, error) {
	err := c.do(ctx, "confirm compromised", revoke.ActionCompromised.Permission(), func() error {
		return c.confirms.do(ctx, userID, func(ctx context.Context, ids []string) error {
			body := identityprotection.NewRiskyUsersConfirmCompromisedPostRequestBody()
			body.SetUserIds(ids)
			return c.riskyUsers().ConfirmCompromised().Post(ctx, body, nil)
		})
	})
	if err != nil {
		return revoke.Result{}, err
	}
	return revoke.Result{At: c.now().UTC()}, nil
}

// riskyUsers returns a new request builder per call, as users does.
func (c *Client) riskyUsers() *identityprotection.RiskyUsersRequestBuilder {
	return identityprotection.NewRiskyUsersRequestBuilderInternal(map[string]string{}, c.adapter)
}

// pacer spaces calls one at a time, each starting at least interval after
// the previous one ended. Measuring from the end, after Graph has answered,
// spaces the calls' arrivals at Graph too, whatever the network's delays.
// riskBatch takes its turns.
type pacer struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	turn     chan struct{} // holds a token while no call runs
	last     time.Time     // end of the previous call; guarded by turn
}

func newPacer(interval time.Duration, now func() time.Time) *pacer {
	p := &pacer{interval: interval, now: now, sleep: revoke.SleepContext, turn: make(chan struct{}, 1)}
	p.turn <- struct{}{}
	return p
}

// await sleeps out the rest of the interval since the previous call, unless
// ctx ends first; the caller holds the turn.
func (p *pacer) await(ctx context.Context) error {
	if p.last.IsZero() {
		return nil
	}
	if wait := p.last.Add(p.interval).Sub(p.now()); wait > 0 {
		return p.sleep(ctx, wait)
	}
	return nil
}
