package cql2

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// The checks here are shared by both parsers so that a filter means the
// same, and fails the same, in either encoding. Each returns a reason, or
// "" when all is well; the parser adds where.

// checkText rejects control characters in strings and property names: CQL2
// Text cannot carry them (its grammar allows only tab, line feed and
// carriage return) and PostgreSQL text cannot hold NUL.
func checkText(what, s string) string {
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return fmt.Sprintf("%s contains the control character U+%04X", what, r)
		}
	}
	return ""
}

func checkName(name string) string {
	if name == "" {
		return "empty property name"
	}
	return checkText("property name", name)
}

// checkPattern rejects a LIKE pattern ending in an unpaired escape
// character, which PostgreSQL refuses at run time rather than matching.
func checkPattern(p string) string {
	n := len(p) - len(strings.TrimRight(p, `\`))
	if n%2 == 1 {
		return `LIKE pattern ends with the escape character \`
	}
	return checkText("LIKE pattern", p)
}

func checkFinite(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return "number out of range"
	}
	return ""
}

func parseDate(s string) (time.Time, string) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		return time.Time{}, fmt.Sprintf("invalid date %q (want an existing day as YYYY-MM-DD)", excerpt(s))
	}
	return t, ""
}

// parseTimestamp follows the CQL2 grammar: a UTC instant ending in Z, with
// optional fractions of a second. Offsets are refused because the grammar
// has none, and accepting them would let two spellings of one filter differ.
func parseTimestamp(s string) (time.Time, string) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || len(s) < 20 || s[10] != 'T' || s[len(s)-1] != 'Z' {
		return time.Time{}, fmt.Sprintf("invalid timestamp %q (want YYYY-MM-DDThh:mm:ss[.fff]Z in UTC)", excerpt(s))
	}
	return t.UTC(), ""
}

func checkLine(n int) string {
	if n < 2 {
		return fmt.Sprintf("line needs at least 2 positions, has %d", n)
	}
	return ""
}

// checkRing applies the rules of simple features polygons that PostGIS
// enforces when it reads the text: at least four positions, the last
// repeating the first.
func checkRing(ring []Position) string {
	if len(ring) < 4 {
		return fmt.Sprintf("polygon ring needs at least 4 positions, has %d", len(ring))
	}
	if ring[0] != ring[len(ring)-1] {
		return "polygon ring is not closed (its last position differs from its first)"
	}
	return ""
}

// checkBBox takes 4 numbers, or 6 to say that 3D boxes are refused rather
// than flattened: a box with heights would select by them, and ignoring
// them silently would answer another question.
func checkBBox(v []float64) (BBox, string) {
	switch len(v) {
	case 4:
	case 6:
		return BBox{}, "3D bounding boxes (6 numbers) are not supported; give minx, miny, maxx, maxy"
	default:
		return BBox{}, fmt.Sprintf("bounding box needs 4 numbers (minx, miny, maxx, maxy), has %d", len(v))
	}
	b := BBox{MinX: v[0], MinY: v[1], MaxX: v[2], MaxY: v[3]}
	if b.MinY > b.MaxY {
		return BBox{}, "bounding box has miny greater than maxy"
	}
	if b.MinX > b.MaxX {
		return BBox{}, "bounding boxes crossing the antimeridian (minx greater than maxx) are not supported"
	}
	return b, ""
}

// checkGeometry checks a geometry the compiler receives, which need not
// come from a parser, so that WKT cannot panic and PostGIS gets no
// geometry it would refuse.
func checkGeometry(g Geometry) string {
	bad := fmt.Sprintf("invalid %s geometry", g.Type)
	finite := func(ps []Position) bool {
		for _, p := range ps {
			if checkFinite(p[0]) != "" || checkFinite(p[1]) != "" {
				return false
			}
		}
		return true
	}
	lines := func(ls [][]Position, ring bool) string {
		if len(ls) == 0 {
			return bad
		}
		for _, l := range ls {
			if !finite(l) {
				return bad
			}
			if ring {
				if r := checkRing(l); r != "" {
					return r
				}
			} else if r := checkLine(len(l)); r != "" {
				return r
			}
		}
		return ""
	}
	switch g.Type {
	case GeometryPoint:
		p, ok := g.Coordinates.(Position)
		if !ok || !finite([]Position{p}) {
			return bad
		}
	case GeometryLineString:
		ps, ok := g.Coordinates.([]Position)
		if !ok {
			return bad
		}
		return lines([][]Position{ps}, false)
	case GeometryMultiPoint:
		ps, ok := g.Coordinates.([]Position)
		if !ok || len(ps) == 0 || !finite(ps) {
			return bad
		}
	case GeometryPolygon, GeometryMultiLineString:
		ls, ok := g.Coordinates.([][]Position)
		if !ok {
			return bad
		}
		return lines(ls, g.Type == GeometryPolygon)
	case GeometryMultiPolygon:
		polys, ok := g.Coordinates.([][][]Position)
		if !ok || len(polys) == 0 {
			return bad
		}
		for _, poly := range polys {
			if r := lines(poly, true); r != "" {
				return r
			}
		}
	default:
		return fmt.Sprintf("unknown geometry type %q", g.Type)
	}
	return ""
}

// excerpt shortens what a message quotes from the filter.
func excerpt(s string) string {
	const most = 24
	if r := []rune(s); len(r) > most {
		return string(r[:most-1]) + "…"
	}
	return s
}

// checkPositions checks a line string's positions, or a ring's when ring
// is set; "" when they are fine.
func checkPositions(ps []Position, ring bool) string {
	if ring {
		return checkRing(ps)
	}
	return checkLine(len(ps))
}
