package request

import (
	"context"
	"fmt"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

// A contained user may still have a Slack session: the containment ends
// their Entra ID sessions, not Slack's. A release asked for or approved by
// one of the users it lets back in would let that session undo the
// containment, so the person acting on a release is matched, by their
// Slack profile's e-mail, against every user it releases.

// SelfCheck says whether the person acting on a release is one of the users
// it lets back in.
type SelfCheck int

// The outcomes of matching a person against a release's users. The zero
// value refuses: a release nobody checked is not let through.
const (
	SelfUnchecked SelfCheck = iota // not looked up, or the e-mail could not be read
	SelfOther                      // none of the users released
	SelfReleased                   // one of the users released
)

// selfCheck matches a chat profile's e-mail, or the failure to read it,
// against the users a release lets back in (their UPN, mail and proxy
// addresses). It is pure.
func selfCheck(email string, err error, users []revoke.User) SelfCheck {
	if err != nil || strings.TrimSpace(email) == "" {
		return SelfUnchecked
	}
	for _, u := range users {
		if u.HasAddress(email) {
			return SelfReleased
		}
	}
	return SelfOther
}

// selfRefusal is why a person may not request or approve a release, or ok.
// Its words are said to that person only.
func selfRefusal(c SelfCheck) (string, bool) {
	switch c {
	case SelfOther:
		return "", true
	case SelfReleased:
		return "your Slack profile's e-mail address is that of a user this release lets back in, and a contained account's Slack session cannot release it: someone else must.", false
	}
	return "revokebot could not read your Slack profile's e-mail address to check that you are not one of the users this release lets back in.", false
}

// checkSelf reads a person's Slack e-mail and matches it against users.
func (b *env) checkSelf(ctx context.Context, userID string, users []revoke.User) SelfCheck {
	email, err := b.cfg.Profiles.Email(ctx, userID)
	if err != nil {
		b.log.Warn("could not read a Slack profile's e-mail for a release", "actor", userID, "error", sendCode(err))
	}
	return selfCheck(email, err, users)
}

// mayRelease refuses a release whose requester is one of its users, or
// whose requester's e-mail cannot be read: audited, and said to them only.
func (b *intake) mayRelease(ctx context.Context, cmd CommandEvent, users []revoke.User, reply func(string)) bool {
	reason, ok := selfRefusal(b.checkSelf(ctx, cmd.User, users))
	if ok {
		return true
	}
	b.m.Command("refused")
	err := b.tell.refuse(ctx, nil, cmd.User, fmt.Sprintf("<@%s> ran `/revoke %s` and was refused: %s", cmd.User, clean(cmd.Text, echoMost), reason), false, false)
	reply("You cannot do that: " + reason + " Nobody was released." + recordedWords(err))
	return false
}
