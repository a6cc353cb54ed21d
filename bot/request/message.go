package request

// Message is what a person will see, built once and neutrally: the adapter
// wraps it in its platform's format (Block Kit in Slack) without deciding
// anything. Text is the notification fallback; every string is mrkdwn with
// input already escaped, except where a field says plain.
type Message struct {
	Text   string
	Blocks []Block
}

// BlockKind is the shape of one part of a message.
type BlockKind int

// The shapes a message is made of.
const (
	BlockHeader  BlockKind = iota // Text, plain
	BlockSection                  // Text, or Fields side by side
	BlockContext                  // Text, small print
	BlockActions                  // Buttons
)

// Block is one part of a message.
type Block struct {
	Kind    BlockKind
	ID      string // names context and action blocks; empty otherwise
	Text    string
	Fields  []string
	Buttons []Button
}

// Button is one button; its value is always a request ID.
type Button struct {
	ActionID, Value string
	Label           string // plain
	Style           string // "primary", "danger" or ""
	Confirm         *Confirm
}

// Confirm is the dialog a button asks through before it acts.
type Confirm struct {
	Title, OK, Back string // plain
	Text            string
	Style           string
}

// The button styles.
const (
	StylePrimary = "primary"
	StyleDanger  = "danger"
)

func header(text string) Block  { return Block{Kind: BlockHeader, Text: text} }
func section(text string) Block { return Block{Kind: BlockSection, Text: text} }
func fields(fs ...string) Block { return Block{Kind: BlockSection, Fields: fs} }
func note(id, text string) Block {
	return Block{Kind: BlockContext, ID: id, Text: text}
}
func actions(id string, bs ...Button) Block { return Block{Kind: BlockActions, ID: id, Buttons: bs} }
