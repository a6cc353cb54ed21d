package fakegraph

import "strings"

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// auditWords splits a filter into words, quoted literals (the doubled quote
// undone) and the punctuation "(", ")" and ",".
func auditWords(src string) ([]filterWord, error) {
	var words []filterWord
	for i := 0; i < len(src); {
		switch c := src[i]; {
		case c == ' ':
			i++
		case c == '(' || c == ')' || c == ',':
			words = append(words, filterWord{text: string(c), pos: i})
			i++
		case c == '\'':
			var b strings.Builder
			start := i
			for i++; ; i++ {
				if i >= len(src) {
					return nil, syntaxError("unterminated string literal at position %d in '%s'.", start, src)
				}
				if src[i] == '\'' {
					if i+1 < len(src) && src[i+1] == '\'' {
						b.WriteByte('\'')
						i++
						continue
					}
					i++
					break
				}
				b.WriteByte(src[i])
			}
			words = append(words, filterWord{text: b.String(), quoted: true, pos: start})
		default:
			start := i
			for i < len(src) && !strings.ContainsRune(" ()',", rune(src[i])) {
				i++
			}
			words = append(words, filterWord{text: src[start:i], pos: start})
		}
	}
	return words, nil
}
