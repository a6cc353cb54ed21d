package fakegraph

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// postBatch sends payload to /$batch gzip-compressed, as msgraph-sdk-go
// does, and returns the answer plus its items keyed by id.
func postBatch(t *testing.T, s *Server, payload string, hdr http.Header) (result, map[string]map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprint(zw, payload)
	zw.Close()
	h := http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}
	for k, vs := range hdr {
		h[k] = vs
	}
	r := do(t, s, http.MethodPost, "/$batch", h, buf.Bytes())
	items := map[string]map[string]any{}
	resps, _ := r.body["responses"].([]any)
	for _, v := range resps {
		it := v.(map[string]any)
		items[it["id"].(string)] = it
	}
	return r, items
}

// sdkItem renders a request the way msgraph-sdk-go-core serialises a batch
// step: null body, empty dependsOn, headers as strings.
func sdkItem(id, method, url string) string {
	return fmt.Sprintf(`{"id":%q,"method":%q,"url":%q,"headers":{"Accept":"application/json"},"body":null,"dependsOn":[]}`, id, method, url)
}

func batchOf(items ...string) string {
	return `{"requests":[` + strings.Join(items, ",") + `]}`
}

func itemStatus(it map[string]any) int {
	f, _ := it["status"].(float64)
	return int(f)
}

func itemHeader(it map[string]any, name string) string {
	h, _ := it["headers"].(map[string]any)
	v, _ := h[name].(string)
	return v
}

func itemErrorCode(it map[string]any) string {
	return result{body: asMap(it["body"])}.errorCode()
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func TestBatchMixed(t *testing.T) {
	s := newTestServer(t, Options{WriteLimit: 2, WriteWindow: time.Minute})
	r, items := postBatch(t, s, batchOf(
		sdkItem("1", "POST", "/users/1/revokeSignInSessions"),
		sdkItem("2", "GET", "/users/nobody%40contoso.com"),
		sdkItem("3", "POST", "/users/gil_fabrikam.com%23EXT%23%40contoso.onmicrosoft.com/revokeSignInSessions"),
		sdkItem("4", "post", "users/4/revokeSignInSessions"), // the third write: over the limit
		sdkItem("5", "GET", "users/1?$select=id,accountEnabled"),
	), http.Header{"Client-Request-Id": {"outer"}})
	if r.status != 200 || len(items) != 5 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("batch: %d %v", r.status, r.body)
	}
	if it := items["1"]; itemStatus(it) != 200 || asMap(it["body"])["value"] != true ||
		!strings.HasPrefix(itemHeader(it, "Content-Type"), "application/json") {
		t.Errorf("revoke item: %v", it)
	}
	if it := items["2"]; itemStatus(it) != 404 || itemErrorCode(it) != "Request_ResourceNotFound" ||
		itemHeader(it, "Content-Type") != "application/json" {
		t.Errorf("missing user item: %v", it)
	} else if inner := asMap(asMap(asMap(it["body"])["error"])["innerError"]); inner["client-request-id"] != "outer" ||
		inner["request-id"] == "" || inner["request-id"] == r.header.Get("request-id") {
		t.Errorf("item innerError %v", inner)
	}
	if it := items["3"]; itemStatus(it) != 200 {
		t.Errorf("guest revoke item: %v", it)
	}
	it := items["4"]
	if itemStatus(it) != 429 || itemErrorCode(it) != "TooManyRequests" || !retryAfterFormat.MatchString(itemHeader(it, "Retry-After")) {
		t.Errorf("throttled item: %v", it)
	}
	if it := items["5"]; itemStatus(it) != 200 || asMap(it["body"])["accountEnabled"] != true {
		t.Errorf("get item: %v", it)
	}
	if s.TotalRevocations() != 2 || s.Revocations("4") != 0 || s.Throttled() != 1 {
		t.Errorf("revocations %d, user 4 %d, throttled %d", s.TotalRevocations(), s.Revocations("4"), s.Throttled())
	}
	// The log holds HTTP requests, so a batch is one entry however many
	// items it carries.
	if log := s.Requests(); len(log) != 1 || log[0].Path != "/v1.0/$batch" || log[0].Status != 200 {
		t.Errorf("log %+v", log)
	}
}

func TestBatchLimitsAndValidation(t *testing.T) {
	s := newTestServer(t, Options{})
	var many []string
	for i := range 21 {
		many = append(many, sdkItem(fmt.Sprint(i), "POST", "/users/1/revokeSignInSessions"))
	}
	withBody := `{"id":"1","method":"PATCH","url":"/users/1","body":{"accountEnabled":false}}`
	for name, payload := range map[string]string{
		"21 items":         batchOf(many...),
		"no requests":      `{"requests":[]}`,
		"not JSON":         `{"requests":[`,
		"duplicate ids":    batchOf(sdkItem("a", "GET", "/users/1"), sdkItem("A", "GET", "/users/2")),
		"missing url":      `{"requests":[{"id":"1","method":"GET"}]}`,
		"body, no type":    batchOf(withBody),
		"unknown depend":   `{"requests":[{"id":"1","method":"GET","url":"/users/1","dependsOn":["9"]}]}`,
		"dependency cycle": `{"requests":[{"id":"1","method":"GET","url":"/users/1","dependsOn":["2"]},{"id":"2","method":"GET","url":"/users/2","dependsOn":["1"]}]}`,
	} {
		if r, _ := postBatch(t, s, payload, nil); r.status != 400 || r.errorCode() != "BadRequest" {
			t.Errorf("%s: %d %v", name, r.status, r.body)
		}
	}
	if s.TotalRevocations() != 0 {
		t.Errorf("a refused batch ran %d revocations", s.TotalRevocations())
	}
	if r, items := postBatch(t, s, batchOf(many[:20]...), nil); r.status != 200 || len(items) != 20 || s.TotalRevocations() != 20 {
		t.Errorf("20 items: %d, %d answers, %d revocations", r.status, len(items), s.TotalRevocations())
	}
	if r := do(t, s, http.MethodGet, "/$batch", nil, nil); r.status != 405 {
		t.Errorf("GET $batch: %d", r.status)
	}
}

func TestBatchItemErrors(t *testing.T) {
	s := newTestServer(t, Options{})
	// Faults match items as they match separate requests.
	s.Inject(Fault{PathSuffix: "/revokeSignInSessions", Status: 403, Times: 1})
	_, items := postBatch(t, s, batchOf(
		sdkItem("1", "POST", "/users/1/revokeSignInSessions"),
		sdkItem("2", "POST", "/users/1/revokeSignInSessions"),
		sdkItem("3", "GET", "https://graph.microsoft.com/v1.0/users/1"),
		sdkItem("4", "POST", "/$batch"),
		sdkItem("5", "GET", "/users/1/revokeSignInSessions"),
		sdkItem("6", "GET", "/groups"),
	), nil)
	want := map[string]int{"1": 403, "2": 200, "3": 400, "4": 400, "5": 405, "6": 400}
	for id, status := range want {
		if itemStatus(items[id]) != status {
			t.Errorf("item %s: %v, want %d", id, items[id], status)
		}
	}
	if s.Revocations("1") != 1 {
		t.Errorf("revocations %d", s.Revocations("1"))
	}
}

func TestBatchDependsOn(t *testing.T) {
	s := newTestServer(t, Options{})
	// "b" is listed first but must run after "a"; "c" waits on a failure.
	r, items := postBatch(t, s, `{"requests":[
		{"id":"b","method":"POST","url":"/users/1/revokeSignInSessions","dependsOn":["a"]},
		{"id":"a","method":"GET","url":"/users/1"},
		{"id":"x","method":"GET","url":"/users/nobody"},
		{"id":"c","method":"POST","url":"/users/4/revokeSignInSessions","dependsOn":["x"]}]}`, nil)
	if r.status != 200 || itemStatus(items["b"]) != 200 || itemStatus(items["c"]) != 424 || s.Revocations("4") != 0 {
		t.Fatalf("dependsOn: %d %v", r.status, items)
	}
	order := []string{}
	for _, v := range r.body["responses"].([]any) {
		order = append(order, v.(map[string]any)["id"].(string))
	}
	if strings.Join(order, ",") != "a,b,x,c" {
		t.Errorf("execution order %v", order)
	}
}

func TestBatchAuthAndRawBody(t *testing.T) {
	s := newTestServer(t, Options{})
	payload := batchOf(sdkItem("1", "POST", "/users/1/revokeSignInSessions"))
	if r, _ := postBatch(t, s, payload, http.Header{"Authorization": {"Bearer wrong"}}); r.status != 401 || s.TotalRevocations() != 0 {
		t.Errorf("unauthenticated batch: %d, %d revocations", r.status, s.TotalRevocations())
	}
	// An item's own Authorization header grants nothing.
	item := `{"id":"1","method":"POST","url":"/users/1/revokeSignInSessions","headers":{"Authorization":"Bearer ` + testToken + `"}}`
	if r, _ := postBatch(t, s, batchOf(item), http.Header{"Authorization": nil}); r.status != 401 || s.TotalRevocations() != 0 {
		t.Errorf("batch without Authorization: %d", r.status)
	}
	// Uncompressed bodies work too, and a body with its Content-Type is
	// handed to the item's handler.
	body, _ := json.Marshal(map[string]any{"requests": []any{map[string]any{
		"id": "1", "method": "POST", "url": "/users/1/revokeSignInSessions",
		"headers": map[string]string{"content-type": "application/json"}, "body": map[string]any{},
	}}})
	r := do(t, s, http.MethodPost, "/$batch", http.Header{"Content-Type": {"application/json"}}, body)
	if resps, _ := r.body["responses"].([]any); r.status != 200 || len(resps) != 1 || itemStatus(resps[0].(map[string]any)) != 200 {
		t.Errorf("plain batch: %d %v", r.status, r.body)
	}
}
