package cql2

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ParseText parses a CQL2 Text filter within the default Limits.
func ParseText(s string) (Expr, error) {
	return Limits{}.ParseText(s)
}

// ParseText parses a CQL2 Text filter within the limits l. An error is a
// *SyntaxError.
func (l Limits) ParseText(s string) (Expr, error) {
	// Columns count characters, so the text must decode as characters.
	col := 1
	for i := 0; i < len(s); col++ {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return nil, &SyntaxError{Column: col, Reason: "filter is not valid UTF-8"}
		}
		i += size
	}
	p := &textParser{src: []rune(s), b: budget{lim: l.withDefaults()}}
	if err := p.scan(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, p.fail(p.tok, "empty filter")
	}
	e, _, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tEOF:
		return e, nil
	case tRParen:
		return nil, p.fail(p.tok, `unbalanced parentheses: ")" without "("`)
	}
	return nil, p.expected("AND, OR or end of filter")
}

// textParser is a recursive descent parser over a one-token lookahead.
// It recurses only on parentheses and NOT, and counts both in nest, so
// its recursion ends at Limits.MaxDepth levels whatever the input.
type textParser struct {
	src  []rune
	off  int   // where scanning resumes
	tok  token // the current token
	prev token // the token before it, for messages
	b    budget
	nest int
}

func (p *textParser) fail(t token, format string, args ...any) error {
	return &SyntaxError{Column: t.pos + 1, Reason: fmt.Sprintf(format, args...)}
}

// expected reports that the current token is not what the grammar wants.
func (p *textParser) expected(what string) error {
	after := ""
	if p.prev.kind != tNone {
		after = " after " + p.describe(p.prev)
	}
	return p.fail(p.tok, "expected %s%s, found %s", what, after, p.describe(p.tok))
}

func (p *textParser) describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of filter"
	case tString, tQuoted:
		return excerpt(string(p.src[t.pos:t.end]))
	}
	return `"` + excerpt(string(p.src[t.pos:t.end])) + `"`
}

func (p *textParser) node(t token, depth int) error {
	if r := p.b.node(depth); r != "" {
		return p.fail(t, "%s", r)
	}
	return nil
}

// enter descends into a parenthesis or a NOT.
func (p *textParser) enter(t token) error {
	p.nest++
	if p.nest > p.b.lim.MaxDepth {
		return p.fail(t, "%s", p.b.tooDeep())
	}
	return nil
}

func (p *textParser) advance() error {
	p.prev = p.tok
	return p.scan()
}

func (p *textParser) isWord(key string) bool {
	return p.tok.kind == tWord && p.tok.key == key
}

// peek returns the token after the current one without consuming it.
func (p *textParser) peek() token {
	off, tok, prev := p.off, p.tok, p.prev
	if p.advance() != nil {
		p.tok = token{}
	}
	next := p.tok
	p.off, p.tok, p.prev = off, tok, prev
	return next
}

// parseOr parses a whole boolean expression. Like the parse functions
// below, it returns the depth of the tree it built, so that MaxDepth is
// checked as each node is made rather than in a second pass.
func (p *textParser) parseOr() (Expr, int, error) {
	return p.parseChain("OR", p.parseAnd, func(args []Expr) Expr { return Or{Args: args} })
}

func (p *textParser) parseAnd() (Expr, int, error) {
	return p.parseChain("AND", p.parseNot, func(args []Expr) Expr { return And{Args: args} })
}

// parseChain parses operands joined by one keyword into a single n-ary
// node, as CQL2 JSON writes them; parentheses keep nested groups apart.
func (p *textParser) parseChain(key string, operand func() (Expr, int, error), build func([]Expr) Expr) (Expr, int, error) {
	x, depth, err := operand()
	if err != nil || !p.isWord(key) {
		return x, depth, err
	}
	op := p.tok
	args := []Expr{x}
	for p.isWord(key) {
		if err := p.advance(); err != nil {
			return nil, 0, err
		}
		y, d, err := operand()
		if err != nil {
			return nil, 0, err
		}
		args = append(args, y)
		depth = max(depth, d)
	}
	if err := p.node(op, depth+1); err != nil {
		return nil, 0, err
	}
	return build(args), depth + 1, nil
}

func (p *textParser) parseNot() (Expr, int, error) {
	if !p.isWord("NOT") {
		return p.parsePrimary()
	}
	t := p.tok
	if err := p.enter(t); err != nil {
		return nil, 0, err
	}
	if err := p.advance(); err != nil {
		return nil, 0, err
	}
	x, d, err := p.parseNot()
	if err != nil {
		return nil, 0, err
	}
	p.nest--
	if err := p.node(t, d+1); err != nil {
		return nil, 0, err
	}
	return Not{Arg: x}, d + 1, nil
}

func (p *textParser) parsePrimary() (Expr, int, error) {
	t := p.tok
	switch {
	case t.kind == tLParen:
		if err := p.enter(t); err != nil {
			return nil, 0, err
		}
		if err := p.advance(); err != nil {
			return nil, 0, err
		}
		x, d, err := p.parseOr()
		if err != nil {
			return nil, 0, err
		}
		if p.tok.kind != tRParen {
			return nil, 0, p.fail(p.tok, `expected ")" to close the "(" at column %d, found %s`, t.pos+1, p.describe(p.tok))
		}
		p.nest--
		return x, d, p.advance()
	case t.kind == tWord && (t.key == "S_INTERSECTS" || t.key == "S_WITHIN") && p.peek().kind == tLParen:
		return p.parseSpatial()
	}
	left, err := p.parseOperand("a condition")
	if err != nil {
		return nil, 0, err
	}
	return p.parsePredicate(left)
}

// parseOperand parses a property or a scalar literal; what names it for
// the message when there is none.
func (p *textParser) parseOperand(what string) (Expr, error) {
	t := p.tok
	var x Expr
	switch t.kind {
	case tNumber:
		x = Literal{Value: t.num}
	case tString:
		x = Literal{Value: t.val}
	case tQuoted:
		x = Property{Name: t.val}
	case tWord:
		switch {
		case t.key == "TRUE" || t.key == "FALSE":
			x = Literal{Value: t.key == "TRUE"}
		case isReserved(t.key):
			return nil, p.expected(what)
		case p.peek().kind == tLParen:
			return p.parseFunctionValue()
		default:
			x = Property{Name: t.val}
		}
	default:
		return nil, p.expected(what)
	}
	if err := p.node(t, 0); err != nil {
		return nil, err
	}
	return x, p.advance()
}

// parseFunctionValue parses a word followed by "(" where a value belongs:
// DATE and TIMESTAMP literals, or a function this package refuses.
func (p *textParser) parseFunctionValue() (Expr, error) {
	t := p.tok
	switch {
	case t.key == "DATE" || t.key == "TIMESTAMP":
	case geometryTag(t.key) != "" || t.key == "BBOX":
		return nil, p.fail(t, "a geometry is only allowed as an argument of S_INTERSECTS or S_WITHIN")
	case t.key == "S_INTERSECTS" || t.key == "S_WITHIN":
		return nil, p.fail(t, "%s is a condition, not a value", t.key)
	default:
		return nil, p.unknownFunction(t)
	}
	if err := p.advance(); err != nil { // the name
		return nil, err
	}
	if err := p.advance(); err != nil { // "("
		return nil, err
	}
	s := p.tok
	if s.kind != tString {
		example := "'2022-12-31'"
		if t.key == "TIMESTAMP" {
			example = "'2022-12-31T00:00:00Z'"
		}
		return nil, p.fail(s, "%s needs a string in quotes, as in %s(%s), found %s", t.key, t.key, example, p.describe(s))
	}
	lit := Literal{Date: t.key == "DATE"}
	var r string
	if lit.Date {
		lit.Value, r = parseDate(s.val)
	} else {
		lit.Value, r = parseTimestamp(s.val)
	}
	if r != "" {
		return nil, p.fail(s, "%s", r)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tRParen {
		return nil, p.expected(`")"`)
	}
	if err := p.node(t, 0); err != nil {
		return nil, err
	}
	return lit, p.advance()
}

func (p *textParser) unknownFunction(t token) error {
	if isUnsupported(t.key) {
		return p.fail(t, "function %s is not supported", t.key)
	}
	return p.fail(t, "unknown function %q", excerpt(t.val))
}

// parsePredicate parses what follows the first operand of a predicate.
func (p *textParser) parsePredicate(left Expr) (Expr, int, error) {
	t := p.tok
	switch {
	case t.kind == tOp:
		if err := p.advance(); err != nil {
			return nil, 0, err
		}
		right, err := p.parseOperand("a value")
		if err != nil {
			return nil, 0, err
		}
		if err := p.node(t, 1); err != nil {
			return nil, 0, err
		}
		return Compare{Op: CompareOp(t.val), Left: left, Right: right}, 1, nil
	case p.isWord("NOT"):
		if err := p.advance(); err != nil {
			return nil, 0, err
		}
		if !p.isWord("LIKE") && !p.isWord("BETWEEN") && !p.isWord("IN") {
			return nil, 0, p.expected("LIKE, BETWEEN or IN")
		}
		x, _, err := p.parsePredicate(left)
		if err != nil {
			return nil, 0, err
		}
		if err := p.node(t, 2); err != nil {
			return nil, 0, err
		}
		return Not{Arg: x}, 2, nil
	case p.isWord("LIKE"):
		return p.parseLike(left)
	case p.isWord("BETWEEN"):
		return p.parseBetween(left)
	case p.isWord("IN"):
		return p.parseIn(left)
	case p.isWord("IS"):
		return p.parseIsNull(left)
	}
	if lit, ok := left.(Literal); ok {
		if _, ok := lit.Value.(bool); ok {
			return left, 1, nil // TRUE or FALSE on its own is a condition
		}
	}
	return nil, 0, p.expected("a comparison operator, LIKE, BETWEEN, IN or IS NULL")
}

func (p *textParser) parseLike(left Expr) (Expr, int, error) {
	t := p.tok
	if err := p.advance(); err != nil {
		return nil, 0, err
	}
	s := p.tok
	if s.kind == tWord && p.peek().kind == tLParen {
		return nil, 0, p.unknownFunction(s)
	}
	if s.kind != tString {
		return nil, 0, p.expected("a pattern in quotes")
	}
	if r := checkPattern(s.val); r != "" {
		return nil, 0, p.fail(s, "%s", r)
	}
	if err := p.node(t, 1); err != nil {
		return nil, 0, err
	}
	return Like{Arg: left, Pattern: s.val}, 1, p.advance()
}

func (p *textParser) parseBetween(left Expr) (Expr, int, error) {
	t := p.tok
	if err := p.advance(); err != nil {
		return nil, 0, err
	}
	low, err := p.parseOperand("a lower bound")
	if err != nil {
		return nil, 0, err
	}
	if !p.isWord("AND") {
		return nil, 0, p.expected("AND")
	}
	if err := p.advance(); err != nil {
		return nil, 0, err
	}
	high, err := p.parseOperand("an upper bound")
	if err != nil {
		return nil, 0, err
	}
	if err := p.node(t, 1); err != nil {
		return nil, 0, err
	}
	return Between{Arg: left, Low: low, High: high}, 1, nil
}

func (p *textParser) parseIn(left Expr) (Expr, int, error) {
	t := p.tok
	if err := p.advance(); err != nil {
		return nil, 0, err
	}
	if p.tok.kind != tLParen {
		return nil, 0, p.expected(`"(" to start the list`)
	}
	var list []Expr
	for {
		if err := p.advance(); err != nil { // "(" or ","
			return nil, 0, err
		}
		x, err := p.parseOperand("a value")
		if err != nil {
			return nil, 0, err
		}
		list = append(list, x)
		if p.tok.kind == tRParen {
			break
		}
		if p.tok.kind != tComma {
			return nil, 0, p.expected(`"," or ")"`)
		}
	}
	if err := p.node(t, 1); err != nil {
		return nil, 0, err
	}
	return In{Arg: left, List: list}, 1, p.advance()
}

func (p *textParser) parseIsNull(left Expr) (Expr, int, error) {
	t := p.tok
	if err := p.advance(); err != nil {
		return nil, 0, err
	}
	var not token
	if p.isWord("NOT") {
		not = p.tok
		if err := p.advance(); err != nil {
			return nil, 0, err
		}
	}
	if !p.isWord("NULL") {
		return nil, 0, p.expected("NULL")
	}
	if err := p.node(t, 1); err != nil {
		return nil, 0, err
	}
	var x Expr = IsNull{Arg: left}
	depth := 1
	if not.kind != tNone {
		if err := p.node(not, 2); err != nil {
			return nil, 0, err
		}
		x, depth = Not{Arg: x}, 2
	}
	return x, depth, p.advance()
}

// parseSpatial parses S_INTERSECTS(a, b) or S_WITHIN(a, b), one argument
// a property and the other a literal geometry.
func (p *textParser) parseSpatial() (Expr, int, error) {
	t := p.tok
	if err := p.advance(); err != nil { // the name
		return nil, 0, err
	}
	if err := p.advance(); err != nil { // "("
		return nil, 0, err
	}
	a, err := p.parseSpatialArg()
	if err != nil {
		return nil, 0, err
	}
	if p.tok.kind != tComma {
		return nil, 0, p.expected(`","`)
	}
	if err := p.advance(); err != nil {
		return nil, 0, err
	}
	b, err := p.parseSpatialArg()
	if err != nil {
		return nil, 0, err
	}
	if p.tok.kind == tComma {
		return nil, 0, p.fail(p.tok, "%s takes 2 arguments", t.key)
	}
	if p.tok.kind != tRParen {
		return nil, 0, p.expected(`")"`)
	}
	op := Intersects
	if t.key == "S_WITHIN" {
		op = Within
	}
	x, r := spatial(op, a, b)
	if r != "" {
		return nil, 0, p.fail(t, "%s", r)
	}
	if err := p.node(t, 1); err != nil {
		return nil, 0, err
	}
	return x, 1, p.advance()
}

// spatial makes a spatial predicate of two parsed arguments; both parsers
// use it so that they accept the same argument orders.
func spatial(op SpatialOp, a, b Expr) (Expr, string) {
	name := strings.ToUpper(string(op))
	pa, aProp := a.(Property)
	pb, bProp := b.(Property)
	switch {
	case aProp && !bProp:
		return Spatial{Op: op, Prop: pa, Geom: b}, ""
	case bProp && !aProp && op == Intersects:
		return Spatial{Op: op, Prop: pb, Geom: a}, ""
	case bProp && !aProp:
		return nil, fmt.Sprintf("%s needs the property first: %s(property, geometry)", name, name)
	case aProp && bProp:
		return nil, fmt.Sprintf("%s needs a literal geometry; comparing two properties is not supported", name)
	}
	return nil, fmt.Sprintf("%s needs a property", name)
}

func (p *textParser) parseSpatialArg() (Expr, error) {
	t := p.tok
	switch t.kind {
	case tQuoted:
		if err := p.node(t, 0); err != nil {
			return nil, err
		}
		return Property{Name: t.val}, p.advance()
	case tWord:
		if geometryTag(t.key) != "" || t.key == "BBOX" {
			next := p.peek()
			if next.kind == tLParen {
				return p.parseGeometry()
			}
			switch next.key {
			case "Z", "M", "ZM":
				return nil, p.fail(next, "only 2D geometries are supported")
			case "EMPTY":
				return nil, p.fail(next, "empty geometries are not supported")
			}
		}
		if isReserved(t.key) {
			break
		}
		if p.peek().kind == tLParen {
			if t.key == "DATE" || t.key == "TIMESTAMP" || t.key == "S_INTERSECTS" || t.key == "S_WITHIN" {
				break
			}
			return nil, p.unknownFunction(t)
		}
		if err := p.node(t, 0); err != nil {
			return nil, err
		}
		return Property{Name: t.val}, p.advance()
	}
	return nil, p.expected("a property or a geometry")
}

// parseGeometry parses a WKT geometry or a BBOX at the current word.
func (p *textParser) parseGeometry() (Expr, error) {
	t := p.tok
	if err := p.advance(); err != nil { // the tag
		return nil, err
	}
	var x Expr
	var err error
	switch typ := geometryTag(t.key); typ {
	case GeometryPoint:
		var pos Position
		if err = p.open(); err == nil {
			if pos, err = p.position(); err == nil {
				err = p.close()
			}
		}
		x = Geometry{Type: typ, Coordinates: pos}
	case GeometryLineString:
		var ps []Position
		ps, err = p.line(false)
		x = Geometry{Type: typ, Coordinates: ps}
	case GeometryPolygon:
		var rings [][]Position
		rings, err = p.lines(true)
		x = Geometry{Type: typ, Coordinates: rings}
	case GeometryMultiPoint:
		var ps []Position
		ps, err = p.multiPoint()
		x = Geometry{Type: typ, Coordinates: ps}
	case GeometryMultiLineString:
		var ls [][]Position
		ls, err = p.lines(false)
		x = Geometry{Type: typ, Coordinates: ls}
	case GeometryMultiPolygon:
		var polys [][][]Position
		err = p.list(func() error {
			rings, err := p.lines(true)
			polys = append(polys, rings)
			return err
		})
		x = Geometry{Type: typ, Coordinates: polys}
	default: // BBOX
		x, err = p.bbox()
	}
	if err != nil {
		return nil, err
	}
	if err := p.node(t, 0); err != nil {
		return nil, err
	}
	return x, nil
}

func (p *textParser) open() error {
	if p.tok.kind != tLParen {
		return p.expected(`"("`)
	}
	return p.advance()
}

func (p *textParser) close() error {
	if p.tok.kind != tRParen {
		return p.expected(`")"`)
	}
	return p.advance()
}

// list parses "(" item {"," item} ")".
func (p *textParser) list(item func() error) error {
	if err := p.open(); err != nil {
		return err
	}
	for {
		if err := item(); err != nil {
			return err
		}
		switch p.tok.kind {
		case tRParen:
			return p.advance()
		case tComma:
			if err := p.advance(); err != nil {
				return err
			}
		default:
			return p.expected(`"," or ")"`)
		}
	}
}

func (p *textParser) coordinate() (float64, error) {
	if p.tok.kind != tNumber {
		return 0, p.expected("a coordinate")
	}
	v := p.tok.num
	return v, p.advance()
}

func (p *textParser) position() (Position, error) {
	t := p.tok
	x, err := p.coordinate()
	if err != nil {
		return Position{}, err
	}
	y, err := p.coordinate()
	if err != nil {
		return Position{}, err
	}
	if p.tok.kind == tNumber {
		return Position{}, p.fail(p.tok, "only 2D coordinates are supported")
	}
	if r := p.b.position(); r != "" {
		return Position{}, p.fail(t, "%s", r)
	}
	return Position{x, y}, nil
}

// line parses a parenthesized list of positions, a line or a ring.
func (p *textParser) line(ring bool) ([]Position, error) {
	t := p.tok
	var ps []Position
	err := p.list(func() error {
		pos, err := p.position()
		ps = append(ps, pos)
		return err
	})
	if err != nil {
		return nil, err
	}
	if r := checkPositions(ps, ring); r != "" {
		return nil, p.fail(t, "%s", r)
	}
	return ps, nil
}

func (p *textParser) lines(rings bool) ([][]Position, error) {
	var ls [][]Position
	err := p.list(func() error {
		l, err := p.line(rings)
		ls = append(ls, l)
		return err
	})
	return ls, err
}

// multiPoint accepts the points with and without their own parentheses,
// MULTIPOINT((1 2), (3 4)) as the CQL2 grammar has it and MULTIPOINT(1 2,
// 3 4) as much software writes it.
func (p *textParser) multiPoint() ([]Position, error) {
	var ps []Position
	err := p.list(func() error {
		paren := p.tok.kind == tLParen
		if paren {
			if err := p.advance(); err != nil {
				return err
			}
		}
		pos, err := p.position()
		if err != nil {
			return err
		}
		ps = append(ps, pos)
		if paren {
			return p.close()
		}
		return nil
	})
	return ps, err
}

func (p *textParser) bbox() (Expr, error) {
	t := p.tok
	var v []float64
	err := p.list(func() error {
		c, err := p.coordinate()
		v = append(v, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	b, r := checkBBox(v)
	if r != "" {
		return nil, p.fail(t, "%s", r)
	}
	return b, nil
}
