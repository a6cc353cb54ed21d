package fakegraph

import (
	"strings"
)

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokPunct // one of ( ) , / :
)

type token struct {
	kind tokKind
	text string // source text; for strings, the unescaped value
	pos  int    // byte offset in the filter, for error messages
}

// tokenize splits a filter into tokens. String literals are single-quoted
// with a doubled quote standing for one, which is exactly the escaping a client
// must apply to user input; an unterminated literal is a syntax error.
func tokenize(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case strings.IndexByte("(),/:", c) >= 0:
			toks = append(toks, token{tokPunct, string(c), i})
			i++
		case c == '\'':
			start := i
			text, end, err := quotedLiteral(src, i)
			if err != nil {
				return nil, err
			}
			i = end
			toks = append(toks, token{tokString, text, start})
		case isIdentStart(c):
			start := i
			for i < len(src) && (isIdentStart(src[i]) || isDigit(src[i]) || src[i] == '.') {
				i++
			}
			toks = append(toks, token{tokIdent, src[start:i], start})
		case isDigit(c) || c == '-' || c == '+':
			start := i
			for i++; i < len(src) && (isDigit(src[i]) || src[i] == '.'); i++ {
			}
			toks = append(toks, token{tokNumber, src[start:i], start})
		default:
			return nil, syntaxError("unexpected character '%c' at position %d in '%s'.", c, i, src)
		}
	}
	return append(toks, token{kind: tokEOF, text: "end of input", pos: len(src)}), nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

type parser struct {
	src  string
	toks []token
	pos  int
	vars []string // lambda variables in scope, innermost last
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

// keyword consumes the next token if it is the identifier kw.
func (p *parser) keyword(kw string) bool {
	if t := p.peek(); t.kind == tokIdent && strings.EqualFold(t.text, kw) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) punct(c string) bool {
	if t := p.peek(); t.kind == tokPunct && t.text == c {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(c string) error {
	if p.punct(c) {
		return nil
	}
	t := p.peek()
	return syntaxError("expected '%s' at position %d but found '%s' in '%s'.", c, t.pos, t.text, p.src)
}

func (p *parser) parseOr() (filterExpr, error) {
	l, err := p.parseAnd()
	for err == nil && p.keyword("or") {
		var r filterExpr
		if r, err = p.parseAnd(); err == nil {
			l = orExpr{l, r}
		}
	}
	return l, err
}

func (p *parser) parseAnd() (filterExpr, error) {
	l, err := p.parseUnary()
	for err == nil && p.keyword("and") {
		var r filterExpr
		if r, err = p.parseUnary(); err == nil {
			l = andExpr{l, r}
		}
	}
	return l, err
}

func (p *parser) parseUnary() (filterExpr, error) {
	if p.keyword("not") {
		x, err := p.parseUnary()
		return notExpr{x}, err
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (filterExpr, error) {
	if p.punct("(") {
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		return x, p.expect(")")
	}
	t := p.peek()
	if t.kind != tokIdent {
		return nil, syntaxError("expected a property or function at position %d but found '%s' in '%s'.", t.pos, t.text, p.src)
	}
	if p.toks[p.pos+1].kind == tokPunct && p.toks[p.pos+1].text == "(" {
		return p.parseFunction()
	}
	r, err := p.parseRef()
	if err != nil {
		return nil, err
	}
	if p.punct("/") {
		return p.parseLambda(r)
	}
	op := p.next()
	switch {
	case op.kind == tokIdent && (strings.EqualFold(op.text, "eq") || strings.EqualFold(op.text, "ne")):
		l, err := p.parseLiteral(r, op.text)
		return cmpExpr{ref: r, lits: []literal{l}, negate: strings.EqualFold(op.text, "ne")}, err
	case op.kind == tokIdent && strings.EqualFold(op.text, "in"):
		if err := p.expect("("); err != nil {
			return nil, err
		}
		x := cmpExpr{ref: r}
		for {
			l, err := p.parseLiteral(r, "in")
			if err != nil {
				return nil, err
			}
			x.lits = append(x.lits, l)
			if !p.punct(",") {
				return x, p.expect(")")
			}
		}
	}
	return nil, syntaxError("expected a comparison operator after '%s' at position %d but found '%s' in '%s'.", r.name, op.pos, op.text, p.src)
}

func (p *parser) parseFunction() (filterExpr, error) {
	name := p.next()
	p.next() // the "(" that made parsePrimary treat name as a call
	suffix := strings.EqualFold(name.text, "endswith")
	if !suffix && !strings.EqualFold(name.text, "startswith") {
		return nil, syntaxError("unknown function '%s' at position %d in '%s'.", name.text, name.pos, p.src)
	}
	r, err := p.parseRef()
	if err != nil {
		return nil, err
	}
	if r.typ != edmString {
		return nil, syntaxError("%s needs a string property, but '%s' is %s.", name.text, r.name, r.typ)
	}
	if err := p.expect(","); err != nil {
		return nil, err
	}
	arg := p.next()
	if arg.kind != tokString {
		return nil, syntaxError("%s needs a string literal at position %d but found '%s' in '%s'.", name.text, arg.pos, arg.text, p.src)
	}
	return strFuncExpr{ref: r, arg: arg.text, suffix: suffix}, p.expect(")")
}

func (p *parser) parseLambda(coll ref) (filterExpr, error) {
	if coll.typ != edmStrings {
		return nil, syntaxError("'%s' is not a collection and cannot be used with any or all.", coll.name)
	}
	op := p.next()
	all := strings.EqualFold(op.text, "all")
	if op.kind != tokIdent || !all && !strings.EqualFold(op.text, "any") {
		return nil, syntaxError("expected any or all at position %d but found '%s' in '%s'.", op.pos, op.text, p.src)
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	v := p.next()
	if v.kind != tokIdent {
		return nil, syntaxError("expected a lambda variable at position %d but found '%s' in '%s'.", v.pos, v.text, p.src)
	}
	if err := p.expect(":"); err != nil {
		return nil, err
	}
	p.vars = append(p.vars, v.text)
	body, err := p.parseOr()
	p.vars = p.vars[:len(p.vars)-1]
	if err != nil {
		return nil, err
	}
	return lambdaExpr{ref: coll, name: v.text, all: all, body: body}, p.expect(")")
}

// parseRef resolves an identifier to a lambda variable or a user property.
func (p *parser) parseRef() (ref, error) {
	t := p.next()
	if t.kind != tokIdent {
		return ref{}, syntaxError("expected a property at position %d but found '%s' in '%s'.", t.pos, t.text, p.src)
	}
	for i := len(p.vars) - 1; i >= 0; i-- {
		if name := p.vars[i]; name == t.text {
			return ref{name: name, typ: edmString, get: func(e *env) any { return e.lookup(name) }}, nil
		}
	}
	prop, ok := filterProps[strings.ToLower(t.text)]
	if !ok {
		return ref{}, unknownProperty(t.text)
	}
	return ref{name: prop.name, typ: prop.typ, get: func(e *env) any { return prop.get(e.u) }}, nil
}

// parseLiteral reads the right operand of op and checks it against r's type.
func (p *parser) parseLiteral(r ref, op string) (literal, error) {
	t := p.next()
	var l literal
	switch {
	case t.kind == tokString:
		l = literal{typ: edmString, s: t.text}
	case t.kind == tokNumber:
		l = literal{typ: edmNumber, s: t.text}
	case t.kind == tokIdent && (strings.EqualFold(t.text, "true") || strings.EqualFold(t.text, "false")):
		l = literal{typ: edmBoolean, b: strings.EqualFold(t.text, "true")}
	case t.kind == tokIdent && strings.EqualFold(t.text, "null"):
		l = literal{typ: edmNull}
	case t.kind == tokIdent:
		return l, syntaxError("'%s' must be compared with a literal, not '%s' (position %d in '%s').", r.name, t.text, t.pos, p.src)
	default:
		return l, syntaxError("expected a literal after '%s' at position %d but found '%s' in '%s'.", op, t.pos, t.text, p.src)
	}
	if r.typ == edmStrings || (l.typ != edmNull && l.typ != r.typ) {
		return l, syntaxError("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", r.typ, l.typ, op)
	}
	return l, nil
}

// quotedLiteral reads the OData string literal whose opening quote is at
// src[start]: its text with each doubled quote undone, and the index just
// past its closing quote. An unterminated literal is Graph's syntax error.
func quotedLiteral(src string, start int) (string, int, error) {
	var b strings.Builder
	for i := start + 1; i < len(src); i++ {
		if src[i] != '\'' {
			b.WriteByte(src[i])
			continue
		}
		if i+1 < len(src) && src[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), i + 1, nil
	}
	return "", 0, syntaxError("unterminated string literal at position %d in '%s'.", start, src)
}
