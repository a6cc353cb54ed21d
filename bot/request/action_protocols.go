package request

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/signing"
	"github.com/revokebot/revokebot/store"
)

// protocolsAction turns off the mailbox's POP, IMAP, EWS, ActiveSync and
// SMTP AUTH, which app passwords and stolen tokens keep using after a
// password reset. What was on is kept, signed, for the release to turn
// exactly that back on (restoreProtocolsAction).
var protocolsAction = action{
	name:  revoke.ActionProtocols,
	line:  "Turn off the mailbox's POP, IMAP, EWS, ActiveSync and SMTP AUTH (`Set-CASMailbox`), which app passwords and stolen tokens keep using after a reset; a release turns back on exactly those that were on",
	short: "turn off mail protocols",
	verb:  "Turning off mail protocols",
	missing: func(c Config) string {
		return missingIf(c.Protocols == nil, exchangeMissing("Turning off mail protocols (`--protocols`)"))
	},
	list: func(b *executor, ctx context.Context, u revoke.User) func(*userListing) {
		p, err := b.cfg.Protocols.Protocols(ctx, u.UPN)
		return func(l *userListing) {
			if err != nil {
				l.ProtocolsError = exchangeWords(err)
				return
			}
			l.ProtocolsRead, l.ProtocolsOn = true, p.On()
		}
	},
	lines: func(l userListing) string {
		switch {
		case l.ProtocolsError != "":
			return "\n:grey_question: Mail protocols could not be read (" + l.ProtocolsError + "); they are read again when the actions run."
		case !l.ProtocolsRead:
			return ""
		case len(l.ProtocolsOn) == 0:
			return "\nMail protocols: POP, IMAP, EWS, ActiveSync and SMTP AUTH are off already."
		}
		return "\n:warning: Mail protocols to turn off: " + protocolWords(l.ProtocolsOn) + "."
	},
	run: func(b *executor, ctx context.Context, u revoke.User, shown userListing, out *userOutcome) (string, error) {
		were, err := b.cfg.Protocols.DisableProtocols(ctx, u.UPN)
		if err != nil {
			return "", err
		}
		if len(were) == 0 {
			return "POP, IMAP, EWS, ActiveSync and SMTP AUTH were off already.", nil
		}
		if err := b.keepProtocolsOff(ctx, out.RequestID, u.ID, were); err != nil {
			b.log.Error("could not keep which mail protocols were turned off", "target", u.ID, "error", err)
			return "Turned off " + protocolWords(were) + ". :warning: revokebot could not record which, so a release will not turn them back on: do it by hand.", nil
		}
		words := "Turned off " + protocolWords(were) + "; a release turns exactly these back on."
		if since := notShown(were, shown); len(since) > 0 {
			words += " (" + protocolWords(since) + " came on after the card was posted.)"
		}
		return words, nil
	},
	failed: exchangeFailed,
	left: func(c leftCheck) residual {
		switch {
		case c.After.ProtocolsError != "":
			return unchecked("the mailbox's protocols could not be read again (" + c.After.ProtocolsError + ").")
		case !c.After.ProtocolsRead:
			return unchecked("the mailbox's protocols were not read again.")
		case len(c.After.ProtocolsOn) > 0:
			return stillThere(protocolWords(c.After.ProtocolsOn) + " still on.")
		}
		return gone("POP, IMAP, EWS, ActiveSync and SMTP AUTH are off.")
	},
}

// notShown are the protocols of were that the card did not list as on,
// when it listed them.
func notShown(were []revoke.Protocol, shown userListing) []revoke.Protocol {
	if !shown.ProtocolsRead {
		return nil
	}
	var out []revoke.Protocol
	for _, p := range were {
		if !slices.Contains(shown.ProtocolsOn, p) {
			out = append(out, p)
		}
	}
	return out
}

// protocolWords names protocols for a person: "POP, IMAP".
func protocolWords(ps []revoke.Protocol) string {
	words := make([]string, len(ps))
	for i, p := range ps {
		words[i] = p.String()
	}
	return strings.Join(words, ", ")
}

// protocolsOffKind is the store task that keeps, for a release, which mail
// protocols a request turned off for one user.
const protocolsOffKind = "protocols-off"

// protocolsOff is that record, signed: the database alone must not be able
// to make a release turn a protocol on.
type protocolsOff struct {
	User string            `json:"user"`
	Off  []revoke.Protocol `json:"off"`
	Sig  string            `json:"sig"`
}

func protocolsOffID(requestID, userID string) string {
	return "protocols:" + requestID + ":" + strings.ToLower(userID)
}

func protocolsMessage(requestID, userID string, off []revoke.Protocol) []byte {
	names := make([]string, len(off))
	for i, p := range off {
		names[i] = string(p)
	}
	return signing.Digest("revokebot-protocols-off-v1", requestID, strings.ToLower(userID), strings.Join(names, ","))
}

// keepProtocolsOff records, signed, which protocols request requestID
// turned off for the user.
func (b *executor) keepProtocolsOff(ctx context.Context, requestID, userID string, off []revoke.Protocol) error {
	rec := protocolsOff{User: strings.ToLower(userID), Off: off, Sig: b.cfg.Key.Sign(protocolsMessage(requestID, userID, off))}
	raw, _ := json.Marshal(rec)
	ctx, cancel := recordContext(ctx)
	defer cancel()
	return b.store.CreateTask(ctx, store.Task{ID: protocolsOffID(requestID, userID), Kind: protocolsOffKind, RequestID: requestID,
		State: raw, Done: true, CreatedAt: b.now()})
}

// protocolsToRestore are the protocols revokebot turned off for the user
// since their last release, as its signed records say, in order; records
// it did not sign are left out.
func (b *env) protocolsToRestore(ctx context.Context, userID string) ([]revoke.Protocol, error) {
	reqs, err := b.store.RequestsAbout(ctx, userID, historyLimit)
	if err != nil {
		return nil, err
	}
	return b.protocolsOff(ctx, userID, reqs), nil
}

// protocolsOff is protocolsToRestore over the user's requests, newest first.
func (b *env) protocolsOff(ctx context.Context, userID string, reqs []store.Request) []revoke.Protocol {
	want := map[revoke.Protocol]bool{}
	for _, r := range reqs { // newest first
		t := targetsOf(r)
		if t.Release && r.State == store.StateSucceeded {
			break
		}
		task, err := b.store.Task(ctx, protocolsOffID(r.ID, userID))
		if err != nil {
			continue // this request turned nothing off
		}
		var rec protocolsOff
		if json.Unmarshal(task.State, &rec) != nil || b.ring.Check(protocolsMessage(r.ID, userID, rec.Off), b.cfg.Key.ID(), rec.Sig) != nil {
			b.log.Error("a record of mail protocols turned off is not revokebot's; it is ignored", "target", userID, "request_id", r.ID)
			continue
		}
		for _, p := range rec.Off {
			want[p] = true
		}
	}
	var out []revoke.Protocol
	for _, p := range revoke.ProtocolOrder() {
		if want[p] {
			out = append(out, p)
		}
	}
	return out
}

// MailboxProtocols reads, turns off and turns back on a mailbox's
// protocols (Exchange's Get-CASMailbox and Set-CASMailbox), reading back
// what it set.
type MailboxProtocols interface {
	Protocols(ctx context.Context, mailbox string) (revoke.Protocols, error)
	DisableProtocols(ctx context.Context, mailbox string) ([]revoke.Protocol, error)
	EnableProtocols(ctx context.Context, mailbox string, ps []revoke.Protocol) error
}
