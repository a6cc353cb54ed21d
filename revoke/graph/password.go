package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/revokebot/revokebot/revoke"
)

const opResetPassword = "reset password"

// permPasswordReset is the permission an app-only reset needs; the app's
// service principal must also hold User Administrator (Privileged
// Authentication Administrator for a target holding an admin role), or
// Graph answers the same 403.
var permPasswordReset = revoke.ActionResetPassword.Permission()

// ErrWeakPassword is ResetPassword's refusal, before any request, of a
// password Entra's policy would refuse. revoke.NewPassword's never is.
var ErrWeakPassword = errors.New("the password does not meet Entra's password policy (8 to 256 printable ASCII characters, 3 of lower case, upper case, digits and symbols)")

// ErrFederated is wrapped in ResetPassword's error for a user whose
// domain is federated: they sign in at another identity provider, and
// their password is reset there.
var ErrFederated = errors.New("the user signs in through a federated identity provider: reset the password there")

// ErrPasswordRefused is wrapped in ResetPassword's error when the tenant's
// password policy refused the new password: its complexity rules or its
// banned-password lists, custom or global. A generated password passes the
// published rules, so this is the tenant's own list, or rules stricter than
// Entra's defaults.
var ErrPasswordRefused = errors.New("the tenant's password policy refused the new password (its complexity rules or banned-password list)")

// IsFederated reports whether err is ResetPassword's refusal of a
// federated user, which is also of kind revoke.KindFederated. Graph's
// answer is 400 Request_BadRequest, the status and code of every malformed
// request to /users, of the complexity and banned-password refusals too:
// only its message tells them apart, and passwordRefusal reads it, here
// and nowhere else.
func IsFederated(err error) bool { return errors.Is(err, ErrFederated) }

// ResetPassword sets the user's password (PATCH /users/{id} with only
// passwordProfile) and makes them choose a new one at their next sign-in:
// whoever knew the old one is out, and the new one is known to nobody.
// Pass revoke.NewPassword's result and drop it after: it is never logged,
// stored or shown, and never in an error this returns. Refusals: KindForbidden without the permission or the role,
// KindSynced for a user mastered on-premises without password writeback,
// KindFederated (and IsFederated) for a federated user, ErrWeakPassword
// (KindBadRequest) before any request.
func (c *Client) ResetPassword(ctx context.Context, userID, password string) (revoke.Result, error) {
	if err := needID(opResetPassword, permPasswordReset, "user", userID); err != nil {
		return revoke.Result{}, err
	}
	if !meetsPasswordPolicy(password) {
		return revoke.Result{}, &revoke.Error{Kind: revoke.KindBadRequest, Op: opResetPassword,
			Permission: permPasswordReset, Err: ErrWeakPassword}
	}
	// The client's pipeline has neither the SDK's retry handler nor its
	// compression handler (client.go): c.do's retries resend the body
	// exactly as first sent, plain, built afresh from this closure.
	err := c.do(ctx, opResetPassword, permPasswordReset, func() error {
		u := models.NewUser()
		profile := models.NewPasswordProfile()
		pw, force := password, true
		profile.SetPassword(&pw)
		profile.SetForceChangePasswordNextSignIn(&force)
		u.SetPasswordProfile(profile)
		_, err := c.users().ByUserId(userID).Patch(ctx, u, nil)
		return err
	})
	if err != nil {
		return revoke.Result{}, c.explained(ctx, scrubbed(err, password), permPasswordReset)
	}
	return revoke.Result{At: c.now().UTC()}, nil
}

// scrubbed returns a copy of c.do's error that cannot carry the password.
// Nothing kiota returns holds the request body (an ODataError is parsed
// from the answer, a url.Error names only the URL), but a service that
// echoed the password in its message would put it in front of whoever
// reads the error. So the SDK's error is replaced by its text with the
// password cut out, Graph's message likewise (redaction, not
// classification: nothing is decided on the text), and only a context
// error is kept to unwrap, so errors.Is still sees cancellation.
func scrubbed(err error, password string) error {
	var e *revoke.Error
	if !errors.As(err, &e) {
		return &revoke.Error{Kind: revoke.KindOther, Op: opResetPassword, Permission: permPasswordReset,
			Err: redactedError{text: redact(err.Error(), password)}}
	}
	out := *e
	out.Message = redact(e.Message, password)
	inner := redactedError{}
	if e.Err != nil {
		inner.text = redact(e.Err.Error(), password)
		for _, c := range []error{context.Canceled, context.DeadlineExceeded} {
			if errors.Is(e.Err, c) {
				inner.cause = c
			}
		}
	}
	out.Err = inner
	if out.Kind == revoke.KindBadRequest && out.Status == http.StatusBadRequest && out.Code == "Request_BadRequest" {
		switch passwordRefusal(e.Message) {
		case ErrFederated:
			out.Kind = revoke.KindFederated
			out.Err = fmt.Errorf("%w: %w", ErrFederated, inner)
		case ErrPasswordRefused:
			out.Kind = revoke.KindPasswordRefused
			out.Err = fmt.Errorf("%w: %w", ErrPasswordRefused, inner)
		}
	}
	return &out
}

// passwordRefusal tells a password reset's 400 Request_BadRequest refusals
// apart by Graph's message, the only thing that differs: a federated user
// ("You cannot reset a password for a federated user."), the policy ("does
// not comply with password complexity requirements", or a banned
// password). Anything else stays a plain bad request, with Graph's words.
func passwordRefusal(message string) error {
	m := strings.ToLower(message)
	switch {
	case strings.Contains(m, "federated"):
		return ErrFederated
	case strings.Contains(m, "complexity"), strings.Contains(m, "banned"), strings.Contains(m, "password policy"):
		return ErrPasswordRefused
	}
	return nil
}

// redactedError is an error's text with a secret cut out.
type redactedError struct {
	text  string
	cause error // a context error, or nil
}

func (r redactedError) Error() string { return r.text }
func (r redactedError) Unwrap() error { return r.cause }

// redact replaces every occurrence of secret in s. An empty secret never
// reaches here: the policy check refuses it.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[redacted]")
}

// meetsPasswordPolicy applies Entra's password policy for cloud users
// (https://learn.microsoft.com/entra/identity/authentication/concept-password-ban-bad-combined-policy):
// 8 to 256 characters, printable ASCII with the space, and at least three
// of lower case, upper case, digits and symbols. Checking first keeps a
// weak password from being sent at all, and leaves a 400 from the reset
// meaning something else (see IsFederated).
func meetsPasswordPolicy(p string) bool {
	if len(p) < 8 || len(p) > 256 {
		return false
	}
	var lower, upper, digit, symbol bool
	for _, r := range p {
		switch {
		case r < ' ' || r > '~':
			return false
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		default:
			symbol = true
		}
	}
	n := 0
	for _, b := range []bool{lower, upper, digit, symbol} {
		if b {
			n++
		}
	}
	return n >= 3
}
