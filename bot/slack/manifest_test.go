package slack

import (
	"slices"
	"testing"

	"github.com/revokebot/revokebot/deploy"
)

// TestManifestAsksForRequiredScopes: the Slack app manifest deployers create
// the app from asks for exactly the scopes `check` requires.
func TestManifestAsksForRequiredScopes(t *testing.T) {
	bot, err := deploy.SlackBotScopes()
	if err != nil {
		t.Fatal(err)
	}
	got, want := slices.Sorted(slices.Values(bot)), slices.Sorted(slices.Values(RequiredScopes))
	if !slices.Equal(got, want) {
		t.Errorf("manifest bot scopes %v, RequiredScopes %v", got, want)
	}
}
