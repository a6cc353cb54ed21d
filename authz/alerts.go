package authz

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// Alerts configures the cards revokebot opens from Microsoft's own
// detections: Defender XDR incidents and Entra ID Protection's risky
// users, polled every Every by one replica at a time.
type Alerts struct {
	Channel string        // where alert cards are posted: one of the policy's channels
	Every   time.Duration // how often to look; at least MinAlertsEvery
	// Defender and RiskyUsers are the sources looked at; nil when the
	// policy names it not.
	Defender   *AlertSource
	RiskyUsers *AlertSource
	Actions    []string      // the actions an alert card proposes
	Quiet      time.Duration // no new card for a user this long after theirs was decided
}

// AlertSource is one source's threshold: the lowest severity (Defender)
// or risk level (Identity Protection) that opens a card.
type AlertSource struct {
	Min Level
}

// Level is a severity or risk level, ordered: LevelLow < LevelMedium < LevelHigh.
type Level int

// The levels, as Graph spells them in severity and riskLevel.
const (
	LevelLow Level = iota + 1
	LevelMedium
	LevelHigh
)

var levelNames = []string{"low", "medium", "high"}

func (l Level) String() string {
	if l < LevelLow || l > LevelHigh {
		return "unknown"
	}
	return levelNames[l-1]
}

// LevelOf reads a level as Graph spells it ("high"); 0 for any other
// (informational, none, hidden, unknownFutureValue).
func LevelOf(s string) Level {
	return Level(slices.Index(levelNames, s) + 1)
}

// Alert defaults and bounds.
const (
	// MinAlertsEvery is the shortest alerts.every: Identity Protection
	// allows one request a second per tenant for every app together, and
	// a look reads each source at least once.
	MinAlertsEvery     = 30 * time.Second
	DefaultAlertsEvery = time.Minute
	DefaultAlertsQuiet = 24 * time.Hour
)

// alerts parses the policy's alerts section into *out.
func alerts(n *yaml.Node, key string, out **Alerts) error {
	a := &Alerts{Every: DefaultAlertsEvery, Quiet: DefaultAlertsQuiet, Actions: []string{"sessions"}}
	source := func(s **AlertSource, field string) func(*yaml.Node, string) error {
		return func(n *yaml.Node, key string) error {
			src := &AlertSource{Min: LevelHigh}
			*s = src
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return nil
			}
			return walkMap(n, key, map[string]func(*yaml.Node, string) error{
				field: func(n *yaml.Node, key string) error { return level(n, key, &src.Min) },
			})
		}
	}
	err := walkMap(n, key, map[string]func(*yaml.Node, string) error{
		"channel": func(n *yaml.Node, key string) error { return id(n, key, channelID, "channel ID (C…)", &a.Channel) },
		"every": func(n *yaml.Node, key string) error {
			if err := duration(n, key, &a.Every, true); err != nil {
				return err
			}
			if a.Every < MinAlertsEvery {
				return fmt.Errorf("%s: %q is too often: at least %s (Identity Protection allows one request a second per tenant, for every app together), line %d",
					key, n.Value, MinAlertsEvery, n.Line)
			}
			return nil
		},
		"defender":    source(&a.Defender, "min_severity"),
		"risky_users": source(&a.RiskyUsers, "min_level"),
		"actions":     func(n *yaml.Node, key string) error { return actions(n, key, &a.Actions) },
		"quiet":       func(n *yaml.Node, key string) error { return duration(n, key, &a.Quiet, false) },
	})
	if err != nil {
		return err
	}
	switch {
	case a.Channel == "":
		return fmt.Errorf("%s.channel: name the channel where alert cards are posted, line %d", key, n.Line)
	case a.Defender == nil && a.RiskyUsers == nil:
		return fmt.Errorf("%s: name at least one source (defender, risky_users), line %d", key, n.Line)
	}
	*out = a
	return nil
}

// checkAlerts holds the alerts section against the rest of the policy.
func checkAlerts(p Policy) error {
	if p.Alerts == nil {
		return nil
	}
	if len(p.Channels) > 0 && !slices.Contains(p.Channels, p.Alerts.Channel) {
		return fmt.Errorf("alerts.channel: %s is not one of the policy's channels, where /revoke is accepted: an alert card is a request, and belongs in an incident channel", p.Alerts.Channel)
	}
	if p.Alerts.Channel == p.AuditChannel {
		return errors.New("alerts.channel: it is the audit channel; alert cards belong in an incident channel")
	}
	return nil
}

func level(n *yaml.Node, key string, out *Level) error {
	if n.Kind != yaml.ScalarNode || LevelOf(n.Value) == 0 {
		return fmt.Errorf("%s: %q is not one of low, medium, high, line %d", key, n.Value, n.Line)
	}
	*out = LevelOf(n.Value)
	return nil
}
