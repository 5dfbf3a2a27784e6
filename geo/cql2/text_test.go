package cql2

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Shorthands for the trees the tests expect.

func prop(name string) Property { return Property{Name: name} }

func num(v float64) Literal { return Literal{Value: v} }

func str(s string) Literal { return Literal{Value: s} }

func boolean(b bool) Literal { return Literal{Value: b} }

func date(s string) Literal {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return Literal{Value: t, Date: true}
}

func timestamp(s string) Literal {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return Literal{Value: t.UTC()}
}

func cmp(l Expr, op CompareOp, r Expr) Compare { return Compare{Op: op, Left: l, Right: r} }

func eq(name string, v float64) Compare { return cmp(prop(name), Eq, num(v)) }

func and(args ...Expr) And { return And{Args: args} }

func or(args ...Expr) Or { return Or{Args: args} }

func not(x Expr) Not { return Not{Arg: x} }

func point(x, y float64) Geometry { return Geometry{Type: GeometryPoint, Coordinates: Position{x, y}} }

var square = [][]Position{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}

func TestParseText(t *testing.T) {
	tests := []struct {
		in   string
		want Expr
	}{
		{"a = 1", eq("a", 1)},
		{"a<>1", cmp(prop("a"), Ne, num(1))},
		{"a<1", cmp(prop("a"), Lt, num(1))},
		{"a<=1", cmp(prop("a"), Le, num(1))},
		{"a>1", cmp(prop("a"), Gt, num(1))},
		{"a>=1", cmp(prop("a"), Ge, num(1))},
		{"a<-1", cmp(prop("a"), Lt, num(-1))},
		{"a = -1.5e3", eq("a", -1500)},
		{"a = .5", eq("a", 0.5)},
		{"a = 5.", eq("a", 5)},
		{"a = +2", eq("a", 2)},
		{"a = 1E-2", eq("a", 0.01)},
		{"1 = a", cmp(num(1), Eq, prop("a"))},
		{"name = 'Köln'", cmp(prop("name"), Eq, str("Köln"))},
		{"name = 'O''Brien'", cmp(prop("name"), Eq, str("O'Brien"))},
		{"name = ''", cmp(prop("name"), Eq, str(""))},
		{`name = 'C:\'`, cmp(prop("name"), Eq, str(`C:\`))},
		{"Größe_2 = 1", eq("Größe_2", 1)},
		{"_x = 1", eq("_x", 1)},
		{"eo:cloud_cover < 10", cmp(prop("eo:cloud_cover"), Lt, num(10))},
		{"a.b = 1", eq("a.b", 1)},
		{`"Anteil 65+" >= 25.5`, cmp(prop("Anteil 65+"), Ge, num(25.5))},
		{`"say ""hi""" = 1`, eq(`say "hi"`, 1)},
		{`"and" = 1`, eq("and", 1)},
		{`"1a" = 1`, eq("1a", 1)},
		{"date = DATE('2022-12-31')", cmp(prop("date"), Eq, date("2022-12-31"))},
		{"t > timestamp('2022-12-31T23:59:59.5Z')", cmp(prop("t"), Gt, timestamp("2022-12-31T23:59:59.5Z"))},
		{"b = false", cmp(prop("b"), Eq, boolean(false))},
		{"TRUE", boolean(true)},
		{"NOT False", not(boolean(false))},
		{"TRUE = b", cmp(boolean(true), Eq, prop("b"))},
		{" \t\na\r\n=\n1 ", eq("a", 1)},

		// Precedence: NOT before AND before OR, chains are n-ary, and
		// parentheses keep their groups.
		{"a = 1 OR b = 2 AND NOT c = 3", or(eq("a", 1), and(eq("b", 2), not(eq("c", 3))))},
		{"a = 1 and not b = 2 or c = 3", or(and(eq("a", 1), not(eq("b", 2))), eq("c", 3))},
		{"(a = 1 OR b = 2) AND c = 3", and(or(eq("a", 1), eq("b", 2)), eq("c", 3))},
		{"a = 1 OR b = 2 OR c = 3", or(eq("a", 1), eq("b", 2), eq("c", 3))},
		{"(a = 1 OR b = 2) OR c = 3", or(or(eq("a", 1), eq("b", 2)), eq("c", 3))},
		{"a = 1 AND b = 2 AND c = 3", and(eq("a", 1), eq("b", 2), eq("c", 3))},
		{"NOT (a = 1 AND b = 2)", not(and(eq("a", 1), eq("b", 2)))},
		{"NOT NOT a = 1", not(not(eq("a", 1)))},
		{"((a = 1))", eq("a", 1)},

		{"a BETWEEN 1 AND 10", Between{prop("a"), num(1), num(10)}},
		{"a not between 1 and 10", not(Between{prop("a"), num(1), num(10)})},
		{"a BETWEEN 1 AND 10 AND b = 2", and(Between{prop("a"), num(1), num(10)}, eq("b", 2))},
		{"kreis IN ('05315', '05111')", In{prop("kreis"), []Expr{str("05315"), str("05111")}}},
		{"kreis NOT IN (1)", not(In{prop("kreis"), []Expr{num(1)}})},
		{"a IN (b, 2)", In{prop("a"), []Expr{prop("b"), num(2)}}},
		{"a IS NULL", IsNull{prop("a")}},
		{"a is not null", not(IsNull{prop("a")})},
		{"name LIKE 'Bad %'", Like{prop("name"), "Bad %"}},
		{`name NOT LIKE 'x\_%'`, not(Like{prop("name"), `x\_%`})},
		{`name LIKE 'a\\'`, Like{prop("name"), `a\\`}},

		{"S_INTERSECTS(geom, POINT(7 51))", Spatial{Intersects, prop("geom"), point(7, 51)}},
		{"s_intersects ( POINT ( 7 51 ) , geom )", Spatial{Intersects, prop("geom"), point(7, 51)}},
		{`S_INTERSECTS("Geo Form", POINT(-7.5 -51))`, Spatial{Intersects, prop("Geo Form"), point(-7.5, -51)}},
		{"S_INTERSECTS(point, BBOX(0, 0, 1, 1))", Spatial{Intersects, prop("point"), BBox{0, 0, 1, 1}}},
		{"s_within(geom, bbox(6, 50.5, 8, 52))", Spatial{Within, prop("geom"), BBox{6, 50.5, 8, 52}}},
		{"S_WITHIN(geom, POLYGON((0 0, 1 0, 1 1, 0 1, 0 0)))", Spatial{Within, prop("geom"), Geometry{GeometryPolygon, square}}},
		{"S_INTERSECTS(geom, LINESTRING(0 0, 1 1))", Spatial{Intersects, prop("geom"), Geometry{GeometryLineString, []Position{{0, 0}, {1, 1}}}}},
		{"S_INTERSECTS(geom, MULTIPOINT((0 0), (1 1)))", Spatial{Intersects, prop("geom"), Geometry{GeometryMultiPoint, []Position{{0, 0}, {1, 1}}}}},
		{"S_INTERSECTS(geom, MultiPoint(0 0, 1 1))", Spatial{Intersects, prop("geom"), Geometry{GeometryMultiPoint, []Position{{0, 0}, {1, 1}}}}},
		{"S_INTERSECTS(geom, MULTILINESTRING((0 0, 1 1), (2 2, 3 3)))", Spatial{Intersects, prop("geom"),
			Geometry{GeometryMultiLineString, [][]Position{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}}}},
		{"S_INTERSECTS(geom, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 1, 0 0)), ((0 0, 9 0, 9 9, 0 0), (1 1, 2 1, 2 2, 1 1))))", Spatial{Intersects, prop("geom"),
			Geometry{GeometryMultiPolygon, [][][]Position{square, {{{0, 0}, {9, 0}, {9, 9}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 1}}}}}}},
		{"S_INTERSECTS(geom, POINT(7 51)) AND NOT S_WITHIN(geom, BBOX(0, 0, 1, 1))", and(
			Spatial{Intersects, prop("geom"), point(7, 51)}, not(Spatial{Within, prop("geom"), BBox{0, 0, 1, 1}}))},
	}
	for _, tt := range tests {
		got, err := ParseText(tt.in)
		if err != nil {
			t.Errorf("ParseText(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseText(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
		}
		// The canonical text reads back into the same tree.
		text := formatText(got)
		again, err := ParseText(text)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("formatText(ParseText(%q)) = %q, which parses to %#v, %v", tt.in, text, again, err)
		}
	}
}

func TestParseTextErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "filter: column 1: empty filter"},
		{"  ", "filter: column 3: empty filter"},
		{"a = ", `filter: column 5: expected a value after "=", found end of filter`},
		{"a = 1 AND name =", `filter: column 17: expected a value after "=", found end of filter`},
		{"a = 1 AND", `filter: column 10: expected a condition after "AND", found end of filter`},
		{"NOT", `filter: column 4: expected a condition after "NOT", found end of filter`},
		{"and = 1", `filter: column 1: expected a condition, found "and"`},
		{"a = 1 AND ()", `filter: column 12: expected a condition after "(", found ")"`},
		{"(a = 1", `filter: column 7: expected ")" to close the "(" at column 1, found end of filter`},
		{"((a = 1) OR b = 2", `filter: column 18: expected ")" to close the "(" at column 1, found end of filter`},
		{"a = 1)", `filter: column 6: unbalanced parentheses: ")" without "("`},
		{"a = 1 b = 2", `filter: column 7: expected AND, OR or end of filter after "1", found "b"`},
		{"a", `filter: column 2: expected a comparison operator, LIKE, BETWEEN, IN or IS NULL after "a", found end of filter`},
		{"a == 1", `filter: column 4: expected a value after "=", found "="`},
		{"a != 1", `filter: column 3: unknown operator "!="; write <> for not equal`},
		{"a = 1 # x", `filter: column 7: unexpected character '#'`},
		{"a = 12abc", `filter: column 5: invalid number "12abc"`},
		{"a = 1.2.3", `filter: column 5: invalid number "1.2.3"`},
		{"a = 1e", `filter: column 5: invalid number "1e"`},
		{"a = 1e999", "filter: column 5: number out of range"},
		{"a = - 1", `filter: column 5: unexpected character '-'`},
		{"name = 'abc", "filter: column 8: unterminated string"},
		{`"abc = 1`, "filter: column 1: unterminated quoted name"},
		{`"" = 1`, "filter: column 1: empty property name"},
		{"a = 'x\x01'", "filter: column 5: string contains the control character U+0001"},
		{"a = '\xff'", "filter: column 6: filter is not valid UTF-8"},
		// Columns count characters: ö and ß are two bytes each.
		{"Größe = 'äöü", "filter: column 9: unterminated string"},
		{`"Größe" = `, `filter: column 11: expected a value after "=", found end of filter`},
		{"a = 'a very long string literal' b", `filter: column 34: expected AND, OR or end of filter after 'a very long string lit…, found "b"`},

		{"foo(a) = 1", `filter: column 1: unknown function "foo"`},
		{"a = 1 AND CASEI(name) = 'x'", "filter: column 11: function CASEI is not supported"},
		{"S_CONTAINS(geom, POINT(1 2))", "filter: column 1: function S_CONTAINS is not supported"},
		{"T_BEFORE(t, DATE('2022-01-01'))", "filter: column 1: function T_BEFORE is not supported"},
		{"a = DATE('2022-02-30')", `filter: column 10: invalid date "2022-02-30" (want an existing day as YYYY-MM-DD)`},
		{"a = DATE('22-02-03')", `filter: column 10: invalid date "22-02-03" (want an existing day as YYYY-MM-DD)`},
		{"a = TIMESTAMP('2022-12-31 00:00:00')", `filter: column 15: invalid timestamp "2022-12-31 00:00:00" (want YYYY-MM-DDThh:mm:ss[.fff]Z in UTC)`},
		{"a = TIMESTAMP('2022-12-31T00:00:00+01:00')", `filter: column 15: invalid timestamp "2022-12-31T00:00:00+01:…" (want YYYY-MM-DDThh:mm:ss[.fff]Z in UTC)`},
		{"a = DATE(2022)", `filter: column 10: DATE needs a string in quotes, as in DATE('2022-12-31'), found "2022"`},
		{"a = DATE('2022-01-01'", `filter: column 22: expected ")" after '2022-01-01', found end of filter`},
		{"a = POINT(1 2)", "filter: column 5: a geometry is only allowed as an argument of S_INTERSECTS or S_WITHIN"},
		{"a = S_WITHIN(g, POINT(1 2))", "filter: column 5: S_WITHIN is a condition, not a value"},

		{"a BETWEEN", `filter: column 10: expected a lower bound after "BETWEEN", found end of filter`},
		{"a BETWEEN 1 OR 2", `filter: column 13: expected AND after "1", found "OR"`},
		{"a BETWEEN 1 AND", `filter: column 16: expected an upper bound after "AND", found end of filter`},
		{"a IN 1, 2", `filter: column 6: expected "(" to start the list after "IN", found "1"`},
		{"a IN ()", `filter: column 7: expected a value after "(", found ")"`},
		{"a IN (1, 2", `filter: column 11: expected "," or ")" after "2", found end of filter`},
		{"a IS NUL", `filter: column 6: expected NULL after "IS", found "NUL"`},
		{"a IS NOT", `filter: column 9: expected NULL after "NOT", found end of filter`},
		{"a NOT = 1", `filter: column 7: expected LIKE, BETWEEN or IN after "NOT", found "="`},
		{"a LIKE b", `filter: column 8: expected a pattern in quotes after "LIKE", found "b"`},
		{"a LIKE CASEI('x')", "filter: column 8: function CASEI is not supported"},
		{`a LIKE 'x\'`, `filter: column 8: LIKE pattern ends with the escape character \`},

		{"S_INTERSECTS(geom)", `filter: column 18: expected "," after "geom", found ")"`},
		{"S_INTERSECTS(geom, POINT(1 2), x)", "filter: column 30: S_INTERSECTS takes 2 arguments"},
		{"S_INTERSECTS(geom, POINT(1 2)", `filter: column 30: expected ")" after ")", found end of filter`},
		{"S_INTERSECTS(geom, 5)", `filter: column 20: expected a property or a geometry after ",", found "5"`},
		{"S_INTERSECTS(geom, POLYGON((0 0, 1 0, 1 1)))", "filter: column 28: polygon ring needs at least 4 positions, has 3"},
		{"S_INTERSECTS(geom, POLYGON((0 0, 1 0, 1 1, 0 1)))", "filter: column 28: polygon ring is not closed (its last position differs from its first)"},
		{"S_INTERSECTS(geom, LINESTRING(0 0))", "filter: column 30: line needs at least 2 positions, has 1"},
		{"S_INTERSECTS(geom, POINT(1 2 3))", "filter: column 30: only 2D coordinates are supported"},
		{"S_INTERSECTS(geom, POINT Z (1 2 3))", "filter: column 26: only 2D geometries are supported"},
		{"S_INTERSECTS(geom, POINT EMPTY)", "filter: column 26: empty geometries are not supported"},
		{"S_INTERSECTS(geom, POINT(1, 2))", `filter: column 27: expected a coordinate after "1", found ","`},
		{"S_INTERSECTS(geom, POINT(1 x))", `filter: column 28: expected a coordinate after "1", found "x"`},
		{"S_INTERSECTS(geom, BBOX(0, 0, 0, 1, 1, 1))", "filter: column 24: 3D bounding boxes (6 numbers) are not supported; give minx, miny, maxx, maxy"},
		{"S_INTERSECTS(geom, BBOX(0, 0, 1))", "filter: column 24: bounding box needs 4 numbers (minx, miny, maxx, maxy), has 3"},
		{"S_INTERSECTS(geom, BBOX(0, 1, 1, 0))", "filter: column 24: bounding box has miny greater than maxy"},
		{"S_INTERSECTS(geom, BBOX(170, 0, -170, 1))", "filter: column 24: bounding boxes crossing the antimeridian (minx greater than maxx) are not supported"},
		{"S_INTERSECTS(geom, GEOMETRYCOLLECTION(POINT(1 2)))", "filter: column 20: function GEOMETRYCOLLECTION is not supported"},
		{"S_WITHIN(POINT(1 2), geom)", "filter: column 1: S_WITHIN needs the property first: S_WITHIN(property, geometry)"},
		{"S_INTERSECTS(a, b)", "filter: column 1: S_INTERSECTS needs a literal geometry; comparing two properties is not supported"},
		{"S_INTERSECTS(POINT(0 0), POINT(1 2))", "filter: column 1: S_INTERSECTS needs a property"},
	}
	for _, tt := range tests {
		e, err := ParseText(tt.in)
		if err == nil {
			t.Errorf("ParseText(%q) = %#v, want error %q", tt.in, e, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseText(%q)\n got error %q\nwant error %q", tt.in, err, tt.want)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseText(%q): error %T, want *SyntaxError", tt.in, err)
		}
	}
}

func TestParseTextLimits(t *testing.T) {
	tests := []struct {
		name string
		lim  Limits
		in   string
		want string
	}{
		{"nodes", Limits{MaxNodes: 5}, "a = 1 AND b = 2",
			"filter: column 13: filter has more than 5 nodes (Limits.MaxNodes)"},
		{"nodes in a list", Limits{}, "a IN (" + strings.Repeat("1, ", 300) + "1)",
			"filter: column 604: filter has more than 200 nodes (Limits.MaxNodes)"},
		{"parentheses", Limits{}, strings.Repeat("(", 25) + "a = 1" + strings.Repeat(")", 25),
			"filter: column 21: filter nests deeper than 20 levels (Limits.MaxDepth)"},
		// Far beyond what the stack would bear if each level recursed.
		{"a million parentheses", Limits{}, strings.Repeat("(", 1_000_000) + "a = 1",
			"filter: column 21: filter nests deeper than 20 levels (Limits.MaxDepth)"},
		{"a million NOTs", Limits{}, strings.Repeat("NOT ", 1_000_000) + "a = 1",
			"filter: column 81: filter nests deeper than 20 levels (Limits.MaxDepth)"},
		{"tree depth", Limits{MaxDepth: 3}, "a = 1 AND (b = 1 OR (c = 1 AND d = 1))",
			"filter: column 7: filter nests deeper than 3 levels (Limits.MaxDepth)"},
		{"positions", Limits{MaxPositions: 3}, "S_INTERSECTS(g, LINESTRING(0 0, 1 1, 2 2, 3 3))",
			"filter: column 43: geometries have more than 3 positions (Limits.MaxPositions)"},
	}
	for _, tt := range tests {
		_, err := tt.lim.ParseText(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: got error %v, want %q", tt.name, err, tt.want)
		}
	}
	// Just within the limits.
	ok := []struct {
		lim Limits
		in  string
	}{
		{Limits{MaxNodes: 7}, "a = 1 AND b = 2"},
		{Limits{MaxDepth: 4}, "a = 1 AND (b = 1 OR (c = 1 AND d = 1))"},
		{Limits{}, strings.Repeat("NOT ", 19) + "a = 1"},
		{Limits{MaxPositions: 4}, "S_INTERSECTS(g, LINESTRING(0 0, 1 1, 2 2, 3 3))"},
	}
	for _, tt := range ok {
		if _, err := tt.lim.ParseText(tt.in); err != nil {
			t.Errorf("%+v.ParseText(%q): %v", tt.lim, tt.in, err)
		}
	}
}
