package request

import (
	"context"
	"errors"
	"time"

	"github.com/revokebot/revokebot/store"
)

// post sends a message, or a thread reply when threadTS is set, waiting out
// the platform's rate limits a few times.
func (b *env) post(ctx context.Context, channel, threadTS string, m Message) (string, error) {
	var ts string
	err := retrySend(ctx, func() error {
		var err error
		ts, err = b.msg.Post(ctx, channel, threadTS, m)
		return err
	})
	return ts, err
}

// postQuiet posts a line that the flow does not depend on; a failure is logged.
func (b *env) postQuiet(ctx context.Context, channel, threadTS, text string) {
	if _, err := b.post(ctx, channel, threadTS, Message{Text: text}); err != nil {
		b.log.Warn("could not post to slack", "channel", channel, "error", sendCode(err))
	}
}

// update redraws a message, waiting out rate limits like post.
func (b *env) update(ctx context.Context, channel, ts string, m Message) error {
	return retrySend(ctx, func() error { return b.msg.Update(ctx, channel, ts, m) })
}

// cardFor is what a request's card shows now, its approvals included.
func (b *env) cardFor(ctx context.Context, req store.Request) card {
	c := cardOf(req, targetOf(req))
	if req.NeedsApproval {
		c.Need = b.policy.Quorum()
		if c.Need > 1 {
			c.Approvals, _ = b.approvers(ctx, req.ID)
		}
	}
	return c
}

// private answers only the person who acted.
func (b *env) private(ctx context.Context, to Recipient, text string) {
	if to.User == systemActor {
		return // an alert card nobody confirmed: revokebot asked, and the thread says it
	}
	if err := b.msg.Private(ctx, to, text); err != nil {
		b.log.Warn("could not reply to the user", "actor", to.User, "error", sendCode(err))
	}
}

// retrySend calls call again after a rate limit, at most four times.
func retrySend(ctx context.Context, call func() error) error {
	var err error
	for range 4 {
		err = call()
		var se *SendError
		if !errors.As(err, &se) || se.RetryAfter <= 0 {
			return err
		}
		wait := min(max(se.RetryAfter, time.Second), 30*time.Second)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
	return err
}
