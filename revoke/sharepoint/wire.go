package sharepoint

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/revokebot/revokebot/revoke"
)

// The request asks for JSON without OData metadata ("JSON light"), whose
// answer is the bare property bag {"State":4}. Errors then come as
// {"odata.error":{…}}. A bearer token needs no X-RequestDigest.
const (
	acceptHeader = "application/json;odata=nometadata"
	contentType  = "application/json;charset=utf-8"
	maxBody      = 1 << 20 // an answer larger than this is not SharePoint's
	maxMessage   = 500     // runes of SharePoint's message kept in an error
)

// encodeRequest builds the JSON body. The user name is data: json.Marshal
// escapes quotes and control characters and keeps non-ASCII as UTF-8.
func encodeRequest(upn string) ([]byte, error) {
	return json.Marshal(struct {
		UserName string `json:"userName"`
	}{upn})
}

// try makes one request and classifies its outcome.
func (c *Client) try(ctx context.Context, body []byte) (revoke.SharePointState, *revoke.Error) {
	tok, err := c.token(ctx)
	if err != nil {
		return 0, &revoke.Error{Kind: revoke.KindOther, Op: op, Permission: permission, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, &revoke.Error{Kind: revoke.KindOther, Op: op, Permission: permission, Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", acceptHeader)
	req.Header.Set("Content-Type", contentType)
	resp, err := c.http.Do(req)
	if err != nil {
		kind := revoke.KindNetwork
		if ctx.Err() != nil {
			kind = revoke.KindOther
		}
		// *url.Error names the method and the admin URL, which CheckAdminURL
		// keeps free of secrets; the Authorization header is never in it.
		return 0, &revoke.Error{Kind: kind, Op: op, Permission: permission, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, &revoke.Error{Kind: revoke.KindNetwork, Op: op, Permission: permission, Status: resp.StatusCode, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, c.classify(resp, raw, tok)
	}
	state, ok := decodeState(raw)
	if !ok {
		return 0, &revoke.Error{Kind: revoke.KindOther, Op: op, Permission: permission, Status: resp.StatusCode,
			Message: "SharePoint's answer carries no State"}
	}
	return state, nil
}

// decodeState reads the State of an SPOUserSessionRevocationResult from any
// of the OData JSON formats: nometadata and minimalmetadata put it at the
// top level ({"State":4}, beside odata.* annotations); verbose wraps the
// entity in "d" ({"d":{"__metadata":…,"State":4}}), and wraps a function's
// result in its name ({"d":{"RevokeAllUserSessions":{"State":4}}}).
func decodeState(raw []byte) (revoke.SharePointState, bool) {
	type result struct {
		State *int `json:"State"`
	}
	var body struct {
		State *int `json:"State"`
		D     *struct {
			State  *int    `json:"State"`
			Result *result `json:"RevokeAllUserSessions"`
		} `json:"d"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return 0, false
	}
	switch {
	case body.State != nil:
		return revoke.SharePointState(*body.State), true
	case body.D != nil && body.D.State != nil:
		return revoke.SharePointState(*body.D.State), true
	case body.D != nil && body.D.Result != nil && body.D.Result.State != nil:
		return revoke.SharePointState(*body.D.Result.State), true
	}
	return 0, false
}

// classify turns a non-2xx answer into a *revoke.Error.
func (c *Client) classify(resp *http.Response, raw []byte, tok string) *revoke.Error {
	e := &revoke.Error{Op: op, Permission: permission, Status: resp.StatusCode}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		// The endpoint itself is missing (not an admin site, a typo in
		// SHAREPOINT_ADMIN_URL): an unknown user is State 1, never a 404,
		// so this must not read as "user not found".
		e.Kind = revoke.KindOther
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		e.Kind = revoke.KindOther
		e.Message = "SharePoint redirected the request; SHAREPOINT_ADMIN_URL should be the tenant's admin site"
	default:
		e.Kind = revoke.KindForStatus(resp.StatusCode)
	}
	code, msg := parseError(raw)
	if e.Message == "" {
		e.Message = msg
	}
	e.Code, e.Message = revoke.Redact(code, tok), revoke.Redact(e.Message, tok)
	e.RetryAfter = revoke.RetryAfterHeader(resp.Header.Get("Retry-After"), c.now())
	return e
}

// parseError reads SharePoint's error bodies: {"odata.error":{"code":…,
// "message":{"lang":…,"value":…}}} for JSON light, the same under "error"
// for verbose, and {"error_description":…} when the token was refused.
func parseError(raw []byte) (code, message string) {
	var body struct {
		OData       json.RawMessage `json:"odata.error"`
		Error       json.RawMessage `json:"error"`
		Description string          `json:"error_description"`
	}
	if json.Unmarshal(raw, &body) != nil {
		return "", ""
	}
	for _, part := range []json.RawMessage{body.OData, body.Error} {
		if len(part) == 0 {
			continue
		}
		var e struct {
			Code    string          `json:"code"`
			Message json.RawMessage `json:"message"`
		}
		if json.Unmarshal(part, &e) == nil {
			return e.Code, messageText(e.Message)
		}
		// OAuth style: {"error":"invalid_token","error_description":…}.
		var s string
		if json.Unmarshal(part, &s) == nil {
			code = s
		}
	}
	return code, truncate(body.Description)
}

// messageText reads an OData message, an object {"lang","value"} in
// SharePoint's bodies, a plain string in some others.
func messageText(raw json.RawMessage) string {
	var m struct {
		Value string `json:"value"`
	}
	if json.Unmarshal(raw, &m) == nil && m.Value != "" {
		return truncate(m.Value)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return truncate(s)
	}
	return ""
}

func truncate(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= maxMessage {
		return s
	}
	r := []rune(s)
	return string(r[:maxMessage]) + "…"
}
