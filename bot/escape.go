package bot

import "strings"

var (
	escaper   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	unescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")
)

// Escape makes text from input or from the directory safe inside Slack mrkdwn:
// with &, < and > escaped, a display name like "<!channel>" is shown, not
// obeyed, and "<@U…>" cannot impersonate a mention.
func Escape(s string) string { return escaper.Replace(s) }

// unescape undoes Slack's escaping of a slash command's text, so that the
// value reaching the directory is what the person typed.
func unescape(s string) string { return unescaper.Replace(s) }
