package revoke

import (
	"strings"
	"time"
)

// Incident is a Defender XDR incident (GET /security/incidents) with its
// alerts: what an alert card is opened from.
type Incident struct {
	ID       string
	Title    string // displayName
	Severity string // low, medium, high, informational
	Status   string // active, inProgress, resolved, redirected
	WebURL   string // incidentWebUrl, in the Defender portal
	Created  time.Time
	Updated  time.Time // lastUpdateDateTime
	Alerts   []IncidentAlert
}

// IncidentAlert is one alert of an incident.
type IncidentAlert struct {
	ID, Title, Severity string
	Created             time.Time
	Users               []EvidenceUser // the alert's userEvidence
}

// EvidenceUser is a user an alert names as evidence; either field may be
// empty (an on-premises account has neither, only an account name).
type EvidenceUser struct {
	UPN      string // userAccount.userPrincipalName
	ObjectID string // userAccount.azureAdUserId
	Account  string // userAccount.accountName, for words only
}

// Disruption reports whether Defender's automatic attack disruption acted
// on the incident: it appends "(attack disruption)" to their titles, and
// has disabled the users it names.
func (i Incident) Disruption() bool {
	return strings.HasSuffix(strings.ToLower(strings.TrimSpace(i.Title)), "(attack disruption)")
}

// RiskyUser is a user Entra ID Protection holds at risk (GET
// /identityProtection/riskyUsers).
type RiskyUser struct {
	ID, UPN, DisplayName string
	Level                string // low, medium, high, hidden, none
	State                string // atRisk, confirmedCompromised, remediated, dismissed, confirmedSafe, none
	Detail               string // riskDetail
	Updated              time.Time
}
