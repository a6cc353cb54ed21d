// Package faketoken makes and reads the unsigned app-only access tokens the
// fakes accept: JWTs shaped as Entra issues them, whose claims say what the
// app may do (roles) and how it proved itself (appidacr). The fakes check no
// signature; they read the claims as the real services do.
package faketoken

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Claims are the claims of an app-only token the fakes act on.
type Claims struct {
	Audience string   `json:"aud"`
	Tenant   string   `json:"tid"`
	Roles    []string `json:"roles"`
	// AppIDACR is how the app authenticated: "1" a client secret, "2" a
	// certificate. SharePoint refuses app-only tokens got with a secret.
	AppIDACR string `json:"appidacr"`
}

// Make returns an unsigned token carrying c.
func Make(c Claims) string {
	raw, _ := json.Marshal(c)
	return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + base64.RawURLEncoding.EncodeToString(raw) + ".fake"
}

// Parse reads a token's claims; ok is false when it is not a JWT, which
// the services refuse before anything else.
func Parse(token string) (Claims, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, false
	}
	var c Claims
	if json.Unmarshal(raw, &c) != nil {
		return Claims{}, false
	}
	return c, true
}
