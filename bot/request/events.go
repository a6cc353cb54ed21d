package request

// Event names one kind of audit record; the SPEC's Audit section lists them.
type Event string

// The audit events.
const (
	EvRequested  Event = "requested"
	EvRefused    Event = "refused"
	EvConfirmed  Event = "confirmed"
	EvApproved   Event = "approved"
	EvDenied     Event = "denied"
	EvCancelled  Event = "cancelled"
	EvExpired    Event = "expired"
	EvStarted    Event = "started"
	EvSucceeded  Event = "succeeded"
	EvFailed     Event = "failed"
	EvStopping   Event = "stopping"
	EvStopped    Event = "stopped"
	EvResumed    Event = "resumed"
	EvWatching   Event = "watching"
	EvAlarm      Event = "alarm"
	EvVerified   Event = "verified"
	EvUnverified Event = "unverified"
)

// icon is how an event starts its line in Slack.
func (e Event) icon() string {
	return eventIcons[e]
}

var eventIcons = map[Event]string{
	EvRequested: ":memo:", EvRefused: ":no_entry_sign:", EvConfirmed: ":ballot_box_with_check:",
	EvApproved: ":ballot_box_with_check:", EvDenied: ":no_entry:", EvCancelled: ":heavy_multiplication_x:",
	EvExpired: ":alarm_clock:", EvStarted: ":hourglass_flowing_sand:", EvSucceeded: ":white_check_mark:",
	EvFailed: ":x:", EvStopped: ":octagonal_sign:", EvStopping: ":octagonal_sign:", EvResumed: ":arrows_counterclockwise:",
	EvWatching: ":eyes:", EvAlarm: ":rotating_light:", EvVerified: ":shield:", EvUnverified: ":grey_question:",
	EvOutcome: ":heavy_check_mark:", EvReadBack: ":mag:", EvPrivileged: ":crown:", EvUndelivered: ":warning:",
	EvTampered: ":rotating_light:", EvKey: ":key:", EvSnapshot: ":camera:", EvAlerted: ":rotating_light:",
	EvWrittenBack: ":outbox_tray:",
}

// Events of alert cards (alerts.go): a card the bot opened from a
// detection, or a later alert told in its thread; the outcome written
// back to the incident.
const (
	EvAlerted     Event = "alerted"
	EvWrittenBack Event = "writtenback"
)

// Events of the bot's signatures: a request refused because its record is
// not what the bot signed, and a signing key first used.
const (
	EvTampered Event = "tampered"
	EvKey      Event = "key"
	// EvSnapshot seals the evidence snapshot taken before a containment's
	// actions (snapshot.go).
	EvSnapshot Event = "snapshot"
)

// Events the containment adds: one user's outcome as soon as it is known,
// and the read-back from Graph after the request's end is recorded.
const (
	EvOutcome  Event = "outcome"
	EvReadBack Event = "readback"
	// EvPrivileged says which accounts a /revoke all takes first, or why
	// it cannot.
	EvPrivileged Event = "privileged"
	// EvUndelivered says the outbox gave up on a message Slack refused
	// for good; see undelivered.go.
	EvUndelivered Event = "undelivered"
)
