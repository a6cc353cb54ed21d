package request

import (
	"fmt"
	"strings"
)

// tally collects what a listing action did to each item (a method, a
// grant, a rule) and words it: what was done, marked new when the card did
// not show it, then what was not and why.
type tally struct {
	shown  map[string]bool // the IDs the card listed; nil when its listing failed
	done   []string
	failed []string
	first  error
}

// newTally starts a tally against what the card listed; listed is false
// when the card's listing failed, so nothing can be called new.
func newTally(listed bool, shownIDs []string) *tally {
	t := &tally{}
	if listed {
		t.shown = make(map[string]bool, len(shownIDs))
		for _, id := range shownIDs {
			t.shown[id] = true
		}
	}
	return t
}

func (t *tally) ok(id, line string) {
	if t.shown != nil && !t.shown[id] {
		line += " :new: new since the card"
	}
	t.done = append(t.done, "\n• "+line)
}

func (t *tally) fail(line string, err error) {
	t.failed = append(t.failed, "\n• "+line)
	if t.first == nil {
		t.first = err
	}
}

// words says it all: doneFmt and failFmt take the count in words (e.g.
// "Removed %s:"); tail, when set, ends the words on a line of its own. Any
// failure makes a partialError carrying the words.
func (t *tally) words(noun, doneFmt, failFmt, tail string) (string, error) {
	var sb strings.Builder
	if len(t.done) > 0 {
		fmt.Fprintf(&sb, doneFmt, plural(len(t.done), noun))
		sb.WriteString(strings.Join(t.done, ""))
	}
	if len(t.failed) > 0 {
		if sb.Len() > 0 {
			sb.WriteString("\n")
		}
		fmt.Fprintf(&sb, failFmt, plural(len(t.failed), noun))
		sb.WriteString(strings.Join(t.failed, ""))
	}
	if tail != "" {
		if sb.Len() > 0 {
			sb.WriteString("\n")
		}
		sb.WriteString(tail)
	}
	if len(t.failed) > 0 {
		return sb.String(), &partialError{words: sb.String(), err: t.first}
	}
	return sb.String(), nil
}
