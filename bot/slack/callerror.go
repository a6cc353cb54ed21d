package slack

import (
	"context"
	"errors"
	"fmt"
	"time"

	goslack "github.com/slack-go/slack"
)

// ErrorKind is what went wrong with a Slack call, for the workflow to put
// into words without reading Slack's codes.
type ErrorKind int

// The kinds of CallError. Codes are Slack's, from the method pages of
// users.lookupByEmail and admin.users.session.reset (api.slack.com/methods/…)
// and its common errors.
const (
	// KindOther is an answer none of the kinds below covers; Code says which.
	KindOther ErrorKind = iota
	// KindInvalidToken: invalid_auth, not_authed, token_revoked,
	// token_expired, account_inactive. The token is wrong or revoked.
	KindInvalidToken
	// KindNotAdmin: not_allowed_token_type (a bot or app token where a
	// user token is needed), not_an_admin (the user is no longer an org
	// admin or owner), is_bot.
	KindNotAdmin
	// KindMissingScope: missing_scope; CallError.Scope is the scope asked for.
	KindMissingScope
	// KindNotGrid: feature_not_enabled, "This method is not available for
	// this product level": the workspace is not on Enterprise Grid.
	KindNotGrid
	// KindPrimaryOwner: cannot_reset_primary_owner ("Only primary owner can
	// reset primary owner's sessions"), or session_reset_not_allowed, which
	// resetBulk's page describes the same way.
	KindPrimaryOwner
	// KindUserNotFound: user_not_found, no Slack user of that ID.
	KindUserNotFound
	// KindRateLimited: HTTP 429; CallError.RetryAfter is how long Slack
	// asked to wait, 0 when it did not say.
	KindRateLimited
	// KindUnavailable: Slack failed or could not be reached (HTTP 5xx,
	// internal_error, fatal_error, user_session_reset_failed, a network
	// error, the context ending). Trying later may work.
	KindUnavailable
)

var kindNames = [...]string{"other", "invalid token", "not an admin token", "missing scope",
	"not Enterprise Grid", "primary owner", "user not found", "rate limited", "Slack unavailable"}

// String names the kind, for logs.
func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// codeKinds classifies Slack's error codes once, here.
var codeKinds = map[string]ErrorKind{
	"invalid_auth": KindInvalidToken, "not_authed": KindInvalidToken, "token_revoked": KindInvalidToken,
	"token_expired": KindInvalidToken, "account_inactive": KindInvalidToken,
	"not_allowed_token_type": KindNotAdmin, "not_an_admin": KindNotAdmin, "is_bot": KindNotAdmin,
	"missing_scope":              KindMissingScope,
	"feature_not_enabled":        KindNotGrid,
	"cannot_reset_primary_owner": KindPrimaryOwner, "session_reset_not_allowed": KindPrimaryOwner,
	"user_not_found": KindUserNotFound,
	"ratelimited":    KindRateLimited,
	"internal_error": KindUnavailable, "fatal_error": KindUnavailable, "service_unavailable": KindUnavailable,
	"request_timeout": KindUnavailable, "user_session_reset_failed": KindUnavailable,
}

// CallError is a failed Slack call of UserByEmail, Sessions.Reset or
// CheckAdminToken. Its text holds the method and Slack's code, never a
// token or a URL.
type CallError struct {
	Method     string
	Kind       ErrorKind
	Code       string        // Slack's error code, or "http 503", "network error", "timeout"
	Scope      string        // KindMissingScope: the scope Slack asked for
	RetryAfter time.Duration // KindRateLimited: Slack's Retry-After; 0 when it sent none
	// retry is set when Slack sent Retry-After, so waiting it out is sound.
	retry bool
	// ctx is the context's error when that ended the call, for errors.Is;
	// transport errors are not kept, since they carry the URL.
	ctx error
}

// Error gives the method and Slack's code, and the scope or wait when known.
func (e *CallError) Error() string {
	s := "slack " + e.Method + ": " + e.Code
	switch {
	case e.Scope != "":
		s += " " + e.Scope
	case e.Kind == KindRateLimited && e.retry:
		s += ", retry after " + e.RetryAfter.String()
	}
	return s
}

// Unwrap gives the context's error when the context ended the call.
func (e *CallError) Unwrap() error { return e.ctx }

// Temporary reports whether the same call may work later.
func (e *CallError) Temporary() bool { return e.Kind == KindRateLimited || e.Kind == KindUnavailable }

// errNoAnswer is an HTTP 200 whose body is not Slack's JSON; errBadURL a
// Web API base that no request can be made of.
var (
	errNoAnswer = errors.New("no Slack answer")
	errBadURL   = errors.New("bad SLACK_API_URL")
)

// classify turns what slack-go (or post, which speaks its error types)
// returned into a *CallError; nil stays nil.
func classify(method string, err error) *CallError {
	if err == nil {
		return nil
	}
	e := &CallError{Method: method, Kind: KindUnavailable, Code: "network error"}
	var se goslack.SlackErrorResponse
	var rl *goslack.RateLimitedError
	var st goslack.StatusCodeError
	switch {
	case errors.As(err, &rl):
		e.Kind, e.Code, e.RetryAfter, e.retry = KindRateLimited, "ratelimited", rl.RetryAfter, true
	case errors.As(err, &se):
		e.Code = se.Err
		e.Kind = codeKinds[se.Err] // KindOther when absent
		if e.Kind == KindMissingScope {
			e.Scope = se.Needed
		}
	case errors.As(err, &st):
		e.Code = fmt.Sprintf("http %d", st.Code)
		switch {
		case st.Code == 429:
			e.Kind = KindRateLimited
		case st.Code < 500:
			// A 404 from a wrong SLACK_API_URL will not mend by itself.
			e.Kind = KindOther
		}
	case errors.Is(err, errNoAnswer):
		e.Code = errNoAnswer.Error()
	case errors.Is(err, errBadURL):
		e.Kind, e.Code = KindOther, errBadURL.Error()
	case errors.Is(err, context.DeadlineExceeded):
		e.Code, e.ctx = "timeout", context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		e.Code, e.ctx = "canceled", context.Canceled
	}
	return e
}

// maxRetryWait is the longest Retry-After a call waits out itself before
// its one more try; Slack asking for longer is reported, so that the
// workflow, which knows its deadlines, decides.
const maxRetryWait = 20 * time.Second

// retryOnce runs call, and once more after Slack's Retry-After when Slack
// rate-limited it and asked for at most maxRetryWait. Both calls asked are
// safe to repeat: a lookup reads, and resetting sessions twice ends them
// once.
func retryOnce(ctx context.Context, method string, call func() error) error {
	e := classify(method, call())
	if e == nil || e.Kind != KindRateLimited || !e.retry || e.RetryAfter > maxRetryWait {
		return nilOrErr(e)
	}
	t := time.NewTimer(e.RetryAfter)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return classify(method, ctx.Err())
	case <-t.C:
	}
	return nilOrErr(classify(method, call()))
}

// nilOrErr keeps a nil *CallError from becoming a non-nil error.
func nilOrErr(e *CallError) error {
	if e == nil {
		return nil
	}
	return e
}
