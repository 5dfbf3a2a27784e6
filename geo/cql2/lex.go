package cql2

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
)

// The lexer of CQL2 Text. It works on runes, so that positions are
// columns in characters, and reads one token at a time for the parser.

type tokKind int

const (
	tNone   tokKind = iota // no token yet
	tEOF                   // end of the filter
	tWord                  // identifier or keyword
	tQuoted                // "quoted identifier"
	tString                // 'string'
	tNumber
	tOp // comparison operator
	tLParen
	tRParen
	tComma
)

type token struct {
	kind     tokKind
	pos, end int     // rune offsets in the filter
	val      string  // word as written, operator, or decoded string or name
	key      string  // a word in upper case, for matching keywords
	num      float64 // value of a number
}

// isReserved tells the keywords that cannot be property names unless
// quoted; key is in upper case.
func isReserved(key string) bool {
	switch key {
	case "AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL", "TRUE", "FALSE":
		return true
	}
	return false
}

// geometryTag returns the GeoJSON type of a WKT geometry tag in upper
// case, or "".
func geometryTag(key string) string {
	switch key {
	case "POINT":
		return GeometryPoint
	case "LINESTRING":
		return GeometryLineString
	case "POLYGON":
		return GeometryPolygon
	case "MULTIPOINT":
		return GeometryMultiPoint
	case "MULTILINESTRING":
		return GeometryMultiLineString
	case "MULTIPOLYGON":
		return GeometryMultiPolygon
	}
	return ""
}

// isUnsupported tells the CQL2 functions and operators, in upper case,
// that this package knows but does not implement; naming them as such
// tells a client more than "unknown".
func isUnsupported(key string) bool {
	switch key {
	case "S_CONTAINS", "S_CROSSES", "S_DISJOINT", "S_EQUALS", "S_OVERLAPS", "S_TOUCHES",
		"T_AFTER", "T_BEFORE", "T_CONTAINS", "T_DISJOINT", "T_DURING", "T_EQUALS",
		"T_FINISHEDBY", "T_FINISHES", "T_INTERSECTS", "T_MEETS", "T_METBY",
		"T_OVERLAPPEDBY", "T_OVERLAPS", "T_STARTEDBY", "T_STARTS",
		"A_CONTAINEDBY", "A_CONTAINS", "A_EQUALS", "A_OVERLAPS",
		"CASEI", "ACCENTI", "INTERVAL", "GEOMETRYCOLLECTION", "ENVELOPE",
		"+", "-", "*", "/", "^", "%", "DIV":
		return true
	}
	return false
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r'
}

func isDigit(r rune) bool {
	return r >= '0' && r <= '9'
}

// isIdentStart and isIdentPart follow the CQL2 identifier production in
// spirit: letters of any script, underscore and colon (for prefixed names
// such as eo:cloud_cover) start a name; digits, combining marks and periods
// may follow.
func isIdentStart(r rune) bool {
	return unicode.IsLetter(r) || r == '_' || r == ':'
}

func isIdentPart(r rune) bool {
	return isIdentStart(r) || unicode.IsDigit(r) || r == '.' ||
		unicode.In(r, unicode.Mn, unicode.Mc)
}

// asciiUpper folds only ASCII letters, so that no other script's letter
// (such as the long s, which Unicode folds to s) spells a keyword.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// scan reads the next token into p.tok.
func (p *textParser) scan() error {
	src := p.src
	i := p.off
	for i < len(src) && isSpace(src[i]) {
		i++
	}
	t := token{pos: i}
	next := func(j int) rune {
		if j < len(src) {
			return src[j]
		}
		return 0
	}
	if i == len(src) {
		t.kind, t.end = tEOF, i
		p.tok, p.off = t, i
		return nil
	}
	c := src[i]
	switch {
	case c == '(':
		t.kind, i = tLParen, i+1
	case c == ')':
		t.kind, i = tRParen, i+1
	case c == ',':
		t.kind, i = tComma, i+1
	case c == '=':
		t.kind, t.val, i = tOp, "=", i+1
	case c == '<' && (next(i+1) == '=' || next(i+1) == '>'):
		t.kind, t.val, i = tOp, string(src[i:i+2]), i+2
	case c == '>' && next(i+1) == '=':
		t.kind, t.val, i = tOp, ">=", i+2
	case c == '<' || c == '>':
		t.kind, t.val, i = tOp, string(c), i+1
	case c == '!' && next(i+1) == '=':
		return p.fail(t, `unknown operator "!="; write <> for not equal`)
	case c == '\'' || c == '"':
		end, val, err := p.quoted(i)
		if err != nil {
			return err
		}
		t.kind, t.val, i = tString, val, end
		if c == '"' {
			t.kind = tQuoted
		}
	case isDigit(c) || c == '.' || ((c == '-' || c == '+') && (isDigit(next(i+1)) || next(i+1) == '.')):
		end, v, err := p.number(i)
		if err != nil {
			return err
		}
		t.kind, t.num, i = tNumber, v, end
	case isIdentStart(c):
		j := i + 1
		for j < len(src) && isIdentPart(src[j]) {
			j++
		}
		t.kind, t.val, i = tWord, string(src[t.pos:j]), j
		t.key = asciiUpper(t.val)
	default:
		return p.fail(t, "unexpected character %q", c)
	}
	t.end = i
	p.tok, p.off = t, i
	return nil
}

// quoted reads a 'string' or a "quoted name" starting at i, where a
// doubled quote stands for one.
func (p *textParser) quoted(i int) (end int, val string, err error) {
	src := p.src
	q := src[i]
	var b strings.Builder
	j := i + 1
	for {
		if j >= len(src) {
			what := "string"
			if q == '"' {
				what = "quoted name"
			}
			return 0, "", p.fail(token{pos: i}, "unterminated %s", what)
		}
		if src[j] == q {
			if j+1 < len(src) && src[j+1] == q {
				b.WriteRune(q)
				j += 2
				continue
			}
			j++
			break
		}
		b.WriteRune(src[j])
		j++
	}
	val = b.String()
	r := checkText("string", val)
	if q == '"' {
		r = checkName(val)
	}
	if r != "" {
		return 0, "", p.fail(token{pos: i}, "%s", r)
	}
	return j, val, nil
}

// number reads a signed decimal number with optional fraction and exponent
// starting at i, as the CQL2 grammar has them.
func (p *textParser) number(i int) (end int, v float64, err error) {
	src := p.src
	j := i
	if src[j] == '+' || src[j] == '-' {
		j++
	}
	digits := 0
	for j < len(src) && isDigit(src[j]) {
		j++
		digits++
	}
	if j < len(src) && src[j] == '.' {
		j++
		for j < len(src) && isDigit(src[j]) {
			j++
			digits++
		}
	}
	ok := digits > 0
	if ok && j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < len(src) && isDigit(src[k]) {
			for k < len(src) && isDigit(src[k]) {
				k++
			}
			j = k
		} else {
			ok = false
		}
	}
	if !ok || (j < len(src) && isIdentPart(src[j])) {
		// Show the whole run the client wrote, such as 12abc or 1.2.3.
		for j < len(src) && (isIdentPart(src[j]) || src[j] == '+' || src[j] == '-') {
			j++
		}
		return 0, 0, p.fail(token{pos: i}, "invalid number %q", excerpt(string(src[i:j])))
	}
	v, err = strconv.ParseFloat(string(src[i:j]), 64)
	if errors.Is(err, strconv.ErrRange) {
		return 0, 0, p.fail(token{pos: i}, "number out of range")
	}
	if err != nil {
		return 0, 0, p.fail(token{pos: i}, "invalid number %q", excerpt(string(src[i:j])))
	}
	return j, v, nil
}
