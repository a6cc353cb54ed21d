package bot

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"

	"github.com/revokebot/revokebot/store"
)

// post sends a message, or a thread reply when threadTS is set, waiting out
// Slack's rate limits a few times.
func (b *Bot) post(ctx context.Context, channel, threadTS, text string, blocks []slack.Block) (string, string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if blocks != nil {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	var ch, ts string
	err := b.slackRetry(ctx, func() error {
		var err error
		ch, ts, err = b.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ch, ts, err
}

// postQuiet posts a line that the flow does not depend on; a failure is logged.
func (b *Bot) postQuiet(ctx context.Context, channel, threadTS, text string) {
	if _, _, err := b.post(ctx, channel, threadTS, text, nil); err != nil {
		b.log.Warn("could not post to slack", "channel", channel, "error", slackErrorCode(err))
	}
}

// updateCard redraws a request's root message from its stored state; buttons
// disappear once it is no longer pending.
func (b *Bot) updateCard(ctx context.Context, req store.Request) {
	if req.RootTS == "" {
		return
	}
	text, blocks := renderCard(cardOf(req, targetOf(req)))
	err := b.slackRetry(ctx, func() error {
		_, _, _, err := b.api.UpdateMessageContext(ctx, req.Channel, req.RootTS,
			slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
	if err != nil {
		b.log.Warn("could not update the card", "request_id", req.ID, "error", slackErrorCode(err))
	}
}

// replyEphemeral answers only the person who acted: through the response_url
// when there is one, else chat.postEphemeral.
func (b *Bot) replyEphemeral(ctx context.Context, responseURL, channel, user, text string) {
	var err error
	if responseURL != "" {
		_, _, err = b.api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false),
			slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeEphemeral))
		if err == nil {
			return
		}
	}
	if _, err = b.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false)); err != nil {
		b.log.Warn("could not reply to the user", "actor", user, "error", slackErrorCode(err))
	}
}

func (b *Bot) slackRetry(ctx context.Context, call func() error) error {
	var err error
	for range 4 {
		err = call()
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			return err
		}
		wait := min(max(rl.RetryAfter, time.Second), 30*time.Second)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
	return err
}

// slackErrorCode gives Slack's error code (e.g. not_in_channel) without
// anything that could carry a token or URL.
func slackErrorCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return "rate limited"
	}
	var st slack.StatusCodeError
	if errors.As(err, &st) {
		return st.Status
	}
	return "network error"
}
