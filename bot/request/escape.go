package request

import (
	"strings"
	"unicode/utf8"
)

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

// clip shortens input echoed back to a person, so that a pasted essay
// cannot push a reply past Slack's size limits.
func clip(s string) string {
	const most = 80
	if utf8.RuneCountInString(s) <= most {
		return s
	}
	return string([]rune(s)[:most]) + "…"
}

// escapeClip escapes s and keeps the result within most bytes, cutting
// between characters, never inside an escape.
func escapeClip(s string, most int) string {
	var b strings.Builder
	for _, r := range s {
		e := Escape(string(r))
		if b.Len()+len(e) > most {
			return b.String() + "…"
		}
		b.WriteString(e)
	}
	return b.String()
}
