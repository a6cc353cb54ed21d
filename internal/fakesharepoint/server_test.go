package fakesharepoint

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/faketoken"
)

const (
	nometadata = "application/json;odata=nometadata"
)

// token may revoke sessions.
var token = AppToken(FullControl)

func newServer(t *testing.T) *Server {
	t.Helper()
	s := New(Options{Token: token})
	t.Cleanup(s.Close)
	return s
}

// do sends a raw request; auth "" sends no Authorization header.
func do(t *testing.T, method, url, auth, accept, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

func revoke(t *testing.T, s *Server, upn string) (*http.Response, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"userName": upn})
	return do(t, "POST", s.URL()+RevokePath, "Bearer "+token, nometadata, string(body))
}

// odataErrorOf decodes a JSON-light error body.
func odataErrorOf(t *testing.T, raw []byte) (code, message string) {
	t.Helper()
	var body struct {
		E struct {
			Code    string `json:"code"`
			Message struct {
				Lang  string `json:"lang"`
				Value string `json:"value"`
			} `json:"message"`
		} `json:"odata.error"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("not an odata.error body: %s", raw)
	}
	if body.E.Message.Lang != "en-US" {
		t.Errorf("message lang %q in %s", body.E.Message.Lang, raw)
	}
	return body.E.Code, body.E.Message.Value
}

func TestURLIsLoopbackBase(t *testing.T) {
	s := newServer(t)
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || strings.Count(s.URL(), "/") != 2 {
		t.Errorf("URL %q, want http://127.0.0.1:PORT", s.URL())
	}
}

func TestStatePerUser(t *testing.T) {
	s := newServer(t)
	s.AddUser("Alice@Contoso.com")
	s.AddUser("bob@contoso.com")
	s.SetState("bob@contoso.com", StateNonInstantaneousSuccess)
	s.AddUser("dave@contoso.com")
	s.SetState("dave@contoso.com", StateFailure)
	s.SetState("erin@contoso.com", StateInstantaneousSuccess) // not added: the override still wins

	for _, tc := range []struct {
		upn, want string
	}{
		{"alice@contoso.com", `{"State":4}`},
		{"bob@contoso.com", `{"State":3}`},
		{"carol@contoso.com", `{"State":1}`},
		{"dave@contoso.com", `{"State":2}`},
		{"erin@contoso.com", `{"State":4}`},
	} {
		resp, raw := revoke(t, s, tc.upn)
		if resp.StatusCode != 200 || string(raw) != tc.want {
			t.Errorf("%s: %d %s, want 200 %s", tc.upn, resp.StatusCode, raw, tc.want)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json;odata=nometadata") {
			t.Errorf("%s: Content-Type %q", tc.upn, ct)
		}
	}
	for upn, want := range map[string]int{"ALICE@contoso.com": 1, "bob@contoso.com": 1, "carol@contoso.com": 0, "dave@contoso.com": 0} {
		if got := s.Revoked(upn); got != want {
			t.Errorf("Revoked(%s) = %d, want %d", upn, got, want)
		}
	}
}

func TestFeatureDisabledAnswersZeroForEveryone(t *testing.T) {
	s := newServer(t)
	s.AddUser("alice@contoso.com")
	s.SetState("bob@contoso.com", StateNonInstantaneousSuccess)
	s.SetFeatureDisabled(true)
	for _, upn := range []string{"alice@contoso.com", "bob@contoso.com", "nobody@contoso.com"} {
		if _, raw := revoke(t, s, upn); string(raw) != `{"State":0}` {
			t.Errorf("%s: %s, want State 0", upn, raw)
		}
	}
	if s.Revoked("alice@contoso.com") != 0 {
		t.Error("a disabled feature revoked")
	}
	s.SetFeatureDisabled(false)
	if _, raw := revoke(t, s, "alice@contoso.com"); string(raw) != `{"State":4}` {
		t.Errorf("re-enabled: %s", raw)
	}
}

func TestAnswerFollowsAcceptFormat(t *testing.T) {
	s := newServer(t)
	s.AddUser("alice@contoso.com")
	body := `{"userName":"alice@contoso.com"}`

	_, raw := do(t, "POST", s.URL()+RevokePath, "Bearer "+token, "application/json;odata=verbose", body)
	var verbose struct {
		D struct {
			Metadata struct{ Type string } `json:"__metadata"`
			State    *int
		} `json:"d"`
	}
	if err := json.Unmarshal(raw, &verbose); err != nil || verbose.D.State == nil || *verbose.D.State != 4 ||
		verbose.D.Metadata.Type != "Microsoft.Online.SharePoint.TenantManagement.SPOUserSessionRevocationResult" {
		t.Errorf("verbose answer %s", raw)
	}

	resp, raw := do(t, "POST", s.URL()+RevokePath, "Bearer "+token, "application/json", body)
	var minimal map[string]any
	if err := json.Unmarshal(raw, &minimal); err != nil || minimal["State"] != 4.0 ||
		!strings.HasPrefix(minimal["odata.metadata"].(string), s.URL()+"/_api/$metadata#") {
		t.Errorf("minimalmetadata answer %s", raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "odata=minimalmetadata") {
		t.Errorf("default Content-Type %q", ct)
	}

	// Errors follow the format too: "error" in verbose, "odata.error" otherwise.
	_, raw = do(t, "POST", s.URL()+RevokePath, "Bearer "+token, "application/json;odata=verbose", `{}`)
	if !bytes.HasPrefix(raw, []byte(`{"error":{"code":`)) {
		t.Errorf("verbose error %s", raw)
	}
}

func TestAuthentication(t *testing.T) {
	s := newServer(t)
	s.AddUser("alice@contoso.com")
	body := `{"userName":"alice@contoso.com"}`

	resp, raw := do(t, "POST", s.URL()+RevokePath, "", nometadata, body)
	if code, _ := odataErrorOf(t, raw); resp.StatusCode != 401 || code != "-2147024891, System.UnauthorizedAccessException" {
		t.Errorf("no token: %d %s", resp.StatusCode, raw)
	}
	if !strings.Contains(resp.Header.Get("WWW-Authenticate"), `client_id="00000003-0000-0ff1-ce00-000000000000"`) {
		t.Errorf("no token: challenge %q", resp.Header.Get("WWW-Authenticate"))
	}

	resp, raw = do(t, "POST", s.URL()+RevokePath, "Basic "+token, nometadata, body)
	if resp.StatusCode != 401 || string(raw) != `{"error_description":"Unsupported security token."}` {
		t.Errorf("basic auth: %d %s", resp.StatusCode, raw)
	}

	resp, raw = do(t, "POST", s.URL()+RevokePath, "Bearer other", nometadata, body)
	if resp.StatusCode != 401 || string(raw) != `{"error_description":"Invalid issuer or signature."}` ||
		!strings.HasPrefix(resp.Header.Get("X-Ms-Diagnostics"), "3000006;") {
		t.Errorf("wrong token: %d %s %v", resp.StatusCode, raw, resp.Header)
	}
	// The token is checked before the path: a wrong token learns nothing.
	if resp, _ := do(t, "POST", s.URL()+"/_api/web", "Bearer other", nometadata, body); resp.StatusCode != 401 {
		t.Errorf("wrong token on another path: %d, want 401", resp.StatusCode)
	}
	if s.Revoked("alice@contoso.com") != 0 {
		t.Error("an unauthenticated request revoked")
	}

	open := New(Options{})
	defer open.Close()
	open.AddUser("alice@contoso.com")
	if resp, _ := do(t, "POST", open.URL()+RevokePath, "Bearer "+AppToken(FullControl), nometadata, body); resp.StatusCode != 200 {
		t.Errorf("empty Options.Token refused a bearer token: %d", resp.StatusCode)
	}
	// SharePoint refuses an app-only token got with a client secret, and
	// one without the permission, whoever sent it.
	secret := faketoken.Make(faketoken.Claims{Roles: []string{FullControl}, AppIDACR: "1"})
	for _, tt := range []struct {
		name, token string
		status      int
		says        string
	}{
		{"not a JWT", "whatever", 401, "Unsupported security token."},
		{"a client secret's", secret, 401, "Unsupported app only token."},
		{"without Sites.FullControl.All", AppToken("Sites.Read.All"), 403, "Access denied"},
	} {
		resp, raw := do(t, "POST", open.URL()+RevokePath, "Bearer "+tt.token, nometadata, body)
		if resp.StatusCode != tt.status || !strings.Contains(string(raw), tt.says) {
			t.Errorf("%s token: %d %s", tt.name, resp.StatusCode, raw)
		}
	}
	if open.Revoked("alice@contoso.com") != 1 {
		t.Errorf("%d revocations: a refused token revoked", open.Revoked("alice@contoso.com"))
	}
	if resp, _ := do(t, "POST", open.URL()+RevokePath, "", nometadata, body); resp.StatusCode != 401 {
		t.Errorf("empty Options.Token accepted no token: %d", resp.StatusCode)
	}
}

func TestMethodAndPath(t *testing.T) {
	s := newServer(t)
	s.AddUser("alice@contoso.com")
	body := `{"userName":"alice@contoso.com"}`

	resp, raw := do(t, "GET", s.URL()+RevokePath, "Bearer "+token, nometadata, "")
	if code, _ := odataErrorOf(t, raw); resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" ||
		code != "-1, Microsoft.SharePoint.Client.ClientServiceException" {
		t.Errorf("GET: %d %s", resp.StatusCode, raw)
	}

	resp, raw = do(t, "POST", s.URL()+"/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/RevokeAllUserSession", "Bearer "+token, nometadata, body)
	code, msg := odataErrorOf(t, raw)
	if resp.StatusCode != 404 || code != "-1, Microsoft.SharePoint.Client.ResourceNotFoundException" ||
		msg != "Cannot find resource for the request Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/RevokeAllUserSession." {
		t.Errorf("wrong path: %d %s", resp.StatusCode, raw)
	}

	// SharePoint's REST paths are case-insensitive.
	resp, raw = do(t, "POST", s.URL()+strings.ToLower(RevokePath), "Bearer "+token, nometadata, body)
	if resp.StatusCode != 200 || string(raw) != `{"State":4}` {
		t.Errorf("lower-case path: %d %s", resp.StatusCode, raw)
	}
}

func TestMalformedBodies(t *testing.T) {
	s := newServer(t)
	s.AddUser("alice@contoso.com")
	for _, tc := range []struct {
		body, code, message string
	}{
		{`not json`, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "Invalid JSON. A token was not recognized in the JSON content."},
		{``, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "Invalid JSON. A token was not recognized in the JSON content."},
		{`{"userName":"alice@contoso.com","force":true}`, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "The parameter force does not exist in method RevokeAllUserSessions."},
		{`{"UserName":"alice@contoso.com"}`, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "The parameter UserName does not exist in method RevokeAllUserSessions."},
		{`{}`, "-2147467261, System.ArgumentNullException", "Value cannot be null.\r\nParameter name: userName"},
		{`{"userName":""}`, "-2147467261, System.ArgumentNullException", "Value cannot be null.\r\nParameter name: userName"},
		{`{"userName":{"x":1}}`, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", ""},
	} {
		resp, raw := do(t, "POST", s.URL()+RevokePath, "Bearer "+token, nometadata, tc.body)
		code, msg := odataErrorOf(t, raw)
		if resp.StatusCode != 400 || code != tc.code || (tc.message != "" && msg != tc.message) {
			t.Errorf("%q: %d %s", tc.body, resp.StatusCode, raw)
		}
	}
	if s.Revoked("alice@contoso.com") != 0 {
		t.Error("a malformed request revoked")
	}
}

func TestFaults(t *testing.T) {
	s := newServer(t)
	s.AddUser("alice@contoso.com")
	s.Inject(Fault{Status: 429, RetryAfter: "3", Times: 2})
	s.Inject(Fault{Status: 403, Times: 1})
	for i, want := range []int{429, 429, 403, 200} {
		resp, raw := revoke(t, s, "alice@contoso.com")
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d %s, want %d", i, resp.StatusCode, raw, want)
		}
		if want == 429 && resp.Header.Get("Retry-After") != "3" {
			t.Errorf("request %d: Retry-After %q", i, resp.Header.Get("Retry-After"))
		}
		if want == 403 {
			code, msg := odataErrorOf(t, raw)
			if code != "-2147024891, System.UnauthorizedAccessException" || !strings.HasPrefix(msg, "Access denied.") {
				t.Errorf("403 body %s", raw)
			}
		}
	}
	if n := s.Revoked("alice@contoso.com"); n != 1 {
		t.Errorf("Revoked = %d, want 1 (faults do not revoke)", n)
	}

	s.Inject(Fault{Status: 503})
	for range 3 {
		if resp, _ := revoke(t, s, "alice@contoso.com"); resp.StatusCode != 503 {
			t.Fatalf("forever fault answered %d", resp.StatusCode)
		}
	}
	s.ClearFaults()
	if resp, _ := revoke(t, s, "alice@contoso.com"); resp.StatusCode != 200 {
		t.Errorf("after ClearFaults: %d", resp.StatusCode)
	}

	s.Inject(Fault{Status: 401, Times: 1})
	if resp, raw := revoke(t, s, "alice@contoso.com"); resp.StatusCode != 401 || string(raw) != `{"error_description":"Unsupported app only token."}` {
		t.Errorf("401 fault: %d %s", resp.StatusCode, raw)
	}
	s.Inject(Fault{Code: "-2146232832, Microsoft.SharePoint.SPException", Message: "boom", Times: 1})
	resp, raw := revoke(t, s, "alice@contoso.com")
	if code, msg := odataErrorOf(t, raw); resp.StatusCode != 500 || code != "-2146232832, Microsoft.SharePoint.SPException" || msg != "boom" {
		t.Errorf("500 fault: %d %s", resp.StatusCode, raw)
	}

	// Faults apply to the endpoint only, so a wrong path still gets 404.
	s.Inject(Fault{Status: 429, Times: 1})
	if resp, _ := do(t, "POST", s.URL()+"/_api/web", "Bearer "+token, nometadata, `{}`); resp.StatusCode != 404 {
		t.Errorf("fault hit another path: %d", resp.StatusCode)
	}
}

func TestRequestLog(t *testing.T) {
	s := newServer(t)
	before := time.Now()
	revoke(t, s, "zoë@contoso.com")
	do(t, "GET", s.URL()+RevokePath, "Bearer "+token, nometadata, "")

	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests logged, want 2", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != RevokePath || string(r.Body) != `{"userName":"zoë@contoso.com"}` ||
		r.Header.Get("Authorization") != "Bearer "+token || r.Status != 200 || r.At.Before(before) {
		t.Errorf("first request logged as %+v", r)
	}
	if reqs[1].Method != "GET" || reqs[1].Status != 405 {
		t.Errorf("second request logged as %+v", reqs[1])
	}

	// The log hands out copies.
	r.Header.Set("Authorization", "changed")
	r.Body[0] = 'X'
	again := s.Requests()[0]
	if again.Header.Get("Authorization") != "Bearer "+token || again.Body[0] != '{' {
		t.Error("mutating a returned Request changed the log")
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newServer(t)
	s.AddUser("alice@contoso.com")
	s.Inject(Fault{Status: 429, Times: 10})
	const n = 40
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// No t.Fatal off the test goroutine: report a failed request as 0.
			status := 0
			req, _ := http.NewRequest("POST", s.URL()+RevokePath, strings.NewReader(`{"userName":"alice@contoso.com"}`))
			req.Header.Set("Authorization", "Bearer "+token)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
			}
			statuses <- status
			_ = s.Requests()
			_ = s.Revoked("alice@contoso.com")
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for st := range statuses {
		count[st]++
	}
	if count[429] != 10 || count[200] != n-10 {
		t.Errorf("statuses %v, want exactly 10 throttled", count)
	}
	if got := s.Revoked("alice@contoso.com"); got != n-10 {
		t.Errorf("Revoked = %d, want %d", got, n-10)
	}
	if got := len(s.Requests()); got != n {
		t.Errorf("%d requests logged, want %d", got, n)
	}
}
