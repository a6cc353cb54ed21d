package request

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	t.Parallel()
	a80, e80 := strings.Repeat("a", 80), strings.Repeat("é", 80)
	for _, c := range []struct{ name, in, want string }{
		{"plain", "Alice Adams", "Alice Adams"},
		{"empty", "", ""},
		{"newline", "x\n*Carol*", "x ∗Carol∗"},
		{"crlf", "a\r\nb", "a b"},
		{"line separator", "a\u2028b", "a b"},
		{"paragraph separator", "a\u2029b", "a b"},
		{"next line", "a\u0085b", "a b"},
		{"tab and nul", "a\t\x00b", "a b"},
		{"del and C1", "a\x7f\u009bb", "a b"},
		{"ends trimmed", "\n  a  \r\n", "a"},
		{"no-break space", "a\u00a0b", "a b"},
		{"right-to-left override", "abc\u202edcba", "abc[U+202E]dcba"},
		{"isolates", "\u2066a\u2069", "[U+2066]a[U+2069]"},
		{"marks", "\u200ea\u200f\u061c", "[U+200E]a[U+200F][U+061C]"},
		{"zero width", "a\u200bb\u200cc\u200dd", "a[U+200B]b[U+200C]c[U+200D]d"},
		{"word joiner and BOM", "\u2060a\ufeff", "[U+2060]a[U+FEFF]"},
		{"mongolian vowel separator", "a\u180eb", "a[U+180E]b"},
		{"hangul filler", "\u3164", "[U+3164]"},
		{"tag", "a\U000E0041", "a[U+E0041]"},
		{"soft hyphen", "a\u00adb", "a[U+00AD]b"},
		{"variation selector stays", "\u2764\ufe0f", "\u2764\ufe0f"},
		{"accent stays", "e\u0301", "e\u0301"},
		{"stacked marks", "a" + strings.Repeat("\u0301", 6), "a" + strings.Repeat("\u0301", 4) + "[U+0301][U+0301]"},
		{"invalid UTF-8", "a\xffb", "a\ufffdb"},
		{"exactly 80", a80, a80},
		{"81", a80 + "b", a80 + "…"},
		{"81 multi-byte", e80 + "é", e80 + "…"},
		{"entity not cut", a80[:79] + "&", a80[:79] + "…"},
		{"escape not cut", a80[:75] + "\u202e", a80[:75] + "…"},
		{"no space before the cut", a80 + " b", a80 + "…"},
		{"html", "a & b <c>", "a &amp; b &lt;c&gt;"},
		{"leading quote", "> quoted", "› quoted"},
		{"leading quote after space", "\n>x", "›x"},
		{"fullwidth quote", "＞x", "›x"},
		{"bold", "*bold*", "∗bold∗"},
		{"italic", "_it_", "ˍitˍ"},
		{"strike", "~s~", "∼s∼"},
		{"code", "`c`", "ˋcˋ"},
		{"fullwidth", "＊b＊ ＿i＿ ｀c｀", "∗b∗ ˍiˍ ˋcˋ"},
		{"inside a word", "first_last a*b c~d", "first_last a*b c~d"},
		{"at a word's edge", "a_ _b a*", "aˍ ˍb a∗"},
		{"emoji code", ":white_check_mark:", "∶white_check_mark∶"},
		{"emoji code +1", ":+1::skin-tone-2:", "∶+1∶∶skin-tone-2∶"},
		{"broadcast", "<!channel> <!here|here>", "&lt;!channel&gt; &lt;!here|here&gt;"},
		{"user mention", "<@U0ADMIN>", "&lt;@U0ADMIN&gt;"},
		{"plain broadcast", "@here hi @channel! (@everyone)", "＠here hi ＠channel! (＠everyone)"},
		{"address on here.com", "alice@here.com", "alice@here.com"},
		{"not a broadcast", "@heretic", "@heretic"},
		{"channel name", "#general (#ops)", "＃general (＃ops)"},
		{"guest UPN", "mallory_evil.com#EXT#@contoso.onmicrosoft.com", "mallory_evil.com#EXT#@contoso.onmicrosoft.com"},
		{"link", "<http://x|y>", "&lt;http∶//x|y&gt;"},
		{"bare URL", "https://evil.example/a", "https∶//evil․example/a"},
		{"bare domain", "see www.evil.example.", "see www․evil․example."},
		{"sentence dots stay", "J. R. Smith, Inc.", "J. R. Smith, Inc."},
		{"e-mail address", "mail bob.b@evil.example now", "mail bob.b@evil.example now"},
		{"non-latin domain", "пример.рф", "пример․рф"},
	} {
		if got := clean(c.in, 80); got != c.want {
			t.Errorf("%s: clean(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

// FuzzClean holds clean's promises for any text: one line, nothing
// invisible, nothing Slack parses, and the length.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"x\n*Carol*\u202e\u200b<!channel>:white_check_mark:", "a_b", "> q", "@here", "é\u0301\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := clean(s, 20)
		if n := utf8.RuneCountInString(got); n > 21 {
			t.Fatalf("clean(%q) = %q: %d characters", s, got, n)
		}
		if got != strings.TrimSpace(got) || strings.Contains(got, "  ") {
			t.Fatalf("clean(%q) = %q: spaces", s, got)
		}
		if strings.HasPrefix(got, "&gt;") {
			t.Fatalf("clean(%q) = %q: a quote", s, got)
		}
		rs := []rune(got)
		for i, r := range rs {
			if r != ' ' && (unicode.IsControl(r) || unicode.IsSpace(r)) || invisible(r) || strings.ContainsRune("<>`:", r) {
				t.Fatalf("clean(%q) = %q: holds %U", s, got, r)
			}
			if strings.ContainsRune("*_~", r) && (i == 0 || i == len(rs)-1 || !asciiAlnum(rs[i-1]) || !asciiAlnum(rs[i+1])) {
				t.Fatalf("clean(%q) = %q: %q at a word's edge", s, got, r)
			}
		}
	})
}
