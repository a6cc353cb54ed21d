package fakegraph

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// rawGet sends a GET and returns the body unparsed: $count is not JSON.
func rawGet(t *testing.T, s *Server, path string, hdr http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
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
	return resp.StatusCode, resp.Header, string(data)
}

var eventual = http.Header{"ConsistencyLevel": {"eventual"}}

func TestCountUsers(t *testing.T) {
	users := Tenant(10000, 5)
	s := New(Options{Token: testToken})
	t.Cleanup(s.Close)
	s.AddUsers(users...)
	enabled, members, both := 0, 0, 0
	for _, u := range users {
		if u.AccountEnabled {
			enabled++
		}
		if u.UserType == "Member" {
			members++
			if u.AccountEnabled {
				both++
			}
		}
	}
	for filter, want := range map[string]int{
		"":                       len(users),
		"accountEnabled eq true": enabled,
		"userType eq 'Member'":   members,
		"accountEnabled eq true and userType eq 'Member'": both,
		"userType eq 'member' AND accountEnabled eq true": both,
		"mail eq 'nobody@contoso.com'":                    0,
	} {
		path := "/users/$count"
		if filter != "" {
			path += "?" + url.Values{"$filter": {filter}}.Encode()
		}
		status, h, body := rawGet(t, s, path, eventual)
		if status != 200 || h.Get("Content-Type") != "text/plain" || body != strconv.Itoa(want) || h.Get("request-id") == "" {
			t.Errorf("%q: %d %q %v, want %d", filter, status, body, h, want)
		}
	}
	if both == len(users) || both == enabled || both == members {
		t.Fatalf("the tenant does not tell the filters apart: %d %d %d", enabled, members, both)
	}
}

func TestCountRefused(t *testing.T) {
	s := newTestServer(t, Options{})
	for _, hdr := range []http.Header{nil, {"ConsistencyLevel": {"session"}}} {
		r := do(t, s, http.MethodGet, "/users/$count", hdr, nil)
		if r.status != 400 || r.errorCode() != "Request_UnsupportedQuery" || r.errorMessage() != msgCountNeedsEventual {
			t.Errorf("ConsistencyLevel %v: %d %v", hdr, r.status, r.body)
		}
	}
	// The header's value is matched without regard to case; the path
	// segment may come percent-encoded.
	if status, _, body := rawGet(t, s, "/users/%24COUNT", http.Header{"Consistencylevel": {"Eventual"}}); status != 200 || body != "4" {
		t.Errorf("spelling: %d %q", status, body)
	}
	for _, q := range []url.Values{
		{"$filter": {"nickname eq 'x'"}}, {"$filter": {"accountEnabled eq"}}, {"$top": {"1"}}, {"$search": {`"displayName:a"`}},
	} {
		if r := do(t, s, http.MethodGet, "/users/$count?"+q.Encode(), eventual, nil); r.status != 400 || r.errorCode() != "BadRequest" {
			t.Errorf("%v: %d %v", q, r.status, r.body)
		}
	}
}

func TestListDelay(t *testing.T) {
	s := newTestServer(t, Options{PageSize: 2})
	const d = 300 * time.Millisecond
	s.SetListDelay(d)
	start := time.Now()
	r := get(t, s, "/users", nil)
	if took := time.Since(start); r.status != 200 || took < d {
		t.Fatalf("first page after %v: %d", took, r.status)
	}
	start = time.Now()
	if r = do(t, s, http.MethodGet, r.body["@odata.nextLink"].(string), nil, nil); time.Since(start) < d || r.status != 200 {
		t.Errorf("next page after %v", time.Since(start))
	}
	// Counting and reading one user are not held back.
	start = time.Now()
	rawGet(t, s, "/users/$count", eventual)
	get(t, s, "/users/1", nil)
	if took := time.Since(start); took >= d {
		t.Errorf("count and read took %v", took)
	}
	s.SetListDelay(0)
	start = time.Now()
	if get(t, s, "/users", nil); time.Since(start) >= d {
		t.Errorf("delay not removed: %v", time.Since(start))
	}
}

// TestListDelayEndsWithClose: a test that gives up on a slow listing must
// not wait out the delay when it closes the server.
func TestListDelayEndsWithClose(t *testing.T) {
	s := New(Options{Token: testToken})
	s.AddUser(User{ID: "1"})
	s.SetListDelay(time.Minute)
	arrived := make(chan struct{})
	var once sync.Once
	s.OnRequest(func(Request) { once.Do(func() { close(arrived) }) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		if req, err := http.NewRequest(http.MethodGet, s.URL()+"/users", nil); err == nil {
			req.Header.Set("Authorization", "Bearer "+testToken)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}()
	<-arrived
	start := time.Now()
	s.Close()
	<-done
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Close took %v", took)
	}
}
