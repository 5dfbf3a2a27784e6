package cql2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseJSON parses a CQL2 JSON filter within the default Limits.
func ParseJSON(b []byte) (Expr, error) {
	return Limits{}.ParseJSON(b)
}

// ParseJSON parses a CQL2 JSON filter within the limits l. An error is a
// *SyntaxError. The whole document is read before it is interpreted (its
// members may come in any order), so callers should bound its size.
func (l Limits) ParseJSON(b []byte) (Expr, error) {
	p := &jsonParser{b: budget{lim: l.withDefaults()}}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	root, err := p.read(dec, nil, 1)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, p.fail("", "invalid JSON: more data after the filter")
	}
	return p.cond(root, "", 1)
}

type jsonKind int

const (
	jObject jsonKind = iota + 1
	jArray
	jString
	jNumber
	jBool
	jNull
)

// jsonValue is a JSON document read into memory with its members in
// order, which encoding/json's map decoding would lose, and without
// duplicate keys, which it would silently drop.
type jsonValue struct {
	kind  jsonKind
	keys  []string     // of an object
	items []*jsonValue // members of an object, elements of an array
	str   string       // a string, or a number as written
	b     bool
}

func (v *jsonValue) get(key string) *jsonValue {
	for i, k := range v.keys {
		if k == key {
			return v.items[i]
		}
	}
	return nil
}

func (v *jsonValue) describe() string {
	switch v.kind {
	case jObject:
		if len(v.keys) == 0 {
			return "an empty object"
		}
		return fmt.Sprintf("an object with %q", excerpt(v.keys[0]))
	case jArray:
		return "a list"
	case jString:
		return "a string"
	case jNumber:
		return "a number"
	case jBool:
		return "a boolean"
	}
	return "null"
}

type jsonParser struct {
	b budget
}

func (p *jsonParser) fail(ptr, format string, args ...any) error {
	return &SyntaxError{Pointer: ptr, Reason: fmt.Sprintf(format, args...)}
}

func (p *jsonParser) node(ptr string, depth int) error {
	if r := p.b.node(depth); r != "" {
		return p.fail(ptr, "%s", r)
	}
	return nil
}

// pointer appends a reference token to a JSON Pointer, escaped as RFC 6901
// requires.
func pointer(ptr string, tok any) string {
	if s, ok := tok.(string); ok {
		s = strings.ReplaceAll(s, "~", "~0")
		return ptr + "/" + strings.ReplaceAll(s, "/", "~1")
	}
	return ptr + "/" + strconv.Itoa(tok.(int))
}

// readPath is where read is in the document. It renders as a JSON
// Pointer only for a message, so that a long key costs nothing for each
// value beneath it.
type readPath struct {
	up    *readPath
	key   string
	index int // -1 for a key
}

func (rp *readPath) String() string {
	if rp == nil {
		return ""
	}
	if rp.index < 0 {
		return pointer(rp.up.String(), rp.key)
	}
	return pointer(rp.up.String(), rp.index)
}

// read reads one JSON value. Its recursion is bounded well above what a
// filter within MaxDepth needs (each level of conditions is an object and
// its "args" list, and a multipolygon nests five more), so a deeply
// nested document is refused before it can exhaust the stack.
func (p *jsonParser) read(dec *json.Decoder, at *readPath, depth int) (*jsonValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, p.jsonError(at.String(), err)
	}
	switch tok := tok.(type) {
	case json.Delim:
		if depth > 2*p.b.lim.MaxDepth+5 {
			return nil, p.fail(at.String(), "%s", p.b.tooDeep())
		}
		v := &jsonValue{kind: jArray}
		var seen map[string]bool
		if tok == '{' {
			v.kind = jObject
			seen = map[string]bool{}
		}
		for dec.More() {
			next := &readPath{up: at, index: len(v.items)}
			if v.kind == jObject {
				kt, err := dec.Token()
				if err != nil {
					return nil, p.jsonError(at.String(), err)
				}
				key := kt.(string)
				if seen[key] {
					return nil, p.fail(at.String(), "duplicate key %q", excerpt(key))
				}
				seen[key] = true
				v.keys = append(v.keys, key)
				next.key, next.index = key, -1
			}
			item, err := p.read(dec, next, depth+1)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, item)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, p.jsonError(at.String(), err)
		}
		return v, nil
	case string:
		return &jsonValue{kind: jString, str: tok}, nil
	case json.Number:
		return &jsonValue{kind: jNumber, str: tok.String()}, nil
	case bool:
		return &jsonValue{kind: jBool, b: tok}, nil
	}
	return &jsonValue{kind: jNull}, nil
}

func (p *jsonParser) jsonError(ptr string, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return p.fail(ptr, "invalid JSON at byte %d: %v", se.Offset, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if ptr == "" {
			return p.fail(ptr, "empty filter")
		}
		return p.fail(ptr, "invalid JSON: unexpected end")
	}
	return p.fail(ptr, "invalid JSON: %v", err)
}

// onlyKeys refuses members other than those named, so that a misspelt
// member is reported rather than ignored.
func (p *jsonParser) onlyKeys(v *jsonValue, ptr string, keys ...string) error {
	for _, k := range v.keys {
		ok := false
		for _, want := range keys {
			ok = ok || k == want
		}
		if !ok {
			return p.fail(pointer(ptr, k), "unexpected member %q", excerpt(k))
		}
	}
	return nil
}

// cond interprets a value where a condition belongs, at the given depth.
func (p *jsonParser) cond(v *jsonValue, ptr string, depth int) (Expr, error) {
	switch {
	case v.kind == jBool:
		if err := p.node(ptr, depth); err != nil {
			return nil, err
		}
		return Literal{Value: v.b}, nil
	case v.kind == jObject && v.get("op") != nil:
		return p.op(v, ptr, depth)
	}
	return nil, p.fail(ptr, "expected a condition, found %s", v.describe())
}

// opName reads the "op" member of an operation and checks its shape.
func (p *jsonParser) opName(v *jsonValue, ptr string) (string, []*jsonValue, error) {
	opv := v.get("op")
	if opv.kind != jString {
		return "", nil, p.fail(pointer(ptr, "op"), `"op" must be a string`)
	}
	if err := p.onlyKeys(v, ptr, "op", "args"); err != nil {
		return "", nil, err
	}
	args := v.get("args")
	if args == nil {
		return "", nil, p.fail(ptr, `missing "args"`)
	}
	if args.kind != jArray {
		return "", nil, p.fail(pointer(ptr, "args"), `"args" must be a list`)
	}
	return opv.str, args.items, nil
}

// compareOp returns the comparison operator of that name, as both
// encodings spell them.
func compareOp(name string) (CompareOp, bool) {
	switch op := CompareOp(name); op {
	case Eq, Ne, Lt, Le, Gt, Ge:
		return op, true
	}
	return "", false
}

// isCondition tells the CQL2 JSON operators that make conditions.
func isCondition(name string) bool {
	if _, ok := compareOp(name); ok {
		return true
	}
	switch name {
	case "and", "or", "not", "like", "between", "in", "isNull", "s_intersects", "s_within":
		return true
	}
	return false
}

func (p *jsonParser) op(v *jsonValue, ptr string, depth int) (Expr, error) {
	name, args, err := p.opName(v, ptr)
	if err != nil {
		return nil, err
	}
	ap := pointer(ptr, "args")
	argc := func(n int) error {
		if len(args) != n {
			s := "s"
			if n == 1 {
				s = ""
			}
			return p.fail(ap, "%q needs %d argument%s, has %d", name, n, s, len(args))
		}
		return nil
	}
	if !isCondition(name) {
		return nil, p.unknownOp(name, ptr)
	}
	if err := p.node(ptr, depth); err != nil {
		return nil, err
	}
	switch name {
	case "and", "or":
		if len(args) < 2 {
			return nil, p.fail(ap, "%q needs at least 2 arguments, has %d", name, len(args))
		}
		xs := make([]Expr, len(args))
		for i, a := range args {
			if xs[i], err = p.cond(a, pointer(ap, i), depth+1); err != nil {
				return nil, err
			}
		}
		if name == "and" {
			return And{Args: xs}, nil
		}
		return Or{Args: xs}, nil
	case "not":
		if err := argc(1); err != nil {
			return nil, err
		}
		x, err := p.cond(args[0], pointer(ap, 0), depth+1)
		if err != nil {
			return nil, err
		}
		return Not{Arg: x}, nil
	case "like":
		if err := argc(2); err != nil {
			return nil, err
		}
		x, err := p.scalar(args[0], pointer(ap, 0))
		if err != nil {
			return nil, err
		}
		pat, pp := args[1], pointer(ap, 1)
		if pat.kind == jObject && pat.get("op") != nil && pat.get("op").kind == jString {
			return nil, p.unknownOp(pat.get("op").str, pp)
		}
		if pat.kind != jString {
			return nil, p.fail(pp, "the pattern of \"like\" must be a string, found %s", pat.describe())
		}
		if r := checkPattern(pat.str); r != "" {
			return nil, p.fail(pp, "%s", r)
		}
		return Like{Arg: x, Pattern: pat.str}, nil
	case "between":
		if err := argc(3); err != nil {
			return nil, err
		}
		xs, err := p.scalars(args, ap)
		if err != nil {
			return nil, err
		}
		return Between{Arg: xs[0], Low: xs[1], High: xs[2]}, nil
	case "in":
		if err := argc(2); err != nil {
			return nil, err
		}
		x, err := p.scalar(args[0], pointer(ap, 0))
		if err != nil {
			return nil, err
		}
		list, lp := args[1], pointer(ap, 1)
		if list.kind != jArray {
			return nil, p.fail(lp, "the second argument of \"in\" must be a list, found %s", list.describe())
		}
		if len(list.items) == 0 {
			return nil, p.fail(lp, "the list of \"in\" is empty")
		}
		xs, err := p.scalars(list.items, lp)
		if err != nil {
			return nil, err
		}
		return In{Arg: x, List: xs}, nil
	case "isNull":
		if err := argc(1); err != nil {
			return nil, err
		}
		x, err := p.scalar(args[0], pointer(ap, 0))
		if err != nil {
			return nil, err
		}
		return IsNull{Arg: x}, nil
	case "s_intersects", "s_within":
		if err := argc(2); err != nil {
			return nil, err
		}
		a, err := p.spatialArg(args[0], pointer(ap, 0))
		if err != nil {
			return nil, err
		}
		b, err := p.spatialArg(args[1], pointer(ap, 1))
		if err != nil {
			return nil, err
		}
		x, r := spatial(SpatialOp(name), a, b)
		if r != "" {
			return nil, p.fail(ptr, "%s", r)
		}
		return x, nil
	}
	// The rest are the comparisons.
	if err := argc(2); err != nil {
		return nil, err
	}
	xs, err := p.scalars(args, ap)
	if err != nil {
		return nil, err
	}
	op, _ := compareOp(name)
	return Compare{Op: op, Left: xs[0], Right: xs[1]}, nil
}

func (p *jsonParser) unknownOp(name, ptr string) error {
	if isUnsupported(strings.ToUpper(name)) {
		return p.fail(ptr, "operator %q is not supported", excerpt(name))
	}
	return p.fail(ptr, "unknown operator %q", excerpt(name))
}

func (p *jsonParser) scalars(vs []*jsonValue, ptr string) ([]Expr, error) {
	xs := make([]Expr, len(vs))
	for i, v := range vs {
		x, err := p.scalar(v, pointer(ptr, i))
		if err != nil {
			return nil, err
		}
		xs[i] = x
	}
	return xs, nil
}

// scalar interprets a value where a property or a scalar literal belongs.
func (p *jsonParser) scalar(v *jsonValue, ptr string) (Expr, error) {
	var x Expr
	switch v.kind {
	case jString:
		if r := checkText("string", v.str); r != "" {
			return nil, p.fail(ptr, "%s", r)
		}
		x = Literal{Value: v.str}
	case jNumber:
		f, err := p.number(v, ptr)
		if err != nil {
			return nil, err
		}
		x = Literal{Value: f}
	case jBool:
		x = Literal{Value: v.b}
	case jNull:
		return nil, p.fail(ptr, `null is not a value; test for null with {"op": "isNull"}`)
	case jArray:
		return nil, p.fail(ptr, `a list is only allowed as the second argument of "in"`)
	default:
		var err error
		if x, err = p.object(v, ptr); err != nil {
			return nil, err
		}
	}
	if err := p.node(ptr, 0); err != nil {
		return nil, err
	}
	return x, nil
}

// object interprets an object where a value belongs.
func (p *jsonParser) object(v *jsonValue, ptr string) (Expr, error) {
	for _, key := range []string{"property", "date", "timestamp"} {
		m := v.get(key)
		if m == nil {
			continue
		}
		if err := p.onlyKeys(v, ptr, key); err != nil {
			return nil, err
		}
		mp := pointer(ptr, key)
		if m.kind != jString {
			return nil, p.fail(mp, "%q must be a string, found %s", key, m.describe())
		}
		var r string
		var x Expr
		switch key {
		case "property":
			r, x = checkName(m.str), Property{Name: m.str}
		case "date":
			var t any
			t, r = parseDate(m.str)
			x = Literal{Value: t, Date: true}
		default:
			var t any
			t, r = parseTimestamp(m.str)
			x = Literal{Value: t}
		}
		if r != "" {
			return nil, p.fail(mp, "%s", r)
		}
		return x, nil
	}
	switch {
	case v.get("op") != nil && v.get("op").kind == jString:
		name := v.get("op").str
		if isCondition(name) {
			return nil, p.fail(ptr, "expected a value, found the condition %q", name)
		}
		return nil, p.unknownOp(name, ptr)
	case v.get("interval") != nil:
		return nil, p.fail(ptr, "intervals are not supported")
	case v.get("bbox") != nil || v.get("type") != nil:
		return nil, p.fail(ptr, "a geometry is only allowed as an argument of s_intersects or s_within")
	}
	return nil, p.fail(ptr, `expected a value, found %s (want "property", "date" or "timestamp")`, v.describe())
}

func (p *jsonParser) number(v *jsonValue, ptr string) (float64, error) {
	if v.kind != jNumber {
		return 0, p.fail(ptr, "expected a number, found %s", v.describe())
	}
	f, err := strconv.ParseFloat(v.str, 64)
	if err != nil {
		return 0, p.fail(ptr, "number out of range")
	}
	return f, nil
}

// spatialArg interprets an argument of a spatial predicate: a property, a
// GeoJSON geometry or a bbox.
func (p *jsonParser) spatialArg(v *jsonValue, ptr string) (Expr, error) {
	if v.kind != jObject {
		return nil, p.fail(ptr, "expected a property, a geometry or a bbox, found %s", v.describe())
	}
	var x Expr
	var err error
	switch {
	case v.get("property") != nil:
		return p.scalar(v, ptr)
	case v.get("type") != nil: // before "bbox", which a geometry may have too
		x, err = p.geometry(v, ptr)
	case v.get("bbox") != nil:
		x, err = p.bbox(v, ptr)
	default:
		return nil, p.fail(ptr, "expected a property, a geometry or a bbox, found %s", v.describe())
	}
	if err != nil {
		return nil, err
	}
	if err := p.node(ptr, 0); err != nil {
		return nil, err
	}
	return x, nil
}

func (p *jsonParser) bbox(v *jsonValue, ptr string) (Expr, error) {
	if err := p.onlyKeys(v, ptr, "bbox"); err != nil {
		return nil, err
	}
	m, mp := v.get("bbox"), pointer(ptr, "bbox")
	if m.kind != jArray {
		return nil, p.fail(mp, `"bbox" must be a list of numbers, found %s`, m.describe())
	}
	nums := make([]float64, len(m.items))
	for i, item := range m.items {
		f, err := p.number(item, pointer(mp, i))
		if err != nil {
			return nil, err
		}
		nums[i] = f
	}
	b, r := checkBBox(nums)
	if r != "" {
		return nil, p.fail(mp, "%s", r)
	}
	return b, nil
}

// geometry interprets a GeoJSON geometry object; a "bbox" member in it is
// allowed by GeoJSON and ignored.
func (p *jsonParser) geometry(v *jsonValue, ptr string) (Expr, error) {
	t, tp := v.get("type"), pointer(ptr, "type")
	if t.kind != jString {
		return nil, p.fail(tp, `"type" must be a string, found %s`, t.describe())
	}
	switch t.str {
	case GeometryPoint, GeometryLineString, GeometryPolygon, GeometryMultiPoint, GeometryMultiLineString, GeometryMultiPolygon:
	case "GeometryCollection":
		return nil, p.fail(tp, "geometry collections are not supported")
	default:
		return nil, p.fail(tp, "unknown geometry type %q", excerpt(t.str))
	}
	if err := p.onlyKeys(v, ptr, "type", "coordinates", "bbox"); err != nil {
		return nil, err
	}
	c, cp := v.get("coordinates"), pointer(ptr, "coordinates")
	if c == nil {
		return nil, p.fail(ptr, `missing "coordinates"`)
	}
	var coords any
	var err error
	switch t.str {
	case GeometryPoint:
		coords, err = p.position(c, cp)
	case GeometryLineString:
		coords, err = p.line(c, cp, false)
	case GeometryMultiPoint:
		var ps []Position
		if ps, err = p.positions(c, cp); err == nil && len(ps) == 0 {
			err = p.fail(cp, "empty geometries are not supported")
		}
		coords = ps
	case GeometryPolygon:
		coords, err = p.lines(c, cp, true)
	case GeometryMultiLineString:
		coords, err = p.lines(c, cp, false)
	case GeometryMultiPolygon:
		var polys [][][]Position
		err = p.each(c, cp, func(item *jsonValue, ip string) error {
			rings, err := p.lines(item, ip, true)
			polys = append(polys, rings)
			return err
		})
		coords = polys
	}
	if err != nil {
		return nil, err
	}
	return Geometry{Type: t.str, Coordinates: coords}, nil
}

// each calls f for the elements of a non-empty list.
func (p *jsonParser) each(v *jsonValue, ptr string, f func(*jsonValue, string) error) error {
	if v.kind != jArray {
		return p.fail(ptr, "expected a list, found %s", v.describe())
	}
	if len(v.items) == 0 {
		return p.fail(ptr, "empty geometries are not supported")
	}
	for i, item := range v.items {
		if err := f(item, pointer(ptr, i)); err != nil {
			return err
		}
	}
	return nil
}

func (p *jsonParser) position(v *jsonValue, ptr string) (Position, error) {
	if v.kind != jArray {
		return Position{}, p.fail(ptr, "expected a position, found %s", v.describe())
	}
	switch n := len(v.items); {
	case n == 3:
		return Position{}, p.fail(ptr, "only 2D coordinates are supported")
	case n != 2:
		return Position{}, p.fail(ptr, "a position needs 2 numbers, has %d", n)
	}
	var pos Position
	for i, item := range v.items {
		f, err := p.number(item, pointer(ptr, i))
		if err != nil {
			return Position{}, err
		}
		pos[i] = f
	}
	if r := p.b.position(); r != "" {
		return Position{}, p.fail(ptr, "%s", r)
	}
	return pos, nil
}

func (p *jsonParser) positions(v *jsonValue, ptr string) ([]Position, error) {
	if v.kind != jArray {
		return nil, p.fail(ptr, "expected a list of positions, found %s", v.describe())
	}
	ps := make([]Position, 0, len(v.items))
	for i, item := range v.items {
		pos, err := p.position(item, pointer(ptr, i))
		if err != nil {
			return nil, err
		}
		ps = append(ps, pos)
	}
	return ps, nil
}

func (p *jsonParser) line(v *jsonValue, ptr string, ring bool) ([]Position, error) {
	ps, err := p.positions(v, ptr)
	if err != nil {
		return nil, err
	}
	if r := checkPositions(ps, ring); r != "" {
		return nil, p.fail(ptr, "%s", r)
	}
	return ps, nil
}

func (p *jsonParser) lines(v *jsonValue, ptr string, rings bool) ([][]Position, error) {
	var ls [][]Position
	err := p.each(v, ptr, func(item *jsonValue, ip string) error {
		l, err := p.line(item, ip, rings)
		ls = append(ls, l)
		return err
	})
	return ls, err
}
