package request

// What the golden test, an outside package so that it can wrap messages in
// Block Kit, needs of the package's insides.
type (
	Card = card
	Plan = requestTarget
)

const SystemActor = systemActor

var (
	Alice, Mallory = alice, mallory
	Expires        = expires
	ContainTarget  = containTarget
	ReleaseTarget  = releaseTarget
	HostileTarget  = hostileTarget
	Dana, Payload  = dana, payload
)

func CardMessage(c Card) Message { return cardMessage(c) }
