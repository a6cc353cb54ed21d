package revoke

import (
	"context"
	"time"
)

// Retry is the one place where Graph calls are retried: the SDK's own retry
// handler is left out of the pipeline so that retries are neither doubled nor
// silent.
type Retry struct {
	Attempts int           // total tries, at least 1
	MaxWait  time.Duration // longest wait; a longer Retry-After ends the retries
	Backoff  time.Duration // wait when Graph gives no Retry-After; doubled each time
	Sleep    func(ctx context.Context, d time.Duration) error
}

// DefaultRetry gives up after five tries, which at the caps below bounds a
// single revocation to well under two minutes.
func DefaultRetry() Retry {
	return Retry{Attempts: 5, MaxWait: 30 * time.Second, Backoff: time.Second, Sleep: SleepContext}
}

// OrDefault is r as a client uses it: DefaultRetry when r is zero, and
// SleepContext when r says no way to sleep.
func (r Retry) OrDefault() Retry {
	if r.Attempts == 0 {
		r = DefaultRetry()
	}
	if r.Sleep == nil {
		r.Sleep = SleepContext
	}
	return r
}

// DoTry runs try under r and returns its value, or the last *Error with
// the number of tries in its Attempts. An error is tried again when
// Retryable says so and ctx has not ended.
func DoTry[T any](ctx context.Context, r Retry, try func() (T, *Error)) (T, *Error) {
	var v T
	var last *Error
	n, err := r.Do(ctx, func() Attempt {
		got, e := try()
		if e == nil {
			v = got
			return Attempt{}
		}
		last = e
		return Attempt{Err: e, Retryable: Retryable(e) && ctx.Err() == nil, RetryAfter: e.RetryAfter}
	})
	if err != nil {
		last.Attempts = n
		var zero T
		return zero, last
	}
	return v, nil
}

// SleepContext waits for d or until ctx ends.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Attempt is what one try reports: its error, and when the error is worth
// another try, how long the server asked to wait (0 when it did not say).
type Attempt struct {
	Err        error
	Retryable  bool
	RetryAfter time.Duration
}

// Do runs try until it succeeds, fails for good, or the attempts run out; it
// returns the last error and how many tries were made.
func (r Retry) Do(ctx context.Context, try func() Attempt) (int, error) {
	backoff := r.Backoff
	for n := 1; ; n++ {
		a := try()
		if a.Err == nil || !a.Retryable || n >= r.Attempts {
			return n, a.Err
		}
		wait := a.RetryAfter
		if r.MaxWait > 0 && wait > r.MaxWait {
			// Coming back before the server allows it would only hammer it:
			// give up and let the person retry later.
			return n, a.Err
		}
		if wait <= 0 {
			wait = backoff
			backoff *= 2
			if r.MaxWait > 0 {
				wait = min(wait, r.MaxWait)
			}
		}
		if err := r.Sleep(ctx, wait); err != nil {
			return n, a.Err
		}
	}
}
