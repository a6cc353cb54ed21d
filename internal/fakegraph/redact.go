package fakegraph

import (
	"bytes"
	"encoding/json"
	"strings"
)

// redacted replaces a password in the request log.
const redacted = "[redacted]"

// redactSecrets returns body with the password of every passwordProfile
// (at any depth, so inside $batch items too) replaced by "[redacted]", for
// the request log: tests and benchmarks print and keep Requests(), and a
// password must not outlive the request that carried it. A passwordProfile
// that is not an object is replaced whole. Property names
// match case-insensitively, as patchUser reads them. A body that mentions
// a password but is not JSON is replaced whole, since where the password
// sits in it cannot be told. Other bodies are returned unchanged.
func redactSecrets(body []byte) []byte {
	if !bytes.Contains(bytes.ToLower(body), []byte("password")) {
		return body
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || dec.More() {
		return []byte(redacted)
	}
	if !redactValue(v, false) {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return []byte(redacted)
	}
	return out
}

// redactValue redacts in place, inProfile telling whether v is the value
// of a passwordProfile; it reports whether it changed anything.
func redactValue(v any, inProfile bool) bool {
	changed := false
	switch v := v.(type) {
	case map[string]any:
		for k, fv := range v {
			profile := strings.EqualFold(k, "passwordProfile")
			_, isObject := fv.(map[string]any)
			// A profile that is not an object (a bare string, say) is
			// refused by patchUser but may still be the password itself.
			if (inProfile && strings.EqualFold(k, "password")) || (profile && !isObject && fv != nil) {
				v[k] = redacted
				changed = true
				continue
			}
			changed = redactValue(fv, profile) || changed
		}
	case []any:
		for _, e := range v {
			changed = redactValue(e, false) || changed
		}
	}
	return changed
}
