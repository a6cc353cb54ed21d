package graph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/revokebot/revokebot/revoke"
)

// do runs one Graph call under the retry policy and turns its failure into a
// *revoke.Error.
func (c *Client) do(ctx context.Context, op, permission string, call func() error) error {
	var last *revoke.Error
	n, err := c.retry.Do(ctx, func() revoke.Attempt {
		err := call()
		if err == nil {
			return revoke.Attempt{}
		}
		last = classify(op, permission, err)
		last.RetryAfter = retryAfter(err)
		return revoke.Attempt{Err: last, Retryable: revoke.Retryable(last) && ctx.Err() == nil, RetryAfter: last.RetryAfter}
	})
	if err != nil {
		last.Attempts = n
		return last
	}
	return nil
}

func classify(op, permission string, err error) *revoke.Error {
	e := &revoke.Error{Op: op, Permission: permission, Err: err}
	var odata *odataerrors.ODataError
	var api *abs.ApiError
	var urlErr *url.Error
	switch {
	case errors.As(err, &odata):
		e.Status = odata.ResponseStatusCode
		if m := odata.GetErrorEscaped(); m != nil {
			if p := m.GetCode(); p != nil {
				e.Code = *p
			}
			if p := m.GetMessage(); p != nil {
				e.Message = *p
			}
		}
		e.Kind = kindOfRefusal(e.Status, e.Code, e.Message)
	case errors.As(err, &api):
		e.Status = api.ResponseStatusCode
		e.Kind = revoke.KindForStatus(e.Status)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.Kind = revoke.KindOther
	case errors.As(err, &urlErr):
		e.Kind = revoke.KindNetwork
	default:
		e.Kind = revoke.KindOther
	}
	return e
}

// Graph's error codes for a tenant lacking the licence a call needs. Identity
// Protection answers 403 Forbidden "Your tenant is not licensed for this
// feature." instead, a code too generic to go by alone.
var unlicensedCodes = map[string]bool{
	"Authentication_RequestFromNonPremiumTenantOrB2CTenant": true, // sign-in logs without P1/P2
	"AadPremiumLicenseRequired":                             true,
}

// kindOfRefusal classifies an OData error. Two refusals share their status
// and code with unrelated ones and are told apart by Graph's message, here
// and nowhere else: a user mastered on-premises (400 Request_BadRequest
// "Unable to update the specified properties for on-premises mastered
// Directory Sync objects…") and a tenant without the licence (403).
func kindOfRefusal(status int, code, message string) revoke.ErrorKind {
	msg := strings.ToLower(message)
	switch {
	case unlicensedCodes[code]:
		return revoke.KindUnlicensed
	case status == http.StatusForbidden && strings.Contains(msg, "not licensed"):
		return revoke.KindUnlicensed
	case status == http.StatusBadRequest && strings.Contains(msg, "on-premises"):
		return revoke.KindSynced
	}
	return revoke.KindForStatus(status)
}

// retryAfter reads Retry-After in seconds (Graph may send fractions).
func retryAfter(err error) time.Duration {
	var api interface{ GetResponseHeaders() *abs.ResponseHeaders }
	if !errors.As(err, &api) || api.GetResponseHeaders() == nil {
		return 0
	}
	for _, v := range api.GetResponseHeaders().Get("Retry-After") {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second))
		}
	}
	return 0
}
