package graph

import (
	"context"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/auditlogs"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/revokebot/revokebot/revoke"
)

// maxAuditTop is the largest page directoryAudits is asked for: Microsoft's
// Entra PowerShell module caps its $top there (the fake refuses more).
const maxAuditTop = 999

// maxAuditPages bounds one DirectoryAudits call, as maxSignInPages does
// SignIns: Graph may answer short pages, and every page costs one of the
// reports budget's 5 requests per 10 s.
const maxAuditPages = 5

// DirectoryAudits lists the directory audit log's entries that have the
// user among their targets, at or after since (zero: all Graph keeps),
// newest first as Graph orders them, at most top of them (1 to 999; less
// than 1 is 1). It goes through the reports budget the sign-ins use.
func (c *Client) DirectoryAudits(ctx context.Context, userID string, since time.Time, top int) ([]revoke.DirectoryEvent, error) {
	const op = "read the directory audit log"
	permission := revoke.PermAuditLogRead.Name
	top = min(max(top, 1), maxAuditTop)
	// The targetResources lambda and activityDateTime ge are both listed
	// as filterable on the v1.0 directoryAudit page; gt is not, so ge and
	// the second's fraction are trimmed here and dropped below.
	filter := "targetResources/any(t:t/id eq " + revoke.ODataString(userID) + ")"
	if !since.IsZero() {
		filter += " and activityDateTime ge " + since.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
	}
	pageTop := int32(top)
	var out []revoke.DirectoryEvent
	err := follow(ctx, c, op, permission, "/auditLogs/directoryAudits?", "the directory audit log", maxAuditPages,
		func() (models.DirectoryAuditCollectionResponseable, error) {
			return c.directoryAudits().Get(ctx, &auditlogs.DirectoryAuditsRequestBuilderGetRequestConfiguration{
				QueryParameters: &auditlogs.DirectoryAuditsRequestBuilderGetQueryParameters{Filter: &filter, Top: &pageTop},
			})
		},
		func(next string) (models.DirectoryAuditCollectionResponseable, error) {
			return c.directoryAudits().WithUrl(next).Get(ctx, nil)
		},
		func(a models.DirectoryAuditable) bool {
			if e := toDirectoryEvent(a); since.IsZero() || !e.At.Before(since) {
				out = append(out, e)
			}
			return len(out) < top
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// directoryAudits returns a new request builder per call, as users does.
func (c *Client) directoryAudits() *auditlogs.DirectoryAuditsRequestBuilder {
	return auditlogs.NewDirectoryAuditsRequestBuilderInternal(map[string]string{}, c.adapter)
}

func toDirectoryEvent(a models.DirectoryAuditable) revoke.DirectoryEvent {
	e := revoke.DirectoryEvent{ID: str(a.GetId()), Activity: str(a.GetActivityDisplayName()), Category: str(a.GetCategory())}
	if t := a.GetActivityDateTime(); t != nil {
		e.At = t.UTC()
	}
	if r := a.GetResult(); r != nil {
		e.Result = r.String()
	}
	// Graph fills one of user and app and sends null for the other; a user
	// without a UPN (a deleted one) is named as Graph can.
	if by := a.GetInitiatedBy(); by != nil {
		if u := by.GetUser(); u != nil {
			e.IP = str(u.GetIpAddress())
			for _, name := range []*string{u.GetUserPrincipalName(), u.GetDisplayName(), u.GetId()} {
				if e.By == "" {
					e.By = str(name)
				}
			}
		}
		if app := by.GetApp(); app != nil && e.By == "" {
			e.ByApp = true
			e.By = str(app.GetDisplayName())
			if e.By == "" {
				e.By = str(app.GetAppId())
			}
		}
	}
	return e
}
