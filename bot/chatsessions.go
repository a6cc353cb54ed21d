package bot

import (
	"context"
	"errors"

	"github.com/revokebot/revokebot/bot/request"
	"github.com/revokebot/revokebot/bot/slack"
)

// chatSessions is the workflow's ChatSessions: the bot token finds the
// user's Slack account, the org admin's token ends its sessions. It turns
// the adapter's errors into the workflow's kinds, which bot/request words.
type chatSessions struct {
	find  *slack.Adapter
	reset *slack.Sessions
}

func (c chatSessions) UserByEmail(ctx context.Context, email string) (string, string, bool, error) {
	id, name, found, err := c.find.UserByEmail(ctx, email)
	return id, name, found, chatError(err)
}

func (c chatSessions) ResetSessions(ctx context.Context, userID string) error {
	return chatError(c.reset.Reset(ctx, userID))
}

// chatKinds maps the adapter's error kinds to the workflow's.
var chatKinds = map[slack.ErrorKind]request.ChatAdminKind{
	slack.KindInvalidToken: request.ChatAdminInvalidToken, slack.KindNotAdmin: request.ChatAdminNotAdmin,
	slack.KindMissingScope: request.ChatAdminMissingScope, slack.KindNotGrid: request.ChatAdminNotGrid,
	slack.KindPrimaryOwner: request.ChatAdminPrimaryOwner, slack.KindUserNotFound: request.ChatAdminUserNotFound,
	slack.KindRateLimited: request.ChatAdminUnavailable, slack.KindUnavailable: request.ChatAdminUnavailable,
}

func chatError(err error) error {
	var ce *slack.CallError
	if !errors.As(err, &ce) {
		return err
	}
	return &request.ChatAdminError{Kind: chatKinds[ce.Kind], Scope: ce.Scope, Code: ce.Code}
}
