package request

import (
	"errors"
	"fmt"

	"github.com/revokebot/revokebot/revoke"
)

// describe is the one place where a failure becomes the words a responder
// reads. It never includes tokens: revoke.Error carries none.
func describe(err error) string {
	var e *revoke.Error
	if !errors.As(err, &e) {
		return "revokebot hit an internal error; the details are in its log."
	}
	tries := ""
	if e.Attempts > 1 {
		tries = fmt.Sprintf(" after %d tries", e.Attempts)
	}
	switch e.Kind {
	case revoke.KindNotFound:
		return "Graph says this user does not exist (404 Request_ResourceNotFound); it may have been deleted."
	case revoke.KindForbidden:
		return fmt.Sprintf("Graph refused: insufficient privileges (403 %s). The app registration needs the application permission `%s`, with admin consent.",
			Escape(e.Code), e.Permission)
	case revoke.KindUnauthorized:
		return "Graph refused revokebot's token (401). Check the Graph credentials with `revokebot check`."
	case revoke.KindThrottled:
		return "Graph kept throttling revokebot (429 Too Many Requests) and it gave up" + tries + ". Try again in a few minutes."
	case revoke.KindUnavailable:
		return fmt.Sprintf("Graph was unavailable (HTTP %d) and revokebot gave up%s. Try again in a few minutes.", e.Status, tries)
	case revoke.KindNetwork:
		return "revokebot could not reach Graph (network error)" + tries + "."
	case revoke.KindBadRequest:
		return fmt.Sprintf("Graph rejected the request (400 %s): %s", Escape(e.Code), clean(e.Message, graphMost))
	case revoke.KindSynced:
		return "Graph refused: this account is synced from an on-premises directory, so it must be changed there."
	case revoke.KindUnlicensed:
		return fmt.Sprintf("Graph refused (HTTP %d %s): the tenant lacks the Microsoft Entra ID licence this needs (P1 for sign-in logs, P2 for Identity Protection).", e.Status, Escape(e.Code))
	}
	if e.Status != 0 {
		return fmt.Sprintf("Graph answered HTTP %d %s: %s", e.Status, Escape(e.Code), clean(e.Message, graphMost))
	}
	return "The Graph call failed; the details are in revokebot's log."
}

// describeShort words a failure in a few words, for one line of a bulk
// job's summary and its CSV file.
func describeShort(err error) string {
	var e *revoke.Error
	if !errors.As(err, &e) {
		return "internal error (see the log)"
	}
	switch e.Kind {
	case revoke.KindNotFound:
		return "not found (deleted?)"
	case revoke.KindForbidden:
		return "insufficient privileges (403 " + e.Code + "; needs " + e.Permission + ")"
	case revoke.KindUnauthorized:
		return "token refused (401)"
	case revoke.KindThrottled:
		return "throttled (429) too many times"
	case revoke.KindUnavailable:
		return fmt.Sprintf("Graph unavailable (HTTP %d)", e.Status)
	case revoke.KindNetwork:
		return "network error"
	case revoke.KindBadRequest:
		return "rejected (400 " + e.Code + ")"
	case revoke.KindSynced:
		return "synced from on-premises"
	case revoke.KindUnlicensed:
		return "tenant not licensed"
	}
	return fmt.Sprintf("HTTP %d %s", e.Status, e.Code)
}
