package fakeslack

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Button is a clickable button found in a message's blocks.
type Button struct {
	ActionID, Value, Text, Style string
	HasConfirm                   bool
}

// Block Kit limits Slack enforces with invalid_blocks; enforcing them here
// makes the fake fail where Slack would instead of hiding the bug.
const (
	maxBlocks         = 50
	maxTextObject     = 3000
	maxButtonText     = 75
	maxButtonValue    = 2000
	maxActionID       = 255
	maxBlockID        = 255
	maxElementsPerRow = 25
)

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type element struct {
	Type     string          `json:"type"`
	ActionID string          `json:"action_id"`
	Value    string          `json:"value"`
	Style    string          `json:"style"`
	Text     json.RawMessage `json:"text"`
	Confirm  json.RawMessage `json:"confirm"`
}

type block struct {
	Type      string          `json:"type"`
	BlockID   string          `json:"block_id"`
	Text      json.RawMessage `json:"text"`
	Fields    []textObject    `json:"fields"`
	Elements  json.RawMessage `json:"elements"`
	Accessory json.RawMessage `json:"accessory"`
}

// button is a button with the block that holds it, as an action payload needs.
type button struct {
	blockID string
	el      element
}

func parseBlocks(raw json.RawMessage) ([]block, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var bs []block
	if err := json.Unmarshal(raw, &bs); err != nil {
		return nil, err
	}
	return bs, nil
}

// buttons lists the buttons of actions blocks and section accessories; both
// are clickable in a real client. A block without block_id gets the id Slack
// would have generated, derived from its position so it is stable.
func buttons(raw json.RawMessage) []button {
	bs, err := parseBlocks(raw)
	if err != nil {
		return nil
	}
	var out []button
	for i, b := range bs {
		id := b.BlockID
		if id == "" {
			id = fmt.Sprintf("fake-block-%d", i)
		}
		if b.Type == "actions" {
			var els []element
			if json.Unmarshal(b.Elements, &els) == nil {
				for _, el := range els {
					if el.Type == "button" {
						out = append(out, button{id, el})
					}
				}
			}
		}
		var acc element
		if len(b.Accessory) > 0 && json.Unmarshal(b.Accessory, &acc) == nil && acc.Type == "button" {
			out = append(out, button{id, acc})
		}
	}
	return out
}

// Buttons returns the buttons shown in m's current blocks.
func (s *Server) Buttons(m Message) []Button {
	var out []Button
	for _, b := range buttons(m.Blocks) {
		out = append(out, Button{
			ActionID:   b.el.ActionID,
			Value:      b.el.Value,
			Text:       textOf(b.el.Text),
			Style:      b.el.Style,
			HasConfirm: len(b.el.Confirm) > 0 && string(b.el.Confirm) != "null",
		})
	}
	return out
}

func findButton(raw json.RawMessage, actionID, value string) (button, bool) {
	for _, b := range buttons(raw) {
		if b.el.ActionID == actionID && b.el.Value == value {
			return b, true
		}
	}
	return button{}, false
}

func textOf(raw json.RawMessage) string {
	var t textObject
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil {
		return ""
	}
	return t.Text
}

// validateBlocks applies the subset of Block Kit validation that catches
// real bot bugs. It returns Slack's error code and a detail message.
func validateBlocks(raw json.RawMessage) (code, detail string) {
	if len(raw) == 0 {
		return "", ""
	}
	bs, err := parseBlocks(raw)
	if err != nil {
		return "invalid_blocks_format", "blocks is not a JSON array of objects: " + err.Error()
	}
	if len(bs) > maxBlocks {
		return "invalid_blocks", fmt.Sprintf("%d blocks, at most %d allowed", len(bs), maxBlocks)
	}
	seenBlock := map[string]bool{}
	for i, b := range bs {
		if b.Type == "" {
			return "invalid_blocks", fmt.Sprintf("block %d has no type", i)
		}
		if b.BlockID != "" {
			if seenBlock[b.BlockID] {
				return "invalid_blocks", fmt.Sprintf("duplicate block_id %q", b.BlockID)
			}
			seenBlock[b.BlockID] = true
			if len(b.BlockID) > maxBlockID {
				return "invalid_blocks", fmt.Sprintf("block %d: block_id longer than %d", i, maxBlockID)
			}
		}
		if n := utf8.RuneCountInString(textOf(b.Text)); n > maxTextObject {
			return "invalid_blocks", fmt.Sprintf("block %d: text is %d chars, at most %d", i, n, maxTextObject)
		}
		for _, f := range b.Fields {
			if n := utf8.RuneCountInString(f.Text); n > 2000 {
				return "invalid_blocks", fmt.Sprintf("block %d: field is %d chars, at most 2000", i, n)
			}
		}
		if msg := validateElements(b); msg != "" {
			return "invalid_blocks", fmt.Sprintf("block %d: %s", i, msg)
		}
	}
	return "", ""
}

func validateElements(b block) string {
	var els []element
	if b.Type == "actions" {
		if err := json.Unmarshal(b.Elements, &els); err != nil {
			return "actions block needs an elements array"
		}
		if len(els) == 0 || len(els) > maxElementsPerRow {
			return fmt.Sprintf("actions block has %d elements, want 1..%d", len(els), maxElementsPerRow)
		}
	}
	var acc element
	if len(b.Accessory) > 0 && json.Unmarshal(b.Accessory, &acc) == nil {
		els = append(els, acc)
	}
	seen := map[string]bool{}
	for _, el := range els {
		if el.ActionID != "" {
			if seen[el.ActionID] {
				return fmt.Sprintf("duplicate action_id %q", el.ActionID)
			}
			seen[el.ActionID] = true
		}
		if len(el.ActionID) > maxActionID {
			return fmt.Sprintf("action_id longer than %d", maxActionID)
		}
		if el.Type != "button" {
			continue
		}
		if textOf(el.Text) == "" {
			return "button without text"
		}
		if n := utf8.RuneCountInString(textOf(el.Text)); n > maxButtonText {
			return fmt.Sprintf("button text is %d chars, at most %d", n, maxButtonText)
		}
		if n := utf8.RuneCountInString(el.Value); n > maxButtonValue {
			return fmt.Sprintf("button value is %d chars, at most %d", n, maxButtonValue)
		}
		if el.Style != "" && el.Style != "primary" && el.Style != "danger" {
			return fmt.Sprintf("button style %q", el.Style)
		}
	}
	return ""
}
