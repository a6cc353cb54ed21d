package request

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// seenBefore words, for an alarm of the watch, whether ip signed in as the
// user in the day before the click, by the evidence snapshot's sign-ins:
// a sign-in from an address the account never used is the attacker's
// more likely than the owner's. The snapshot is believed only where it
// matches a seal revokebot signed; "" when there is none to hold it to.
func (b *env) seenBefore(ctx context.Context, requestID, userID, ip string) string {
	if ip == "" {
		return ""
	}
	t, err := b.store.Task(ctx, SnapshotID(requestID))
	if err != nil {
		return ""
	}
	seals, err := b.seals(ctx, requestID)
	var s snapshot
	if err != nil || !slices.Contains(seals, digestOf(t.State)) || json.Unmarshal(t.State, &s) != nil {
		return ""
	}
	for _, u := range s.Users {
		if u.ID != userID {
			continue
		}
		switch {
		case s.Logs == logsPending:
			return fmt.Sprintf(" Their sign-ins of the day before the click are still being read into the evidence snapshot (`revokebot audit snapshot %s`).", Escape(requestID))
		case u.NotRead["sign_ins_24h"] != "" || s.Logs != logsRead:
			return ""
		}
		n := 0
		for _, in := range u.SignIns {
			if in.IP == ip && in.Success {
				n++
			}
		}
		switch {
		case n == 0 && u.Left["sign_ins_24h"] > 0:
			// The snapshot keeps the newest sign-ins only: the address may
			// be among those it left out.
			return ""
		case n == 0:
			return " :rotating_light: A *new* IP: none of their successful sign-ins in the 24 hours before the click came from it (evidence snapshot)."
		}
		return fmt.Sprintf(" This IP is not new: %s in the 24 hours before the click came from it (evidence snapshot).", plural(n, "successful sign-in"))
	}
	return ""
}
