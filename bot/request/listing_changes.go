package request

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/revokebot/revokebot/revoke"
)

// The card's recent changes: the security changes the directory audit log
// records about each user in the days before the command, where an
// attacker's persistence shows (an authenticator registered from their
// IP, a consent, a role). They are read like the other listings, under
// Graph's reports budget, and fill in when that holds them up.
const (
	changesFor  = 7 * 24 * time.Hour
	changesMost = 5
	// changesRead is how many events are asked for to find changesMost
	// that matter: attribute updates and the like outnumber them.
	changesRead = 50
)

// DirectoryAuditLog reads the directory audit log's events about a user
// since a time, newest first.
type DirectoryAuditLog interface {
	DirectoryAudits(ctx context.Context, userID string, since time.Time, top int) ([]revoke.DirectoryEvent, error)
}

// listChanges reads a user's recent security changes into a listing.
func (b *executor) listChanges(ctx context.Context, u revoke.User) func(*userListing) {
	evs, err := b.cfg.Changes.DirectoryAudits(ctx, u.ID, b.now().Add(-changesFor), changesRead)
	return func(l *userListing) {
		if err != nil {
			l.ChangesError = describe(err)
			return
		}
		l.ChangesRead = true
		l.Changes = nil
		for _, e := range evs {
			if e.SecurityRelevant() && len(l.Changes) < changesMost {
				l.Changes = append(l.Changes, e)
			}
		}
	}
}

// changesLines words, under a user's line on the card, their recent
// security changes, newest first; the names and IPs are the directory's,
// maybe the attacker's, and are cleaned.
func changesLines(l userListing) string {
	switch {
	case l.ChangesError != "":
		return "\n:grey_question: Recent security changes could not be read (" + l.ChangesError + ")."
	case !l.ChangesRead:
		return ""
	case len(l.Changes) == 0:
		return "\nRecent security changes: none in 7 days."
	}
	var sb strings.Builder
	sb.WriteString("\n:mag: Recent security changes (7 days, newest first):")
	for _, e := range l.Changes {
		fmt.Fprintf(&sb, "\n• %s: %s", e.At.UTC().Format("2006-01-02 15:04 UTC"), cleanName(e.Activity))
		if e.By != "" {
			who := "by " + clean(e.By, upnMost)
			if e.ByApp {
				who = "by the app " + cleanName(e.By)
			}
			sb.WriteString(" " + who)
		}
		if e.IP != "" {
			sb.WriteString(" from " + ipWords(e.IP))
		}
		if r := strings.ToLower(e.Result); r != "" && r != "success" {
			sb.WriteString(" (" + cleanName(e.Result) + ")")
		}
	}
	return sb.String()
}

// ipWords shows an IP address as code, which Slack neither links nor
// formats, so that it can be copied into a search as it is; anything else
// in the field is cleaned like other directory text.
func ipWords(ip string) string {
	if net.ParseIP(strings.TrimSpace(ip)) != nil {
		return "`" + strings.TrimSpace(ip) + "`"
	}
	return clean(ip, 45)
}
