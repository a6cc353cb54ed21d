package bot

import (
	"context"

	"github.com/slack-go/slack"
)

// handleHistory answers /revoke history <target>, to the caller only.
func (b *Bot) handleHistory(ctx context.Context, cmd slack.SlashCommand, parsed Command) {
	reply := func(text string) { b.replyEphemeral(ctx, cmd.ResponseURL, cmd.ChannelID, cmd.UserID, text) }
	if !b.inspect(ctx, cmd, reply) {
		return
	}
	reply("`/revoke history` is not available in this version yet; `/revoke status rb-…` shows one request.")
}
