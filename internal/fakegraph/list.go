package fakegraph

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// skiptokenPrefix makes tokens recognisably the fake's, so a token from a
// different server or a hand-edited one is rejected rather than misread.
const skiptokenPrefix = "fakegraph-users:"

// pageTop is a listing's page size: Options.PageSize, or $top when it
// asks for fewer; a $top outside 1 to most is refused as Graph refuses it.
func (s *Server) pageTop(c *call, most int) (int, response, bool) {
	top := s.opts.PageSize
	if v := c.queryOption("$top"); len(v) > 0 {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil || n < 1 || n > most {
			return 0, badRequest("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", v[0], most), false
		}
		top = min(n, top)
	}
	return top, response{}, true
}

// listUsers serves GET /users. The skiptoken names the insertion number of
// the last user already returned, so paging stays correct while users are
// added between pages, the way a long bulk run against a live directory sees
// them.
func (s *Server) listUsers(c *call) response {
	top, bad, ok := s.pageTop(c, 999)
	if !ok {
		return bad
	}
	count := false
	if v := c.queryOption("$count"); len(v) > 0 {
		b, err := strconv.ParseBool(strings.TrimSpace(v[0]))
		if err != nil {
			return badRequest("Invalid value '%s' for query option '$count'.", v[0])
		}
		count = b
	}
	filter, resp, ok := filterOption(c)
	if !ok {
		return resp
	}
	sel, err := parseSelect(c.queryOption("$select"))
	if err != nil {
		return badRequest("%s", err.Error())
	}
	after := int64(0)
	if v := c.queryOption("$skiptoken"); len(v) > 0 {
		var ok bool
		if after, ok = decodeSkiptoken(v[0]); !ok {
			return badRequest("Invalid skip token '%s'.", v[0])
		}
	}
	if filter == nil {
		// A lookup by filter is an index read; only a walk of the tenant is slow.
		s.waitListDelay()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	matches := func(u *User) bool { return filter == nil || filter.match(&env{u: u}) }
	body := map[string]any{"@odata.context": metadataBase + "#" + entitySet(sel)}
	if count {
		body["@odata.count"] = s.countMatches(filter)
	}
	page, lastSeq := []map[string]any{}, int64(0)
	start := sort.Search(len(s.seqs), func(i int) bool { return s.seqs[i] > after })
	for i := start; i < len(s.users); i++ {
		if !matches(s.users[i]) {
			continue
		}
		if len(page) == top {
			// Another match exists, so there is a next page; it resumes
			// after the last user on this one.
			body["@odata.nextLink"] = s.nextLink(c.query, lastSeq)
			break
		}
		page = append(page, userJSON(s.users[i], sel))
		lastSeq = s.seqs[i]
	}
	body["value"] = page
	return jsonResponse(http.StatusOK, body)
}

// nextLink is the link to the page after the user numbered lastSeq.
func (s *Server) nextLink(query url.Values, lastSeq int64) string {
	return s.pageLink("/users", query, encodeSkiptoken(lastSeq))
}

func escapeQuery(s string) string {
	s = strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
	return strings.ReplaceAll(s, "%24", "$")
}

func encodeSkiptoken(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(skiptokenPrefix + strconv.FormatInt(seq, 10)))
}

func decodeSkiptoken(tok string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(raw), skiptokenPrefix) {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(string(raw), skiptokenPrefix), 10, 64)
	return n, err == nil && n >= 0
}
