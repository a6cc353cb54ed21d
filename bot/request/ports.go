package request

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/revokebot/revokebot/revoke"
)

// Messenger is what the workflow needs of a chat platform, after Teleport's
// MessagingBot: post a message (a card, a thread reply, a progress message),
// redraw one, answer one person privately, attach a file. Errors should be
// *SendError, whose words carry no token.
type Messenger interface {
	// Post sends m to channel, as a reply in the thread of threadTS when it
	// is set, and returns the new message's ts.
	Post(ctx context.Context, channel, threadTS string, m Message) (string, error)
	// Update redraws the message ts in channel.
	Update(ctx context.Context, channel, ts string, m Message) error
	// Private answers one person where only they see it.
	Private(ctx context.Context, to Recipient, text string) error
	// Upload attaches a file to the thread of threadTS.
	Upload(ctx context.Context, channel, threadTS string, f File) error
}

// Recipient is a person to answer privately, where they acted.
type Recipient struct {
	User, Channel string
	ResponseURL   string // the platform's private reply address, when it gave one
}

// File is an attachment.
type File struct {
	Name, Title string
	Body        io.Reader
	Size        int
}

// SendError is a failed platform call in words safe for logs and people.
type SendError struct {
	Code       string        // e.g. not_in_channel, rate limited, network error
	RetryAfter time.Duration // the platform asked to wait this long; 0 when it did not
	Temporary  bool          // worth trying again (5xx, 429, network)
}

func (e *SendError) Error() string { return "slack: " + e.Code }

// sendCode is the code of a messenger error, for logs and replies.
func sendCode(err error) string {
	var se *SendError
	if errors.As(err, &se) {
		return se.Code
	}
	return "error"
}

// GroupMembers lists the members of a user group.
type GroupMembers interface {
	Members(ctx context.Context, group string) ([]string, error)
}

// Profiles finds the e-mail address of a chat user, for targets named by mention.
type Profiles interface {
	Email(ctx context.Context, userID string) (string, error)
}

// Directory finds Entra ID users.
type Directory interface {
	Resolve(ctx context.Context, l revoke.Lookup) ([]revoke.User, error)
}

// Revoker revokes one user's sign-in sessions.
type Revoker interface {
	RevokeSessions(ctx context.Context, userID string) (revoke.Result, error)
}

// Lister reads the tenant's users one page at a time, for /revoke all.
type Lister interface {
	ListUsers(ctx context.Context, cursor string) (revoke.Page, error)
}

// Prover reads a user back after the actions, as evidence that they held.
type Prover interface {
	ReadBack(ctx context.Context, userID string) (revoke.Proof, error)
}

// SignInLog reads a user's sign-ins since a time, for the watch after a
// revocation.
type SignInLog interface {
	SignIns(ctx context.Context, userID string, since time.Time) ([]revoke.SignIn, error)
}

// Metrics counts what the bot does; metrics.Metrics implements it.
type Metrics interface {
	Command(outcome string)
	Decision(decision, outcome string)
	Revocation(outcome string)
	Reconnect()
	BulkUsers(state string, n int)
	// Alert cards: a look at a source (read, failed), what became of a
	// detection (opened, folded, quiet), how far behind a watermark is.
	AlertLook(source, outcome string)
	AlertCard(source, outcome string)
	AlertLag(source string, lag time.Duration)
}

type noMetrics struct{}

func (noMetrics) Command(string)                 {}
func (noMetrics) Decision(string, string)        {}
func (noMetrics) Revocation(string)              {}
func (noMetrics) Reconnect()                     {}
func (noMetrics) BulkUsers(string, int)          {}
func (noMetrics) AlertLook(string, string)       {}
func (noMetrics) AlertCard(string, string)       {}
func (noMetrics) AlertLag(string, time.Duration) {}
