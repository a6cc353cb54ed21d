// Package deploy holds what deployers use to set revokebot up. The Go side
// embeds the Slack app manifest so that code which must agree with it reads
// it rather than a copy.
package deploy

import (
	_ "embed"
	"errors"

	"gopkg.in/yaml.v3"
)

// SlackAppManifest is slack-app-manifest.yaml, the manifest the Slack app is
// created from. It is embedded, not read at run time, because `revokebot
// demo` runs the fake Slack from a binary that has no source tree beside it
// (the container image, or any -trimpath build).
//
//go:embed slack-app-manifest.yaml
var SlackAppManifest string

// SlackBotScopes returns the bot scopes the manifest asks for
// (oauth_config.scopes.bot).
func SlackBotScopes() ([]string, error) {
	var m struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal([]byte(SlackAppManifest), &m); err != nil {
		return nil, err
	}
	if len(m.OAuth.Scopes.Bot) == 0 {
		return nil, errors.New("slack-app-manifest.yaml lists no oauth_config.scopes.bot")
	}
	return m.OAuth.Scopes.Bot, nil
}
