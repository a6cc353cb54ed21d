package fakegraph

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// signInFixture: user 1 signs in five times a minute apart from t0-1m, user 2
// once at t0+30s.
func signInFixture(t *testing.T, opts Options) *Server {
	t.Helper()
	s := newTestServer(t, opts)
	for i, app := range []string{"Outlook", "Teams", "Office", "Azure Portal", "Graph Explorer"} {
		s.AddSignIn(SignIn{ID: "a" + string(rune('0'+i)), UserID: "1", UserPrincipalName: "alice@contoso.com",
			CreatedDateTime: t0.Add(time.Duration(i-1) * time.Minute), AppDisplayName: app, IPAddress: "203.0.113.7"})
	}
	s.AddSignIn(SignIn{ID: "b0", UserID: "2", CreatedDateTime: t0.Add(30 * time.Second), ErrorCode: 50126,
		FailureReason: "Invalid username or password.", City: "Lagos", CountryOrRegion: "NG"})
	return s
}

func ids(t *testing.T, r result) []string {
	t.Helper()
	var out []string
	for _, v := range r.body["value"].([]any) {
		out = append(out, v.(map[string]any)["id"].(string))
	}
	return out
}

func TestSignInsFilter(t *testing.T) {
	s := signInFixture(t, Options{})
	tests := []struct {
		filter string
		want   []string
	}{
		{"", []string{"a4", "a3", "a2", "b0", "a1", "a0"}},
		{"userId eq '1'", []string{"a4", "a3", "a2", "a1", "a0"}},
		{"userId eq '1' and createdDateTime ge 2026-11-28T10:00:00Z", []string{"a4", "a3", "a2", "a1"}},
		{"USERID EQ '1' AND createdDateTime gt 2026-11-28T10:00:00Z", []string{"a4", "a3", "a2"}},
		{"createdDateTime ge 2026-11-28T10:00:00.5Z and createdDateTime lt 2026-11-28T10:02:00+00:00", []string{"a2", "b0"}},
		{"userPrincipalName eq 'ALICE@contoso.com' and appDisplayName eq 'Teams'", []string{"a1"}},
		{"userId eq '2' and ipAddress eq '203.0.113.7'", nil},
		// A quote in the value stays inside the literal.
		{"userId eq '1'' or userId ne ''1'", nil},
	}
	for _, tt := range tests {
		q := url.Values{}
		if tt.filter != "" {
			q.Set("$filter", tt.filter)
		}
		r := get(t, s, "/auditLogs/signIns", q)
		if r.status != 200 || !slices.Equal(ids(t, r), tt.want) {
			t.Errorf("%q: %d %v, want %v", tt.filter, r.status, r.body, tt.want)
		}
	}
}

func TestSignInJSON(t *testing.T) {
	s := signInFixture(t, Options{})
	s.AddSignIn(SignIn{ID: "c0", UserID: "3", CreatedDateTime: t0.Add(1234567 * time.Microsecond)})
	r := get(t, s, "/auditLogs/signIns", url.Values{"$filter": {"createdDateTime ge 2026-11-28T10:00:00Z and createdDateTime le 2026-11-28T10:00:30Z"}})
	want := `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[` +
		`{"appDisplayName":null,"createdDateTime":"2026-11-28T10:00:30Z","id":"b0","ipAddress":null,` +
		`"location":{"city":"Lagos","countryOrRegion":"NG","geoCoordinates":null,"state":null},` +
		`"status":{"additionalDetails":null,"errorCode":50126,"failureReason":"Invalid username or password."},` +
		`"userDisplayName":null,"userId":"2","userPrincipalName":null},` +
		`{"appDisplayName":null,"createdDateTime":"2026-11-28T10:00:01.234567Z","id":"c0","ipAddress":null,` +
		`"location":{"city":null,"countryOrRegion":null,"geoCoordinates":null,"state":null},` +
		`"status":{"additionalDetails":null,"errorCode":0,"failureReason":null},` +
		`"userDisplayName":null,"userId":"3","userPrincipalName":null},` +
		`{"appDisplayName":"Teams","createdDateTime":"2026-11-28T10:00:00Z","id":"a1","ipAddress":"203.0.113.7",` +
		`"location":{"city":null,"countryOrRegion":null,"geoCoordinates":null,"state":null},` +
		`"status":{"additionalDetails":null,"errorCode":0,"failureReason":null},` +
		`"userDisplayName":null,"userId":"1","userPrincipalName":"alice@contoso.com"}]}`
	if got, _ := json.Marshal(r.body); string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestSignInsPaging(t *testing.T) {
	s := signInFixture(t, Options{PageSize: 2})
	q := url.Values{"$filter": {"userId eq '1'"}}
	var got []string
	next := "/auditLogs/signIns?" + q.Encode()
	for pages := 0; next != ""; pages++ {
		if pages == 5 {
			t.Fatal("paging does not end")
		}
		r := do(t, s, "GET", next, nil, nil)
		if r.status != 200 {
			t.Fatalf("page %d: %d %v", pages, r.status, r.body)
		}
		got = append(got, ids(t, r)...)
		next, _ = r.body["@odata.nextLink"].(string)
		if next != "" && (!strings.HasPrefix(next, s.URL()+"/auditLogs/signIns?") || !strings.Contains(next, "$filter=userId%20eq%20%271%27")) {
			t.Fatalf("nextLink %q", next)
		}
		if pages == 0 {
			// A sign-in logged between pages is newer than the ones
			// already served: it must not appear on a later page.
			s.AddSignIn(SignIn{ID: "late", UserID: "1", CreatedDateTime: t0.Add(time.Hour)})
		}
	}
	if want := []string{"a4", "a3", "a2", "a1", "a0"}; !slices.Equal(got, want) {
		t.Errorf("pages gave %v, want %v", got, want)
	}
	// $top smaller than the page size pages too; within one instant the
	// later-logged sign-in comes first.
	s.AddSignIns(SignIn{ID: "x", UserID: "9", CreatedDateTime: t0}, SignIn{ID: "y", UserID: "9", CreatedDateTime: t0})
	r := get(t, s, "/auditLogs/signIns", url.Values{"$filter": {"userId eq '9'"}, "$top": {"1"}})
	if !slices.Equal(ids(t, r), []string{"y"}) || r.body["@odata.nextLink"] == nil {
		t.Fatalf("$top=1: %v", r.body)
	}
	r = do(t, s, "GET", r.body["@odata.nextLink"].(string), nil, nil)
	if !slices.Equal(ids(t, r), []string{"x"}) || r.body["@odata.nextLink"] != nil {
		t.Errorf("second page: %v", r.body)
	}
}

func TestSignInsRefused(t *testing.T) {
	s := signInFixture(t, Options{})
	tests := []struct {
		query url.Values
		msg   string
	}{
		{url.Values{"$filter": {"userId eq 1"}}, "Invalid filter clause: A binary operator with incompatible types was detected. Found operand types 'Edm.String' and 'Edm.Int32' for operator kind 'Equal'."},
		{url.Values{"$filter": {"createdDateTime ge '2026-11-28T10:00:00Z'"}}, "Invalid filter clause: A binary operator with incompatible types was detected. Found operand types 'Edm.DateTimeOffset' and 'Edm.String' for operator kind 'GreaterThanOrEqual'."},
		{url.Values{"$filter": {"userId eq 2026-11-28T10:00:00Z"}}, "Invalid filter clause: A binary operator with incompatible types was detected. Found operand types 'Edm.String' and 'Edm.DateTimeOffset' for operator kind 'Equal'."},
		{url.Values{"$filter": {"riskState eq 'atRisk'"}}, "Could not find a property named 'riskState' on type 'microsoft.graph.signIn'."},
		{url.Values{"$filter": {"createdDateTime ge yesterday"}}, ""},
		{url.Values{"$filter": {"startswith(appDisplayName,'Graph')"}}, ""},
		{url.Values{"$filter": {"userId eq '1' or userId eq '2'"}}, ""},
		{url.Values{"$filter": {"userId ne '1'"}}, ""},
		{url.Values{"$filter": {"userId eq '1"}}, ""},
		{url.Values{"$filter": {"userId eq"}}, ""},
		{url.Values{"$filter": {"userId eq '1' and"}}, ""},
		{url.Values{"$orderby": {"createdDateTime desc"}}, "Query option '$orderby' is not allowed here (fakegraph does not implement it for this request)."},
		{url.Values{"$select": {"id"}}, ""},
		{url.Values{"$top": {"0"}}, ""},
		{url.Values{"$top": {"1001"}}, "Invalid page size specified: '1001'. Must be between 1 and 1000 inclusive."},
		{url.Values{"$skiptoken": {"bm9wZQ"}}, "Invalid skip token 'bm9wZQ'."},
	}
	for _, tt := range tests {
		r := get(t, s, "/auditLogs/signIns", tt.query)
		if r.status != 400 || r.errorCode() != "BadRequest" || (tt.msg != "" && r.errorMessage() != tt.msg) {
			t.Errorf("%v: %d %v", tt.query, r.status, r.body)
		}
	}
	if r := do(t, s, "POST", "/auditLogs/signIns", nil, []byte(`{}`)); r.status != 405 {
		t.Errorf("POST: %d", r.status)
	}
}
