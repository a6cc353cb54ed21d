package fakegraph

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Fixed authentication method ids: Graph gives every user's password the
// same id, and each phone type its own, so clients may rely on them.
const (
	// PasswordMethodID is the id of every user's password method.
	PasswordMethodID = "28c10230-6103-485e-b985-444c60001490"
	// MobilePhoneMethodID is the id of a user's mobile phone method.
	MobilePhoneMethodID = "3179e48a-750b-4051-897c-87b9720928f7"
	// AltMobilePhoneMethodID is the id of a user's alternateMobile phone method.
	AltMobilePhoneMethodID = "b6332ec1-7057-4abe-9331-3d72feddfe41"
	// OfficePhoneMethodID is the id of a user's office phone method.
	OfficePhoneMethodID = "e37fc753-ff3b-4958-9484-eaa9425c82bc"
)

// authMethodsContextStart begins the @odata.context of a user's methods.
const authMethodsContextStart = metadataBase + "#users('"

// AuthMethod is one of a user's registered authentication methods, served
// by GET /users/{id}/authentication/methods.
type AuthMethod struct {
	// ID is the method's id: fixed for the password and for phones (by
	// PhoneType), generated for the others when empty.
	ID string
	// Type is one of email, external, fido2, microsoftAuthenticator, password,
	// phone, platformCredential, softwareOath, temporaryAccessPass,
	// windowsHelloForBusiness; it is served as the @odata.type
	// #microsoft.graph.<Type>AuthenticationMethod.
	Type string
	// DisplayName is the device or key name of fido2,
	// windowsHelloForBusiness, platformCredential and
	// microsoftAuthenticator methods, and an external method's name.
	DisplayName string
	Model       string // fido2 model, e.g. "YubiKey 5 NFC"; empty is served as null
	PhoneNumber string // phone: served as given (Graph's form is "+1 2065550123"), unmasked as Graph serves it
	PhoneType   string // phone: mobile, alternateMobile or office; default mobile
	// EmailAddress is an email method's address.
	EmailAddress string
	// Created is createdDateTime, served only by the types that have it
	// (fido2, windowsHelloForBusiness, platformCredential,
	// temporaryAccessPass, microsoftAuthenticator); zero is not served.
	Created time.Time
	// Default marks the user's default sign-in method, which cannot be
	// deleted while other deletable methods remain. v1.0 cannot read it
	// (signInPreferences is beta), so it is never served.
	Default bool
}

// authMethodType is a method type, the segment of its per-type collection
// and whether its resource has createdDateTime.
type authMethodType struct {
	name, segment string
	created       bool
}

// authMethodTypes are the v1.0 types. msgraph-sdk-go v1.89.0 parses all but
// external, which it reads as a bare authenticationMethod and has no
// builder to delete.
var authMethodTypes = []authMethodType{
	{"email", "emailMethods", false},
	{"external", "externalAuthenticationMethods", true},
	{"fido2", "fido2Methods", true},
	{"microsoftAuthenticator", "microsoftAuthenticatorMethods", true},
	{"password", "passwordMethods", false},
	{"phone", "phoneMethods", false},
	{"platformCredential", "platformCredentialMethods", true},
	{"softwareOath", "softwareOathMethods", false},
	{"temporaryAccessPass", "temporaryAccessPassMethods", true},
	{"windowsHelloForBusiness", "windowsHelloForBusinessMethods", true},
}

func methodType(name string) (authMethodType, bool) {
	for _, t := range authMethodTypes {
		if t.name == name {
			return t, true
		}
	}
	return authMethodType{}, false
}

var phoneMethodIDs = map[string]string{
	"mobile":          MobilePhoneMethodID,
	"alternateMobile": AltMobilePhoneMethodID,
	"office":          OfficePhoneMethodID,
}

// AddAuthMethods registers methods for the user whose id or
// userPrincipalName is userID. A method with the id of one the user
// already has replaces it (phones by type, since their ids are fixed), so
// seeding a password method replaces the one every user starts with. A
// Default method makes the others non-default. It panics on an unknown
// user, type or phone type, on a Default password, and when the user would
// be left with an alternateMobile phone but no mobile, which Entra refuses.
func (s *Server) AddAuthMethods(userID string, ms ...AuthMethod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := s.mustUserKey(userID, "register authentication methods for")
	list := s.methodsOf(key)
	for _, m := range ms {
		t, ok := methodType(m.Type)
		if !ok {
			panic("fakegraph: unknown authentication method type " + m.Type)
		}
		switch t.name {
		case "password":
			if m.Default {
				panic("fakegraph: a password cannot be the default method")
			}
			if m.ID == "" {
				m.ID = PasswordMethodID
			}
		case "phone":
			if m.PhoneType == "" {
				m.PhoneType = "mobile"
			}
			id, ok := phoneMethodIDs[m.PhoneType]
			if !ok {
				panic("fakegraph: unknown phone type " + m.PhoneType)
			}
			m.ID = id
		default:
			if m.ID == "" {
				m.ID = newGUID()
			}
		}
		if m.Default {
			for _, o := range list {
				o.Default = false
			}
		}
		i := slices.IndexFunc(list, func(o *AuthMethod) bool {
			return strings.EqualFold(o.ID, m.ID) || (t.name == "password" && o.Type == "password")
		})
		if i >= 0 {
			list[i] = &m
		} else {
			list = append(list, &m)
		}
	}
	if hasPhone(list, "alternateMobile") && !hasPhone(list, "mobile") {
		panic("fakegraph: an alternateMobile phone needs a mobile phone")
	}
	s.cs.authMethods[key] = list
}

// AuthMethods returns copies of the user's methods in the order served,
// the password first; nil for an unknown user.
func (s *Server) AuthMethods(userID string) []AuthMethod {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.userKey(userID)
	if !ok {
		return nil
	}
	var out []AuthMethod
	for _, m := range s.methodsOf(key) {
		out = append(out, *m)
	}
	return out
}

// methodsOf returns the user's stored methods, storing the password every
// user starts with on first use; s.mu must be held.
func (s *Server) methodsOf(key string) []*AuthMethod {
	if s.cs.authMethods == nil {
		s.cs.authMethods = make(map[string][]*AuthMethod)
	}
	list, ok := s.cs.authMethods[key]
	if !ok {
		list = []*AuthMethod{{ID: PasswordMethodID, Type: "password"}}
		s.cs.authMethods[key] = list
	}
	return list
}

func hasPhone(list []*AuthMethod, phoneType string) bool {
	return slices.ContainsFunc(list, func(m *AuthMethod) bool { return m.Type == "phone" && m.PhoneType == phoneType })
}

// listAuthMethods serves GET /users/{id}/authentication/methods: one page
// with every method: a user has a handful, and the fake does not page them.
func (s *Server) listAuthMethods(c *call) response {
	key := c.params["id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookup(key)
	if u == nil {
		return notFound(key)
	}
	value := []map[string]any{}
	for _, m := range s.methodsOf(strings.ToLower(u.ID)) {
		value = append(value, authMethodJSON(m))
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"@odata.context": authMethodsContextStart + u.ID + "')/authentication/methods",
		"value":          value,
	})
}

// getPasswordMethod serves GET /users/{id}/authentication/passwordMethods/{methodId}.
func (s *Server) getPasswordMethod(c *call) response {
	key := c.params["id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookup(key)
	if u == nil {
		return notFound(key)
	}
	for _, m := range s.methodsOf(strings.ToLower(u.ID)) {
		if m.Type == "password" && strings.EqualFold(m.ID, c.params["methodId"]) {
			body := authMethodJSON(m)
			delete(body, "@odata.type")
			body["@odata.context"] = authMethodsContextStart + u.ID + "')/authentication/passwordMethods/$entity"
			return jsonResponse(http.StatusOK, body)
		}
	}
	return methodNotFound()
}

// authMethodJSON renders m with its type's own properties as Graph serves
// them, including the ones the fake does not model (as null or Graph's
// usual value) so the SDK's models fill in as they would.
func authMethodJSON(m *AuthMethod) map[string]any {
	out := map[string]any{
		"@odata.type": "#microsoft.graph." + m.Type + "AuthenticationMethod",
		"id":          m.ID,
	}
	if t, _ := methodType(m.Type); t.created && !m.Created.IsZero() {
		out["createdDateTime"] = m.Created.UTC().Format("2006-01-02T15:04:05Z")
	}
	switch m.Type {
	case "email":
		out["emailAddress"] = nullable(m.EmailAddress)
	case "external":
		// A method an external provider registered (v1.0 resource
		// externalAuthenticationMethod: id, createdDateTime,
		// configurationId naming the provider's configuration in the
		// tenant, displayName).
		out["displayName"] = nullable(m.DisplayName)
		out["configurationId"] = "7f2e1b84-4b0a-4d7c-9a53-0c1f7d4b2e61"
	case "fido2":
		out["displayName"] = nullable(m.DisplayName)
		out["model"] = nullable(m.Model)
		out["aaGuid"] = nil
		out["attestationCertificates"] = []string{}
		out["attestationLevel"] = "notAttested"
	case "microsoftAuthenticator":
		out["displayName"] = nullable(m.DisplayName)
		out["deviceTag"] = "SoftwareTokenActivated"
		out["phoneAppVersion"] = "6.2401.0119"
	case "password":
		// Graph never serves the password, and has never populated the
		// password method's createdDateTime.
		out["createdDateTime"] = nil
		out["password"] = nil
	case "phone":
		out["phoneNumber"] = nullable(m.PhoneNumber)
		out["phoneType"] = m.PhoneType
		// Only a mobile number can be enabled for SMS sign-in.
		out["smsSignInState"] = "notSupported"
		if m.PhoneType == "mobile" {
			out["smsSignInState"] = "notAllowedByPolicy"
		}
	case "platformCredential":
		out["displayName"] = nullable(m.DisplayName)
		out["keyStrength"] = "normal"
		out["platform"] = "macOS"
	case "softwareOath":
		out["secretKey"] = nil // never served
	case "temporaryAccessPass":
		out["startDateTime"] = out["createdDateTime"]
		out["lifetimeInMinutes"] = 60
		out["isUsableOnce"] = false
		out["isUsable"] = true
		out["methodUsabilityReason"] = "EnabledByPolicy"
		out["temporaryAccessPass"] = nil // served only when created
	case "windowsHelloForBusiness":
		out["displayName"] = nullable(m.DisplayName)
		out["keyStrength"] = "normal"
	}
	return out
}
