package exchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/revokebot/revokebot/revoke"
)

// ErrNotApplied is wrapped by the error of a change Exchange answered with
// success but that reading the mailbox back shows did not take.
var ErrNotApplied = errors.New("Exchange answered success, but reading the mailbox back shows the change did not take")

const maxMessage = 500 // runes of Exchange's text kept in an error

// notApplied reports a read-back that disagrees with what was set.
func (c *Client) notApplied(k call, what string) *revoke.Error {
	e := c.fail(k, revoke.KindOther, ErrNotApplied)
	e.Message = what
	return e
}

// classify turns a non-2xx answer into a *revoke.Error: the kind from the
// status, the text dug out of the body, and for 401 and 403 the missing
// grant in words, since the body usually says nothing (NOTES: 401 with
// neither grant, 403 with the app role only, a 403 body of NUL bytes).
func (c *Client) classify(k call, resp *http.Response, raw []byte, tok string) *revoke.Error {
	e := c.fail(k, revoke.KindForStatus(resp.StatusCode), nil)
	e.Status = resp.StatusCode
	e.Code, e.Message = parseError(raw)
	e.RetryAfter = revoke.RetryAfterHeader(resp.Header.Get("Retry-After"), c.now())
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		e.Lacks = revoke.LacksPermission
		e.Message = joinText("Exchange refused the token: the app needs the application permission "+
			revoke.PermExchangeManageAsApp.String()+" on Office 365 Exchange Online, with admin consent, "+
			"and a token for https://outlook.office365.com", diagnostics(resp.Header.Get("X-Ms-Diagnostics")), e.Message)
	case resp.StatusCode == http.StatusForbidden:
		e.Lacks = c.lacks(tok)
		e.Message = joinText(forbiddenWords(k, e.Lacks), e.Message)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		// Never followed: the token goes to the admin host only.
		e.Message = "Exchange redirected the request; EXCHANGE_ADMIN_URL should be https://outlook.office365.com"
	case strings.HasSuffix(e.Code, ".ManagementObjectNotFoundException"):
		// Not found is a 404 today; the type says so whatever the status.
		e.Kind = revoke.KindNotFound
	}
	e.Code, e.Message = revoke.Redact(e.Code, tok), revoke.Redact(e.Message, tok)
	return e
}

// lacks says what a 403 is missing: the app role when the token does not
// hold it, else the directory role, which no token shows.
func (c *Client) lacks(tok string) string {
	roles, err := revoke.RolesOf("Exchange", tok)
	if err == nil && !slices.ContainsFunc(roles, func(r string) bool {
		return strings.EqualFold(r, revoke.PermExchangeManageAsApp.Name)
	}) {
		return revoke.LacksPermission
	}
	return revoke.LacksRole
}

func forbiddenWords(k call, lacks string) string {
	if lacks == revoke.LacksPermission {
		return "Exchange refused " + k.cmdlet + ": the token lacks the application permission " + revoke.PermExchangeManageAsApp.String()
	}
	if k.write {
		return "Exchange refused " + k.cmdlet + ": the app's service principal needs the Entra role " +
			revoke.RoleExchangeAdmin.Name + " (" + revoke.RoleSecurityReader.Name + " only reads)"
	}
	return "Exchange refused " + k.cmdlet + ": the app's service principal holds no Entra role that may read mailboxes; assign " +
		revoke.RoleExchangeAdmin.Name + " (or " + revoke.RoleSecurityReader.Name + " to read only)"
}

func joinText(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ": ")
}

// diagnostics reads the reason of an X-Ms-Diagnostics header, e.g.
// 2000008;reason="The token payload must contain a valid role claim";…
func diagnostics(h string) string {
	_, rest, ok := strings.Cut(h, `reason="`)
	if !ok {
		return ""
	}
	reason, _, _ := strings.Cut(rest, `"`)
	return truncate(reason)
}

// errBody is the service's error shape. Field names match
// case-insensitively: CIPP reads internalException, the wire says
// internalexception.
type errBody struct {
	Error struct {
		Message string `json:"message"`
		Details []struct {
			Message string `json:"message"`
		} `json:"details"`
		InnerError *innerError `json:"innererror"`
	} `json:"error"`
}

type innerError struct {
	Message  string      `json:"message"`
	Type     string      `json:"type"`
	Internal *innerError `json:"internalexception"`
}

// parseError digs the useful text out of an error body, and the .NET type
// of the failure as a code. error.message is a generic "Invalid Operation"
// (NOTES) or "Error executing cmdlet" (the not-found answer). The text is in
// details[0].message, after "<id>|<Dotted.Type>|", or in
// innererror.internalexception.message; details come first, as CIPP reads
// them, because with the not-found answer internalexception only says
// "Exception of type '…' was thrown.". A body of NUL bytes or anything not
// JSON gives nothing: it is not shown to anyone.
func parseError(raw []byte) (code, message string) {
	raw = bytes.Trim(raw, "\x00 \t\r\n")
	var b errBody
	if len(raw) == 0 || json.Unmarshal(raw, &b) != nil {
		return "", ""
	}
	type candidate struct{ code, text string }
	var cs []candidate
	if len(b.Error.Details) > 0 {
		typ, text := stripType(b.Error.Details[0].Message)
		cs = append(cs, candidate{typ, text})
	}
	if in := b.Error.InnerError; in != nil {
		if in.Internal != nil {
			cs = append(cs, candidate{in.Internal.Type, in.Internal.Message})
		}
		cs = append(cs, candidate{"", in.Message})
	}
	for _, c := range cs {
		if t := strings.TrimSpace(c.text); t != "" && !generic(t) {
			return c.code, truncate(t)
		}
	}
	return "", truncate(b.Error.Message)
}

func generic(s string) bool {
	return s == "Invalid Operation" || s == "Error executing cmdlet" || strings.HasPrefix(s, "Exception of type '")
}

// stripType splits "Ex6F9304|Microsoft.Exchange.…Exception|text" (the
// leading id may be empty) into the type and the text; anything else is
// all text.
func stripType(s string) (typ, text string) {
	id, rest, ok := strings.Cut(s, "|")
	if !ok || strings.ContainsFunc(id, func(r rune) bool { return !isAlnum(r) }) {
		return "", s
	}
	typ, text, ok = strings.Cut(rest, "|")
	if !ok || typ == "" || strings.ContainsFunc(typ, func(r rune) bool { return !isAlnum(r) && r != '.' && r != '_' && r != '`' }) {
		return "", s
	}
	return typ, text
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func truncate(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= maxMessage {
		return s
	}
	return string([]rune(s)[:maxMessage]) + "…"
}
