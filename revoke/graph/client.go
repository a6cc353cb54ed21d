// Package graph talks to Microsoft Graph through msgraph-sdk-go. It is the only
// package that imports the SDK; it retries in one place (revoke.Retry) and
// classifies every failure into a revoke.Error.
package graph

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	khttp "github.com/microsoft/kiota-http-go"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/revokebot/revokebot/revoke"
)

// Config says where Graph is and how to authenticate to it. Exactly one of
// Token and Credential is set.
type Config struct {
	BaseURL    string                 // e.g. https://graph.microsoft.com/v1.0
	Token      string                 // a static bearer token (GRAPH_ACCESS_TOKEN)
	Credential azcore.TokenCredential // azidentity, used when Token is empty
	Retry      revoke.Retry
	Now        func() time.Time
	Transport  http.RoundTripper // nil: a fresh http.Transport
	// Observe, when set, sees every HTTP exchange with Graph, retries
	// included: its duration and status (0 when there was no answer).
	Observe func(d time.Duration, status int)
	// CompromisedInterval spaces Identity Protection's requests, which it
	// accepts at 1 request/s per tenant, reads included. Default 1 s.
	CompromisedInterval time.Duration
	// ReportsWindow is the window of the identity and access reports
	// budget, 5 requests per 10 s per app and tenant, over sign-ins and
	// users' authentication methods. Default 10 s; tests shrink it.
	ReportsWindow time.Duration
}

// Client resolves and revokes users.
type Client struct {
	token   func(ctx context.Context) (string, error)
	adapter *msgraphgocore.GraphRequestAdapterBase
	retry   revoke.Retry
	now     func() time.Time
	base    string // the Graph base URL without a trailing slash
	// confirms and dismissals share one pacer, and the copies Once makes
	// share them: Identity Protection's limit is the tenant's.
	confirms, dismissals *riskBatch
}

// New builds a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	base, err := CheckBaseURL(cfg.BaseURL)
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
				return "", fmt.Errorf("get a Graph token: %w", err)
			}
			return t.Token, nil
		}
	default:
		return nil, errors.New("graph: no token and no credential")
	}
	auth := absauth.NewBaseBearerTokenAuthenticationProvider(&tokenProvider{
		src: src, hosts: absauth.NewAllowedHostsValidator([]string{strings.ToLower(base.Hostname())}),
	})

	parse := absser.NewParseNodeFactoryRegistry()
	parse.ContentTypeAssociatedFactories["application/json"] = jsonser.NewJsonParseNodeFactory()
	parse.ContentTypeAssociatedFactories[textPlain] = textParseNodeFactory{} // $count answers
	write := absser.NewSerializationWriterFactoryRegistry()
	write.ContentTypeAssociatedFactories["application/json"] = jsonser.NewJsonSerializationWriterFactory()

	transport := cfg.Transport
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// The bulk engine keeps up to 256 requests in flight; with the
		// default 2 idle connections per host, HTTP/1.1 would open and close
		// connections all run long.
		t.MaxIdleConnsPerHost = 256
		transport = t
	}
	if cfg.Observe != nil {
		transport = revoke.Observed(transport, cfg.Observe) // below the SDK's middleware: every try counts
	}
	interval := cfg.CompromisedInterval
	if interval <= 0 {
		interval = time.Second
	}
	window := cfg.ReportsWindow
	if window <= 0 {
		window = defaultReportsWindow
	}
	// Outside observed, so that waiting one's turn is not timed as Graph's.
	transport = budgeted{next: transport, reports: newBudget(reportsLimit, window), risk: newBudget(1, interval),
		security: newBudget(securityLimit, time.Minute)}
	opts := msgraphgocore.GraphClientOptions{GraphServiceVersion: "v1.0", GraphServiceLibraryVersion: "revokebot"}
	// No retry handler: revoke.Retry owns retries, so waits are bounded and
	// counted in one place. No compression handler: bodies stay plain, which
	// sidesteps the SDK resending a gzip-labelled body uncompressed on retry.
	httpClient := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(transport,
			msgraphgocore.NewGraphTelemetryHandler(&opts),
			khttp.NewRedirectHandler(),
			khttp.NewParametersNameDecodingHandler(),
			khttp.NewUserAgentHandler(),
			khttp.NewHeadersInspectionHandler(),
		),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       60 * time.Second,
	}
	adapter, err := msgraphgocore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, opts, parse, write, httpClient)
	if err != nil {
		return nil, fmt.Errorf("graph adapter: %w", err)
	}
	baseURL := strings.TrimSuffix(base.String(), "/")
	adapter.SetBaseUrl(baseURL)
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	retry := cfg.Retry.OrDefault()
	pace := newPacer(interval, now)
	return &Client{token: src, adapter: adapter, retry: retry, now: now, base: baseURL,
		confirms: &riskBatch{pace: pace}, dismissals: &riskBatch{pace: pace}}, nil
}

// Once returns a client sharing c's connection that tries each call once and
// leaves retrying to the caller: the bulk engine paces and retries a whole
// tenant's writes together, and must see each 429 itself.
func (c *Client) Once() *Client {
	o := *c
	o.retry = revoke.Retry{Attempts: 1, Sleep: revoke.SleepContext}
	return &o
}

// users returns a new request builder for each call: the adapter writes the
// base URL into a builder's path parameters, so a shared builder is a data
// race between concurrent requests.
func (c *Client) users() *users.UsersRequestBuilder {
	return users.NewUsersRequestBuilderInternal(map[string]string{}, c.adapter)
}

// CheckBaseURL parses a Graph base URL and refuses plain http to anything
// but this machine, so a bearer token never crosses a network in clear.
func CheckBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, errors.New("GRAPH_BASE_URL: not an absolute URL")
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, errors.New("GRAPH_BASE_URL: plain http is allowed only for localhost")
		}
	default:
		return nil, errors.New("GRAPH_BASE_URL: want an https URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("GRAPH_BASE_URL: want scheme, host and path only")
	}
	return u, nil
}

// tokenProvider hands the token only to the Graph host, so a redirect or a
// next link pointing elsewhere never carries it.
type tokenProvider struct {
	src   func(ctx context.Context) (string, error)
	hosts absauth.AllowedHostsValidator
}

func (p *tokenProvider) GetAuthorizationToken(ctx context.Context, u *url.URL, _ map[string]any) (string, error) {
	if !p.hosts.IsUrlHostValid(u) {
		return "", nil
	}
	return p.src(ctx)
}

func (p *tokenProvider) GetAllowedHostsValidator() *absauth.AllowedHostsValidator { return &p.hosts }
