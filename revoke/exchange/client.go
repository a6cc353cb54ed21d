// Package exchange is the only package that speaks to Exchange Online. It
// runs cmdlets through the admin endpoint the ExchangeOnlineManagement v3
// module and CIPP use, which Graph has no equivalent for (mailbox
// forwarding, client protocols, hidden inbox rules):
//
//	POST {EXCHANGE_ADMIN_URL}/adminapi/beta/{tenant}/InvokeCommand
//	{"CmdletInput":{"CmdletName":"Get-Mailbox","Parameters":{"Identity":"alice@contoso.com"}}}
//	-> {"value":[{…}],"@odata.nextLink":…}
//
// The endpoint is undocumented (NOTES, "Exchange Online beyond Graph"; CIPP-API
// Modules/CIPPCore/Public/GraphHelper/New-ExoRequest.ps1). It needs a token
// for https://outlook.office365.com whose roles hold Exchange.ManageAsApp
// (else 401) and an Entra directory role on the app's service principal:
// Exchange Administrator to change mailboxes, Security Reader to read (else
// 403, often with a body of NUL bytes).
//
// Every change is read back: the service prefix-matches values and can
// answer 200 having done something else, so a success is what the mailbox
// says afterwards, not the status. Like revoke/graph and revoke/sharepoint,
// it retries in one place (revoke.Retry) and classifies every failure into
// a *revoke.Error; the token never appears in one.
package exchange

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

// Scope is what a token for the admin endpoint is asked for, whatever
// EXCHANGE_ADMIN_URL says: tests point the URL at a fake, never the scope.
const Scope = "https://outlook.office365.com/.default"

// Config says where Exchange is and how to authenticate to it. One of Token
// and Credential is needed; Token wins.
type Config struct {
	BaseURL    string                 // EXCHANGE_ADMIN_URL, e.g. https://outlook.office365.com
	Tenant     string                 // the tenant's ID (AZURE_TENANT_ID or the Graph token's tid) or a verified domain
	Token      string                 // a static bearer token (EXCHANGE_ACCESS_TOKEN)
	Credential azcore.TokenCredential // azidentity, used when Token is empty
	// HTTPClient carries the requests; nil: one with a 60 s timeout. It is
	// copied, and the copy never follows redirects, so the token goes to
	// the admin host only.
	HTTPClient *http.Client
	Retry      revoke.Retry // zero: revoke.DefaultRetry()
	// Observe, when set, sees every HTTP exchange, retries included: its
	// duration and status (0 when there was no answer).
	Observe func(d time.Duration, status int)
	Now     func() time.Time // reads Retry-After dates; nil: time.Now
}

// Client runs Exchange cmdlets for the containment actions. It is safe for
// concurrent use.
type Client struct {
	endpoint *url.URL // …/adminapi/beta/{tenant}/InvokeCommand
	tenant   string
	token    func(ctx context.Context) (string, error)
	http     *http.Client
	retry    revoke.Retry
	now      func() time.Time
}

// New builds a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	base, err := CheckBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	t := strings.TrimSpace(cfg.Tenant)
	if t == "" || strings.ContainsAny(t, "/\\?#% \t") {
		return nil, errors.New("exchange: want a tenant ID or domain for the admin endpoint's path")
	}
	var src func(ctx context.Context) (string, error)
	switch {
	case cfg.Token != "":
		tok := cfg.Token
		src = func(context.Context) (string, error) { return tok, nil }
	case cfg.Credential != nil:
		cred := cfg.Credential
		src = func(ctx context.Context) (string, error) {
			t, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{Scope}})
			if err != nil {
				// azidentity's messages name the credential chain, not secrets.
				return "", fmt.Errorf("get an Exchange token: %w", err)
			}
			return t.Token, nil
		}
	default:
		return nil, errors.New("EXCHANGE_ACCESS_TOKEN: unset, and no credential for Exchange")
	}
	hc := &http.Client{Timeout: 60 * time.Second}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if cfg.Observe != nil {
		hc.Transport = revoke.Observed(hc.Transport, cfg.Observe)
	}
	retry := cfg.Retry.OrDefault()
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	endpoint := *base
	endpoint.Path = "/adminapi/beta/" + t + "/InvokeCommand"
	return &Client{endpoint: &endpoint, tenant: t, token: src, http: hc, retry: retry, now: now}, nil
}

// CheckBaseURL parses EXCHANGE_ADMIN_URL (see revoke.AdminURL).
func CheckBaseURL(raw string) (*url.URL, error) {
	return revoke.AdminURL("EXCHANGE_ADMIN_URL", "https://outlook.office365.com", raw)
}

// Roles obtains a token as the client would and returns the app roles in
// its roles claim, for `revokebot check`. The token itself is never
// returned or put in an error.
func (c *Client) Roles(ctx context.Context) ([]string, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return nil, err
	}
	return revoke.RolesOf("Exchange", tok)
}
