package request

import (
	"context"
	"fmt"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

// slackAction ends every session of the user's own Slack account: Slack,
// signed in through Entra ID, keeps its session after every revocation,
// and the attacker can read the incident channel with it.
var slackAction = action{
	name:  revoke.ActionSlack,
	line:  "End every Slack session of the user's Slack account, found by their e-mail (`admin.users.session.reset`): Slack keeps its own session after Entra ID's end",
	short: "end Slack sessions",
	verb:  "Ending Slack sessions",
	missing: func(c Config) string {
		return missingIf(c.ChatSessions == nil, "Ending Slack sessions (`--slack`) is not configured: its operator must set `SLACK_ADMIN_TOKEN` (a user token of an Enterprise Grid org admin, with `admin.users:write`).")
	},
	list: func(b *executor, ctx context.Context, u revoke.User) func(*userListing) {
		id, name, err := b.chatAccount(ctx, u)
		return func(l *userListing) {
			switch {
			case err != nil:
				l.ChatError = chatWords(err)
			case id == "":
				l.ChatNone = true
			default:
				l.ChatUser, l.ChatName = id, name
			}
		}
	},
	lines: func(l userListing) string {
		switch {
		case l.ChatError != "":
			return "\n:grey_question: The user's Slack account could not be looked up (" + l.ChatError + "); it is looked up again when the actions run."
		case l.ChatNone:
			return "\nSlack: no Slack account has the user's e-mail, so there is no Slack session to end."
		case l.ChatUser != "":
			return "\nSlack sessions to end: " + chatAccountWords(l.ChatUser, l.ChatName) + "."
		}
		return ""
	},
	run: func(b *executor, ctx context.Context, u revoke.User, shown userListing, _ *userOutcome) (string, error) {
		id, name, err := b.chatAccount(ctx, u)
		if err != nil {
			return "", err
		}
		if id == "" {
			return "No Slack account has the user's e-mail (" + strings.Join(cleanAll(chatEmails(u)), ", ") + "): no Slack session to end.", nil
		}
		if err := b.cfg.ChatSessions.ResetSessions(ctx, id); err != nil {
			return "", err
		}
		words := "Every Slack session of " + chatAccountWords(id, name) + " ended; they must sign in to Slack again, through Entra ID."
		switch {
		case shown.ChatNone:
			words += " (The card found no account: this one has had the user's e-mail since.)"
		case shown.ChatUser != "" && shown.ChatUser != id:
			words += " (The card showed another account: this one has the user's e-mail now.)"
		}
		return words, nil
	},
	failed: chatFailed,
	left: func(leftCheck) residual {
		return unchecked("Slack's API does not list a user's sessions; its answer above is all there is.")
	},
}

// chatEmails are the addresses the user's Slack account may carry: their
// UPN and their mail, each once.
func chatEmails(u revoke.User) []string {
	var out []string
	for _, e := range []string{u.UPN, u.Mail} {
		if e != "" && !containsFold(out, e) {
			out = append(out, e)
		}
	}
	return out
}

func containsFold(ss []string, s string) bool {
	for _, x := range ss {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s, upnMost)
	}
	return out
}

// chatAccount finds the Slack account whose e-mail is the user's UPN or
// mail: "" when none is.
func (b *executor) chatAccount(ctx context.Context, u revoke.User) (id, name string, err error) {
	for _, e := range chatEmails(u) {
		id, name, found, err := b.cfg.ChatSessions.UserByEmail(ctx, e)
		if err != nil {
			return "", "", err
		}
		if found {
			return id, name, nil
		}
	}
	return "", "", nil
}

// chatAccountWords names a Slack account without mentioning it: the
// account may be the attacker's way in, and must not be notified.
func chatAccountWords(id, name string) string {
	return fmt.Sprintf("*%s* (`%s`)", cleanName(name), Escape(id))
}

// ChatSessions finds a chat user by e-mail and ends every session of
// theirs, with an org admin's token.
type ChatSessions interface {
	UserByEmail(ctx context.Context, email string) (id, name string, found bool, err error)
	ResetSessions(ctx context.Context, userID string) error
}

// ChatAdminKind is why the chat platform refused to find or sign out a user.
type ChatAdminKind int

// The kinds of ChatAdminError.
const (
	ChatAdminOther        ChatAdminKind = iota
	ChatAdminInvalidToken               // the admin token is wrong or revoked
	ChatAdminNotAdmin                   // not an org admin's user token
	ChatAdminMissingScope               // Scope says which
	ChatAdminNotGrid                    // the workspace is not on Enterprise Grid
	ChatAdminPrimaryOwner               // only the primary owner may end the primary owner's sessions
	ChatAdminUserNotFound
	ChatAdminUnavailable // throttled or down: trying later may work
)

// ChatAdminError is the chat platform's refusal, as the adapter classified
// it; Code is the platform's own, for the record.
type ChatAdminError struct {
	Kind  ChatAdminKind
	Scope string
	Code  string
}

func (e *ChatAdminError) Error() string { return "chat admin call refused: " + e.Code }

// chatWords words any error of the chat platform.
func chatWords(err error) string {
	if words := chatFailed(err); words != "" {
		return words
	}
	return describe(err)
}

// chatFailed words the chat platform's refusal.
func chatFailed(err error) string {
	e, ok := err.(*ChatAdminError)
	if !ok {
		return ""
	}
	switch e.Kind {
	case ChatAdminInvalidToken:
		return "Slack refused `SLACK_ADMIN_TOKEN` (invalid, expired or revoked): its operator must renew it."
	case ChatAdminNotAdmin:
		return "Slack refused: `SLACK_ADMIN_TOKEN` is not the user token (`xoxp-…`) of an Enterprise Grid org admin or owner."
	case ChatAdminMissingScope:
		return "Slack refused: `SLACK_ADMIN_TOKEN` lacks the scope `" + Escape(e.Scope) + "`."
	case ChatAdminNotGrid:
		return "Slack refused: ending a user's sessions (`admin.users.session.reset`) needs Enterprise Grid, which this workspace is not on. End them in Slack's admin pages."
	case ChatAdminPrimaryOwner:
		return "Slack lets only the primary owner end the primary owner's sessions (`cannot_reset_primary_owner`): end them in Slack's admin pages."
	case ChatAdminUserNotFound:
		return "Slack no longer knows this account (`user_not_found`)."
	case ChatAdminUnavailable:
		return "Slack was unavailable or kept throttling revokebot: end the sessions in Slack's admin pages, or run `/revoke` again."
	}
	return "Slack refused (`" + Escape(e.Code) + "`)."
}
