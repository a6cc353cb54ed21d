package request

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/revokebot/revokebot/store"
)

// preview is what a /revoke all card promises, counted when it was asked for.
type preview struct {
	Eligible int            `json:"eligible"`
	Skipped  map[string]int `json:"skipped"`
	Writes   int            `json:"writes"`
	Per      time.Duration  `json:"per"`
	Estimate time.Duration  `json:"estimate"`
	// Counted says how the numbers were made (countedBy…); empty: they are
	// not known yet, and the job counts as it lists.
	Counted string `json:"counted,omitempty"`
	// Privileged is how many holders of directory roles go first, and
	// ProtectedHolders how many protected accounts hold a role (they stay
	// excluded); PrivilegedKnown is false when they could not be listed.
	Privileged       int  `json:"privileged,omitempty"`
	ProtectedHolders int  `json:"protectedHolders,omitempty"`
	PrivilegedKnown  bool `json:"privilegedKnown,omitempty"`
}

// countsLine sums a preview up in a sentence.
func (p *preview) countsLine() string {
	if p.Counted == countedNot {
		return "not counted in time (a large tenant or a slow Graph); the job counts as it lists"
	}
	return fmt.Sprintf("%s eligible, %s skipped (%s)", count(p.Eligible), count(skippedTotal(p.Skipped)), skippedLine(p.Skipped))
}

// skipWords are the reasons an account is left out, as people read them.
var skipWords = map[string][2]string{
	"guest": {"guest", "guests"}, "disabled": {"disabled account", "disabled accounts"},
	"protected": {"protected account", "protected accounts"},
}

// renderAllCard draws the root message of a /revoke all request. It is pure.
func renderAllCard(c card) (string, []Block) {
	p := c.All
	fallback := fmt.Sprintf("Revoke the sign-in sessions of all %s eligible users? Request %s by <@%s> needs an approver.",
		orUnknown(p, count(p.Eligible)), c.RequestID, c.Requester)
	blocks := []Block{
		header(("Revoke every user's sign-in sessions")),
		section((fmt.Sprintf("<@%s> asks to revoke the sign-in sessions of *every eligible user in the tenant*.", c.Requester))),
		fields(
			"*Will be revoked*\n"+count(p.Eligible)+" users",
			"*Skipped*\n"+skippedLine(p.Skipped),
			"*Estimated duration*\n"+duration(p.Estimate),
			fmt.Sprintf("*Pace*\nup to %s writes per %s (Graph's throttling ceiling)", count(p.Writes), duration(p.Per)),
			"*Privileged first*\n"+privilegedLine(p),
		),
		allApprovalNote(c, p),
	}
	if c.State == store.StatePending {
		blocks = append(blocks, actions("decision", buttons(c)...))
		blocks = append(blocks, note("footer", (fmt.Sprintf("Request `%s` · expires %s", c.RequestID, clock(c.ExpiresAt)))))
	} else {
		blocks = append(blocks, section((allOutcome(c))))
		blocks = append(blocks, note("footer", (fmt.Sprintf("Request `%s`", c.RequestID))))
	}
	return fallback, blocks
}

// allApprovalNote is the /revoke all card's line on approval and counts.
func allApprovalNote(c card, p *preview) Block {
	b := approvalNote(c, ":lock: Two-person rule: ")
	if c.Need > 1 {
		b = approvalNote(c, ":lock: ")
	}
	b.Text += " " + countedWords(p)
	return b
}

// privilegedLine says which accounts go first.
func privilegedLine(p *preview) string {
	if !p.PrivilegedKnown {
		return "role holders are looked up when the job starts"
	}
	line := plural(p.Privileged, "account") + " holding directory roles, before everyone else"
	if p.ProtectedHolders > 0 {
		line += fmt.Sprintf("; %s holding roles stay excluded", plural(p.ProtectedHolders, "protected account"))
	}
	return line
}

func orUnknown(p *preview, s string) string {
	if p.Counted == countedNot {
		return "–"
	}
	return s
}

// countedWords says how far the card's numbers can be trusted.
func countedWords(p *preview) string {
	switch p.Counted {
	case countedByDirectory:
		return "Counted with Graph's directory count, which can lag recent changes; users are counted again as the job lists them."
	case countedByListing:
		return "Users are counted again when the job starts."
	}
	return "The tenant could not be counted in time; the job counts users as it lists them, and its progress shows the numbers."
}

func allOutcome(c card) string {
	switch c.State {
	case store.StateRunning:
		return ":hourglass_flowing_sand: Approved" + byline(c.DecidedBy) + ". Revoking; progress is in the thread."
	case store.StateStopped:
		return ":octagonal_sign: " + c.Detail
	case store.StateSucceeded:
		return ":white_check_mark: " + c.Detail
	case store.StateFailed:
		return ":warning: " + c.Detail
	}
	return outcome(c)
}

// progress is what the job's progress message shows.
type progress struct {
	RequestID string
	Counts    store.Counts
	Listed    bool
	Rate      float64 // revocations per second
	Elapsed   time.Duration
	Running   bool // still going: the stop button is shown
	Final     string
	// Privileged accounts go first: how many, and how many are left.
	Privileged, PrivilegedLeft int
}

// renderProgress draws the one progress message of a /revoke all job. It is pure.
func renderProgress(p progress) (string, []Block) {
	c := p.Counts
	done := c.Revoked + c.Failed
	total := done + c.Pending
	remaining := count(c.Pending)
	if !p.Listed {
		remaining = "≥ " + remaining + " (still listing the tenant)"
	}
	left := "–"
	if p.Listed && p.Rate > 0 {
		left = duration(time.Duration(float64(c.Pending) / p.Rate * float64(time.Second)))
		if c.Pending > 0 && left != "under a second" {
			left = "about " + left
		}
	}
	text := fmt.Sprintf("`%s` %s\n*Done* %s · *Failed* %s · *Skipped* %s · *Remaining* %s\n*Rate* %.1f/s · *Time left* %s · *Running for* %s",
		bar(done, total, 20), percent(done, total), count(c.Revoked), count(c.Failed), count(skippedTotal(c.Skipped)),
		remaining, p.Rate, left, duration(p.Elapsed))
	if p.PrivilegedLeft > 0 {
		text = fmt.Sprintf(":crown: *Privileged accounts first:* %s of %s revoked\n", count(p.Privileged-p.PrivilegedLeft), count(p.Privileged)) + text
	}
	blocks := []Block{section((text))}
	if p.Final != "" {
		blocks = append(blocks, note("final", (p.Final)))
	}
	if p.Running {
		stop := Button{ActionID: ActionStop, Value: p.RequestID, Label: "Stop", Style: StyleDanger,
			Confirm: &Confirm{Title: "Stop revoking?",
				Text: "Revocations in flight finish; no new ones start. Users not yet revoked stay as they are.",
				OK:   "Stop", Back: "Go back", Style: StyleDanger}}
		blocks = append(blocks, actions("progress", stop))
	}
	return fmt.Sprintf("Revoking every user: %s revoked, %s failed, %s remaining.", count(c.Revoked), count(c.Failed), count(c.Pending)), blocks
}

// summary is the end of a /revoke all job in words.
type summary struct {
	Counts   store.Counts
	Elapsed  time.Duration
	StopBy   string
	StopAt   time.Time
	Failed   []store.BulkUser // the first few failures
	Attached string           // the name of the attached list, if any
	Listed   bool             // the whole tenant had been listed
	// Privileged is how many first places of the job are privileged
	// accounts: their failures come first and are marked.
	Privileged int
}

// renderSummary writes the thread reply that ends a job. It is pure.
func renderSummary(s summary) string {
	c := s.Counts
	var b strings.Builder
	if s.StopBy != "" {
		fmt.Fprintf(&b, "Stopped by <@%s> at %s after %s: %s users revoked, %s failed; %s not revoked (never tried), %s skipped (%s).",
			s.StopBy, clock(s.StopAt), duration(s.Elapsed), count(c.Revoked), count(c.Failed), count(c.Pending),
			count(skippedTotal(c.Skipped)), skippedLine(c.Skipped))
		if s.Listed {
			b.WriteString(" Every user was listed, so that is the whole tenant.")
		} else {
			b.WriteString(" The tenant was not fully listed: users not listed yet were not revoked either.")
		}
	} else {
		fmt.Fprintf(&b, "Finished in %s: %s users revoked, %s failed, %s skipped (%s).",
			duration(s.Elapsed), count(c.Revoked), count(c.Failed), count(skippedTotal(c.Skipped)), skippedLine(c.Skipped))
	}
	if len(s.Failed) > 0 {
		b.WriteString("\n*Failed:*")
		for _, u := range s.Failed {
			mark := ""
			if u.Seq <= int64(s.Privileged) {
				mark = " :crown: *privileged*"
			}
			fmt.Fprintf(&b, "\n• %s (`%s`)%s — %s", clean(u.UPN, upnMost), Escape(u.ID), mark, clean(u.Detail, graphMost))
		}
		if more := c.Failed - len(s.Failed); more > 0 {
			fmt.Fprintf(&b, "\n…and %s more.", count(more))
		}
	}
	if s.Attached != "" {
		fmt.Fprintf(&b, "\nThe full list is attached: `%s`.", Escape(s.Attached))
	}
	return b.String()
}

func skippedLine(m map[string]int) string {
	if skippedTotal(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		w, ok := skipWords[k]
		if !ok {
			w = [2]string{cleanName(k), cleanName(k)}
		}
		word := w[1]
		if m[k] == 1 {
			word = w[0]
		}
		parts = append(parts, count(m[k])+" "+word)
	}
	return strings.Join(parts, ", ")
}

func skippedTotal(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// bar is a text progress bar that reads the same on every Slack client.
func bar(done, total, width int) string {
	filled := 0
	if total > 0 {
		filled = done * width / total
	}
	return strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
}

func percent(done, total int) string {
	if total == 0 {
		return "0%"
	}
	return fmt.Sprintf("%d%%", done*100/total)
}

// count writes n with thousands separators: 100,000 reads at a glance.
func count(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// duration rounds for people: "1 h 23 min", "4 min 10 s", "12 s".
func duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return "under a second"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(math.Round(d.Seconds())))
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}
