package fakegraph

import (
	"fmt"
	"strings"
	"time"
)

// The $filter forms GET /auditLogs/signIns (and /security/incidents,
// /identityProtection/riskyUsers) accept here: comparisons joined
// by "and", which is what a client looking up one user's recent sign-ins
// sends, e.g.
//
//	userId eq '6e0…' and createdDateTime ge 2026-11-28T10:00:00Z
//
// String properties take eq with a quoted literal; createdDateTime takes eq,
// ge, gt, le or lt with an unquoted DateTimeOffset literal, as OData writes
// it. The users filter grammar does not fit: its literals have no dates, and
// sign-ins have other properties. Anything else is refused with a 400 rather
// than half-understood.

// signInFilter is a conjunction of tests; the zero value matches everything.
type signInFilter = andFilter[SignIn]

// signInProps are the properties a sign-in filter can compare.
var signInProps = andProps[SignIn]{
	what: "sign-ins", typeName: "microsoft.graph.signIn",
	strings: map[string]func(*SignIn) string{
		"userid":            func(in *SignIn) string { return in.UserID },
		"userprincipalname": func(in *SignIn) string { return in.UserPrincipalName },
		"appdisplayname":    func(in *SignIn) string { return in.AppDisplayName },
		"ipaddress":         func(in *SignIn) string { return in.IPAddress },
	},
	times: map[string]func(*SignIn) time.Time{"createddatetime": func(in *SignIn) time.Time { return in.CreatedDateTime }},
}

func parseSignInFilter(src string) (signInFilter, error) { return parseAndFilter(src, signInProps) }

// andFilter is a conjunction of tests on a T; the zero value matches
// everything.
type andFilter[T any] []func(*T) bool

func (f andFilter[T]) match(x *T) bool {
	for _, test := range f {
		if !test(x) {
			return false
		}
	}
	return true
}

// andProps are the properties of a T a filter of comparisons joined by
// "and" can test: strings take eq (ne too where ne is set) with a quoted
// literal, compared without case; times take eq, ne, gt, ge, lt or le with
// an unquoted DateTimeOffset literal, as OData writes it.
type andProps[T any] struct {
	what, typeName string // "sign-ins", "microsoft.graph.signIn"
	strings        map[string]func(*T) string
	times          map[string]func(*T) time.Time
	ne             bool // strings take ne too
}

// odataOperatorKinds names comparison operators as Graph's type errors do.
var odataOperatorKinds = map[string]string{
	"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual",
	"lt": "LessThan", "le": "LessThanOrEqual",
}

type filterWord struct {
	text   string // unescaped for quoted literals
	quoted bool
	pos    int
}

func parseAndFilter[T any](src string, props andProps[T]) (andFilter[T], error) {
	words, err := splitFilterWords(src, props.what)
	if err != nil {
		return nil, err
	}
	var f andFilter[T]
	for i := 0; ; i += 4 {
		if len(words) < i+3 {
			return nil, syntaxError("expected a comparison at position %d in '%s'.", len(src), src)
		}
		test, err := comparison(src, props, words[i], words[i+1], words[i+2])
		if err != nil {
			return nil, err
		}
		f = append(f, test)
		if len(words) == i+3 {
			return f, nil
		}
		if w := words[i+3]; w.quoted || !strings.EqualFold(w.text, "and") {
			return nil, syntaxError("'%s' at position %d in '%s' is not supported by fakegraph for %s: only comparisons joined by 'and' are.", w.text, w.pos, src, props.what)
		}
	}
}

func comparison[T any](src string, props andProps[T], prop, op, lit filterWord) (func(*T) bool, error) {
	if prop.quoted {
		return nil, syntaxError("expected a property at position %d but found a literal in '%s'.", prop.pos, src)
	}
	kind, ok := odataOperatorKinds[strings.ToLower(op.text)]
	if op.quoted || !ok {
		return nil, syntaxError("expected a comparison operator after '%s' at position %d but found '%s' in '%s'.", prop.text, op.pos, op.text, src)
	}
	name := strings.ToLower(prop.text)
	if get, ok := props.strings[name]; ok {
		if !lit.quoted {
			return nil, incompatible("Edm.String", literalType(lit), kind)
		}
		if kind != "Equal" && !(kind == "NotEqual" && props.ne) {
			// Valid OData, but nothing a client of the fake needs.
			return nil, syntaxError("'%s %s' is not supported by fakegraph for %s; use eq.", prop.text, op.text, props.what)
		}
		// Case-insensitive, like the directory's ids and names.
		want, equal := lit.text, kind == "Equal"
		return func(x *T) bool { return strings.EqualFold(get(x), want) == equal }, nil
	}
	get, ok := props.times[name]
	if !ok {
		return nil, &filterError{fmt.Sprintf("Could not find a property named '%s' on type '%s'.", prop.text, props.typeName)}
	}
	if lit.quoted {
		return nil, incompatible("Edm.DateTimeOffset", "Edm.String", kind)
	}
	at, err := time.Parse(time.RFC3339Nano, lit.text)
	if err != nil {
		return nil, syntaxError("'%s' at position %d in '%s' is not a DateTimeOffset literal.", lit.text, lit.pos, src)
	}
	cmp := map[string]func(time.Time) bool{
		"Equal":              func(t time.Time) bool { return t.Equal(at) },
		"NotEqual":           func(t time.Time) bool { return !t.Equal(at) },
		"GreaterThan":        func(t time.Time) bool { return t.After(at) },
		"GreaterThanOrEqual": func(t time.Time) bool { return !t.Before(at) },
		"LessThan":           func(t time.Time) bool { return t.Before(at) },
		"LessThanOrEqual":    func(t time.Time) bool { return !t.After(at) },
	}[kind]
	return func(x *T) bool { return cmp(get(x)) }, nil
}

func literalType(w filterWord) string {
	if _, err := time.Parse(time.RFC3339Nano, w.text); err == nil {
		return "Edm.DateTimeOffset"
	}
	return "Edm.Int32"
}

func incompatible(left, right, kind string) error {
	return syntaxError("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", left, right, kind)
}

// splitFilterWords splits a filter as auditWords does and refuses
// parentheses and commas (functions, lambdas, grouping): the forms above
// need none; what names the collection in the refusal.
func splitFilterWords(src, what string) ([]filterWord, error) {
	words, err := auditWords(src)
	if err != nil {
		return nil, err
	}
	for _, w := range words {
		if !w.quoted && strings.ContainsAny(w.text, "(),") {
			return nil, syntaxError("'%s' at position %d in '%s' is not supported by fakegraph for %s: only comparisons joined by 'and' are.", w.text, w.pos, src, what)
		}
	}
	return words, nil
}
