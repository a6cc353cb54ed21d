package bot

import (
	"context"

	"github.com/revokebot/revokebot/bot/request"
	"github.com/revokebot/revokebot/bot/slack"
)

// Anchoring the audit log on its channel; see request.CheckAnchor.
type (
	AnchorReport  = request.AnchorReport
	AnchorBreak   = request.AnchorBreak
	HistoryConfig = slack.HistoryConfig
)

// CheckAuditChannel holds the audit channel's history, read with the bot
// token, against the audit log.
func CheckAuditChannel(ctx context.Context, cfg HistoryConfig, channel string, log request.AnchorLog) (AnchorReport, error) {
	return request.CheckAnchor(ctx, log, slack.AuditHistory(cfg, channel))
}
