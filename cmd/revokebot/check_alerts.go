package main

import (
	"github.com/revokebot/revokebot/authz"
	"github.com/revokebot/revokebot/bot"
	"github.com/revokebot/revokebot/revoke"
)

// checkAlerts says, when the policy has alerts, whether the Graph token may
// read each source it names, and whether outcomes can be written back to
// Defender incidents. A source it cannot read fails the check; the
// write-back is reported only: without it nothing else changes.
func checkAlerts(p authz.Policy, roles []string) (bot.CheckResult, bool) {
	if p.Alerts == nil {
		return bot.CheckResult{}, false
	}
	var can, cannot []string
	add := func(feature string) bool {
		n, _ := revoke.NeedOf(feature)
		var names []string
		for _, perm := range n.Permissions {
			names = append(names, perm.Name)
		}
		if m := missingOf(roles, names); m != "" {
			cannot = append(cannot, feature+" (needs "+m+")")
			return false
		}
		can = append(can, feature)
		return true
	}
	ok := true
	if p.Alerts.Defender != nil {
		ok = add(revoke.FeatureAlertsDefender) && ok
	}
	if p.Alerts.RiskyUsers != nil {
		ok = add(revoke.FeatureAlertsRisky) && ok
	}
	if p.Alerts.Defender != nil && !add(revoke.FeatureAlertsWriteBack) {
		cannot[len(cannot)-1] += ": each request's outcome stays in Slack and the audit log only"
	}
	r := bot.CheckResult{Name: "alert sources", OK: ok, Detail: "can: " + orNone(can) + "; cannot: " + orNone(cannot)}
	if !ok {
		r.Fix = "grant the missing application permissions with admin consent, or take the source out of the policy's alerts"
	}
	return r, true
}
