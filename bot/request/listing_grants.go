package request

import (
	"context"
	"fmt"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

// grantLines words, under a user's line on the card, the app consents
// --consents will remove.
func grantLines(l userListing) string {
	switch {
	case l.GrantsError != "":
		return "\n:grey_question: App consents could not be listed (" + l.GrantsError + "); they are listed again when the actions run."
	case len(l.Grants) == 0:
		return "\nApp consents to remove: none."
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nApp consents to remove (%d):", len(l.Grants))
	for _, g := range l.Grants {
		sb.WriteString("\n• " + grantWords(g))
	}
	return sb.String()
}

// grantWords names a grant for a person: the app and what it may do.
func grantWords(g revoke.Grant) string {
	app := cleanName(g.ClientName)
	if app == "" {
		app = "app " + Escape(g.ClientID)
	}
	scopes := strings.Fields(g.Scope)
	for i, sc := range scopes {
		scopes[i] = cleanName(sc)
	}
	return app + ": " + strings.Join(scopes, ", ")
}

// grantRecord is everything needed to grant it again, for the audit log:
// the IDs and scopes exactly, in code, and the app's name cleaned.
func grantRecord(g revoke.Grant) string {
	return fmt.Sprintf("grant `%s`: client %s (`%s`, app ID `%s`), resource `%s`, scopes `%s`",
		Escape(g.ID), orDash(cleanName(g.ClientName)), Escape(g.ClientID), Escape(orDash(g.AppID)), Escape(g.ResourceID), Escape(g.Scope))
}

// removeGrants lists the user's own delegated grants again and removes
// each: the words, which the outcome audit record keeps, hold what each
// grant was (client, resource, scopes), so it can be restored.
func (b *executor) removeGrants(ctx context.Context, userID string, shown userListing) (string, error) {
	gs, err := b.cfg.Grants.Grants(ctx, userID)
	if err != nil {
		return "", err
	}
	if len(gs) == 0 {
		return "No app consents to remove.", nil
	}
	ids := make([]string, len(shown.Grants))
	for i, g := range shown.Grants {
		ids[i] = g.ID
	}
	t := newTally(shown.GrantsError == "" && !shown.Pending, ids)
	for _, g := range gs {
		if err := b.cfg.Grants.DeleteGrant(ctx, g.ID); err != nil {
			t.fail(grantWords(g)+": "+describe(err), err)
			continue
		}
		t.ok(g.ID, grantRecord(g))
	}
	return t.words("app consent", "Removed %s (access tokens already issued stay valid until they expire, about an hour):",
		"Could not remove %s:", "")
}
