// Package deploy holds what deployers use to set revokebot up. The Go side
// embeds the Slack app manifest so that code which must agree with it reads
// it rather than a copy.
package deploy

import _ "embed"

// SlackAppManifest is slack-app-manifest.yaml, the manifest the Slack app is
// created from. It is embedded, not read at run time, because `revokebot
// demo` runs the fake Slack from a binary that has no source tree beside it
// (the container image, or any -trimpath build).
//
//go:embed slack-app-manifest.yaml
var SlackAppManifest string
