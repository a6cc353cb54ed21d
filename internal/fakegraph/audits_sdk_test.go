package fakegraph

import (
	"net/http"
	"slices"
	"testing"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/auditlogs"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

func sdkAudits(adapter *msgraphgocore.GraphRequestAdapterBase) *auditlogs.DirectoryAuditsRequestBuilder {
	return auditlogs.NewDirectoryAuditsRequestBuilderInternal(map[string]string{}, adapter)
}

// noRetry asks the SDK once, to see Graph's own answer rather than the
// retry handler's last.
var noRetry = []abs.RequestOption{&khttp.RetryHandlerOptions{ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return false }}}

// TestDirectoryAuditsThroughTheSDK: the real client filters by target and
// time, pages by @odata.nextLink, and reads initiator and targets back.
func TestDirectoryAuditsThroughTheSDK(t *testing.T) {
	t.Parallel()
	s := auditFixture(t, Options{})
	ctx := t.Context()
	audits := sdkAudits(newSDKAdapter(t, s))
	filter := "targetResources/any(t:t/id eq '" + aliceGUID + "') and activityDateTime ge 2026-11-28T10:00:00Z"
	top := int32(2)
	page, err := audits.Get(ctx, &auditlogs.DirectoryAuditsRequestBuilderGetRequestConfiguration{
		QueryParameters: &auditlogs.DirectoryAuditsRequestBuilderGetQueryParameters{Filter: &filter, Top: &top},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		for _, a := range page.GetValue() {
			got = append(got, *a.GetId())
		}
		if page.GetOdataNextLink() == nil {
			break
		}
		if page, err = audits.WithUrl(*page.GetOdataNextLink()).Get(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(got, []string{"a3", "a2", "a1"}) {
		t.Errorf("pages gave %v", got)
	}

	one := "id eq 'a2'"
	page, err = audits.Get(ctx, &auditlogs.DirectoryAuditsRequestBuilderGetRequestConfiguration{
		QueryParameters: &auditlogs.DirectoryAuditsRequestBuilderGetQueryParameters{Filter: &one},
	})
	if err != nil || len(page.GetValue()) != 1 {
		t.Fatalf("%v %v", page, err)
	}
	a := page.GetValue()[0]
	u := a.GetInitiatedBy().GetUser()
	if *a.GetActivityDisplayName() != "Reset user password" || *a.GetResult() != models.SUCCESS_OPERATIONRESULT ||
		!a.GetActivityDateTime().Equal(t0.Add(time.Minute)) || a.GetInitiatedBy().GetApp() != nil ||
		*u.GetUserPrincipalName() != "admin@contoso.com" || *u.GetIpAddress() != "203.0.113.7" ||
		*a.GetTargetResources()[0].GetId() != aliceGUID || *a.GetTargetResources()[0].GetTypeEscaped() != "User" {
		t.Errorf("entry read back wrong: %+v", a)
	}

	bad := "activityDateTime gt 2026-11-28T10:00:00Z"
	_, err = audits.Get(ctx, &auditlogs.DirectoryAuditsRequestBuilderGetRequestConfiguration{
		QueryParameters: &auditlogs.DirectoryAuditsRequestBuilderGetQueryParameters{Filter: &bad},
	})
	if status, _ := sdkStatus(err); status != 400 || odataCode(err) != "BadRequest" {
		t.Errorf("gt: %d %v", status, err)
	}
}

// TestDirectoryAuditsNeedAuditLogRead: Directory.Read.All, which the
// rendered permission table names beside AuditLog.Read.All, does not read
// the audit log alone.
func TestDirectoryAuditsNeedAuditLogRead(t *testing.T) {
	t.Parallel()
	s := newOpenServer(t, Options{})
	ctx := t.Context()
	_, err := sdkAudits(newSDKAdapterWith(t, s, AppToken("Directory.Read.All", "User.Read.All"))).Get(ctx, nil)
	if status, _ := sdkStatus(err); status != 403 || odataCode(err) != "Authentication_MSGraphPermissionMissing" {
		t.Errorf("with Directory.Read.All: %d %v", status, err)
	}
	if _, err := sdkAudits(newSDKAdapterWith(t, s, AppToken("AuditLog.Read.All"))).Get(ctx, nil); err != nil {
		t.Errorf("with AuditLog.Read.All: %v", err)
	}
}

// TestDirectoryAuditsUnderReportsLimit: the audit log shares the reports
// budget with sign-ins: the sixth read within the window, of either, is a
// 429 without Retry-After.
func TestDirectoryAuditsUnderReportsLimit(t *testing.T) {
	t.Parallel()
	s := auditFixture(t, Options{ReportsWindow: time.Hour})
	ctx := t.Context()
	audits := sdkAudits(newSDKAdapter(t, s))
	for i := range ReportsLimit - 1 {
		if _, err := audits.Get(ctx, nil); err != nil {
			t.Fatalf("read %d: %v", i+1, err)
		}
	}
	if r := get(t, s, "/auditLogs/signIns", nil); r.status != 200 {
		t.Fatalf("the fifth request, sign-ins: %d", r.status)
	}
	_, err := audits.Get(ctx, &auditlogs.DirectoryAuditsRequestBuilderGetRequestConfiguration{Options: noRetry})
	if status, ra := sdkStatus(err); status != http.StatusTooManyRequests || ra != "" || odataCode(err) != "TooManyRequests" {
		t.Errorf("sixth within the window: %d Retry-After %q (%v)", status, ra, err)
	}
	if s.ReportsThrottled() != 1 {
		t.Errorf("ReportsThrottled %d", s.ReportsThrottled())
	}
}
