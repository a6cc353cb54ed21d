package request

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/revokebot/revokebot/revoke"
)

// CommandKind is what a /revoke text asks for.
type CommandKind int

// The forms of /revoke.
const (
	CmdHelp    CommandKind = iota // help or empty
	CmdInvalid                    // a mistake, explained in Command.Error
	CmdRevoke                     // /revoke <target>…
	CmdAll                        // /revoke all
	CmdStatus                     // /revoke status <request-id>
	CmdHistory                    // /revoke history <target>
	CmdRelease                    // /revoke release <target>…
)

// TargetKind says how a target was written.
type TargetKind int

// The ways to name a user.
const (
	TargetAddress   TargetKind = iota // UPN or e-mail address
	TargetObjectID                    // Entra object ID
	TargetAlias                       // mail alias (mailNickname)
	TargetSlackUser                   // <@U…>: the Slack profile's e-mail is resolved
)

// Target is one user named on the command line.
type Target struct {
	Kind  TargetKind
	Value string // address, GUID (lower case), alias, or Slack user ID
}

// String writes the target as the caller typed it, for replies.
func (t Target) String() string {
	if t.Kind == TargetSlackUser {
		return "<@" + t.Value + ">"
	}
	return t.Value
}

// Command is the parsed text of a /revoke. Parse never fails: a mistake is a
// Command of kind CmdInvalid whose Error says what to fix.
type Command struct {
	Kind    CommandKind
	Targets []Target
	// Actions are those the command names with a flag, in the order they
	// run and without repeats; sessions is never named, it always runs.
	Actions   []revoke.Action
	Reason    string
	RequestID string
	Error     string
}

// actionFlags are the actions a flag may name: every one but sessions.
func actionFlags() []revoke.Action {
	return slices.DeleteFunc(slices.Clone(revoke.Order), func(a revoke.Action) bool { return a == revoke.ActionSessions })
}

// optionsHelp lists the options for a reply to a mistyped one.
func optionsHelp() string {
	var b strings.Builder
	for _, a := range actionFlags() {
		b.WriteString("`--" + string(a) + "`, ")
	}
	return b.String() + "`--reason \"text\"`"
}

// MaxTargets is how many users one request may name.
const MaxTargets = 20

const maxReason = 500

var (
	guidRe    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	addressRe = regexp.MustCompile(`^[^@\s<>"(),;:\\\[\]]{1,200}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$`)
	aliasRe   = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
	slackIDRe = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	reqIDRe   = regexp.MustCompile(`^rb-[a-z2-7]{4,32}$`)
	mentionRe = regexp.MustCompile(`^<@([A-Z0-9]+)(?:\|[^>]*)?>$`)
	mailtoRe  = regexp.MustCompile(`^<mailto:([^|>]+)(?:\|[^>]*)?>$`)
)

// Parse reads the text after /revoke. Keywords are case-insensitive and extra
// spaces are ignored.
func Parse(text string) Command {
	words, err := split(text)
	if err != "" {
		return invalid(err)
	}
	if len(words) == 0 {
		return Command{Kind: CmdHelp}
	}
	switch strings.ToLower(words[0]) {
	case "help":
		if len(words) > 1 {
			return invalid("`help` takes nothing after it.")
		}
		return Command{Kind: CmdHelp}
	case "all":
		if len(words) > 1 {
			return invalid("`all` stands alone: `/revoke all` revokes every user, after a second person approves.")
		}
		return Command{Kind: CmdAll}
	case "status":
		if len(words) != 2 || !reqIDRe.MatchString(strings.ToLower(words[1])) {
			return invalid("Usage: `/revoke status &lt;request-id&gt;`, with the ID shown on the request's card (rb-…).")
		}
		return Command{Kind: CmdStatus, RequestID: strings.ToLower(words[1])}
	case "history":
		if len(words) != 2 {
			return invalid("Usage: `/revoke history &lt;user&gt;`.")
		}
		t, msg := target(words[1])
		if msg != "" {
			return invalid(msg)
		}
		return Command{Kind: CmdHistory, Targets: []Target{t}}
	case "release":
		c := parseRevoke(words[1:])
		switch {
		case c.Kind == CmdInvalid && len(words) == 1:
			return invalid("Name a user to let back in: `/revoke release alice@contoso.com`.")
		case c.Kind == CmdInvalid:
			return c
		case len(c.Actions) > 0:
			return invalid("`release` takes no action options: it lets sign-in again and dismisses the user's risk. Only `--reason \"text\"` goes with it.")
		}
		c.Kind = CmdRelease
		return c
	}
	return parseRevoke(words)
}

func parseRevoke(words []string) Command {
	c := Command{Kind: CmdRevoke}
	seen := map[Target]bool{}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if strings.HasPrefix(w, "--") || strings.HasPrefix(w, "—") {
			name := strings.ToLower(strings.TrimLeft(w, "-—"))
			if a := revoke.Action(name); slices.Contains(actionFlags(), a) {
				if !slices.Contains(c.Actions, a) {
					c.Actions = append(c.Actions, a)
				}
				continue
			}
			switch name {
			case "reason":
				if i+1 >= len(words) {
					return invalid("`--reason` needs a text after it, e.g. `--reason \"phishing INC-123\"`.")
				}
				i++
				c.Reason = words[i]
				if len(c.Reason) > maxReason {
					return invalid(fmt.Sprintf("The reason is too long: %d characters, at most %d.", len(c.Reason), maxReason))
				}
			default:
				return invalid(fmt.Sprintf("`%s` is not an option. Options: %s.", clean(w, echoMost), optionsHelp()))
			}
			continue
		}
		t, msg := target(w)
		if msg != "" {
			return invalid(msg)
		}
		if !seen[t] {
			seen[t] = true
			c.Targets = append(c.Targets, t)
		}
	}
	if len(c.Targets) == 0 {
		return invalid("Name a user to revoke: `/revoke alice@contoso.com`.")
	}
	if len(c.Targets) > MaxTargets {
		return invalid(fmt.Sprintf("At most %d users in one request; this names %d.", MaxTargets, len(c.Targets)))
	}
	named := c.Actions
	c.Actions = nil
	for _, a := range revoke.Order {
		if slices.Contains(named, a) {
			c.Actions = append(c.Actions, a)
		}
	}
	return c
}

// target recognises one user reference. Anything in angle brackets other than
// a user mention or a mail link is refused: <!channel>, <#C…> and links are
// not people.
func target(w string) (Target, string) {
	if m := mentionRe.FindStringSubmatch(w); m != nil {
		if !slackIDRe.MatchString(m[1]) {
			return Target{}, fmt.Sprintf("`%s` is not a user mention.", clean(w, echoMost))
		}
		return Target{Kind: TargetSlackUser, Value: m[1]}, ""
	}
	if m := mailtoRe.FindStringSubmatch(w); m != nil {
		w = m[1]
	} else if strings.HasPrefix(w, "<") {
		return Target{}, fmt.Sprintf("`%s` is not a user: name one by e-mail address, user principal name, object ID, mail alias or @mention.", clean(w, echoMost))
	}
	w = unescape(w)
	switch {
	case guidRe.MatchString(w):
		return Target{Kind: TargetObjectID, Value: strings.ToLower(w)}, ""
	case strings.Contains(w, "@"):
		if !addressRe.MatchString(w) {
			return Target{}, fmt.Sprintf("`%s` is not a valid user principal name or e-mail address.", clean(w, echoMost))
		}
		return Target{Kind: TargetAddress, Value: w}, ""
	case aliasRe.MatchString(w):
		return Target{Kind: TargetAlias, Value: w}, ""
	}
	return Target{}, fmt.Sprintf("`%s` is not a user: name one by e-mail address, user principal name, object ID, mail alias or @mention.", clean(w, echoMost))
}

// split breaks text into words; double quotes (straight or curly, as Slack
// clients type them) group words, as in --reason "phishing wave".
func split(text string) ([]string, string) {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range text {
		switch {
		case r == '"' || r == '“' || r == '”':
			quoted = !quoted
			inWord = true
		case !quoted && unicode.IsSpace(r):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case unicode.IsControl(r):
			return nil, "The command contains control characters."
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		return nil, "A quote is not closed."
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, ""
}

func invalid(msg string) Command { return Command{Kind: CmdInvalid, Error: msg} }
