package graph

import (
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/revokebot/revokebot/revoke"
)

// refusal is a call the client turns down before sending anything: one
// Graph would refuse, or worse, read differently (an empty user id turns
// /users/{id}/… into a path about every user). It is KindBadRequest with
// no status, so it reads "op: why".
func refusal(op, permission, why string) *revoke.Error {
	return &revoke.Error{Kind: revoke.KindBadRequest, Op: op, Permission: permission, Err: errors.New(why)}
}

// needID refuses an empty id of what (e.g. "user").
func needID(op, permission, what, id string) error {
	if strings.TrimSpace(id) == "" {
		return refusal(op, permission, "no "+what+" id")
	}
	return nil
}

// isGUID reports whether s is an object ID in Graph's form, 36 characters
// with hyphens: uuid.Parse alone also takes braces and urn:uuid: prefixes.
func isGUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
