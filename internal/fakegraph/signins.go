package fakegraph

import (
	"cmp"
	"net/http"
	"slices"
	"time"
)

// SignIn is one entry of the tenant's sign-in log. Its fields map onto the
// properties of microsoft.graph.signIn; empty strings are served as null.
type SignIn struct {
	ID                string    // id; AddSignIn generates one when empty
	UserID            string    // userId, the user's object id
	UserPrincipalName string    // userPrincipalName
	UserDisplayName   string    // userDisplayName
	CreatedDateTime   time.Time // createdDateTime; zero means Options.Now at AddSignIn
	IPAddress         string    // ipAddress
	AppDisplayName    string    // appDisplayName
	ErrorCode         int       // status.errorCode; 0 means the sign-in succeeded
	FailureReason     string    // status.failureReason
	City              string    // location.city
	CountryOrRegion   string    // location.countryOrRegion, e.g. "US"
}

// signInRecord is a stored sign-in with its insertion number, which orders
// sign-ins of the same instant and anchors paging.
type signInRecord struct {
	SignIn
	seq int64
}

// AddSignIn stores a sign-in for GET /auditLogs/signIns.
func (s *Server) AddSignIn(in SignIn) { s.AddSignIns(in) }

// AddSignIns stores each sign-in as AddSignIn does, under one lock.
func (s *Server) AddSignIns(ins ...SignIn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range ins {
		if in.ID == "" {
			in.ID = newGUID()
		}
		if in.CreatedDateTime.IsZero() {
			in.CreatedDateTime = s.opts.Now()
		}
		s.nextSignIn++
		s.signIns = append(s.signIns, &signInRecord{SignIn: in, seq: s.nextSignIn})
	}
}

// signInsPrefix makes skiptokens recognisably the fake's, as for users.
const signInsPrefix = "fakegraph-signins:"

// listSignIns serves GET /auditLogs/signIns, newest first as Graph answers.
// A skiptoken names the position (time and insertion number) of the last
// sign-in already returned, so sign-ins logged between pages, which sort
// before it, neither repeat nor shift the rest.
func (s *Server) listSignIns(c *call) response {
	top, bad, ok := s.pageTop(c, 1000)
	if !ok {
		return bad
	}
	var filter signInFilter
	if v := c.queryOption("$filter"); len(v) > 0 {
		var err error
		if filter, err = parseSignInFilter(v[0]); err != nil {
			return badRequest("%s", err.Error())
		}
	}
	var after *signInRecord
	if v := c.queryOption("$skiptoken"); len(v) > 0 {
		var ok bool
		if after, ok = decodeSignInToken(v[0]); !ok {
			return badRequest("Invalid skip token '%s'.", v[0])
		}
	}

	s.mu.Lock()
	var matches []*signInRecord
	for _, r := range s.signIns {
		if filter.match(&r.SignIn) && (after == nil || newerFirst(after, r) < 0) {
			matches = append(matches, r)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(matches, newerFirst)

	body := map[string]any{"@odata.context": metadataBase + "#auditLogs/signIns"}
	if len(matches) > top {
		matches = matches[:top]
		body["@odata.nextLink"] = s.signInsNextLink(c, matches[top-1])
	}
	page := make([]map[string]any, len(matches))
	for i, r := range matches {
		page[i] = signInJSON(&r.SignIn)
	}
	body["value"] = page
	return jsonResponse(http.StatusOK, body)
}

// newerFirst orders sign-ins as Graph lists them: by createdDateTime,
// newest first, and the later-logged first within one instant.
func newerFirst(a, b *signInRecord) int {
	if c := b.CreatedDateTime.Compare(a.CreatedDateTime); c != 0 {
		return c
	}
	return cmp.Compare(b.seq, a.seq)
}

// signInsNextLink is the link to the page after last.
func (s *Server) signInsNextLink(c *call, last *signInRecord) string {
	return s.pageLink("/auditLogs/signIns", c.query, logPosition{last.CreatedDateTime, last.seq}.token(signInsPrefix))
}

func decodeSignInToken(tok string) (*signInRecord, bool) {
	p, ok := decodeLogPosition(signInsPrefix, tok)
	if !ok {
		return nil, false
	}
	return &signInRecord{SignIn: SignIn{CreatedDateTime: p.at}, seq: p.seq}, true
}

// signInJSON renders a sign-in with the properties the fake models; Graph
// sends many more, which clients must tolerate being absent or null.
func signInJSON(in *SignIn) map[string]any {
	str := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	return map[string]any{
		"id":                in.ID,
		"createdDateTime":   in.CreatedDateTime.UTC().Format("2006-01-02T15:04:05.9999999Z"),
		"userId":            str(in.UserID),
		"userPrincipalName": str(in.UserPrincipalName),
		"userDisplayName":   str(in.UserDisplayName),
		"appDisplayName":    str(in.AppDisplayName),
		"ipAddress":         str(in.IPAddress),
		"status": map[string]any{
			"errorCode":         in.ErrorCode,
			"failureReason":     str(in.FailureReason),
			"additionalDetails": nil,
		},
		"location": map[string]any{
			"city":            str(in.City),
			"state":           nil,
			"countryOrRegion": str(in.CountryOrRegion),
			"geoCoordinates":  nil,
		},
	}
}
