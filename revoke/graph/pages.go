package graph

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/revokebot/revokebot/revoke"
)

// maxListPages bounds one walk of a collection, so a server that keeps
// naming next pages cannot hold a caller forever; at Graph's default of
// 100 a page it is 100,000 entries, more than any tenant's role holders.
const maxListPages = 1000

// errorMapping turns Graph's error bodies into *odataerrors.ODataError, as
// the SDK's request builders do.
var errorMapping = abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

// listing is a Graph collection read through the request adapter directly.
// The SDK's builders for these paths live in packages this one does not
// otherwise import (groups is about as big as users to compile, and pulls
// in models/termstore); a URL template and the models' factories are all
// the builders would add.
type listing struct {
	op, permission string
	template       string            // the first page's URL template, e.g. "{+baseurl}/x{?%24top}"
	params         map[string]string // its path parameters, baseurl aside
	query          any               // its query parameters: a struct with uriparametername tags
	// headers go with every page: Graph does not carry the first
	// request's headers over to its next links.
	headers map[string]string
	// prefix is where a next link must point, after the client's base
	// URL, compared without case as Graph spells its links as it likes.
	prefix string
}

// request builds one page's request afresh, so that no try shares state
// with another: the first page from the template, a later one verbatim
// from Graph's next link.
func (l listing) request(next string) *abs.RequestInformation {
	var info *abs.RequestInformation
	if next != "" {
		info = abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abs.GET, l.template,
			map[string]string{"request-raw-url": next})
	} else {
		// A map of its own: the adapter writes the base URL into it.
		params := make(map[string]string, len(l.params)+1)
		maps.Copy(params, l.params)
		info = abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abs.GET, l.template, params)
		if l.query != nil {
			info.AddQueryParameters(l.query)
		}
	}
	info.Headers.TryAdd("Accept", "application/json")
	for k, v := range l.headers {
		info.Headers.Add(k, v)
	}
	return info
}

// collection is one page of a Graph collection as the models parse it.
type collection[T any] interface {
	GetValue() []T
	GetOdataNextLink() *string
}

// walk reads every page of l, each under the retry policy, and hands the
// items to each in Graph's order. factory parses a page into a
// collection[T]. A next link leaving this Graph ends the walk with an
// error, not a request elsewhere.
func walk[T any](ctx context.Context, c *Client, l listing, factory absser.ParsableFactory, each func(T)) error {
	next := ""
	for range maxListPages {
		var page collection[T]
		err := c.do(ctx, l.op, l.permission, func() error {
			got, err := c.adapter.Send(ctx, l.request(next), factory, errorMapping)
			if err != nil {
				return err
			}
			// An empty 200 parses as nothing at all.
			p, ok := got.(collection[T])
			if !ok {
				return errors.New("Graph answered without a collection")
			}
			page = p
			return nil
		})
		if err != nil {
			return err
		}
		for _, v := range page.GetValue() {
			each(v)
		}
		link := page.GetOdataNextLink()
		if link == nil || *link == "" {
			return nil
		}
		if !hasPrefixFold(*link, c.base+l.prefix) {
			return &revoke.Error{Kind: revoke.KindOther, Op: l.op, Permission: l.permission,
				Err: errors.New("the next page does not point at this Graph")}
		}
		next = *link
	}
	return &revoke.Error{Kind: revoke.KindOther, Op: l.op, Permission: l.permission,
		Err: fmt.Errorf("Graph named more than %d pages", maxListPages)}
}

// follow reads at most `most` pages of a collection through an SDK request
// builder, each page under the retry policy: first asks for the first page,
// at for a next link. each sees the items in Graph's order and returns
// false to stop. Unlike walk, running out of pages is not an error: the
// logs read this way come newest first, and their newest entries are what
// the callers want. what names the collection in the error for a next
// link that leaves this Graph; prefix is where such a link must point.
func follow[T any, P collection[T]](ctx context.Context, c *Client, op, permission, prefix, what string, most int,
	first func() (P, error), at func(next string) (P, error), each func(T) bool) error {
	next := ""
	for range most {
		var page P
		err := c.do(ctx, op, permission, func() error {
			var err error
			if next != "" {
				page, err = at(next)
			} else {
				page, err = first()
			}
			return err
		})
		if err != nil {
			return err
		}
		for _, v := range page.GetValue() {
			if !each(v) {
				return nil
			}
		}
		link := page.GetOdataNextLink()
		if link == nil || *link == "" {
			return nil
		}
		// Graph spells the path in its links as it likes ("signins").
		if !hasPrefixFold(*link, c.base+prefix) {
			return &revoke.Error{Kind: revoke.KindOther, Op: op, Permission: permission,
				Err: errors.New("the next page of " + what + " does not point at this Graph")}
		}
		next = *link
	}
	return nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
