package request

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	escaper   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	unescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")
)

// Escape makes text revokebot itself vouches for (object IDs, Graph's error
// codes, IP addresses) safe inside Slack mrkdwn: with &, < and > escaped,
// "<!channel>" is shown, not obeyed. Text anyone else wrote goes through
// clean instead.
func Escape(s string) string { return escaper.Replace(s) }

// unescape undoes Slack's escaping of a slash command's text, so that the
// value reaching the directory is what the person typed.
func unescape(s string) string { return unescaper.Replace(s) }

// How much of a piece of outside text a message shows, in characters as
// sent to Slack, "…" not counted.
const (
	// nameMost bounds a name from the directory or a mailbox: display
	// names, rule, app and method names, job titles.
	nameMost = 80
	// upnMost bounds a user principal name or e-mail address: Entra ID
	// allows 113 characters, so one is always shown whole.
	upnMost = 120
	// echoMost bounds what a person typed when it is echoed back to them,
	// so that a pasted essay cannot push a reply past Slack's limits.
	echoMost = 80
	// reasonMost bounds a request's reason as typed.
	reasonMost = 500
	// graphMost bounds Graph's words about an error.
	graphMost = 300
)

// clean shows text that revokebot does not write (names from the directory
// or a mailbox, Graph's error messages, what a person typed) inside Slack
// mrkdwn as data: it cannot add a line, formatting, a mention, a link or an
// emoji, nor reorder the text around it.
//
//   - Control characters and line and paragraph breaks (C0, DEL, C1 with
//     NEL, U+2028, U+2029) and other spaces become one space; the ends are
//     trimmed.
//   - Invisible characters (Unicode format characters, Cf: the bidi
//     controls U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C, the
//     zero-width U+200B–U+200D, U+2060, U+FEFF, U+180E, tags; and the other
//     default-ignorable ones, such as Hangul fillers) are shown as
//     "[U+202E]" rather than removed: a rule name that hides text from
//     Outlook is itself a sign of the attacker, and the responder should
//     see it. Variation selectors stay: they only pick how the character
//     before them is drawn. Combining marks past the fourth on one
//     character are shown the same way, so that stacked marks cannot draw
//     over the lines around.
//   - &, < and > are escaped, so "<!channel>", "<@U…>" and "<http://x|y>"
//     are shown, not obeyed; a leading > (a quote) becomes ›.
//   - Slack's mrkdwn has no escape character. Breaking the markup with a
//     zero-width character is out, as those are what this shows; a code
//     span would change how every name looks, a backtick in the name would
//     end it, and Slack still parses <…> inside one. So, as jsx-slack's
//     <Escape> does, the characters that format or make an emoji code
//     become look-alikes Slack does not parse: * ∗, _ ˍ, ~ ∼, ` ˋ, : ∶.
//     *, _ and ~ between two ASCII letters or digits stay, since Slack
//     formats only at word boundaries: first_last@contoso.com is unchanged.
//   - An @ that starts a mention of many ("@here", "@channel",
//     "@everyone") becomes ＠, and a # that could start a channel name
//     ("#general") ＃; a guest's …#EXT#@… is unchanged. A dot between
//     letters or digits in a word without an @ becomes ․ (U+2024), so that
//     "evil.example" is not made a link, as the colon's look-alike does for
//     "https://"; e-mail addresses keep their dots.
//   - The result holds at most most characters (runes, as sent: an escape
//     like &amp; counts in full and is never cut), then "…".
func clean(s string, most int) string {
	rs := []rune(s) // invalid UTF-8 becomes U+FFFD
	var b strings.Builder
	n, space, marks := 0, false, 0
	for i, r := range rs {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			space = n > 0
			marks = 0
			continue
		}
		t := ""
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me):
			marks++
			if marks > 4 {
				t = fmt.Sprintf("[U+%04X]", r)
			}
		case invisible(r):
			marks = 0
			t = fmt.Sprintf("[U+%04X]", r)
		default:
			marks = 0
		}
		if t == "" {
			t = lookAlike(rs, i, n == 0)
		}
		w := utf8.RuneCountInString(t)
		if space {
			w++
		}
		if n+w > most {
			return b.String() + "…"
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(t)
		n += w
	}
	return b.String()
}

// invisible reports whether r draws nothing, or moves the text around it.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) && !unicode.Is(unicode.Variation_Selector, r)
}

// formatting holds the look-alikes of the characters Slack's mrkdwn parses.
var formatting = map[rune]string{'*': "∗", '＊': "∗", '_': "ˍ", '＿': "ˍ", '~': "∼", '`': "ˋ", '｀': "ˋ", ':': "∶"}

// lookAlike is rs[i] as clean shows it; first says nothing precedes it.
func lookAlike(rs []rune, i int, first bool) string {
	r := rs[i]
	var prev, next rune
	if i > 0 {
		prev = rs[i-1]
	}
	if i+1 < len(rs) {
		next = rs[i+1]
	}
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>', '＞':
		if first {
			return "›"
		}
		if r == '>' {
			return "&gt;"
		}
	case '*', '_', '~':
		if asciiAlnum(prev) && asciiAlnum(next) {
			break
		}
		fallthrough
	case '＊', '＿', '`', '｀', ':':
		return formatting[r]
	case '@':
		if !asciiAlnum(prev) && broadcast(rs[i+1:]) {
			return "＠"
		}
	case '#', '＃':
		if r == '＃' || !asciiAlnum(prev) {
			return "＃"
		}
	case '.':
		if letterOrDigit(prev) && letterOrDigit(next) && !wordHasAt(rs, i) {
			return "․"
		}
	}
	return string(r)
}

func asciiAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

func letterOrDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// broadcast reports whether rs, the text after an @, names one of Slack's
// mentions of many people.
func broadcast(rs []rune) bool {
	for _, w := range []string{"channel", "here", "everyone", "group"} {
		if len(rs) >= len(w) && strings.EqualFold(string(rs[:len(w)]), w) &&
			(len(rs) == len(w) || !letterOrDigit(rs[len(w)])) {
			return true
		}
	}
	return false
}

// wordHasAt reports whether the word around rs[i] holds an @: a dot there is
// an e-mail address's, and stays.
func wordHasAt(rs []rune, i int) bool {
	for j := i; j >= 0 && !unicode.IsSpace(rs[j]) && !unicode.IsControl(rs[j]); j-- {
		if rs[j] == '@' {
			return true
		}
	}
	for j := i; j < len(rs) && !unicode.IsSpace(rs[j]) && !unicode.IsControl(rs[j]); j++ {
		if rs[j] == '@' {
			return true
		}
	}
	return false
}

// cleanName is clean for a name from the directory or a mailbox.
func cleanName(s string) string { return clean(s, nameMost) }
