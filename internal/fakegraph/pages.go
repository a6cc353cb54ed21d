package fakegraph

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// pageLink builds an @odata.nextLink: the request's query repeated with a
// new $skiptoken, the way Graph builds its links, so filter, select and page
// size carry over when the client requests the link verbatim. escapedPath
// follows /v1.0 ("/users"). Keys keep a literal '$' and spaces are %20,
// matching Graph's links; the order is fixed for reproducible logs.
func (s *Server) pageLink(escapedPath string, query url.Values, skiptoken string) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		if !strings.EqualFold(k, "$skiptoken") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(s.base + escapedPath + "?")
	for _, k := range keys {
		for _, v := range query[k] {
			b.WriteString(escapeQuery(k) + "=" + escapeQuery(v) + "&")
		}
	}
	b.WriteString("$skiptoken=" + escapeQuery(skiptoken))
	return b.String()
}

// escapedPath re-escapes c's decoded segments, for a link back to the same
// resource whatever its ids contain.
func (c *call) escapedPath() string {
	var b strings.Builder
	for _, seg := range c.segs {
		b.WriteString("/" + url.PathEscape(seg))
	}
	return b.String()
}

// Lists that only ever grow at the end (role assignments, eligibility
// schedules) and lists computed afresh per request (a group's transitive
// members) page by position: the skiptoken names how many entries earlier
// pages served. kind keeps one list's tokens from being read by another.
func encodeOffset(kind string, n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("fakegraph-" + kind + ":" + strconv.Itoa(n)))
}

func decodeOffset(kind, tok string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	rest, ok := strings.CutPrefix(string(raw), "fakegraph-"+kind+":")
	if err != nil || !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

// offsetPage answers one page of a list of n entries, rendered by item,
// starting where c's $skiptoken says and holding at most top.
func (s *Server) offsetPage(c *call, kind string, n, top int, body map[string]any, item func(i int) map[string]any) response {
	start := 0
	if v := c.queryOption("$skiptoken"); len(v) > 0 {
		var ok bool
		if start, ok = decodeOffset(kind, v[0]); !ok {
			return badRequest("Invalid skip token '%s'.", v[0])
		}
	}
	page := []map[string]any{}
	for i := start; i < n && len(page) < top; i++ {
		page = append(page, item(i))
	}
	if end := start + len(page); end < n {
		body["@odata.nextLink"] = s.pageLink(c.escapedPath(), c.query, encodeOffset(kind, end))
	}
	body["value"] = page
	return jsonResponse(http.StatusOK, body)
}
