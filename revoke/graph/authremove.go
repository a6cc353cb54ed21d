package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/revokebot/revokebot/revoke"
)

// ErrDefaultMethod is wrapped in the error of a method delete Graph refused
// because the method is the user's default and others remain: delete the
// others first, then this one (RemoveAuthMethods does). v1.0 cannot read
// which method is the default (signInPreferences is beta), so the refusal
// is the only way to learn it.
var ErrDefaultMethod = errors.New("the user's default method goes last: remove the others first")

// codeMethodsBadRequest is the authentication methods service's code for
// the default-method refusal, lower camel case as that service writes its
// codes (the directory's own is Request_BadRequest, Graph's generic one
// BadRequest). Only the message would tell this refusal from the service's
// others of the same code, and messages are not matched here: a 400
// badRequest to a well-formed per-type delete is read as "delete it after
// the others". The other refusal known to share the code, a mobile phone
// deleted while an alternate mobile remains, is cured by the same order.
const codeMethodsBadRequest = "badRequest"

// IsDefaultMethod reports whether err is DeleteAuthMethod's refusal of the
// user's default method while other methods remain.
func IsDefaultMethod(err error) bool { return errors.Is(err, ErrDefaultMethod) }

// DeleteAuthMethod removes one of the user's authentication methods, by the
// per-type delete Graph has for it (there is no generic one). The password
// cannot be removed: that, and a type with no delete, are refused with
// KindBadRequest before any request. A refusal to remove the default method
// while others remain wraps ErrDefaultMethod.
func (c *Client) DeleteAuthMethod(ctx context.Context, userID string, m revoke.Method) error {
	if err := needID(opDeleteMethod, permMethodsWrite, "user", userID); err != nil {
		return err
	}
	if err := needID(opDeleteMethod, permMethodsWrite, "method", m.ID); err != nil {
		return err
	}
	if m.Password() {
		return refusal(opDeleteMethod, permMethodsWrite, "the password method cannot be removed: reset the password instead")
	}
	del, ok := methodDeletes[m.Type]
	if !ok {
		return refusal(opDeleteMethod, permMethodsWrite, fmt.Sprintf("Graph has no delete for %q methods", m.Type))
	}
	err := c.do(ctx, opDeleteMethod, permMethodsWrite, func() error { return del(ctx, c, userID, m.ID) })
	var e *revoke.Error
	if errors.As(err, &e) && e.Status == http.StatusBadRequest && e.Code == codeMethodsBadRequest {
		e.Err = fmt.Errorf("%w: %w", ErrDefaultMethod, e.Err)
	}
	return err
}

// methodDeletes are the per-type deletes, each on a builder of its own per
// try (see Client.users).
var methodDeletes = map[string]func(ctx context.Context, c *Client, userID, id string) error{
	"email": func(ctx context.Context, c *Client, userID, id string) error {
		return c.users().ByUserId(userID).Authentication().EmailMethods().ByEmailAuthenticationMethodId(id).Delete(ctx, nil)
	},
	// msgraph-sdk-go has no builder for external methods: a plain request.
	"external": func(ctx context.Context, c *Client, userID, id string) error {
		info := abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abs.DELETE,
			"{+baseurl}/users/{user%2Did}/authentication/externalAuthenticationMethods/{externalAuthenticationMethod%2Did}",
			map[string]string{"user%2Did": userID, "externalAuthenticationMethod%2Did": id})
		info.Headers.TryAdd("Accept", "application/json")
		return c.adapter.SendNoContent(ctx, info, errorMapping)
	},
	"fido2": func(ctx context.Context, c *Client, userID, id string) error {
		return c.users().ByUserId(userID).Authentication().Fido2Methods().ByFido2AuthenticationMethodId(id).Delete(ctx, nil)
	},
	"microsoftAuthenticator": func(ctx context.Context, c *Client, userID, id string) error {
		return c.users().ByUserId(userID).Authentication().MicrosoftAuthenticatorMethods().
			ByMicrosoftAuthenticatorAuthenticationMethodId(id).Delete(ctx, nil)
	},
	"phone": func(ctx context.Context, c *Client, userID, id string) error {
		return c.users().ByUserId(userID).Authentication().PhoneMethods().ByPhoneAuthenticationMethodId(id).Delete(ctx, nil)
	},
	"platformCredential": func(ctx context.Context, c *Client, userID, id string) error {
		return c.users().ByUserId(userID).Authentication().PlatformCredentialMethods().
			ByPlatformCredentialAuthenticationMethodId(id).Delete(ctx, nil)
	},
	"softwareOath": func(ctx context.Context, c *Client, userID, id string) error {
		return c.users().ByUserId(userID).Authentication().SoftwareOathMethods().BySoftwareOathAuthenticationMethodId(id).Delete(ctx, nil)
	},
	"temporaryAccessPass": func(ctx context.Context, c *Client, userID, id string) error {
		return c.users().ByUserId(userID).Authentication().TemporaryAccessPassMethods().
			ByTemporaryAccessPassAuthenticationMethodId(id).Delete(ctx, nil)
	},
	"windowsHelloForBusiness": func(ctx context.Context, c *Client, userID, id string) error {
		return c.users().ByUserId(userID).Authentication().WindowsHelloForBusinessMethods().
			ByWindowsHelloForBusinessAuthenticationMethodId(id).Delete(ctx, nil)
	},
}

// RemoveAuthMethods removes every method in ms but the password, which it
// skips. Graph refuses the user's default method while others remain and
// v1.0 cannot say which it is, so a method refused with ErrDefaultMethod is
// put back and tried again once a pass has removed others; the rounds end
// when a pass removes nothing. removed lists what went, in the order it
// went; failed holds the error of each method that did not, by ID (a
// default still refused when nothing else could go keeps its
// ErrDefaultMethod error).
func (c *Client) RemoveAuthMethods(ctx context.Context, userID string, ms []revoke.Method) (removed []revoke.Method, failed map[string]error) {
	failed = make(map[string]error)
	var pending []revoke.Method
	for _, m := range ms {
		if !m.Password() {
			pending = append(pending, m)
		}
	}
	for len(pending) > 0 {
		var later []revoke.Method
		progress := false
		for _, m := range pending {
			err := c.DeleteAuthMethod(ctx, userID, m)
			switch {
			case err == nil:
				removed = append(removed, m)
				delete(failed, m.ID)
				progress = true
			case IsDefaultMethod(err):
				later = append(later, m)
				failed[m.ID] = err
			default:
				failed[m.ID] = err
			}
		}
		if !progress {
			break
		}
		pending = later
	}
	return removed, failed
}
