package main

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

// transcript prints what happens in the fake workspace as a readable chat log.
type transcript struct {
	mu    sync.Mutex
	out   io.Writer
	names map[string]string
	last  time.Time
	cards map[string]string // last rendering of each message, by ts
	// closed ends the transcript: what the demo prints after it is its
	// own, and a late message (evidence completing in the background)
	// is not interleaved with it.
	closed bool
}

func newTranscript(out io.Writer, names map[string]string) *transcript {
	return &transcript{out: out, names: names, last: time.Now(), cards: map[string]string{}}
}

var buttonWords = map[string]string{
	"revoke_confirm": "Revoke sessions", "revoke_cancel": "Cancel", "revoke_approve": "Approve",
	"revoke_deny": "Deny", "revoke_stop": "Stop",
}

func (t *transcript) event(e fakeslack.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.last = time.Now()
	at := e.At.UTC().Format("15:04:05")
	who := func(id string) string { return t.name(id) }
	switch e.Kind {
	case "command":
		t.line(at, who(e.UserID), fmt.Sprintf("/revoke %s   (in #%s)", e.Text, who(e.ChannelID)))
	case "click":
		label := e.Text
		if label == "" {
			label = buttonWords[e.ActionID]
		}
		t.line(at, who(e.UserID), fmt.Sprintf("clicks [%s]", label))
	case "ephemeral":
		t.line(at, "revokebot", "(only "+who(e.Message.User)+" sees this) "+t.render(e.Message))
	case "post", "update":
		where := "#" + who(e.Message.Channel)
		switch {
		case e.Kind == "update":
			where = "updates the card in " + where + ":"
		case e.Message.ThreadTS != "":
			where = "↳ thread in " + where + ":"
		}
		text := t.render(e.Message)
		if e.Kind == "update" {
			text = changedLines(t.cards[e.Message.TS], text)
		}
		t.cards[e.Message.TS] = t.render(e.Message)
		t.line(at, "revokebot", where+" "+text)
	}
}

// changedLines keeps the lines of an updated card that its previous
// version did not have, so an update reads as what changed.
func changedLines(before, after string) string {
	old := map[string]bool{}
	for _, l := range strings.Split(before, "\n") {
		old[l] = true
	}
	var out []string
	for _, l := range strings.Split(after, "\n") {
		if !old[l] {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// note prints a heading between the scenes of the demo.
func (t *transcript) note(s string) {
	t.wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.out, "\n── %s\n", s)
}

// close lets the messages in flight arrive, then ends the transcript.
func (t *transcript) close() {
	t.wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
}

// wait lets the messages still in flight arrive, so scenes do not interleave.
func (t *transcript) wait() {
	for {
		t.mu.Lock()
		quiet := time.Since(t.last)
		t.mu.Unlock()
		if quiet > 300*time.Millisecond {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (t *transcript) line(at, who, text string) {
	lines := strings.Split(text, "\n")
	fmt.Fprintf(t.out, "%s  %-10s %s\n", at, who, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(t.out, "%s  %-10s │ %s\n", strings.Repeat(" ", len(at)), "", l)
	}
}

func (t *transcript) name(id string) string {
	if n, ok := t.names[id]; ok {
		return n
	}
	return id
}

// render turns a message's Block Kit into lines of text, or its text when it has no blocks.
func (t *transcript) render(m fakeslack.Message) string {
	var blocks []struct {
		Type     string          `json:"type"`
		Text     *textObj        `json:"text"`
		Fields   []textObj       `json:"fields"`
		Elements json.RawMessage `json:"elements"`
	}
	if len(m.Blocks) == 0 || json.Unmarshal(m.Blocks, &blocks) != nil || len(blocks) == 0 {
		return t.mrkdwn(m.Text)
	}
	var out []string
	for _, b := range blocks {
		switch b.Type {
		case "header":
			out = append(out, "▌"+strings.ToUpper(b.Text.Text))
		case "section":
			if b.Text != nil {
				out = append(out, t.mrkdwn(b.Text.Text))
			}
			var fields []string
			for _, f := range b.Fields {
				fields = append(fields, strings.Replace(t.mrkdwn(f.Text), "\n", ": ", 1))
			}
			for i := 0; i < len(fields); i += 2 {
				out = append(out, strings.Join(fields[i:min(i+2, len(fields))], "   "))
			}
		case "context", "actions":
			var els []struct {
				Type     string    `json:"type"`
				Text     any       `json:"text"`
				ActionID string    `json:"action_id"`
				Style    string    `json:"style"`
				Confirm  *struct{} `json:"confirm"`
			}
			_ = json.Unmarshal(b.Elements, &els)
			var parts []string
			for _, e := range els {
				switch e.Type {
				case "button":
					label := buttonWords[e.ActionID]
					if m, ok := e.Text.(map[string]any); ok {
						if s, ok := m["text"].(string); ok {
							label = s
						}
					}
					parts = append(parts, "["+label+"]")
				default:
					if s, ok := e.Text.(string); ok {
						parts = append(parts, t.mrkdwn(s))
					}
				}
			}
			out = append(out, strings.Join(parts, " "))
		}
	}
	return strings.Join(out, "\n")
}

type textObj struct {
	Text string `json:"text"`
}

var (
	mentionPattern = regexp.MustCompile(`<@([A-Z0-9]+)(?:\|[^>]*)?>`)
	emoji          = strings.NewReplacer(":white_check_mark:", "✅", ":x:", "❌", ":no_entry_sign:", "🚫",
		":ballot_box_with_check:", "☑️", ":hourglass_flowing_sand:", "⏳", ":memo:", "📝",
		":heavy_multiplication_x:", "✖️", ":alarm_clock:", "⏰", ":warning:", "⚠️", ":lock:", "🔒",
		":no_entry:", "⛔", ":octagonal_sign:", "🛑", ":mag:", "🔍", ":heavy_check_mark:", "✔️",
		":grey_question:", "❔", ":eyes:", "👀", ":rotating_light:", "🚨", ":shield:", "🛡️",
		":arrows_counterclockwise:", "🔄", ":pause_button:", "⏸️", ":crown:", "👑", ":camera:", "📷", ":key:", "🔑", ":outbox_tray:", "📤",
		":information_source:", "ℹ️")
	entities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

func (t *transcript) mrkdwn(s string) string {
	s = mentionPattern.ReplaceAllStringFunc(s, func(m string) string {
		return "@" + t.name(mentionPattern.FindStringSubmatch(m)[1])
	})
	return entities.Replace(emoji.Replace(s))
}
