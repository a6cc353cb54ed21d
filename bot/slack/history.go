package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/revokebot/revokebot/bot/request"
)

// historyPage is Slack's largest conversations.history page: the fewest
// calls for a long audit channel (Tier 3, about 50 a minute).
const historyPage = 999

// historyRetries bounds the waits on Slack's Retry-After for one page.
const historyRetries = 10

// HistoryConfig is what reading a channel's history needs.
type HistoryConfig struct {
	BotToken   string
	APIURL     string // Slack Web API base with trailing slash
	HTTPClient *http.Client
	// Sleep waits out a rate limit; default time.Sleep honouring ctx.
	Sleep func(context.Context, time.Duration) error
}

// AuditHistory returns the audit channel's history as request.CheckAnchor
// reads it: only the messages this bot posted, newest first. Lines anyone
// else posts, pasted or forged, are not the bot's record and are skipped.
func AuditHistory(cfg HistoryConfig, channel string) request.ChannelHistory {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	opts := []goslack.Option{goslack.OptionHTTPClient(cfg.HTTPClient)}
	if cfg.APIURL != "" {
		opts = append(opts, goslack.OptionAPIURL(cfg.APIURL))
	}
	api := goslack.New(cfg.BotToken, opts...)
	return func(ctx context.Context, page func([]string) error) error {
		me, err := api.AuthTestContext(ctx)
		if err != nil {
			return fmt.Errorf("auth.test: %s", slackErrorCode(err))
		}
		in := &goslack.GetConversationHistoryParameters{ChannelID: channel, Limit: historyPage}
		for {
			resp, err := historyWithRetry(ctx, api, in, cfg.Sleep)
			if err != nil {
				return fmt.Errorf("conversations.history of %s: %s", channel, slackErrorCode(err))
			}
			texts := make([]string, 0, len(resp.Messages))
			for _, m := range resp.Messages {
				if (me.BotID != "" && m.BotID == me.BotID) || (m.BotID == "" && m.User == me.UserID) {
					texts = append(texts, m.Text)
				}
			}
			if err := page(texts); err != nil {
				return err
			}
			next := resp.ResponseMetaData.NextCursor
			if !resp.HasMore || next == "" {
				return nil
			}
			in.Cursor = next
		}
	}
}

func historyWithRetry(ctx context.Context, api *goslack.Client, in *goslack.GetConversationHistoryParameters,
	sleep func(context.Context, time.Duration) error) (*goslack.GetConversationHistoryResponse, error) {
	for try := 0; ; try++ {
		resp, err := api.GetConversationHistoryContext(ctx, in)
		var rl *goslack.RateLimitedError
		if err == nil || !errors.As(err, &rl) || try == historyRetries {
			return resp, err
		}
		if err := sleep(ctx, rl.RetryAfter); err != nil {
			return nil, err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
