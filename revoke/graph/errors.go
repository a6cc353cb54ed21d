package graph

import (
	"context"
	"errors"
	"net/url"
	"strconv"
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
		e.Kind = revoke.KindForStatus(e.Status)
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
