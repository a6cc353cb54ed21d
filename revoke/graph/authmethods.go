package graph

import (
	"context"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/revokebot/revokebot/revoke"
)

// The reads and writes of a user's authentication methods and the
// application permission each needs.
const (
	opListMethods    = "list authentication methods"
	opDeleteMethod   = "remove an authentication method"
	permMethodsRead  = "UserAuthenticationMethod.Read.All"
	permMethodsWrite = "UserAuthenticationMethod.ReadWrite.All"
)

// AuthMethods lists the user's authentication methods (GET
// /users/{id}/authentication/methods), the password included: the caller
// shows it and skips it, since it cannot be removed. Each method's Type is
// Graph's type name without its decoration (phone, fido2, …) and its Label
// names it for a person without giving a phone number or address away.
// The listing is slow in Graph, which gives up on it after 60 s (a 504,
// retried as any other).
func (c *Client) AuthMethods(ctx context.Context, userID string) ([]revoke.Method, error) {
	if err := needID(opListMethods, permMethodsRead, "user", userID); err != nil {
		return nil, err
	}
	// Read through walk rather than the SDK's Get, so that a next link,
	// should Graph ever page this, is followed and kept to this Graph.
	l := listing{
		op: opListMethods, permission: permMethodsRead,
		template: "{+baseurl}/users/{user%2Did}/authentication/methods",
		params:   map[string]string{"user%2Did": userID},
		prefix:   "/users/",
	}
	var out []revoke.Method
	err := walk(ctx, c, l, models.CreateAuthenticationMethodCollectionResponseFromDiscriminatorValue,
		func(m models.AuthenticationMethodable) { out = append(out, toMethod(m)) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// The accessors toMethod reads, by what they are rather than by model:
// several models share them, and a model Graph adds later may too.
type (
	named interface{ GetDisplayName() *string }
	dated interface{ GetCreatedDateTime() *time.Time }
	phone interface {
		GetPhoneNumber() *string
		GetPhoneType() *models.AuthenticationPhoneType
	}
	emailMethod interface{ GetEmailAddress() *string }
	keyModel    interface{ GetModel() *string }
)

func toMethod(m models.AuthenticationMethodable) revoke.Method {
	out := revoke.Method{ID: str(m.GetId()), Type: methodTypeOf(m)}
	if d, ok := m.(dated); ok && d.GetCreatedDateTime() != nil {
		out.Created = d.GetCreatedDateTime().UTC()
	}
	out.Label = methodLabel(out.Type, m)
	return out
}

// methodTypeOf reads the type from @odata.type, the wire's own word, as
// "#microsoft.graph.phoneAuthenticationMethod" → "phone". The model's Go
// type is the fallback for an answer without one: some models satisfy each
// other's interfaces (a platform credential has all a Windows Hello key
// has), so the annotation is the surer guide.
func methodTypeOf(m models.AuthenticationMethodable) string {
	if t := m.GetOdataType(); t != nil {
		name := strings.TrimSuffix(strings.TrimPrefix(*t, "#microsoft.graph."), "AuthenticationMethod")
		if name != "" && name != *t {
			return name
		}
	}
	switch m.(type) {
	case models.PasswordAuthenticationMethodable:
		return "password"
	case models.PhoneAuthenticationMethodable:
		return "phone"
	case models.EmailAuthenticationMethodable:
		return "email"
	case models.Fido2AuthenticationMethodable:
		return "fido2"
	case models.MicrosoftAuthenticatorAuthenticationMethodable:
		return "microsoftAuthenticator"
	case models.SoftwareOathAuthenticationMethodable:
		return "softwareOath"
	case models.TemporaryAccessPassAuthenticationMethodable:
		return "temporaryAccessPass"
	}
	return "unknown"
}

// methodWords name each type in plain words, for a method with nothing
// better to show.
var methodWords = map[string]string{
	"email":                   "email address",
	"external":                "external authentication method",
	"fido2":                   "security key",
	"microsoftAuthenticator":  "Microsoft Authenticator",
	"password":                "password",
	"phone":                   "phone",
	"platformCredential":      "platform credential",
	"softwareOath":            "software OATH token",
	"temporaryAccessPass":     "Temporary Access Pass",
	"windowsHelloForBusiness": "Windows Hello for Business",
}

// phoneTypeWords name Graph's phone types as a card shows them.
var phoneTypeWords = map[models.AuthenticationPhoneType]string{
	models.MOBILE_AUTHENTICATIONPHONETYPE:          "mobile",
	models.ALTERNATEMOBILE_AUTHENTICATIONPHONETYPE: "alternate mobile",
	models.OFFICE_AUTHENTICATIONPHONETYPE:          "office",
}

// methodLabel names a method for a person: a phone by its type and last
// digits ("mobile ••••0123"), an address with its local part hidden, a key
// or device by the name its owner gave it, anything else by its type.
func methodLabel(typ string, m models.AuthenticationMethodable) string {
	switch typ {
	case "phone":
		if p, ok := m.(phone); ok && p.GetPhoneNumber() != nil {
			kind := "phone"
			if t := p.GetPhoneType(); t != nil && phoneTypeWords[*t] != "" {
				kind = phoneTypeWords[*t]
			}
			return kind + " " + revoke.MaskPhone(*p.GetPhoneNumber())
		}
	case "email":
		if e, ok := m.(emailMethod); ok && str(e.GetEmailAddress()) != "" {
			return MaskEmail(*e.GetEmailAddress())
		}
	case "external":
		// The SDK has no model for it: its name is in the additional data.
		if name, ok := m.GetAdditionalData()["displayName"].(*string); ok && strings.TrimSpace(str(name)) != "" {
			return strings.TrimSpace(*name)
		}
	case "fido2", "windowsHelloForBusiness", "platformCredential", "microsoftAuthenticator":
		if n, ok := m.(named); ok && strings.TrimSpace(str(n.GetDisplayName())) != "" {
			label := strings.TrimSpace(*n.GetDisplayName())
			if k, ok := m.(keyModel); ok && typ == "fido2" && strings.TrimSpace(str(k.GetModel())) != "" {
				label += " (" + strings.TrimSpace(*k.GetModel()) + ")"
			}
			return label
		}
	}
	if w := methodWords[typ]; w != "" {
		return w
	}
	return typ
}

// MaskEmail hides an address's local part but its first character, as
// a**@contoso.com: enough for the user's owner to recognise it on a card,
// not enough to hand the address to whoever reads the channel. The stars
// are always two, so they do not give the length away either.
func MaskEmail(addr string) string {
	addr = strings.TrimSpace(addr)
	at := strings.LastIndex(addr, "@") // a quoted local part may hold another
	local := addr
	if at >= 0 {
		local = addr[:at]
	}
	first := ""
	for _, r := range local {
		first = string(r)
		break
	}
	if at < 0 {
		return first + "**"
	}
	return first + "**" + addr[at:]
}
