package cql2

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Expr is a node of a parsed filter. The set of node types is closed: the
// compiler and Properties rely on knowing every one of them.
type Expr interface {
	isExpr()
}

// And is true when all of its arguments are; it has at least two.
type And struct {
	Args []Expr
}

// Or is true when one of its arguments is; it has at least two.
type Or struct {
	Args []Expr
}

// Not negates its argument. The text forms NOT LIKE, NOT BETWEEN, NOT IN
// and IS NOT NULL parse into a Not around the positive predicate, as CQL2
// JSON writes them, so both encodings give the same tree.
type Not struct {
	Arg Expr
}

// CompareOp is a binary comparison operator, spelled as in both encodings.
type CompareOp string

// The comparison operators.
const (
	Eq CompareOp = "="
	Ne CompareOp = "<>"
	Lt CompareOp = "<"
	Le CompareOp = "<="
	Gt CompareOp = ">"
	Ge CompareOp = ">="
)

// Compare compares two scalar operands (Property or Literal).
type Compare struct {
	Op          CompareOp
	Left, Right Expr
}

// Between is true when Low <= Arg <= High; all three are scalar operands.
type Between struct {
	Arg, Low, High Expr
}

// In is true when Arg equals one of List (at least one scalar operand).
type In struct {
	Arg  Expr
	List []Expr
}

// IsNull is true when its scalar operand is null.
type IsNull struct {
	Arg Expr
}

// Like matches a string operand against a pattern in which % stands for any
// run of characters, _ for one character and \ escapes the next character.
type Like struct {
	Arg     Expr
	Pattern string
}

// SpatialOp is a spatial predicate, spelled as in CQL2 JSON.
type SpatialOp string

// The spatial predicates supported.
const (
	Intersects SpatialOp = "s_intersects"
	Within     SpatialOp = "s_within"
)

// Spatial relates a geometry property to a literal geometry. Geom is a
// Geometry or a BBox. S_INTERSECTS is symmetric, so a filter naming the
// geometry first parses into the same node; S_WITHIN is not, and only the
// property-first form is accepted.
type Spatial struct {
	Op   SpatialOp
	Prop Property
	Geom Expr
}

// Property refers to a queryable by name.
type Property struct {
	Name string
}

// Literal is a scalar value: a float64, string, bool or time.Time.
type Literal struct {
	Value any
	// Date marks a time.Time as a calendar date (DATE) rather than an
	// instant (TIMESTAMP); the two are different types to the compiler.
	Date bool
}

// Position is a coordinate pair: longitude and latitude in CRS84.
type Position [2]float64

// Geometry is a literal geometry in CRS84. Type is the GeoJSON name;
// Coordinates is, by Type:
//
//	Point                        Position
//	LineString, MultiPoint       []Position
//	Polygon, MultiLineString     [][]Position
//	MultiPolygon                 [][][]Position
type Geometry struct {
	Type        string
	Coordinates any
}

// BBox is a literal bounding box in CRS84 (CQL2 BBOX, GeoJSON "bbox").
type BBox struct {
	MinX, MinY, MaxX, MaxY float64
}

func (And) isExpr()      {}
func (Or) isExpr()       {}
func (Not) isExpr()      {}
func (Compare) isExpr()  {}
func (Between) isExpr()  {}
func (In) isExpr()       {}
func (IsNull) isExpr()   {}
func (Like) isExpr()     {}
func (Spatial) isExpr()  {}
func (Property) isExpr() {}
func (Literal) isExpr()  {}
func (Geometry) isExpr() {}
func (BBox) isExpr()     {}

// Type is the type of a queryable or a literal, as the compiler checks it.
type Type int

// The types. TypeTimestamp is distinct from TypeDate because comparing a
// date with an instant depends on a time zone the filter does not name.
const (
	TypeNumber Type = iota + 1
	TypeString
	TypeBoolean
	TypeDate
	TypeTimestamp
	TypeGeometry
)

func (t Type) String() string {
	switch t {
	case TypeNumber:
		return "number"
	case TypeString:
		return "string"
	case TypeBoolean:
		return "boolean"
	case TypeDate:
		return "date"
	case TypeTimestamp:
		return "timestamp"
	case TypeGeometry:
		return "geometry"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// Type returns the type of the literal's value, or 0 for a value of a Go
// type a parser never produces.
func (l Literal) Type() Type {
	switch l.Value.(type) {
	case float64:
		return TypeNumber
	case string:
		return TypeString
	case bool:
		return TypeBoolean
	case time.Time:
		if l.Date {
			return TypeDate
		}
		return TypeTimestamp
	}
	return 0
}

// The geometry types, by their GeoJSON names.
const (
	GeometryPoint           = "Point"
	GeometryLineString      = "LineString"
	GeometryPolygon         = "Polygon"
	GeometryMultiPoint      = "MultiPoint"
	GeometryMultiLineString = "MultiLineString"
	GeometryMultiPolygon    = "MultiPolygon"
)

// WKT returns the geometry as Well-Known Text, the form PostGIS reads with
// ST_GeomFromText. It panics if Coordinates do not fit Type, which a parsed
// geometry always does.
func (g Geometry) WKT() string {
	var b strings.Builder
	switch g.Type {
	case GeometryPoint:
		b.WriteString("POINT(")
		writePosition(&b, g.Coordinates.(Position))
		b.WriteByte(')')
	case GeometryLineString:
		b.WriteString("LINESTRING")
		writePositions(&b, g.Coordinates.([]Position))
	case GeometryPolygon:
		b.WriteString("POLYGON")
		writeRings(&b, g.Coordinates.([][]Position))
	case GeometryMultiPoint:
		b.WriteString("MULTIPOINT(")
		for i, p := range g.Coordinates.([]Position) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			writePosition(&b, p)
			b.WriteByte(')')
		}
		b.WriteByte(')')
	case GeometryMultiLineString:
		b.WriteString("MULTILINESTRING")
		writeRings(&b, g.Coordinates.([][]Position))
	case GeometryMultiPolygon:
		b.WriteString("MULTIPOLYGON(")
		for i, poly := range g.Coordinates.([][][]Position) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeRings(&b, poly)
		}
		b.WriteByte(')')
	default:
		panic(fmt.Sprintf("cql2: unknown geometry type %q", g.Type))
	}
	return b.String()
}

func writePosition(b *strings.Builder, p Position) {
	b.WriteString(formatNumber(p[0]))
	b.WriteByte(' ')
	b.WriteString(formatNumber(p[1]))
}

func writePositions(b *strings.Builder, ps []Position) {
	b.WriteByte('(')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		writePosition(b, p)
	}
	b.WriteByte(')')
}

func writeRings(b *strings.Builder, rings [][]Position) {
	b.WriteByte('(')
	for i, r := range rings {
		if i > 0 {
			b.WriteByte(',')
		}
		writePositions(b, r)
	}
	b.WriteByte(')')
}

// formatNumber writes a number so that both the CQL2 Text lexer and the
// PostGIS WKT reader take it back unchanged: plain decimals in the usual
// range, which read better in logs, and exponent form beyond it, which
// keeps extreme values short.
func formatNumber(v float64) string {
	if a := math.Abs(v); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'e', -1, 64)
}

// Properties returns the names of the properties e refers to, each once,
// in the order they first appear, so that a caller can check them against
// its queryables before compiling.
func Properties(e Expr) []string {
	var names []string
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case And:
			for _, a := range e.Args {
				walk(a)
			}
		case Or:
			for _, a := range e.Args {
				walk(a)
			}
		case Not:
			walk(e.Arg)
		case Compare:
			walk(e.Left)
			walk(e.Right)
		case Between:
			walk(e.Arg)
			walk(e.Low)
			walk(e.High)
		case In:
			walk(e.Arg)
			for _, a := range e.List {
				walk(a)
			}
		case IsNull:
			walk(e.Arg)
		case Like:
			walk(e.Arg)
		case Spatial:
			add(e.Prop.Name)
		case Property:
			add(e.Name)
		}
	}
	walk(e)
	return names
}
