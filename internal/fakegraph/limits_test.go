package fakegraph

import (
	"errors"
	"net/http"
	"testing"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	graphusers "github.com/microsoftgraph/msgraph-sdk-go/users"
)

// sdkStatus returns the status and Retry-After of an SDK error.
func sdkStatus(err error) (int, string) {
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		return 0, ""
	}
	var ra string
	var h interface{ GetResponseHeaders() *abs.ResponseHeaders }
	if errors.As(err, &h) && h.GetResponseHeaders() != nil {
		if v := h.GetResponseHeaders().Get("Retry-After"); len(v) > 0 {
			ra = v[0]
		}
	}
	return oe.ResponseStatusCode, ra
}

// TestReportsLimit: the real client's sixth request to the reports
// services within the window is refused with 429 and no Retry-After,
// whatever the method or the resource (sign-ins, methods listed, a method
// deleted), while directory reads go on; once the window has moved on,
// requests go through again.
func TestReportsLimit(t *testing.T) {
	t.Parallel()
	// An hour-long window makes the refusals certain however slow the machine.
	s := newTestServer(t, Options{ReportsWindow: time.Hour})
	s.AddAuthMethods("1", AuthMethod{ID: "oath", Type: "softwareOath"})
	users := sdkUsers(newSDKAdapter(t, s))
	ctx := t.Context()
	for i := range ReportsLimit - 1 {
		if _, err := users.ByUserId("1").Authentication().Methods().Get(ctx, nil); err != nil {
			t.Fatalf("read %d: %v", i+1, err)
		}
	}
	if err := users.ByUserId("1").Authentication().SoftwareOathMethods().BySoftwareOathAuthenticationMethodId("oath").Delete(ctx, nil); err != nil {
		t.Fatalf("the fifth request, a delete: %v", err)
	}
	// The SDK's own retry handler would try again (three times, by its
	// default backoff): ask it once, to see Graph's answer.
	_, err := users.ByUserId("1").Authentication().Methods().Get(ctx, &graphusers.ItemAuthenticationMethodsRequestBuilderGetRequestConfiguration{
		Options: []abs.RequestOption{&khttp.RetryHandlerOptions{ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return false }}},
	})
	if status, ra := sdkStatus(err); status != http.StatusTooManyRequests || ra != "" {
		t.Fatalf("sixth within the window: %d Retry-After %q (%v)", status, ra, err)
	}
	if r := do(t, s, http.MethodGet, "/auditLogs/signIns", nil, nil); r.status != 429 {
		t.Errorf("sign-ins share the budget: %d", r.status)
	}
	if s.ReportsThrottled() != 2 {
		t.Errorf("ReportsThrottled %d", s.ReportsThrottled())
	}
	if r := do(t, s, http.MethodGet, "/users/1", nil, nil); r.status != 200 {
		t.Errorf("a directory read is not a report: %d", r.status)
	}

	const window = 100 * time.Millisecond
	short := newTestServer(t, Options{ReportsWindow: window})
	for range ReportsLimit {
		do(t, short, http.MethodGet, "/auditLogs/signIns", nil, nil)
	}
	time.Sleep(window)
	if r := do(t, short, http.MethodGet, "/auditLogs/signIns", nil, nil); r.status != 200 {
		t.Errorf("after the window: %d", r.status)
	}
}

// TestIdentityProtectionLimitCoversReads: reading a user's risk counts
// against the 1 request/s of the tenant as the actions do, and the 429
// carries no Retry-After.
func TestIdentityProtectionLimitCoversReads(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{RiskWindow: time.Hour})
	if r := do(t, s, http.MethodGet, "/identityProtection/riskyUsers/1", nil, nil); r.status == 429 {
		t.Fatalf("first read: %d", r.status)
	}
	r := do(t, s, http.MethodPost, "/identityProtection/riskyUsers/dismiss", http.Header{"Content-Type": {"application/json"}}, []byte(`{"userIds":["1"]}`))
	if r.status != 429 || r.header.Get("Retry-After") != "" {
		t.Errorf("an action after a read: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	if r := do(t, s, http.MethodGet, "/identityProtection/riskyUsers/1", nil, nil); r.status != 429 {
		t.Errorf("a second read: %d", r.status)
	}
	if s.RiskThrottled() != 2 {
		t.Errorf("RiskThrottled %d", s.RiskThrottled())
	}
}
