package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/revokebot/revokebot/revoke"
)

const (
	maxBody  = 8 << 20 // a page larger than this is not Exchange's
	maxPages = 100     // a list longer than 100 pages of 1,000 is a loop, not a mailbox
	// pageSize is what the client asks for with Prefer, as CIPP does.
	pageSize = "odata.maxpagesize=1000"
	// systemAnchor, followed by the tenant, routes a call that is about no
	// mailbox in particular: the anchor CIPP's New-ExoRequest.ps1 defaults to.
	systemAnchor = "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@"
)

// call is one cmdlet run.
type call struct {
	op      string // what the bot is doing, for errors: "clear mail forwarding"
	cmdlet  string
	params  map[string]any // nil values are sent as JSON null ($null)
	mailbox string         // routes the call (X-AnchorMailbox); "" the system mailbox
	write   bool           // changes something: decides the role a 403 names
}

// invoke runs k and returns every value of every page. The service pages
// by @odata.nextLink, which is POSTed the same body (CIPP
// New-ExoBulkRequest.ps1); each page is retried on its own.
func (c *Client) invoke(ctx context.Context, k call) ([]json.RawMessage, error) {
	params := k.params
	if params == nil {
		params = map[string]any{}
	}
	body, err := json.Marshal(map[string]any{"CmdletInput": map[string]any{"CmdletName": k.cmdlet, "Parameters": params}})
	if err != nil {
		return nil, c.fail(k, revoke.KindBadRequest, err)
	}
	var out []json.RawMessage
	target := c.endpoint.String()
	for range maxPages {
		page, e := revoke.DoTry(ctx, c.retry, func() (pageBody, *revoke.Error) { return c.try(ctx, k, target, body) })
		if e != nil {
			return nil, e
		}
		out = append(out, page.Value...)
		if page.Next == "" {
			return out, nil
		}
		next, ok := c.sameEndpoint(page.Next)
		if !ok {
			e := c.fail(k, revoke.KindOther, nil)
			e.Message = "Exchange's next-page link points away from the admin endpoint; not followed"
			return nil, e
		}
		target = next
	}
	e := c.fail(k, revoke.KindOther, nil)
	e.Message = "Exchange's answer did not end after 100 pages"
	return nil, e
}

// pageBody is the part of an answer the client reads. Warnings
// (@adminapi.warnings) are ignored: none of the cmdlets used warns about
// anything a read-back would not show.
type pageBody struct {
	Value []json.RawMessage `json:"value"`
	Next  string            `json:"@odata.nextLink"`
}

// sameEndpoint accepts a next link only to the endpoint itself, so the
// token never follows a link elsewhere.
func (c *Client) sameEndpoint(link string) (string, bool) {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != c.endpoint.Scheme || !strings.EqualFold(u.Host, c.endpoint.Host) ||
		!strings.EqualFold(strings.TrimSuffix(u.Path, "/"), c.endpoint.Path) || u.User != nil {
		return "", false
	}
	return u.String(), true
}

// try makes one request and classifies its outcome.
func (c *Client) try(ctx context.Context, k call, target string, body []byte) (pageBody, *revoke.Error) {
	tok, err := c.token(ctx)
	if err != nil {
		return pageBody{}, c.fail(k, revoke.KindOther, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return pageBody{}, c.fail(k, revoke.KindOther, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Prefer", pageSize)
	req.Header.Set("X-AnchorMailbox", c.anchor(k.mailbox))
	resp, err := c.http.Do(req)
	if err != nil {
		kind := revoke.KindNetwork
		if ctx.Err() != nil {
			kind = revoke.KindOther
		}
		// *url.Error names the method and the endpoint, which hold no
		// secret; the Authorization header is never in it.
		return pageBody{}, c.fail(k, kind, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		e := c.fail(k, revoke.KindNetwork, err)
		e.Status = resp.StatusCode
		return pageBody{}, e
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return pageBody{}, c.classify(k, resp, raw, tok)
	}
	var page pageBody
	if len(bytes.TrimSpace(raw)) == 0 {
		return page, nil // a write may answer 204, or 200 with no body
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		e := c.fail(k, revoke.KindOther, nil)
		e.Status, e.Message = resp.StatusCode, "Exchange's answer is not JSON"
		return pageBody{}, e
	}
	return page, nil
}

// anchor is X-AnchorMailbox: the mailbox a call is about, so the service
// runs it where that mailbox lives, else the tenant's system mailbox.
func (c *Client) anchor(mailbox string) string {
	if strings.Contains(mailbox, "@") {
		return "UPN:" + mailbox
	}
	return systemAnchor + c.tenant
}

// fail starts an error about k with the app role every call needs.
func (c *Client) fail(k call, kind revoke.ErrorKind, err error) *revoke.Error {
	return &revoke.Error{Kind: kind, Op: k.op, Permission: revoke.PermExchangeManageAsApp.Name, Err: err}
}

// one returns the single value a call about one object answers.
func (c *Client) one(k call, vals []json.RawMessage) (json.RawMessage, error) {
	switch len(vals) {
	case 1:
		return vals[0], nil
	case 0:
		e := c.fail(k, revoke.KindNotFound, nil)
		e.Message = "Exchange returned nothing for " + k.mailbox
		return nil, e
	}
	e := c.fail(k, revoke.KindOther, nil)
	e.Message = "Exchange returned more than one mailbox for " + k.mailbox
	return nil, e
}

// needMailbox refuses an empty identity before any request: Get-Mailbox
// without one lists the whole tenant.
func (c *Client) needMailbox(k call) error {
	if strings.TrimSpace(k.mailbox) == "" {
		e := c.fail(k, revoke.KindBadRequest, nil)
		e.Message = "no mailbox given"
		return e
	}
	return nil
}
