package revoke

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestODataString(t *testing.T) {
	for in, want := range map[string]string{
		"alice":             "'alice'",
		"o'brien":           "'o''brien'",
		"x' or 1 eq 1 or '": "'x'' or 1 eq 1 or '''",
		"''":                "''''''",
	} {
		if got := ODataString(in); got != want {
			t.Errorf("ODataString(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestUserHasAddress: a chat e-mail is matched against the UPN, the mail and
// the SMTP proxy addresses, whatever their case; nothing else matches.
func TestUserHasAddress(t *testing.T) {
	u := User{UPN: "alice@contoso.com", Mail: "Alice.Adams@contoso.com",
		ProxyAddresses: []string{"SMTP:Alice.Adams@contoso.com", "smtp:a.adams@fabrikam.com", "X500:/o=ExchangeLabs/cn=alice", "SIP:alice@sip.contoso.com"}}
	for email, want := range map[string]bool{
		"alice@contoso.com": true, "ALICE@CONTOSO.COM": true, "alice.adams@contoso.com": true, "A.Adams@Fabrikam.com": true,
		" alice@contoso.com ": true, "alice@sip.contoso.com": false, "/o=ExchangeLabs/cn=alice": false,
		"smtp:a.adams@fabrikam.com": false, "bob@contoso.com": false, "": false,
	} {
		if got := u.HasAddress(email); got != want {
			t.Errorf("HasAddress(%q) = %t, want %t", email, got, want)
		}
	}
	if (User{}).HasAddress("") {
		t.Error("an empty e-mail matches a user without addresses")
	}
}

func TestRetryHonoursRetryAfterAndGivesUp(t *testing.T) {
	var waits []time.Duration
	r := Retry{Attempts: 4, MaxWait: 10 * time.Second, Backoff: time.Second,
		Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	throttled := errors.New("429")
	n, err := r.Do(context.Background(), func() Attempt {
		return Attempt{Err: throttled, Retryable: true, RetryAfter: 2500 * time.Millisecond}
	})
	if n != 4 || err != throttled {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if len(waits) != 3 || waits[0] != 2500*time.Millisecond {
		t.Fatalf("waits %v", waits)
	}

	waits = nil
	n, _ = r.Do(context.Background(), func() Attempt {
		return Attempt{Err: throttled, Retryable: true, RetryAfter: time.Hour}
	})
	if n != 1 || len(waits) != 0 {
		t.Fatalf("a Retry-After beyond MaxWait must end the retries, not be shortened: n=%d waits=%v", n, waits)
	}

	waits = nil
	calls := 0
	n, err = r.Do(context.Background(), func() Attempt {
		calls++
		if calls == 3 {
			return Attempt{}
		}
		return Attempt{Err: throttled, Retryable: true}
	})
	if n != 3 || err != nil || waits[0] != time.Second || waits[1] != 2*time.Second {
		t.Fatalf("n=%d err=%v waits=%v", n, err, waits)
	}

	n, err = r.Do(context.Background(), func() Attempt { return Attempt{Err: throttled} })
	if n != 1 || err == nil {
		t.Fatalf("a fatal error must not be retried: n=%d", n)
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := DefaultRetry()
	n, err := r.Do(ctx, func() Attempt { return Attempt{Err: errors.New("503"), Retryable: true, RetryAfter: time.Minute} })
	if n != 1 || err == nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
}
