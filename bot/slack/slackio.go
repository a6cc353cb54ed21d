package slack

import (
	"context"
	"errors"
	"net"

	goslack "github.com/slack-go/slack"

	"github.com/revokebot/revokebot/bot/request"
)

// Post sends m to channel, as a thread reply when threadTS is set.
func (a *Adapter) Post(ctx context.Context, channel, threadTS string, m request.Message) (string, error) {
	opts := []goslack.MsgOption{goslack.MsgOptionText(m.Text, false)}
	if m.Blocks != nil {
		opts = append(opts, goslack.MsgOptionBlocks(Blocks(m)...))
	}
	if threadTS != "" {
		opts = append(opts, goslack.MsgOptionTS(threadTS))
	}
	_, ts, err := a.api.PostMessageContext(ctx, channel, opts...)
	return ts, sendError(err)
}

// Update redraws message ts; a message without blocks loses its buttons.
func (a *Adapter) Update(ctx context.Context, channel, ts string, m request.Message) error {
	_, _, _, err := a.api.UpdateMessageContext(ctx, channel, ts,
		goslack.MsgOptionText(m.Text, false), goslack.MsgOptionBlocks(Blocks(m)...))
	return sendError(err)
}

// Private answers only the person who acted: through the response_url when
// there is one, else chat.postEphemeral.
func (a *Adapter) Private(ctx context.Context, to request.Recipient, text string) error {
	if to.ResponseURL != "" {
		_, _, err := a.api.PostMessageContext(ctx, to.Channel, goslack.MsgOptionText(text, false),
			goslack.MsgOptionResponseURL(to.ResponseURL, goslack.ResponseTypeEphemeral))
		if err == nil {
			return nil
		}
	}
	_, err := a.api.PostEphemeralContext(ctx, to.Channel, to.User, goslack.MsgOptionText(text, false))
	return sendError(err)
}

// Upload attaches a file to a thread.
func (a *Adapter) Upload(ctx context.Context, channel, threadTS string, f request.File) error {
	_, err := a.api.UploadFileContext(ctx, goslack.UploadFileParameters{
		Reader: f.Body, FileSize: f.Size, Filename: f.Name, Title: f.Title,
		Channel: channel, ThreadTimestamp: threadTS,
	})
	return sendError(err)
}

// Members lists a user group's members (usergroups.users.list).
func (a *Adapter) Members(ctx context.Context, group string) ([]string, error) {
	ids, err := a.api.GetUserGroupMembersContext(ctx, group)
	return ids, sendError(err)
}

// Email is the Slack profile's e-mail address of a user (users.info); empty
// when the profile shows none, or the token lacks users:read.email.
func (a *Adapter) Email(ctx context.Context, userID string) (string, error) {
	info, err := a.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return "", sendError(err)
	}
	return info.Profile.Email, nil
}

// sendError classifies a slack-go error once, into words that carry no
// token or URL.
func sendError(err error) error {
	if err == nil {
		return nil
	}
	var se goslack.SlackErrorResponse
	if errors.As(err, &se) {
		return &request.SendError{Code: se.Err, Temporary: se.Err == "internal_error" || se.Err == "fatal_error" || se.Err == "service_unavailable"}
	}
	var rl *goslack.RateLimitedError
	if errors.As(err, &rl) {
		return &request.SendError{Code: "rate limited", RetryAfter: rl.RetryAfter, Temporary: true}
	}
	var st goslack.StatusCodeError
	if errors.As(err, &st) {
		return &request.SendError{Code: st.Status, Temporary: st.Code >= 500 || st.Code == 429}
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return &request.SendError{Code: "network error", Temporary: true}
	}
	return &request.SendError{Code: "network error", Temporary: true}
}

// slackErrorCode gives Slack's error code (e.g. not_in_channel) without
// anything that could carry a token or URL.
func slackErrorCode(err error) string {
	var se *request.SendError
	if errors.As(sendError(err), &se) {
		return se.Code
	}
	return "network error"
}
