package slack

import (
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestManifestAsksForRequiredScopes: the Slack app manifest deployers create
// the app from asks for exactly the scopes `check` requires.
func TestManifestAsksForRequiredScopes(t *testing.T) {
	data, err := os.ReadFile("../../deploy/slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	got, want := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot)), slices.Sorted(slices.Values(RequiredScopes))
	if !slices.Equal(got, want) {
		t.Errorf("manifest bot scopes %v, RequiredScopes %v", got, want)
	}
}
