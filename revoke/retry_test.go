package revoke

import (
	"context"
	"testing"
	"time"
)

func TestRetryOrDefault(t *testing.T) {
	t.Parallel()
	if r := (Retry{}).OrDefault(); r.Attempts != DefaultRetry().Attempts || r.MaxWait != DefaultRetry().MaxWait || r.Sleep == nil {
		t.Errorf("zero: %+v", r)
	}
	// A caller's retry is kept; only a missing Sleep is filled in.
	r := (Retry{Attempts: 2, Backoff: time.Millisecond}).OrDefault()
	if r.Attempts != 2 || r.Backoff != time.Millisecond || r.Sleep == nil {
		t.Errorf("kept: %+v", r)
	}
	slept := 0
	r = (Retry{Attempts: 3, Sleep: func(context.Context, time.Duration) error { slept++; return nil }}).OrDefault()
	if n, _ := r.Do(context.Background(), func() Attempt { return Attempt{Err: context.DeadlineExceeded, Retryable: true} }); n != 3 || slept != 2 {
		t.Errorf("own sleep: %d tries, %d sleeps", n, slept)
	}
}

func TestDoTry(t *testing.T) {
	t.Parallel()
	r := Retry{Attempts: 4, Sleep: func(context.Context, time.Duration) error { return nil }}
	tries := 0
	v, e := DoTry(context.Background(), r, func() (string, *Error) {
		if tries++; tries < 3 {
			return "", &Error{Kind: KindThrottled}
		}
		return "done", nil
	})
	if v != "done" || e != nil || tries != 3 {
		t.Errorf("throttled twice: %q %v after %d tries", v, e, tries)
	}
	tries = 0
	v, e = DoTry(context.Background(), r, func() (string, *Error) { tries++; return "partial", &Error{Kind: KindUnavailable} })
	if v != "" || e == nil || e.Attempts != 4 || tries != 4 {
		t.Errorf("always unavailable: %q %+v after %d tries", v, e, tries)
	}
	tries = 0
	_, e = DoTry(context.Background(), r, func() (int, *Error) { tries++; return 0, &Error{Kind: KindForbidden} })
	if e == nil || e.Attempts != 1 || tries != 1 {
		t.Errorf("forbidden is final: %+v after %d tries", e, tries)
	}
}
