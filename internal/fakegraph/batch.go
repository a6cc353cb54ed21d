package fakegraph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// maxBatchItems is Graph's limit on requests in one $batch.
const maxBatchItems = 20

// batchItem is one request inside a $batch payload. Unknown fields (the SDK
// sends "status": null) are ignored, as Graph ignores them.
type batchItem struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

// batchAnswer is one entry of the "responses" array. Headers is a map of
// strings because msgraph-sdk-go-core asserts every value is a string.
type batchAnswer struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// batch serves POST /$batch. A malformed payload fails as a whole with 400;
// otherwise the answer is 200 and each item carries its own status, because
// Graph runs (and throttles) every item as if it had been sent alone.
func (s *Server) batch(c *call) response {
	var payload struct {
		Requests []batchItem `json:"requests"`
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	if err := dec.Decode(&payload); err != nil {
		return badRequest("Invalid batch payload format.")
	}
	items := payload.Requests
	switch {
	case len(items) == 0:
		return badRequest("Invalid batch payload format: the batch contains no requests.")
	case len(items) > maxBatchItems:
		return badRequest("The batch contains %d requests; the limit is %d.", len(items), maxBatchItems)
	}
	order, resp, ok := batchOrder(items)
	if !ok {
		return resp
	}
	statuses := make(map[string]int, len(items))
	answers := make([]batchAnswer, 0, len(items))
	for _, i := range order {
		it := &items[i]
		var a batchAnswer
		if failedDependency(it, statuses) {
			a = s.batchAnswer(it, c, graphError(http.StatusFailedDependency, "FailedDependency",
				"The request was not run because a request it depends on failed."))
		} else {
			a = s.batchAnswer(it, c, s.runBatchItem(it, c.roles))
		}
		statuses[strings.ToLower(it.ID)] = a.Status
		// Answers come in execution order, which is request order unless
		// dependsOn reorders: Graph promises no order, so a client must
		// match answers to requests by id.
		answers = append(answers, a)
	}
	return jsonResponse(http.StatusOK, map[string]any{"responses": answers})
}

// batchOrder validates the items and returns the order to run them in, with
// every item after those it depends on. Graph checks the whole payload
// before running anything, so an invalid item fails the batch, not itself.
func batchOrder(items []batchItem) ([]int, response, bool) {
	index := make(map[string]int, len(items))
	for i, it := range items {
		if it.ID == "" || it.Method == "" || it.URL == "" {
			return nil, badRequest("Invalid batch payload format: every request needs an id, a method and a url."), false
		}
		// Ids are case-insensitive, so "A" and "a" collide.
		key := strings.ToLower(it.ID)
		if _, dup := index[key]; dup {
			return nil, badRequest("Invalid batch payload format: duplicate request id '%s'.", it.ID), false
		}
		index[key] = i
		if hasBody(it.Body) && headerValue(it.Headers, "Content-Type") == "" {
			return nil, badRequest("Invalid batch payload format: request '%s' has a body but no Content-Type header.", it.ID), false
		}
	}
	for _, it := range items {
		for _, d := range it.DependsOn {
			if _, ok := index[strings.ToLower(d)]; !ok || strings.EqualFold(d, it.ID) {
				return nil, badRequest("Invalid batch payload format: request '%s' depends on unknown request '%s'.", it.ID, d), false
			}
		}
	}
	// Always running the first ready item keeps request order wherever
	// dependencies allow it; rescanning is cubic, nothing at 20 items.
	order, done := make([]int, 0, len(items)), make([]bool, len(items))
	for len(order) < len(items) {
		next := -1
		for i, it := range items {
			if !done[i] && depsDone(it, index, done) {
				next = i
				break
			}
		}
		if next < 0 {
			return nil, badRequest("Invalid batch payload format: the dependsOn chains form a cycle."), false
		}
		done[next] = true
		order = append(order, next)
	}
	return order, response{}, true
}

func depsDone(it batchItem, index map[string]int, done []bool) bool {
	for _, d := range it.DependsOn {
		if !done[index[strings.ToLower(d)]] {
			return false
		}
	}
	return true
}

// failedDependency reports whether an item must be skipped with 424 because
// a request it depends on failed, as Graph does instead of running it.
func failedDependency(it *batchItem, statuses map[string]int) bool {
	for _, d := range it.DependsOn {
		if statuses[strings.ToLower(d)] >= 400 {
			return true
		}
	}
	return false
}

// runBatchItem turns an item into a call and dispatches it like a separate
// request. The item's url is relative to the version ("/users/x" or
// "users/x"); the outer request's authentication covers it, so an
// Authorization header inside the item is ignored.
func (s *Server) runBatchItem(it *batchItem, roles []string) response {
	u, err := url.Parse(it.URL)
	if err != nil || u.IsAbs() || u.Host != "" {
		return badRequest("Invalid request URI '%s': a batch request's url must be relative to the version.", it.URL)
	}
	segs, ok := splitPath(u.EscapedPath())
	if !ok {
		return badRequest("The request URI is not valid.")
	}
	if len(segs) > 0 && strings.EqualFold(segs[0], "$batch") {
		return badRequest("Nested batch requests are not supported.")
	}
	header := make(http.Header, len(it.Headers))
	for k, v := range it.Headers {
		header.Set(k, v)
	}
	c := &call{
		method: strings.ToUpper(it.Method),
		path:   "/" + strings.Join(segs, "/"),
		segs:   segs,
		query:  u.Query(),
		header: header,
		roles:  roles,
	}
	if hasBody(it.Body) {
		c.body = it.Body
	}
	return s.dispatch(c, nil)
}

// batchAnswer renders resp as an entry of "responses". Each item gets its
// own request-id, as in Graph, and the Content-Type the SDK needs to decide
// how to parse the embedded body.
func (s *Server) batchAnswer(it *batchItem, outer *call, resp response) batchAnswer {
	clientID := headerValue(it.Headers, "client-request-id")
	if clientID == "" {
		clientID = outer.header.Get("client-request-id")
	}
	if clientID == "" {
		clientID = newGUID()
	}
	a := batchAnswer{ID: it.ID, Status: resp.status, Body: resp.body}
	if ct := resp.finish(newGUID(), clientID, s.opts.Now()); ct != "" || len(resp.header) > 0 {
		a.Headers = make(map[string]string, len(resp.header)+1)
		for k, vs := range resp.header {
			a.Headers[k] = strings.Join(vs, ", ")
		}
		if ct != "" {
			a.Headers["Content-Type"] = ct
		}
	}
	return a
}

// hasBody treats an absent body and JSON null alike: the SDK sends
// "body": null for requests without content.
func hasBody(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

// headerValue looks a header up in an item's headers, whose names clients
// spell in any case.
func headerValue(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
