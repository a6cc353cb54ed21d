package fakegraph

import (
	"fmt"
	"strings"
	"time"
)

// The $filter forms GET /auditLogs/directoryAudits accepts here, joined by
// "and", as the v1.0 directoryAudit resource page lists them per property:
//
//	activityDateTime ge|le|eq 2026-11-28T10:00:00Z  (not gt or lt)
//	targetResources/any(t: t/id eq '…')             (also t:t/id, any variable name)
//	targetResources/any(t: t/displayName eq '…'), …any(t: startswith(t/displayName, '…'))
//	activityDisplayName eq '…', startswith(activityDisplayName, '…')
//	initiatedBy/user/id, …/user/displayName, …/user/userPrincipalName,
//	initiatedBy/app/appId, …/app/displayName eq '…';
//	startswith(initiatedBy/user/userPrincipalName, '…')
//	id, correlationId, loggedByService eq '…'
//	category eq '…'
//
// category is not marked filterable on the resource page, but Graph
// answers it and Microsoft's own samples use it (category eq
// 'RoleManagement'). Anything else — or, not, gt and lt on dates, other
// properties — is refused with a 400 rather than half-understood.

// auditFilter is a conjunction of tests; the zero value matches everything.
type auditFilter []func(*DirectoryAudit) bool

func (f auditFilter) match(a *DirectoryAudit) bool {
	for _, test := range f {
		if !test(a) {
			return false
		}
	}
	return true
}

// auditStrings are the string properties a filter compares with eq; the
// ones startswith takes are in auditPrefixes.
var auditStrings = map[string]func(*DirectoryAudit) string{
	"id":                                 func(a *DirectoryAudit) string { return a.ID },
	"category":                           func(a *DirectoryAudit) string { return a.Category },
	"correlationid":                      func(a *DirectoryAudit) string { return a.CorrelationID },
	"loggedbyservice":                    func(a *DirectoryAudit) string { return a.LoggedByService },
	"activitydisplayname":                func(a *DirectoryAudit) string { return a.ActivityDisplayName },
	"initiatedby/user/id":                byUser(func(u *AuditUser) string { return u.ID }),
	"initiatedby/user/displayname":       byUser(func(u *AuditUser) string { return u.DisplayName }),
	"initiatedby/user/userprincipalname": byUser(func(u *AuditUser) string { return u.UserPrincipalName }),
	"initiatedby/app/appid":              byApp(func(p *AuditApp) string { return p.AppID }),
	"initiatedby/app/displayname":        byApp(func(p *AuditApp) string { return p.DisplayName }),
}

var auditPrefixes = map[string]bool{"activitydisplayname": true, "initiatedby/user/userprincipalname": true}

// byUser and byApp read the initiator's member, "" when it is null.
func byUser(get func(*AuditUser) string) func(*DirectoryAudit) string {
	return func(a *DirectoryAudit) string {
		if a.InitiatedBy.User == nil {
			return ""
		}
		return get(a.InitiatedBy.User)
	}
}

func byApp(get func(*AuditApp) string) func(*DirectoryAudit) string {
	return func(a *DirectoryAudit) string {
		if a.InitiatedBy.App == nil {
			return ""
		}
		return get(a.InitiatedBy.App)
	}
}

// auditParser walks the words of one $filter value.
type auditParser struct {
	src   string
	words []filterWord
	i     int
}

func parseAuditFilter(src string) (auditFilter, error) {
	words, err := auditWords(src)
	if err != nil {
		return nil, err
	}
	p := &auditParser{src: src, words: words}
	var f auditFilter
	for {
		test, err := p.clause()
		if err != nil {
			return nil, err
		}
		f = append(f, test)
		w, ok := p.next()
		if !ok {
			return f, nil
		}
		if w.quoted || !strings.EqualFold(w.text, "and") {
			return nil, p.unsupported(w)
		}
	}
}

func (p *auditParser) next() (filterWord, bool) {
	if p.i >= len(p.words) {
		return filterWord{pos: len(p.src)}, false
	}
	p.i++
	return p.words[p.i-1], true
}

// expect takes the next word when it is the punctuation want.
func (p *auditParser) expect(want string) error {
	w, ok := p.next()
	if !ok || w.quoted || w.text != want {
		return syntaxError("expected '%s' at position %d in '%s'.", want, w.pos, p.src)
	}
	return nil
}

func (p *auditParser) unsupported(w filterWord) error {
	return syntaxError("'%s' at position %d in '%s' is not supported by fakegraph for directoryAudits: only the documented comparisons joined by 'and' are.", w.text, w.pos, p.src)
}

func (p *auditParser) clause() (func(*DirectoryAudit) bool, error) {
	w, _ := p.next()
	switch name := strings.ToLower(w.text); {
	case w.quoted:
		return nil, syntaxError("expected a property at position %d but found a literal in '%s'.", w.pos, p.src)
	case name == "startswith":
		prop, prefix, err := p.startsWith("")
		if err != nil {
			return nil, err
		}
		get, ok := auditStrings[prop]
		if !ok || !auditPrefixes[prop] {
			return nil, syntaxError("startswith on '%s' is not supported for directoryAudits.", prop)
		}
		return func(a *DirectoryAudit) bool { return hasPrefixFold(get(a), prefix) }, nil
	case name == "targetresources/any":
		return p.anyTarget()
	}
	op, _ := p.next()
	lit, ok := p.next()
	if !ok {
		return nil, syntaxError("expected a comparison at position %d in '%s'.", len(p.src), p.src)
	}
	return p.comparison(w, op, lit)
}

// startsWith reads "(prop, 'prefix')" after startswith; inside a lambda,
// variable is the range variable the property must start with.
func (p *auditParser) startsWith(variable string) (string, string, error) {
	if err := p.expect("("); err != nil {
		return "", "", err
	}
	prop, _ := p.next()
	name := strings.ToLower(prop.text)
	if variable != "" {
		var ok bool
		if name, ok = strings.CutPrefix(name, variable+"/"); !ok {
			return "", "", syntaxError("expected '%s/' and a property at position %d in '%s'.", variable, prop.pos, p.src)
		}
	}
	if err := p.expect(","); err != nil {
		return "", "", err
	}
	lit, _ := p.next()
	if !lit.quoted {
		return "", "", incompatible("Edm.String", literalType(lit), "startswith")
	}
	return name, lit.text, p.expect(")")
}

// anyTarget reads "(t: t/id eq '…')" after targetResources/any.
func (p *auditParser) anyTarget() (func(*DirectoryAudit) bool, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	head, _ := p.next()
	variable, rest, ok := strings.Cut(head.text, ":")
	if head.quoted || !ok || variable == "" {
		return nil, syntaxError("expected a range variable at position %d in '%s'.", head.pos, p.src)
	}
	variable = strings.ToLower(variable)
	first := filterWord{text: rest, pos: head.pos + len(variable) + 1}
	if rest == "" {
		first, _ = p.next()
	}
	var test func(*AuditTarget) bool
	if strings.EqualFold(first.text, "startswith") {
		prop, prefix, err := p.startsWith(variable)
		if err != nil {
			return nil, err
		}
		if prop != "displayname" {
			return nil, syntaxError("startswith on targetResources' '%s' is not supported for directoryAudits.", prop)
		}
		test = func(t *AuditTarget) bool { return hasPrefixFold(t.DisplayName, prefix) }
	} else {
		prop, hasVar := strings.CutPrefix(strings.ToLower(first.text), variable+"/")
		op, _ := p.next()
		lit, _ := p.next()
		switch {
		case first.quoted || !hasVar:
			return nil, syntaxError("expected '%s/' and a property at position %d in '%s'.", variable, first.pos, p.src)
		case prop != "id" && prop != "displayname":
			return nil, syntaxError("targetResources' '%s' cannot be filtered on; id and displayName can.", prop)
		case op.quoted || !strings.EqualFold(op.text, "eq"):
			return nil, syntaxError("'%s' at position %d in '%s': targetResources' %s takes eq only.", op.text, op.pos, p.src, prop)
		case !lit.quoted:
			return nil, incompatible("Edm.String", literalType(lit), "Equal")
		}
		want := lit.text
		test = func(t *AuditTarget) bool {
			if prop == "id" {
				return strings.EqualFold(t.ID, want)
			}
			return strings.EqualFold(t.DisplayName, want)
		}
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	return func(a *DirectoryAudit) bool {
		for i := range a.TargetResources {
			if test(&a.TargetResources[i]) {
				return true
			}
		}
		return false
	}, nil
}

func (p *auditParser) comparison(prop, op, lit filterWord) (func(*DirectoryAudit) bool, error) {
	kind, ok := odataOperatorKinds[strings.ToLower(op.text)]
	if op.quoted || !ok {
		return nil, syntaxError("expected a comparison operator after '%s' at position %d but found '%s' in '%s'.", prop.text, op.pos, op.text, p.src)
	}
	name := strings.ToLower(prop.text)
	if get, ok := auditStrings[name]; ok {
		if !lit.quoted {
			return nil, incompatible("Edm.String", literalType(lit), kind)
		}
		if kind != "Equal" {
			return nil, syntaxError("'%s %s' is not supported for directoryAudits; use eq.", prop.text, op.text)
		}
		want := lit.text
		return func(a *DirectoryAudit) bool { return strings.EqualFold(get(a), want) }, nil
	}
	switch name {
	case "activitydatetime":
	case "result", "resultreason", "operationtype", "initiatedby", "targetresources", "additionaldetails":
		return nil, syntaxError("'%s' cannot be filtered on in directoryAudits.", prop.text)
	default:
		return nil, &filterError{fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.directoryAudit'.", prop.text)}
	}
	if lit.quoted {
		return nil, incompatible("Edm.DateTimeOffset", "Edm.String", kind)
	}
	at, err := time.Parse(time.RFC3339Nano, lit.text)
	if err != nil {
		return nil, syntaxError("'%s' at position %d in '%s' is not a DateTimeOffset literal.", lit.text, lit.pos, p.src)
	}
	// The reference lists eq, ge and le for activityDateTime; gt and lt,
	// valid OData, are not offered.
	cmp := map[string]func(time.Time) bool{
		"Equal":              func(t time.Time) bool { return t.Equal(at) },
		"GreaterThanOrEqual": func(t time.Time) bool { return !t.Before(at) },
		"LessThanOrEqual":    func(t time.Time) bool { return !t.After(at) },
	}[kind]
	if cmp == nil {
		return nil, syntaxError("'activityDateTime %s' is not supported for directoryAudits; use ge or le.", op.text)
	}
	return func(a *DirectoryAudit) bool { return cmp(a.ActivityDateTime) }, nil
}
