package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/revokebot/revokebot/revoke"
)

// What alert cards read: Defender XDR incidents with their alerts, and
// Identity Protection's risky users. Both are read through the request
// adapter and parsed here: the SDK's models for security incidents live in
// msgraph-sdk-go/models/security, a package far too big to compile for
// the few properties a card shows.

const (
	opIncidents       = "list Defender incidents"
	opCommentIncident = "comment on a Defender incident"
	opRiskyUsers      = "list risky users"
	// incidentsTop is the largest page /security/incidents gives (NOTES.md).
	incidentsTop = 50
	// riskyUsersTop is the largest page of riskyUsers (the v1.0 page).
	riskyUsersTop = 500
	// maxAlertPages bounds one look at a source: 50 pages of incidents are
	// 2,500 updated since the last look.
	maxAlertPages = 50
)

// wireIncident is the part of a security incident the bot reads.
type wireIncident struct {
	ID                 string      `json:"id"`
	DisplayName        string      `json:"displayName"`
	Severity           string      `json:"severity"`
	Status             string      `json:"status"`
	IncidentWebURL     string      `json:"incidentWebUrl"`
	CreatedDateTime    time.Time   `json:"createdDateTime"`
	LastUpdateDateTime time.Time   `json:"lastUpdateDateTime"`
	Alerts             []wireAlert `json:"alerts"`
}

type wireAlert struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	Severity        string    `json:"severity"`
	CreatedDateTime time.Time `json:"createdDateTime"`
	Evidence        []struct {
		Type        string `json:"@odata.type"`
		UserAccount *struct {
			AccountName       string `json:"accountName"`
			UserPrincipalName string `json:"userPrincipalName"`
			AzureADUserID     string `json:"azureAdUserId"`
		} `json:"userAccount"`
	} `json:"evidence"`
}

type wirePage[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
	Count    *int   `json:"@odata.count"`
}

// Incidents hands page, one page at a time, the Defender XDR incidents
// updated at or after since, with their alerts ($expand=alerts), whose
// severity is one of severities (none: any), 50 a page
// (SecurityIncident.Read.All). Only one page is held at a time, however
// many changed since the last look.
//
// Graph pages incidents by position ($skip), newest first. An incident
// that leaves the filtered set while the pages are read (its severity
// lowered) moves every later one up a place, and one would be skipped:
// each page's @odata.count ($count=true) is held against the first's, and
// a change ends the read with an error, so the caller reads them again.
func (c *Client) Incidents(ctx context.Context, since time.Time, severities []string, page func([]revoke.Incident)) error {
	filter := "lastUpdateDateTime ge " + since.UTC().Format("2006-01-02T15:04:05Z")
	if len(severities) == 1 {
		// One severity goes into the filter; more would need "or", which
		// the fake refuses: the rest are kept below.
		filter += " and severity eq " + revoke.ODataString(severities[0])
	}
	count := -1
	return c.pages(ctx, opIncidents, revoke.PermIncidentsRead.Name, "/security/incidents",
		"{+baseurl}/security/incidents{?%24count,%24expand,%24filter,%24top}",
		incidentQuery{Count: ptr(true), Expand: ptr("alerts"), Filter: &filter, Top: ptr(int32(incidentsTop))},
		func(raw []byte) (string, error) {
			var wire wirePage[wireIncident]
			if err := json.Unmarshal(raw, &wire); err != nil {
				return "", err
			}
			if wire.Count != nil {
				if count >= 0 && *wire.Count != count {
					return "", &revoke.Error{Kind: revoke.KindOther, Op: opIncidents, Permission: revoke.PermIncidentsRead.Name,
						Err: fmt.Errorf("the incidents changed while they were read (%d, then %d); they are read again at the next look", count, *wire.Count)}
				}
				count = *wire.Count
			}
			var out []revoke.Incident
			for _, w := range wire.Value {
				if len(severities) == 0 || containsFold(severities, w.Severity) {
					out = append(out, w.incident())
				}
			}
			page(out)
			return wire.NextLink, nil
		})
}

// The query parameters take pointers, as the SDK's own do: the adapter
// leaves nil ones out.
type incidentQuery struct {
	Count  *bool   `uriparametername:"%24count"`
	Expand *string `uriparametername:"%24expand"`
	Filter *string `uriparametername:"%24filter"`
	Top    *int32  `uriparametername:"%24top"`
}

func (w wireIncident) incident() revoke.Incident {
	inc := revoke.Incident{ID: w.ID, Title: w.DisplayName, Severity: w.Severity, Status: w.Status, WebURL: w.IncidentWebURL,
		Created: w.CreatedDateTime.UTC(), Updated: w.LastUpdateDateTime.UTC()}
	for _, a := range w.Alerts {
		al := revoke.IncidentAlert{ID: a.ID, Title: a.Title, Severity: a.Severity, Created: a.CreatedDateTime.UTC()}
		for _, ev := range a.Evidence {
			if !strings.EqualFold(strings.TrimPrefix(ev.Type, "#"), "microsoft.graph.security.userEvidence") || ev.UserAccount == nil {
				continue
			}
			ua := ev.UserAccount
			al.Users = append(al.Users, revoke.EvidenceUser{UPN: ua.UserPrincipalName, ObjectID: ua.AzureADUserID, Account: ua.AccountName})
		}
		inc.Alerts = append(inc.Alerts, al)
	}
	return inc
}

// CommentIncident adds text as a comment to incident id (POST
// /security/incidents/{id}/comments; SecurityIncident.ReadWrite.All).
// Graph answers with every comment; they are not read.
func (c *Client) CommentIncident(ctx context.Context, id, text string) error {
	if err := needID(opCommentIncident, revoke.PermIncidentsWrite.Name, "incident", id); err != nil {
		return err
	}
	body, err := json.Marshal(map[string]string{"@odata.type": "microsoft.graph.security.alertComment", "comment": text})
	if err != nil {
		return err
	}
	return c.do(ctx, opCommentIncident, revoke.PermIncidentsWrite.Name, func() error {
		info := abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abs.POST,
			"{+baseurl}/security/incidents/{incident%2Did}/comments", map[string]string{"incident%2Did": id})
		info.Headers.TryAdd("Accept", "application/json")
		info.SetStreamContentAndContentType(body, "application/json")
		_, err := c.adapter.SendPrimitive(ctx, info, "[]byte", errorMapping)
		return err
	})
}

type wireRiskyUser struct {
	ID                      string    `json:"id"`
	UserPrincipalName       string    `json:"userPrincipalName"`
	UserDisplayName         string    `json:"userDisplayName"`
	RiskLevel               string    `json:"riskLevel"`
	RiskState               string    `json:"riskState"`
	RiskDetail              string    `json:"riskDetail"`
	RiskLastUpdatedDateTime time.Time `json:"riskLastUpdatedDateTime"`
}

// RiskyUsers hands page, one page at a time, the users whose risk
// changed at or after since, at one of levels (none: any), in state
// atRisk or confirmedCompromised (IdentityRiskyUser.Read.All; Identity
// Protection's one request a second per tenant, which the client paces).
func (c *Client) RiskyUsers(ctx context.Context, since time.Time, levels []string, page func([]revoke.RiskyUser)) error {
	filter := "riskLastUpdatedDateTime ge " + since.UTC().Format("2006-01-02T15:04:05Z")
	if len(levels) == 1 {
		filter += " and riskLevel eq " + revoke.ODataString(levels[0])
	}
	return c.pages(ctx, opRiskyUsers, revoke.PermRiskyUserRead.Name, "/identityProtection/riskyUsers",
		"{+baseurl}/identityProtection/riskyUsers{?%24filter,%24top}", riskyQuery{Filter: &filter, Top: ptr(int32(riskyUsersTop))},
		func(raw []byte) (string, error) {
			var wire wirePage[wireRiskyUser]
			if err := json.Unmarshal(raw, &wire); err != nil {
				return "", err
			}
			var out []revoke.RiskyUser
			for _, w := range wire.Value {
				if (len(levels) == 0 || containsFold(levels, w.RiskLevel)) && (w.RiskState == "atRisk" || w.RiskState == "confirmedCompromised") {
					out = append(out, revoke.RiskyUser{ID: w.ID, UPN: w.UserPrincipalName, DisplayName: w.UserDisplayName,
						Level: w.RiskLevel, State: w.RiskState, Detail: w.RiskDetail, Updated: w.RiskLastUpdatedDateTime.UTC()})
				}
			}
			page(out)
			return wire.NextLink, nil
		})
}

type riskyQuery struct {
	Filter *string `uriparametername:"%24filter"`
	Top    *int32  `uriparametername:"%24top"`
}

// pages reads a collection through the adapter as raw JSON, each page
// under the retry policy and the service's budget (budget.go), and
// hands each page's body to each, which returns the next link. A next link
// leaving this Graph ends the read with an error.
func (c *Client) pages(ctx context.Context, op, permission, prefix, template string, query any, each func([]byte) (string, error)) error {
	next := ""
	for range maxAlertPages {
		var raw []byte
		err := c.do(ctx, op, permission, func() error {
			var info *abs.RequestInformation
			if next == "" {
				info = abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abs.GET, template, map[string]string{})
				info.AddQueryParameters(query)
			} else {
				info = abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abs.GET, template, map[string]string{"request-raw-url": next})
			}
			info.Headers.TryAdd("Accept", "application/json")
			got, err := c.adapter.SendPrimitive(ctx, info, "[]byte", errorMapping)
			if err != nil {
				return err
			}
			b, ok := got.([]byte)
			if !ok {
				return errors.New("Graph answered without a body")
			}
			raw = b
			return nil
		})
		if err != nil {
			return err
		}
		link, err := each(raw)
		var said *revoke.Error
		if errors.As(err, &said) {
			return err
		}
		if err != nil {
			return &revoke.Error{Kind: revoke.KindOther, Op: op, Permission: permission, Err: fmt.Errorf("Graph's answer could not be read: %w", err)}
		}
		if link == "" {
			return nil
		}
		if !hasPrefixFold(link, c.base+prefix) {
			return &revoke.Error{Kind: revoke.KindOther, Op: op, Permission: permission, Err: errors.New("the next page does not point at this Graph")}
		}
		next = link
	}
	return &revoke.Error{Kind: revoke.KindOther, Op: op, Permission: permission, Err: fmt.Errorf("more than %d pages changed since the last look", maxAlertPages)}
}

func containsFold(xs []string, s string) bool {
	for _, x := range xs {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }
