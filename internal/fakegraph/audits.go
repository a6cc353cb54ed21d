package fakegraph

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"
)

// DirectoryAudit is one entry of the tenant's directory audit log, the
// properties of microsoft.graph.directoryAudit (v1.0 "directoryAudit
// resource type"); empty strings are served as null.
type DirectoryAudit struct {
	ID                  string    // id; AddDirectoryAudits generates one when empty
	Category            string    // e.g. "UserManagement", "RoleManagement"
	CorrelationID       string    // correlationId
	Result              string    // success, failure or timeout; empty is success
	ResultReason        string    // resultReason
	ActivityDisplayName string    // e.g. "Reset user password"
	ActivityDateTime    time.Time // zero means Options.Now at AddDirectoryAudits
	LoggedByService     string    // e.g. "Core Directory"
	OperationType       string    // e.g. "Update"
	// InitiatedBy is who did it: a user or an app, as Graph sends one of
	// the two and null for the other.
	InitiatedBy     AuditInitiator
	TargetResources []AuditTarget
}

// AuditInitiator is directoryAudit.initiatedBy; nil members are served as
// null.
type AuditInitiator struct {
	User *AuditUser
	App  *AuditApp
}

// AuditUser is initiatedBy.user (microsoft.graph.userIdentity).
type AuditUser struct {
	ID, DisplayName, UserPrincipalName, IPAddress string
}

// AuditApp is initiatedBy.app (microsoft.graph.appIdentity).
type AuditApp struct {
	AppID, DisplayName, ServicePrincipalID, ServicePrincipalName string
}

// AuditTarget is one of targetResources (microsoft.graph.targetResource).
type AuditTarget struct {
	ID                 string
	Type               string // "User", "Group", "Role", "ServicePrincipal"…
	UserPrincipalName  string
	DisplayName        string
	ModifiedProperties []ModifiedProperty
}

// ModifiedProperty is one of a target's modifiedProperties. Graph sends the
// values as JSON text (`["x"]`), which the fake passes on as given.
type ModifiedProperty struct {
	DisplayName, OldValue, NewValue string
}

// auditRecord is a stored entry with its insertion number, which orders
// entries of the same instant and anchors paging, as for sign-ins.
type auditRecord struct {
	DirectoryAudit
	seq int64
}

// AddDirectoryAudits stores entries for GET /auditLogs/directoryAudits.
func (s *Server) AddDirectoryAudits(records ...DirectoryAudit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range records {
		if r.ID == "" {
			r.ID = newGUID()
		}
		if r.ActivityDateTime.IsZero() {
			r.ActivityDateTime = s.opts.Now()
		}
		if r.Result == "" {
			r.Result = "success"
		}
		r.TargetResources = slices.Clone(r.TargetResources)
		s.nextAudit++
		s.audits = append(s.audits, &auditRecord{DirectoryAudit: r, seq: s.nextAudit})
	}
}

// auditsMaxTop: Microsoft's own Entra PowerShell module
// (Microsoft.Entra.Reports, Get-EntraAuditDirectoryLog) never asks this
// endpoint for more than $top=999, where sign-ins take 1,000; the fake keeps
// to the smaller.
const auditsMaxTop = 999

const auditsPrefix = "fakegraph-audits:"

// listDirectoryAudits serves GET /auditLogs/directoryAudits: newest first
// unless $orderby=activityDateTime asc (the only sort property the
// reference lists), paged by a skiptoken naming the last entry served, so
// entries logged between pages neither repeat nor shift the rest.
func (s *Server) listDirectoryAudits(c *call) response {
	top, bad, ok := s.pageTop(c, auditsMaxTop)
	if !ok {
		return bad
	}
	order := newerAuditFirst
	if v := c.queryOption("$orderby"); len(v) > 0 {
		var err error
		if order, err = auditOrder(v[0]); err != nil {
			return badRequest("%s", err.Error())
		}
	}
	var filter auditFilter
	if v := c.queryOption("$filter"); len(v) > 0 {
		var err error
		if filter, err = parseAuditFilter(v[0]); err != nil {
			return badRequest("%s", err.Error())
		}
	}
	var after *auditRecord
	if v := c.queryOption("$skiptoken"); len(v) > 0 {
		var ok bool
		if after, ok = decodeAuditToken(v[0]); !ok {
			return badRequest("Invalid skip token '%s'.", v[0])
		}
	}

	s.mu.Lock()
	var matches []*auditRecord
	for _, r := range s.audits {
		if filter.match(&r.DirectoryAudit) && (after == nil || order(after, r) < 0) {
			matches = append(matches, r)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(matches, order)

	body := map[string]any{"@odata.context": metadataBase + "#auditLogs/directoryAudits"}
	if len(matches) > top {
		matches = matches[:top]
		last := matches[top-1]
		body["@odata.nextLink"] = s.pageLink("/auditLogs/directoryAudits", c.query, logPosition{last.ActivityDateTime, last.seq}.token(auditsPrefix))
	}
	page := make([]map[string]any, len(matches))
	for i, r := range matches {
		page[i] = auditJSON(&r.DirectoryAudit)
	}
	body["value"] = page
	return jsonResponse(http.StatusOK, body)
}

// newerAuditFirst is Graph's own order: by activityDateTime, newest first,
// the later-logged first within one instant.
func newerAuditFirst(a, b *auditRecord) int {
	if c := b.ActivityDateTime.Compare(a.ActivityDateTime); c != 0 {
		return c
	}
	return cmp.Compare(b.seq, a.seq)
}

// auditOrder reads $orderby: activityDateTime, optionally asc or desc.
// Other properties are refused; the reference names no other sort key.
func auditOrder(v string) (func(a, b *auditRecord) int, error) {
	f := strings.Fields(v)
	if len(f) == 0 || len(f) > 2 || !strings.EqualFold(f[0], "activityDateTime") {
		return nil, &filterError{"OrderBy '" + v + "' is not supported by fakegraph for directoryAudits: only activityDateTime asc or desc is."}
	}
	if len(f) == 1 || strings.EqualFold(f[1], "desc") {
		return newerAuditFirst, nil
	}
	if !strings.EqualFold(f[1], "asc") {
		return nil, syntaxError("'%s' at position %d in '%s' is not asc or desc.", f[1], strings.LastIndex(v, f[1]), v)
	}
	return func(a, b *auditRecord) int { return newerAuditFirst(b, a) }, nil
}

func decodeAuditToken(tok string) (*auditRecord, bool) {
	p, ok := decodeLogPosition(auditsPrefix, tok)
	if !ok {
		return nil, false
	}
	return &auditRecord{DirectoryAudit: DirectoryAudit{ActivityDateTime: p.at}, seq: p.seq}, true
}

// auditJSON renders an entry as Graph does: every property present, null
// where unknown, the initiator's other member null.
func auditJSON(a *DirectoryAudit) map[string]any {
	str := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	var user, app any
	if u := a.InitiatedBy.User; u != nil {
		user = map[string]any{"id": str(u.ID), "displayName": str(u.DisplayName),
			"userPrincipalName": str(u.UserPrincipalName), "ipAddress": str(u.IPAddress)}
	}
	if p := a.InitiatedBy.App; p != nil {
		app = map[string]any{"appId": str(p.AppID), "displayName": str(p.DisplayName),
			"servicePrincipalId": str(p.ServicePrincipalID), "servicePrincipalName": str(p.ServicePrincipalName)}
	}
	targets := make([]map[string]any, len(a.TargetResources))
	for i, t := range a.TargetResources {
		mods := make([]map[string]any, len(t.ModifiedProperties))
		for j, m := range t.ModifiedProperties {
			mods[j] = map[string]any{"displayName": str(m.DisplayName), "oldValue": str(m.OldValue), "newValue": str(m.NewValue)}
		}
		targets[i] = map[string]any{"id": str(t.ID), "displayName": str(t.DisplayName), "type": str(t.Type),
			"userPrincipalName": str(t.UserPrincipalName), "groupType": nil, "modifiedProperties": mods}
	}
	return map[string]any{
		"id":                  a.ID,
		"category":            a.Category,
		"correlationId":       str(a.CorrelationID),
		"result":              a.Result,
		"resultReason":        str(a.ResultReason),
		"activityDisplayName": a.ActivityDisplayName,
		"activityDateTime":    a.ActivityDateTime.UTC().Format("2006-01-02T15:04:05.9999999Z"),
		"loggedByService":     str(a.LoggedByService),
		"operationType":       str(a.OperationType),
		"initiatedBy":         map[string]any{"user": user, "app": app},
		"targetResources":     targets,
		"additionalDetails":   []any{},
	}
}
