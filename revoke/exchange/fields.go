package exchange

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

// fields is one object of an answer, its property names lower-cased: the
// service's casing is not a contract (CIPP reads EwsEnabled and EWSEnabled
// alike, as PowerShell does).
type fields map[string]json.RawMessage

func (c *Client) fieldsOf(k call, raw json.RawMessage) (fields, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, c.shapeError(k, "an object")
	}
	f := make(fields, len(m))
	for name, v := range m {
		f[strings.ToLower(name)] = v
	}
	return f, nil
}

// str reads a string property; null reads as "". ok is false when the
// property is missing or not a string.
func (f fields) str(name string) (string, bool) {
	raw, ok := f[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	if isNull(raw) {
		return "", true
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// strs reads a list of strings; null reads as none.
func (f fields) strs(name string) ([]string, bool) {
	raw, ok := f[strings.ToLower(name)]
	if !ok || isNull(raw) {
		return nil, ok
	}
	var s []string
	return s, json.Unmarshal(raw, &s) == nil
}

// boolean reads a boolean property; null is reported apart. ok is false
// when the property is missing or not a boolean: a client that took a
// missing PopEnabled for false would leave POP on and say it was off.
func (f fields) boolean(name string) (val, null, ok bool) {
	raw, present := f[strings.ToLower(name)]
	if !present {
		return false, false, false
	}
	if isNull(raw) {
		return false, true, true
	}
	return val, false, json.Unmarshal(raw, &val) == nil
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// shapeError reports an answer that does not carry what the cmdlet returns.
func (c *Client) shapeError(k call, want string) *revoke.Error {
	e := c.fail(k, revoke.KindOther, nil)
	e.Message = k.cmdlet + "'s answer lacks " + want
	return e
}
