package fakegraph

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defender XDR incidents (microsoft.graph.security.incident), as
// GET /security/incidents lists them and POST .../comments annotates them.
// The v1.0 page (microsoft-graph-docs-contrib, security-list-incidents.md)
// lists $count, $filter, $skip, $top and $expand, and filtering on
// assignedTo, classification, createdDateTime, determination,
// lastUpdateDateTime, severity and status; @odata.nextLink pages. It gives
// no page size: a $top over 50 is refused with the words Graph answered
// (a public capture, NOTES.md), and a page without $top holds 50.
// Comments take SecurityIncident.ReadWrite.All and answer 200 with every
// comment of the incident (security-incident-post-comments.md).

// maxIncidentTop is the largest $top /security/incidents takes.
const maxIncidentTop = 50

// Incident is one incident of the fake tenant.
type Incident struct {
	ID                 string // id; AddIncidents numbers them when empty
	DisplayName        string // e.g. "Multi-stage incident involving Initial access (attack disruption)"
	Severity           string // low, medium, high, informational
	Status             string // active, resolved, inProgress, redirected; empty is active
	CreatedDateTime    time.Time
	LastUpdateDateTime time.Time // zero means Options.Now when added or updated
	Alerts             []IncidentAlert
}

// IncidentAlert is one alert of an incident ($expand=alerts).
type IncidentAlert struct {
	ID              string
	Title           string
	Severity        string
	CreatedDateTime time.Time
	// Users are the alert's userEvidence items, as their userAccount.
	Users []UserAccount
}

// UserAccount is a userEvidence's userAccount; empty fields are served
// as null, as Graph sends them.
type UserAccount struct {
	AccountName, DomainName, UserPrincipalName, AzureADUserID, DisplayName string
}

// IncidentComment is one comment (alertComment) on an incident.
type IncidentComment struct {
	Comment, CreatedByDisplayName string
	CreatedDateTime               time.Time
}

type incidentRecord struct {
	Incident
	comments []IncidentComment
}

// AddIncidents stores incidents, numbering those without an ID.
func (s *Server) AddIncidents(incs ...Incident) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, inc := range incs {
		if inc.ID == "" {
			inc.ID = strconv.Itoa(len(s.incidents) + 1)
		}
		if inc.Status == "" {
			inc.Status = "active"
		}
		now := s.opts.Now().UTC()
		if inc.CreatedDateTime.IsZero() {
			inc.CreatedDateTime = now
		}
		if inc.LastUpdateDateTime.IsZero() {
			inc.LastUpdateDateTime = now
		}
		s.incidents = append(s.incidents, &incidentRecord{Incident: inc})
	}
}

// UpdateIncident changes incident id with fn and stamps its
// lastUpdateDateTime with Options.Now, as a new alert or a change does.
// It panics on an unknown incident.
func (s *Server) UpdateIncident(id string, fn func(*Incident)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.incident(id)
	if r == nil {
		panic("fakegraph: no incident " + id)
	}
	fn(&r.Incident)
	r.LastUpdateDateTime = s.opts.Now().UTC()
}

// IncidentComments returns the comments added to incident id.
func (s *Server) IncidentComments(id string) []IncidentComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.incident(id); r != nil {
		return slices.Clone(r.comments)
	}
	return nil
}

// incident finds an incident by id; s.mu must be held.
func (s *Server) incident(id string) *incidentRecord {
	for _, r := range s.incidents {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// listIncidents serves GET /security/incidents.
func (s *Server) listIncidents(c *call) response {
	top := maxIncidentTop
	if v := c.queryOption("$top"); len(v) > 0 {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 {
			return badRequest("Invalid value '%s' for $top query option found.", v[0])
		}
		if n > maxIncidentTop {
			return badRequest("The limit of '%d' for Top query has been exceeded. The value from the incoming request is '%d'.", maxIncidentTop, n)
		}
		top = n
	}
	skip := 0
	if v := c.queryOption("$skip"); len(v) > 0 {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 {
			return badRequest("Invalid value '%s' for $skip query option found.", v[0])
		}
		skip = n
	}
	expand := false
	if v := c.queryOption("$expand"); len(v) > 0 {
		if !strings.EqualFold(v[0], "alerts") {
			return badRequest("Could not find a property named '%s' on type 'microsoft.graph.security.incident'.", v[0])
		}
		expand = true
	}
	var filter incidentFilter
	if v := c.queryOption("$filter"); len(v) > 0 {
		var err error
		if filter, err = parseIncidentFilter(v[0]); err != nil {
			return badRequest("%s", err.Error())
		}
	}
	s.mu.Lock()
	var matches []*incidentRecord
	for _, r := range s.incidents {
		if filter.match(&r.Incident) {
			matches = append(matches, r)
		}
	}
	// Newest update first, then by id, so that pages do not shift while
	// nothing changes.
	slices.SortStableFunc(matches, func(a, b *incidentRecord) int {
		if c := b.LastUpdateDateTime.Compare(a.LastUpdateDateTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	total := len(matches)
	matches = matches[min(skip, total):]
	body := map[string]any{"@odata.context": metadataBase + "#security/incidents"}
	if expand {
		body["@odata.context"] = metadataBase + "#security/incidents(alerts())"
	}
	if len(c.queryOption("$count")) > 0 {
		body["@odata.count"] = total
	}
	if len(matches) > top {
		matches = matches[:top]
		q := maps.Clone(c.query) // the logged request keeps the query it came with
		q.Set("$skip", strconv.Itoa(skip+top))
		body["@odata.nextLink"] = s.base + "/security/incidents?" + q.Encode()
	}
	page := make([]map[string]any, len(matches))
	for i, r := range matches {
		page[i] = incidentJSON(&r.Incident, r.comments, expand)
	}
	s.mu.Unlock()
	body["value"] = page
	return jsonResponse(http.StatusOK, body)
}

func incidentJSON(inc *Incident, comments []IncidentComment, alerts bool) map[string]any {
	cs := make([]map[string]any, len(comments))
	for i, c := range comments {
		cs[i] = commentJSON(c)
	}
	out := map[string]any{
		"id": inc.ID, "tenantId": fakeTenantID, "status": inc.Status, "displayName": inc.DisplayName,
		"incidentWebUrl":     "https://security.microsoft.com/incidents/" + inc.ID + "?tid=" + fakeTenantID,
		"redirectIncidentId": nil, "createdDateTime": graphTime(inc.CreatedDateTime), "lastUpdateDateTime": graphTime(inc.LastUpdateDateTime),
		"assignedTo": nil, "classification": "unknown", "determination": "unknown", "severity": inc.Severity,
		"customTags": []string{}, "systemTags": []string{}, "description": nil, "summary": nil, "comments": cs,
	}
	if alerts {
		as := make([]map[string]any, len(inc.Alerts))
		for i, a := range inc.Alerts {
			ev := make([]map[string]any, len(a.Users))
			for j, u := range a.Users {
				ev[j] = map[string]any{"@odata.type": "#microsoft.graph.security.userEvidence", "verdict": "suspicious",
					"remediationStatus": "active", "roles": []string{}, "tags": []string{},
					"userAccount": map[string]any{"accountName": nullable(u.AccountName), "domainName": nullable(u.DomainName),
						"userPrincipalName": nullable(u.UserPrincipalName), "azureAdUserId": nullable(u.AzureADUserID),
						"displayName": nullable(u.DisplayName), "userSid": nil}}
			}
			as[i] = map[string]any{"id": a.ID, "incidentId": inc.ID, "title": a.Title, "severity": a.Severity, "status": "new",
				"createdDateTime": graphTime(a.CreatedDateTime), "alertWebUrl": "https://security.microsoft.com/alerts/" + a.ID,
				"evidence": ev}
		}
		out["alerts"] = as
	}
	return out
}

func commentJSON(c IncidentComment) map[string]any {
	return map[string]any{"comment": c.Comment, "createdByDisplayName": c.CreatedByDisplayName, "createdDateTime": graphTime(c.CreatedDateTime)}
}

// commentIncident serves POST /security/incidents/{id}/comments. The page
// documents the body (@odata.type and comment) and the 200 with every
// comment; the wording of its 400s and 404 is not published, so these are
// assumptions in Graph's usual shape, as strict as the documented body.
func (s *Server) commentIncident(c *call) response {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &body); err != nil || body == nil {
		return badRequest("Invalid request body: a JSON object with 'comment' is expected.")
	}
	var text string
	for name, raw := range body {
		switch name {
		case "@odata.type":
		case "comment":
			if json.Unmarshal(raw, &text) != nil {
				return badRequest("Invalid value for property 'comment'.")
			}
		default:
			return badRequest("The property '%s' does not exist on type 'microsoft.graph.security.alertComment'.", name)
		}
	}
	if strings.TrimSpace(text) == "" {
		return badRequest("The comment must not be empty.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.incident(c.params["id"])
	if r == nil {
		return graphError(http.StatusNotFound, "NotFound", fmt.Sprintf("Incident %s was not found.", c.params["id"]))
	}
	r.comments = append(r.comments, IncidentComment{Comment: text, CreatedByDisplayName: "API-App:" + fakeAppName, CreatedDateTime: s.opts.Now().UTC()})
	cs := make([]map[string]any, len(r.comments))
	for i, cm := range r.comments {
		cs[i] = commentJSON(cm)
	}
	return jsonResponse(http.StatusOK, map[string]any{"@odata.context": metadataBase + "#security/incidents('" + r.ID + "')/comments", "value": cs})
}

func graphTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

// The fake tenant's ID, in incidents' tenantId and links, and the name
// Graph gives the app in a comment's author.
const (
	fakeTenantID = "4c1d9a6e-0b7f-4e55-9a3b-7d2c11f0c0de"
	fakeAppName  = "revokebot"
)

// incidentProps are what an incident filter can compare: the filterable
// properties the v1.0 page lists, but assignedTo, which nothing here sets.
var incidentProps = andProps[Incident]{
	what: "incidents", typeName: "microsoft.graph.security.incident", ne: true,
	strings: map[string]func(*Incident) string{
		"severity":       func(i *Incident) string { return i.Severity },
		"status":         func(i *Incident) string { return i.Status },
		"classification": func(*Incident) string { return "unknown" },
		"determination":  func(*Incident) string { return "unknown" },
	},
	times: map[string]func(*Incident) time.Time{
		"lastupdatedatetime": func(i *Incident) time.Time { return i.LastUpdateDateTime },
		"createddatetime":    func(i *Incident) time.Time { return i.CreatedDateTime },
	},
}

type incidentFilter = andFilter[Incident]

func parseIncidentFilter(src string) (incidentFilter, error) {
	return parseAndFilter(src, incidentProps)
}
