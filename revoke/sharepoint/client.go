// Package sharepoint ends a user's SharePoint Online and OneDrive sessions
// through the tenant admin REST endpoint behind Revoke-SPOUserSession; Graph
// has no equivalent:
//
//	POST {admin}/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/RevokeAllUserSessions
//	{"userName":"alice@contoso.com"}  ->  {"State":4}
//
// {admin} is the tenant's admin site (SHAREPOINT_ADMIN_URL, e.g.
// https://contoso-admin.sharepoint.com). The call needs a token for that host
// (scope {admin}/.default) whose roles claim holds SharePoint's
// Sites.FullControl.All application permission.
//
// SharePoint accepts app-only tokens only when the app proved itself with a
// certificate: a token obtained with a client secret is refused with 401
// "Unsupported app only token.", although the same secret works for Graph.
// Give azidentity a certificate (AZURE_CLIENT_CERTIFICATE_PATH) for this
// client, or a static token (SHAREPOINT_ACCESS_TOKEN) for trials.
//
// Like revoke/graph, it retries in one place (revoke.Retry) and classifies
// every failure into a *revoke.Error. The token never appears in an error.
package sharepoint

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/revokebot/revokebot/revoke"
)

// RevokePath is the path of RevokeAllUserSessions below the admin site.
const RevokePath = "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/RevokeAllUserSessions"

// Config says where the SharePoint admin site is and how to authenticate to
// it. Exactly one of Token and Credential is needed; Token wins.
type Config struct {
	AdminURL   string                 // SHAREPOINT_ADMIN_URL, e.g. https://contoso-admin.sharepoint.com
	Token      string                 // a static bearer token (SHAREPOINT_ACCESS_TOKEN)
	Credential azcore.TokenCredential // azidentity with a certificate, used when Token is empty
	Retry      revoke.Retry           // zero: revoke.DefaultRetry()
	Transport  http.RoundTripper      // nil: a fresh http.Transport
	Now        func() time.Time       // reads Retry-After dates; nil: time.Now
}

// Client revokes users' SharePoint sessions. It is safe for concurrent use.
type Client struct {
	endpoint string
	token    func(ctx context.Context) (string, error)
	http     *http.Client
	retry    revoke.Retry
	now      func() time.Time
}

// New builds a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	base, err := CheckAdminURL(cfg.AdminURL)
	if err != nil {
		return nil, err
	}
	var src func(ctx context.Context) (string, error)
	switch {
	case cfg.Token != "":
		tok := cfg.Token
		src = func(context.Context) (string, error) { return tok, nil }
	case cfg.Credential != nil:
		scope := base.Scheme + "://" + base.Host + "/.default"
		cred := cfg.Credential
		src = func(ctx context.Context) (string, error) {
			t, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
			if err != nil {
				// azidentity's messages name the credential chain, not secrets.
				return "", fmt.Errorf("get a SharePoint token: %w", err)
			}
			return t.Token, nil
		}
	default:
		return nil, errors.New("SHAREPOINT_ACCESS_TOKEN: unset, and no credential for SharePoint")
	}
	transport := cfg.Transport
	if transport == nil {
		transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	retry := cfg.Retry.OrDefault()
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Client{
		endpoint: base.Scheme + "://" + base.Host + RevokePath,
		token:    src,
		http: &http.Client{
			Transport: transport,
			// A redirect (to a sign-in page, or another host) is never
			// followed, so the token goes to the admin host only.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Timeout:       60 * time.Second,
		},
		retry: retry,
		now:   now,
	}, nil
}

// CheckAdminURL parses SHAREPOINT_ADMIN_URL (see revoke.AdminURL).
func CheckAdminURL(raw string) (*url.URL, error) {
	return revoke.AdminURL("SHAREPOINT_ADMIN_URL", "https://contoso-admin.sharepoint.com", raw)
}

// RevokeUserSessions asks SharePoint to sign upn out of every device and
// returns SharePoint's answer. A state other than success (feature disabled,
// user not found, failure) is an answer, not an error: the caller words it
// with SharePointState.String. The error, when not nil, is a *revoke.Error
// and the state is then meaningless.
func (c *Client) RevokeUserSessions(ctx context.Context, upn string) (revoke.SharePointState, error) {
	if strings.TrimSpace(upn) == "" {
		return 0, &revoke.Error{Kind: revoke.KindBadRequest, Op: op, Permission: permission, Message: "no user name given"}
	}
	body, err := encodeRequest(upn)
	if err != nil {
		return 0, &revoke.Error{Kind: revoke.KindBadRequest, Op: op, Permission: permission, Err: err}
	}
	state, e := revoke.DoTry(ctx, c.retry, func() (revoke.SharePointState, *revoke.Error) { return c.try(ctx, body) })
	if e != nil {
		return 0, e
	}
	return state, nil
}

const op = "revoke SharePoint sessions"

var permission = revoke.ActionSharePoint.Permission()
