package fakegraph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// testToken holds every permission the fake knows, for tests of anything
// but permissions.
var testToken = AppToken(allPermissions()...)

// result is a decoded answer from the fake.
type result struct {
	status int
	header http.Header
	body   map[string]any
}

func (r result) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func (r result) errorMessage() string {
	e, _ := r.body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

func newTestServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	if opts.ReportsWindow == 0 {
		opts.ReportsWindow = -1 // limits_test.go tests it; others send more
	}
	s := New(opts)
	t.Cleanup(s.Close)
	s.AddUsers(filterUsers...)
	return s
}

// do sends a request to rawURL, which is either absolute (a nextLink) or a
// path with escaped query appended to the server's base URL.
func do(t *testing.T, s *Server, method, rawURL string, hdr http.Header, body []byte) result {
	t.Helper()
	if !strings.HasPrefix(rawURL, "http") {
		rawURL = s.URL() + rawURL
	}
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := result{status: resp.StatusCode, header: resp.Header}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &r.body); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, rawURL, data, err)
		}
	}
	return r
}

func get(t *testing.T, s *Server, path string, query url.Values) result {
	t.Helper()
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	return do(t, s, http.MethodGet, path, nil, nil)
}

func TestGetUser(t *testing.T) {
	s := newTestServer(t, Options{})
	for _, key := range []string{"1", "alice@contoso.com", "ALICE@Contoso.COM"} {
		r := get(t, s, "/users/"+url.PathEscape(key), nil)
		if r.status != 200 || r.body["id"] != "1" || r.body["mail"] != "alice@contoso.com" {
			t.Fatalf("GET /users/%s: %d %v", key, r.status, r.body)
		}
		if _, ok := r.body["businessPhones"].([]any); !ok || r.body["mailNickname"] != nil {
			t.Errorf("default property set wrong: %v", r.body)
		}
		if r.body["@odata.context"] != "https://graph.microsoft.com/v1.0/$metadata#users/$entity" {
			t.Errorf("context %v", r.body["@odata.context"])
		}
		if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || r.header.Get("request-id") == "" {
			t.Errorf("headers %v", r.header)
		}
	}
}

func TestGetGuestByEncodedUPN(t *testing.T) {
	s := newTestServer(t, Options{})
	// The SDK percent-encodes '#' (and '@'); a decoded '#' would start a fragment.
	r := get(t, s, "/users/gil_fabrikam.com%23EXT%23%40contoso.onmicrosoft.com", nil)
	if r.status != 200 || r.body["id"] != "3" {
		t.Fatalf("guest lookup: %d %v", r.status, r.body)
	}
	if got := s.Requests()[0].Path; got != "/v1.0/users/gil_fabrikam.com#EXT#@contoso.onmicrosoft.com" {
		t.Errorf("logged path %q", got)
	}
}

func TestGetUserSelect(t *testing.T) {
	s := newTestServer(t, Options{})
	s.AddUser(User{ID: "5", UserPrincipalName: "five@contoso.com", ProxyAddresses: []string{"SMTP:five@contoso.com"},
		UserType: "Guest", SignInSessionsValidFrom: time.Date(2026, 11, 28, 3, 4, 5, 600, time.FixedZone("x", 3600))})
	r := get(t, s, "/users/5", url.Values{"$select": {"userType,proxyAddresses,SIGNINSESSIONSVALIDFROMDATETIME,accountEnabled,mail"}})
	want := map[string]any{
		"@odata.context":                  "https://graph.microsoft.com/v1.0/$metadata#users(userType,proxyAddresses,signInSessionsValidFromDateTime,accountEnabled,mail)/$entity",
		"id":                              "5",
		"userType":                        "Guest",
		"proxyAddresses":                  []any{"SMTP:five@contoso.com"},
		"signInSessionsValidFromDateTime": "2026-11-28T02:04:05Z",
		"accountEnabled":                  false,
		"mail":                            nil,
	}
	if got, _ := json.Marshal(r.body); string(got) != mustJSON(t, want) {
		t.Errorf("got  %s\nwant %s", got, mustJSON(t, want))
	}
	r = get(t, s, "/users/5", url.Values{"$select": {"id,favouriteColour"}})
	if r.status != 400 || r.errorMessage() != "Could not find a property named 'favouriteColour' on type 'microsoft.graph.user'." {
		t.Errorf("unknown $select: %d %v", r.status, r.body)
	}
}

func mustJSON(t *testing.T, v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestGetUserNotFound(t *testing.T) {
	s := newTestServer(t, Options{})
	r := do(t, s, http.MethodGet, "/users/nobody%40contoso.com", http.Header{"Client-Request-Id": {"abc"}}, nil)
	if r.status != 404 || r.errorCode() != "Request_ResourceNotFound" ||
		r.errorMessage() != "Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present." {
		t.Fatalf("got %d %v", r.status, r.body)
	}
	inner := r.body["error"].(map[string]any)["innerError"].(map[string]any)
	if inner["client-request-id"] != "abc" || inner["request-id"] != r.header.Get("request-id") || inner["date"] == "" {
		t.Errorf("innerError %v, headers %v", inner, r.header)
	}
	if r.header.Get("Content-Type") != "application/json" {
		t.Errorf("error Content-Type %q", r.header.Get("Content-Type"))
	}
}

func TestListFilter(t *testing.T) {
	s := newTestServer(t, Options{})
	ids := func(r result) []string {
		var out []string
		vals, _ := r.body["value"].([]any)
		for _, v := range vals {
			out = append(out, v.(map[string]any)["id"].(string))
		}
		return out
	}
	tests := []struct {
		filter string
		status int
		ids    string
	}{
		{"mail eq 'o''brien@contoso.com'", 200, "2"},
		{"proxyAddresses/any(p:p eq 'smtp:al@contoso.com')", 200, "1"},
		{"mailNickname eq 'x' or 1 eq 1", 400, ""},
		{"mailNickname eq 'x'' or 1 eq 1 or mail eq '''", 200, ""},
		{"mail eq 'o'brien@contoso.com'", 400, ""},
		{"userType eq 'Member' and accountEnabled eq true", 200, "1,4"},
	}
	for _, tt := range tests {
		r := get(t, s, "/users", url.Values{"$filter": {tt.filter}})
		if r.status != tt.status || strings.Join(ids(r), ",") != tt.ids {
			t.Errorf("%s: got %d %v, want %d %s", tt.filter, r.status, ids(r), tt.status, tt.ids)
		}
		if r.status == 400 && (r.errorCode() != "BadRequest" || !strings.HasPrefix(r.errorMessage(), "Invalid filter clause: ")) {
			t.Errorf("%s: error %v", tt.filter, r.body)
		}
	}
	r := get(t, s, "/users", url.Values{"$filter": {"nickname eq 'x'"}})
	if r.status != 400 || r.errorMessage() != "Could not find a property named 'nickname' on type 'microsoft.graph.user'." {
		t.Errorf("unknown property: %d %v", r.status, r.body)
	}
}

func TestListPaging(t *testing.T) {
	s := New(Options{Token: testToken, PageSize: 7})
	t.Cleanup(s.Close)
	want := map[string]bool{}
	for i := range 40 {
		u := User{ID: fmt.Sprintf("u%02d", i), AccountEnabled: i%4 != 0, Mail: "m@contoso.com"}
		s.AddUser(u)
		if u.AccountEnabled {
			want[u.ID] = true
		}
	}
	for _, tc := range []struct {
		top  string
		page int
	}{{"", 7}, {"4", 4}, {"999", 7}} {
		q := url.Values{"$filter": {"accountEnabled eq true"}, "$select": {"id,mail"}, "$count": {"true"}}
		if tc.top != "" {
			q.Set("$top", tc.top)
		}
		next, seen, pages := s.URL()+"/users?"+q.Encode(), map[string]bool{}, 0
		for next != "" {
			r := do(t, s, http.MethodGet, next, nil, nil)
			if r.status != 200 {
				t.Fatalf("page %d: %d %v", pages, r.status, r.body)
			}
			if r.body["@odata.count"] != float64(len(want)) {
				t.Errorf("@odata.count %v", r.body["@odata.count"])
			}
			vals := r.body["value"].([]any)
			if n, _ := r.body["@odata.nextLink"].(string); n != "" && len(vals) != tc.page {
				t.Errorf("$top=%s: page of %d, want %d", tc.top, len(vals), tc.page)
			}
			for _, v := range vals {
				u := v.(map[string]any)
				id := u["id"].(string)
				if seen[id] || !want[id] || len(u) != 2 {
					t.Fatalf("unexpected or repeated user %v", u)
				}
				seen[id] = true
			}
			next, _ = r.body["@odata.nextLink"].(string)
			if next != "" && !strings.HasPrefix(next, s.URL()+"/users?") {
				t.Fatalf("nextLink %q", next)
			}
			pages++
		}
		if len(seen) != len(want) {
			t.Errorf("$top=%q: saw %d users over %d pages, want %d", tc.top, len(seen), pages, len(want))
		}
	}
}

func TestListPagingSurvivesInsertions(t *testing.T) {
	s := New(Options{Token: testToken, PageSize: 2})
	t.Cleanup(s.Close)
	s.AddUsers(User{ID: "a"}, User{ID: "b"}, User{ID: "c"})
	r := get(t, s, "/users", nil)
	s.AddUser(User{ID: "d"})
	r = do(t, s, http.MethodGet, r.body["@odata.nextLink"].(string), nil, nil)
	vals := r.body["value"].([]any)
	if len(vals) != 2 || vals[0].(map[string]any)["id"] != "c" || vals[1].(map[string]any)["id"] != "d" {
		t.Errorf("second page %v", vals)
	}
}

func TestListQueryValidation(t *testing.T) {
	s := newTestServer(t, Options{})
	for _, q := range []url.Values{
		{"$top": {"0"}}, {"$top": {"1000"}}, {"$top": {"ten"}}, {"$count": {"maybe"}},
		{"$skiptoken": {"bogus"}}, {"$orderby": {"displayName"}}, {"$search": {`"displayName:a"`}},
	} {
		if r := get(t, s, "/users", q); r.status != 400 || r.errorCode() != "BadRequest" {
			t.Errorf("%v: got %d %v", q, r.status, r.body)
		}
	}
}

func TestAuth(t *testing.T) {
	s := newTestServer(t, Options{})
	for _, h := range []string{"", "Bearer wrong", "Basic " + testToken, "Bearer"} {
		r := do(t, s, http.MethodGet, "/users/1", http.Header{"Authorization": {h}}, nil)
		if r.status != 401 || r.errorCode() != "InvalidAuthenticationToken" || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %d %v", h, r.status, r.body)
		}
	}
	open := New(Options{})
	t.Cleanup(open.Close)
	open.AddUser(User{ID: "1"})
	if r := do(t, open, http.MethodGet, "/users/1", http.Header{"Authorization": {"Bearer " + AppToken(allPermissions()...)}}, nil); r.status != 200 {
		t.Errorf("empty Options.Token should accept any bearer: %d", r.status)
	}
	if r := do(t, open, http.MethodGet, "/users/1", http.Header{"Authorization": nil}, nil); r.status != 401 {
		t.Errorf("missing header accepted: %d", r.status)
	}
}

func TestUnknownRoutes(t *testing.T) {
	s := newTestServer(t, Options{})
	tests := []struct{ method, path, msg string }{
		{"GET", "/groups", "Resource not found for the segment 'groups'."},
		{"GET", "/users/1/manager", "Resource not found for the segment 'manager'."},
		{"GET", "/users/1/revokeSignInSessions/x", "Resource not found for the segment 'x'."},
		{"GET", s.URL()[:len(s.URL())-len("/v1.0")] + "/beta/users", "Invalid version: beta"},
	}
	for _, tt := range tests {
		if r := do(t, s, tt.method, tt.path, nil, nil); r.status != 400 || r.errorMessage() != tt.msg {
			t.Errorf("%s %s: %d %v", tt.method, tt.path, r.status, r.body)
		}
	}
	if r := do(t, s, "GET", "/users/1/revokeSignInSessions", nil, nil); r.status != 405 {
		t.Errorf("GET revokeSignInSessions: %d %v", r.status, r.body)
	}
}
