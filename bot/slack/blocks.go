package slack

import (
	goslack "github.com/slack-go/slack"

	"github.com/revokebot/revokebot/bot/request"
)

// Blocks wraps a neutral message in Block Kit. It is pure and decides
// nothing: every word was chosen by the workflow.
func Blocks(m request.Message) []goslack.Block {
	out := make([]goslack.Block, 0, len(m.Blocks))
	for _, b := range m.Blocks {
		switch b.Kind {
		case request.BlockHeader:
			out = append(out, goslack.NewHeaderBlock(plain(b.Text)))
		case request.BlockSection:
			if len(b.Fields) > 0 {
				fs := make([]*goslack.TextBlockObject, len(b.Fields))
				for i, f := range b.Fields {
					fs[i] = md(f)
				}
				out = append(out, goslack.NewSectionBlock(nil, fs, nil))
				continue
			}
			out = append(out, goslack.NewSectionBlock(md(b.Text), nil, nil))
		case request.BlockContext:
			out = append(out, goslack.NewContextBlock(b.ID, md(b.Text)))
		case request.BlockActions:
			els := make([]goslack.BlockElement, len(b.Buttons))
			for i, btn := range b.Buttons {
				els[i] = button(btn)
			}
			out = append(out, goslack.NewActionBlock(b.ID, els...))
		}
	}
	return out
}

func button(b request.Button) *goslack.ButtonBlockElement {
	e := goslack.NewButtonBlockElement(b.ActionID, b.Value, plain(b.Label))
	if b.Style != "" {
		e = e.WithStyle(goslack.Style(b.Style))
	}
	if c := b.Confirm; c != nil {
		d := goslack.NewConfirmationBlockObject(plain(c.Title), md(c.Text), plain(c.OK), plain(c.Back))
		if c.Style != "" {
			d = d.WithStyle(goslack.Style(c.Style))
		}
		e = e.WithConfirm(d)
	}
	return e
}

func plain(s string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.PlainTextType, s, false, false)
}

func md(s string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.MarkdownType, s, false, false)
}
