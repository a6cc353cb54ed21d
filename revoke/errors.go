package revoke

import (
	"errors"
	"fmt"
	"time"
)

// ErrorKind classifies a failure once, at the Graph boundary, so that the
// rest of the bot decides and words things without looking at error text.
type ErrorKind int

// The kinds of failure the bot tells apart.
const (
	KindOther           ErrorKind = iota
	KindNotFound                  // the user does not exist (any more)
	KindForbidden                 // the app lacks a permission or role
	KindUnauthorized              // the token was refused
	KindThrottled                 // 429 beyond the retry budget
	KindUnavailable               // 503/504 beyond the retry budget
	KindNetwork                   // no HTTP answer at all
	KindBadRequest                // Graph refused the request as malformed
	KindSynced                    // the account is mastered on-premises: change it there
	KindUnlicensed                // the tenant lacks the licence the call needs (Entra ID P2)
	KindFederated                 // the user's domain is federated: its password lives with the identity provider
	KindPasswordRefused           // the tenant's password policy refused a new password (complexity, banned list)
)

// Error is a Graph failure with what a person needs to act on it.
type Error struct {
	Kind       ErrorKind
	Op         string // what the bot was doing, e.g. "revoke sessions"
	Status     int    // HTTP status, 0 when there was none
	Code       string // Graph's error code, e.g. Authorization_RequestDenied
	Message    string // Graph's message
	Permission string // the application permission the operation needs
	// Lacks says, for a 403 Graph words the same either way, what the app
	// lacks: LacksPermission when its token does not hold Permission,
	// LacksRole when it does (so a directory role is missing); "" unknown.
	Lacks    string
	Attempts int
	// RetryAfter is how long Graph asked the caller to wait (Retry-After),
	// 0 when it did not say.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	s := e.Op
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Status == 0 && e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// What a 403 is missing, in Error.Lacks.
const (
	LacksPermission = "permission"
	LacksRole       = "role"
)

// LacksOf returns Error.Lacks of a Graph failure, "" for anything else.
func LacksOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Lacks
	}
	return ""
}

// KindOf returns the kind of a Graph failure, KindOther for anything else.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindOther
}

// KindForStatus classifies an HTTP status from Graph.
func KindForStatus(status int) ErrorKind {
	switch status {
	case 404:
		return KindNotFound
	case 403:
		return KindForbidden
	case 401:
		return KindUnauthorized
	case 429:
		return KindThrottled
	case 503, 504:
		return KindUnavailable
	case 400:
		return KindBadRequest
	}
	return KindOther
}

// Retryable reports whether another try of the same call may succeed:
// throttling, an unavailable service or no answer at all.
func Retryable(err error) bool {
	switch KindOf(err) {
	case KindThrottled, KindUnavailable, KindNetwork:
		return true
	}
	return false
}

// RetryAfterOf returns the wait Graph asked for with a failure, 0 when none.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
