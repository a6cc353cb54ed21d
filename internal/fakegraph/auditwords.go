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
			start := i
			text, end, err := quotedLiteral(src, i)
			if err != nil {
				return nil, err
			}
			i = end
			words = append(words, filterWord{text: text, quoted: true, pos: start})
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
