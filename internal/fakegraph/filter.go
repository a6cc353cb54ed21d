package fakegraph

import (
	"fmt"
	"strings"
)

// The $filter grammar accepted here, a subset of OData 4.01 that covers what
// Graph supports on users:
//
//	expr    = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | primary
//	primary = "(" expr ")"
//	        | ("startswith" | "endswith") "(" ref "," string ")"
//	        | collection "/" ("any" | "all") "(" var ":" expr ")"
//	        | ref ("eq" | "ne") literal
//	        | ref "in" "(" literal { "," literal } ")"
//	literal = string | "true" | "false" | "null"
//
// A ref is a property or a lambda variable. Literals on the left and
// property-to-property comparisons are rejected, as Graph rejects them, which
// also turns the classic injection "x' or 1 eq 1 or mail eq '" into a 400.
// Keywords, function and property names are case-insensitive, as Graph is in
// practice; `not` binds to the comparison that follows it.

// edmType is the static type of an operand, named as Graph names it in its
// error messages.
type edmType string

const (
	edmString  edmType = "Edm.String"
	edmBoolean edmType = "Edm.Boolean"
	edmStrings edmType = "Collection(Edm.String)"
	edmNull    edmType = "null"
	edmNumber  edmType = "Edm.Int32"
)

// filterProp is a user property $filter can reference.
type filterProp struct {
	name string
	typ  edmType
	get  func(*User) any // string ("" is null), bool or []string
}

var filterProps = func() map[string]filterProp {
	props := []filterProp{
		{"id", edmString, func(u *User) any { return u.ID }},
		{"displayName", edmString, func(u *User) any { return u.DisplayName }},
		{"userPrincipalName", edmString, func(u *User) any { return u.UserPrincipalName }},
		{"mail", edmString, func(u *User) any { return u.Mail }},
		{"mailNickname", edmString, func(u *User) any { return u.MailNickname }},
		{"proxyAddresses", edmStrings, func(u *User) any { return u.ProxyAddresses }},
		{"userType", edmString, func(u *User) any { return u.UserType }},
		{"accountEnabled", edmBoolean, func(u *User) any { return u.AccountEnabled }},
		{"jobTitle", edmString, func(u *User) any { return u.JobTitle }},
		{"department", edmString, func(u *User) any { return u.Department }},
		{"onPremisesSyncEnabled", edmBoolean, func(u *User) any { return u.OnPremisesSyncEnabled }},
	}
	m := make(map[string]filterProp, len(props))
	for _, p := range props {
		m[strings.ToLower(p.name)] = p
	}
	return m
}()

// filterExpr is a parsed boolean expression.
type filterExpr interface {
	match(e *env) bool
}

// env is what an expression is evaluated against: a user, and the value
// bound to the innermost lambda variable.
type env struct {
	u      *User
	vars   map[string]string
	parent *env
}

func (e *env) lookup(name string) string {
	for ; e != nil; e = e.parent {
		if v, ok := e.vars[name]; ok {
			return v
		}
	}
	return ""
}

type (
	orExpr  struct{ l, r filterExpr }
	andExpr struct{ l, r filterExpr }
	notExpr struct{ x filterExpr }
	// cmpExpr covers eq, ne and in: the ref equals one of lits (negated for ne).
	cmpExpr struct {
		ref    ref
		lits   []literal
		negate bool
	}
	strFuncExpr struct {
		ref    ref
		arg    string
		suffix bool // endswith rather than startswith
	}
	lambdaExpr struct {
		ref  ref // the collection
		name string
		all  bool
		body filterExpr
	}
)

// ref is a property or lambda variable, the only thing a filter may test.
type ref struct {
	name string
	typ  edmType
	get  func(*env) any
}

type literal struct {
	typ edmType
	s   string
	b   bool
}

func (x orExpr) match(e *env) bool  { return x.l.match(e) || x.r.match(e) }
func (x andExpr) match(e *env) bool { return x.l.match(e) && x.r.match(e) }
func (x notExpr) match(e *env) bool { return !x.x.match(e) }

func (x cmpExpr) match(e *env) bool {
	v := x.ref.get(e)
	for _, l := range x.lits {
		if equalsLiteral(v, l) {
			return !x.negate
		}
	}
	return x.negate
}

// equalsLiteral compares case-insensitively because Graph does for the
// directory's string properties; an empty string stands for null.
func equalsLiteral(v any, l literal) bool {
	switch v := v.(type) {
	case string:
		if l.typ == edmNull {
			return v == ""
		}
		return v != "" && strings.EqualFold(v, l.s)
	case bool:
		return l.typ == edmBoolean && v == l.b
	}
	return false
}

func (x strFuncExpr) match(e *env) bool {
	v, _ := x.ref.get(e).(string)
	if v == "" {
		return false
	}
	if x.suffix {
		return hasSuffixFold(v, x.arg)
	}
	return len(v) >= len(x.arg) && strings.EqualFold(v[:len(x.arg)], x.arg)
}

func (x lambdaExpr) match(e *env) bool {
	items, _ := x.ref.get(e).([]string)
	for _, it := range items {
		inner := &env{u: e.u, vars: map[string]string{x.name: it}, parent: e}
		if x.body.match(inner) != x.all {
			return !x.all
		}
	}
	return x.all
}

// filterError is a $filter the fake refuses; its text is the message Graph
// would put in the 400 response.
type filterError struct{ msg string }

func (e *filterError) Error() string { return e.msg }

func syntaxError(format string, args ...any) error {
	return &filterError{"Invalid filter clause: " + fmt.Sprintf(format, args...)}
}

func unknownProperty(name string) error {
	return &filterError{fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.user'.", name)}
}

// parseFilter parses a $filter value into an expression over users.
func parseFilter(src string) (filterExpr, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	x, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, syntaxError("unexpected '%s' at position %d in '%s'.", t.text, t.pos, src)
	}
	return x, nil
}
