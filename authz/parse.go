package authz

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/revokebot/revokebot/revoke"
)

// A protected entry is matched against a user's UPN, mail and object ID
// (IsProtected), so anything else, a display name or a mail alias, would
// protect nobody. The address form is the one /revoke accepts.
const (
	guidPattern    = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`
	addressPattern = `[^@\s<>"(),;:\\\[\]]{1,200}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}`
)

var (
	userID         = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	groupID        = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	channelID      = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	objectID       = regexp.MustCompile(`^` + guidPattern + `$`)
	protectedEntry = regexp.MustCompile(`^(?:` + addressPattern + `|` + guidPattern + `)$`)
)

// IsObjectID reports whether a protected entry is an object ID (GUID)
// rather than a UPN or e-mail address.
func IsObjectID(entry string) bool { return objectID.MatchString(entry) }

// knownActions are the containment actions the policy's actions list may
// name: revoke.Order's, so that a new action is named here by being added
// there.
var knownActions = func() []string {
	out := make([]string, len(revoke.Order))
	for i, a := range revoke.Order {
		out[i] = string(a)
	}
	return out
}()

// ParsePolicy parses a policy file. Every error is one line naming the key at
// fault, so that a deployer can fix the file without guessing.
func ParsePolicy(data []byte) (Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Policy{}, fmt.Errorf("not valid YAML: %s", oneLine(err.Error()))
	}
	p := Policy{ConfirmTimeout: DefaultConfirmTimeout, ApprovalTimeout: DefaultApprovalTimeout, ApprovalsRequired: 1,
		Actions: []string{"sessions"}, Verify: Verify{Every: time.Minute},
		RevokeAll: RevokeAll{Writes: DefaultWrites, Per: DefaultPer, Concurrency: DefaultConcurrency}}
	if len(doc.Content) == 0 { // an empty file: every default
		p.Approvers = p.Requesters
		return p, nil
	}
	approversSet := false
	err := walkMap(doc.Content[0], "", map[string]func(n *yaml.Node, key string) error{
		"requesters": func(n *yaml.Node, key string) error { return principals(n, key, &p.Requesters) },
		"approvers": func(n *yaml.Node, key string) error {
			approversSet = true
			return principals(n, key, &p.Approvers)
		},
		"channels": func(n *yaml.Node, key string) error { return ids(n, key, channelID, "channel ID (C…)", &p.Channels) },
		"audit_channel": func(n *yaml.Node, key string) error {
			return id(n, key, channelID, "channel ID (C…)", &p.AuditChannel)
		},
		"protected": func(n *yaml.Node, key string) error {
			return ids(n, key, protectedEntry, "UPN, e-mail address or object ID (GUID)", &p.Protected)
		},
		"confirm_timeout":  func(n *yaml.Node, key string) error { return duration(n, key, &p.ConfirmTimeout, true) },
		"approval_timeout": func(n *yaml.Node, key string) error { return duration(n, key, &p.ApprovalTimeout, true) },
		"revoke_all": func(n *yaml.Node, key string) error {
			return walkMap(n, key, map[string]func(*yaml.Node, string) error{
				"include_guests":   func(n *yaml.Node, key string) error { return boolean(n, key, &p.RevokeAll.IncludeGuests) },
				"include_disabled": func(n *yaml.Node, key string) error { return boolean(n, key, &p.RevokeAll.IncludeDisabled) },
				"writes":           func(n *yaml.Node, key string) error { return count(n, key, &p.RevokeAll.Writes, 1, 1_000_000) },
				"per":              func(n *yaml.Node, key string) error { return duration(n, key, &p.RevokeAll.Per, true) },
				"concurrency":      func(n *yaml.Node, key string) error { return count(n, key, &p.RevokeAll.Concurrency, 1, 256) },
			})
		},
		"actions": func(n *yaml.Node, key string) error { return actions(n, key, &p.Actions) },
		"approvals_required": func(n *yaml.Node, key string) error {
			return count(n, key, &p.ApprovalsRequired, 1, MaxApprovals)
		},
		"alerts": func(n *yaml.Node, key string) error { return alerts(n, key, &p.Alerts) },
		"verify": func(n *yaml.Node, key string) error {
			return walkMap(n, key, map[string]func(*yaml.Node, string) error{
				"for": func(n *yaml.Node, key string) error { return duration(n, key, &p.Verify.For, false) },
				"every": func(n *yaml.Node, key string) error {
					if err := duration(n, key, &p.Verify.Every, true); err != nil {
						return err
					}
					if p.Verify.Every < MinVerifyEvery {
						return fmt.Errorf("%s: %q is too often: at least %s, line %d", key, n.Value, MinVerifyEvery, n.Line)
					}
					return nil
				},
			})
		},
	})
	if err != nil {
		return Policy{}, err
	}
	if !approversSet {
		p.Approvers = p.Requesters
	}
	if err := checkAlerts(p); err != nil {
		return Policy{}, err
	}
	if p.Requesters.Empty() {
		return Policy{}, errors.New("requesters: name at least one user or group, or nobody can use /revoke")
	}
	if p.ApprovalsRequired > 1 && len(p.Approvers.Groups) == 0 && p.ApprovalsRequired > len(p.Approvers.Users) {
		return Policy{}, fmt.Errorf("approvals_required: %d, but the policy names only %d approvers (approvers.users), so no request could ever be approved",
			p.ApprovalsRequired, len(p.Approvers.Users))
	}
	return p, nil
}

func walkMap(n *yaml.Node, prefix string, fields map[string]func(*yaml.Node, string) error) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: want a mapping of keys, line %d", orTop(prefix), n.Line)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		fn, ok := fields[k.Value]
		if !ok {
			return fmt.Errorf("%s: unknown key, line %d", key, k.Line)
		}
		if seen[k.Value] {
			return fmt.Errorf("%s: given twice, line %d", key, k.Line)
		}
		seen[k.Value] = true
		if err := fn(v, key); err != nil {
			return err
		}
	}
	return nil
}

func principals(n *yaml.Node, key string, p *Principals) error {
	return walkMap(n, key, map[string]func(*yaml.Node, string) error{
		"users": func(n *yaml.Node, key string) error {
			return ids(n, key, userID, "Slack user ID (U… or W…)", &p.Users)
		},
		"groups": func(n *yaml.Node, key string) error {
			return ids(n, key, groupID, "Slack user group ID (S…)", &p.Groups)
		},
	})
}

func strs(n *yaml.Node, key string, out *[]string) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		*out = nil
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("%s: want a list, line %d", key, n.Line)
	}
	var vals []string
	for i, item := range n.Content {
		if item.Kind != yaml.ScalarNode || item.Tag != "!!str" {
			return fmt.Errorf("%s[%d]: want a string, line %d", key, i, item.Line)
		}
		v := strings.TrimSpace(item.Value)
		if v == "" {
			return fmt.Errorf("%s[%d]: empty, line %d", key, i, item.Line)
		}
		vals = append(vals, v)
	}
	*out = vals
	return nil
}

func ids(n *yaml.Node, key string, re *regexp.Regexp, what string, out *[]string) error {
	if err := strs(n, key, out); err != nil {
		return err
	}
	for i, v := range *out {
		if !re.MatchString(v) {
			return fmt.Errorf("%s[%d]: %q is not a %s, line %d", key, i, v, what, n.Content[i].Line)
		}
	}
	return nil
}

func id(n *yaml.Node, key string, re *regexp.Regexp, what string, out *string) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return fmt.Errorf("%s: want a string, line %d", key, n.Line)
	}
	if !re.MatchString(n.Value) {
		return fmt.Errorf("%s: %q is not a %s, line %d", key, n.Value, what, n.Line)
	}
	*out = n.Value
	return nil
}

func duration(n *yaml.Node, key string, out *time.Duration, positive bool) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s: want a duration such as 10m, line %d", key, n.Line)
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%s: %q is not a duration such as 10m or 90s, line %d", key, n.Value, n.Line)
	}
	if d < 0 || (positive && d == 0) {
		return fmt.Errorf("%s: %q must be more than zero, line %d", key, n.Value, n.Line)
	}
	*out = d
	return nil
}

func count(n *yaml.Node, key string, out *int, lo, hi int) error {
	var v int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
		return fmt.Errorf("%s: want a whole number, line %d", key, n.Line)
	}
	if v < lo || v > hi {
		return fmt.Errorf("%s: %d is not between %d and %d, line %d", key, v, lo, hi, n.Line)
	}
	*out = v
	return nil
}

func boolean(n *yaml.Node, key string, out *bool) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return fmt.Errorf("%s: want true or false, line %d", key, n.Line)
	}
	return n.Decode(out)
}

func actions(n *yaml.Node, key string, out *[]string) error {
	if err := strs(n, key, out); err != nil {
		return err
	}
	for i, a := range *out {
		found := false
		for _, k := range knownActions {
			if a == k {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s[%d]: %q is not one of %s, line %d", key, i, a, strings.Join(knownActions, ", "), n.Content[i].Line)
		}
	}
	return nil
}

func orTop(prefix string) string {
	if prefix == "" {
		return "policy"
	}
	return prefix
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
