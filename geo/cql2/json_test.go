package cql2

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestParseJSONMatchesText checks that the two encodings of a filter give
// the same tree.
func TestParseJSONMatchesText(t *testing.T) {
	tests := []struct {
		text, json string
	}{
		{"a = 1", `{"op": "=", "args": [{"property": "a"}, 1]}`},
		{"a <> 'x'", `{"op": "<>", "args": [{"property": "a"}, "x"]}`},
		{`"Anteil 65+" >= -2.5e1`, `{"op": ">=", "args": [{"property": "Anteil 65+"}, -25]}`},
		{"Größe < 3 AND name = 'Köln'", `{"op": "and", "args": [
			{"op": "<", "args": [{"property": "Größe"}, 3]},
			{"op": "=", "args": [{"property": "name"}, "Köln"]}]}`},
		{"a = 1 OR b = 2 AND NOT c = 3", `{"op": "or", "args": [
			{"op": "=", "args": [{"property": "a"}, 1]},
			{"op": "and", "args": [
				{"op": "=", "args": [{"property": "b"}, 2]},
				{"op": "not", "args": [{"op": "=", "args": [{"property": "c"}, 3]}]}]}]}`},
		{"(a = 1 OR b = 2) OR c = 3", `{"op": "or", "args": [
			{"op": "or", "args": [{"op": "=", "args": [{"property": "a"}, 1]}, {"op": "=", "args": [{"property": "b"}, 2]}]},
			{"op": "=", "args": [{"property": "c"}, 3]}]}`},
		{"a BETWEEN 1 AND 10", `{"op": "between", "args": [{"property": "a"}, 1, 10]}`},
		{"a NOT BETWEEN 1 AND 10", `{"op": "not", "args": [{"op": "between", "args": [{"property": "a"}, 1, 10]}]}`},
		{"kreis IN ('05315', '05111')", `{"op": "in", "args": [{"property": "kreis"}, ["05315", "05111"]]}`},
		{"kreis NOT IN (1, b)", `{"op": "not", "args": [{"op": "in", "args": [{"property": "kreis"}, [1, {"property": "b"}]]}]}`},
		{"a IS NULL", `{"op": "isNull", "args": [{"property": "a"}]}`},
		{"a IS NOT NULL", `{"op": "not", "args": [{"op": "isNull", "args": [{"property": "a"}]}]}`},
		{`name LIKE 'Bad\_%'`, `{"op": "like", "args": [{"property": "name"}, "Bad\\_%"]}`},
		{"name NOT LIKE '%dorf'", `{"op": "not", "args": [{"op": "like", "args": [{"property": "name"}, "%dorf"]}]}`},
		{"stand = DATE('2022-12-31')", `{"op": "=", "args": [{"property": "stand"}, {"date": "2022-12-31"}]}`},
		{"t < TIMESTAMP('2022-12-31T12:00:00.25Z')", `{"op": "<", "args": [{"property": "t"}, {"timestamp": "2022-12-31T12:00:00.25Z"}]}`},
		{"aktiv = TRUE", `{"op": "=", "args": [{"property": "aktiv"}, true]}`},
		{"FALSE", `false`},
		{"S_INTERSECTS(geom, POINT(7 51))", `{"op": "s_intersects", "args": [{"property": "geom"}, {"type": "Point", "coordinates": [7, 51]}]}`},
		{"S_INTERSECTS(POINT(7 51), geom)", `{"op": "s_intersects", "args": [{"type": "Point", "coordinates": [7, 51]}, {"property": "geom"}]}`},
		{"S_INTERSECTS(geom, BBOX(6, 50, 8, 52))", `{"op": "s_intersects", "args": [{"property": "geom"}, {"bbox": [6, 50, 8, 52]}]}`},
		{"S_WITHIN(geom, POLYGON((0 0, 1 0, 1 1, 0 1, 0 0)))", `{"op": "s_within", "args": [{"property": "geom"},
			{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]], "bbox": [0, 0, 1, 1]}]}`},
		{"S_INTERSECTS(geom, LINESTRING(0 0, 1 1))", `{"op": "s_intersects", "args": [{"property": "geom"}, {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}]}`},
		{"S_INTERSECTS(geom, MULTIPOINT(0 0, 1 1))", `{"op": "s_intersects", "args": [{"property": "geom"}, {"type": "MultiPoint", "coordinates": [[0, 0], [1, 1]]}]}`},
		{"S_INTERSECTS(geom, MULTILINESTRING((0 0, 1 1), (2 2, 3 3)))", `{"op": "s_intersects", "args": [{"property": "geom"},
			{"type": "MultiLineString", "coordinates": [[[0, 0], [1, 1]], [[2, 2], [3, 3]]]}]}`},
		{"S_INTERSECTS(geom, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 1, 0 0))))", `{"op": "s_intersects", "args": [{"property": "geom"},
			{"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]]}]}`},
	}
	for _, tt := range tests {
		want, err := ParseText(tt.text)
		if err != nil {
			t.Errorf("ParseText(%q): %v", tt.text, err)
			continue
		}
		got, err := ParseJSON([]byte(tt.json))
		if err != nil {
			t.Errorf("ParseJSON(%s): %v", tt.json, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseJSON(%s)\n got %#v\nwant %#v (from %q)", tt.json, got, want, tt.text)
		}
	}
}

func TestParseJSONErrors(t *testing.T) {
	const a = `{"property": "a"}`
	tests := []struct {
		in, want string
	}{
		{``, "filter: at root: empty filter"},
		{`  `, "filter: at root: empty filter"},
		{`{"op": "=", "args": [` + a + `, 1]} x`, "filter: at root: invalid JSON: more data after the filter"},
		{`{"op": "=", "args": [` + a + `, 1]} {}`, "filter: at root: invalid JSON: more data after the filter"},
		{`{"op": "=", "args": [` + a + `, ]}`, "filter: at /args/1: invalid JSON at byte 40: invalid character ']' looking for beginning of value"},
		{`{"op": "=", "args": [` + a, "filter: at /args: invalid JSON: unexpected end"},
		{`{"op": "=", "op": "<", "args": []}`, `filter: at root: duplicate key "op"`},
		{`{"op": "gt", "args": [` + a + `, 1]}`, `filter: at root: unknown operator "gt"`},
		{`{"op": "and", "args": [{"op": "=", "args": [` + a + `, 1]}, {"op": "or", "args": [{"op": "gt", "args": [` + a + `, 1]}, true]}]}`,
			`filter: at /args/1/args/0: unknown operator "gt"`},
		{`{"op": "AND", "args": [true, true]}`, `filter: at root: unknown operator "AND"`},
		{`{"op": "s_contains", "args": [` + a + `, {"bbox": [0, 0, 1, 1]}]}`, `filter: at root: operator "s_contains" is not supported`},
		{`{"op": "t_before", "args": [` + a + `, {"date": "2022-01-01"}]}`, `filter: at root: operator "t_before" is not supported`},
		{`{"op": 5, "args": []}`, `filter: at /op: "op" must be a string`},
		{`{"op": "="}`, `filter: at root: missing "args"`},
		{`{"op": "=", "args": {}}`, `filter: at /args: "args" must be a list`},
		{`{"op": "=", "args": [], "x/y~": 1}`, `filter: at /x~1y~0: unexpected member "x/y~"`},
		{`{"op": "=", "args": [` + a + `]}`, `filter: at /args: "=" needs 2 arguments, has 1`},
		{`{"op": "between", "args": [` + a + `, 1]}`, `filter: at /args: "between" needs 3 arguments, has 2`},
		{`{"op": "not", "args": [true, true]}`, `filter: at /args: "not" needs 1 argument, has 2`},
		{`{"op": "and", "args": [true]}`, `filter: at /args: "and" needs at least 2 arguments, has 1`},
		{`{"property": "a"}`, `filter: at root: expected a condition, found an object with "property"`},
		{`"a = 1"`, `filter: at root: expected a condition, found a string`},
		{`{"op": "and", "args": [true, 1]}`, `filter: at /args/1: expected a condition, found a number`},
		{`{"op": "=", "args": [` + a + `, null]}`, `filter: at /args/1: null is not a value; test for null with {"op": "isNull"}`},
		{`{"op": "=", "args": [` + a + `, [1]]}`, `filter: at /args/1: a list is only allowed as the second argument of "in"`},
		{`{"op": "=", "args": [` + a + `, 1e999]}`, `filter: at /args/1: number out of range`},
		{`{"op": "=", "args": [` + a + `, "x\u0000"]}`, `filter: at /args/1: string contains the control character U+0000`},
		{`{"op": "=", "args": [{"property": ""}, 1]}`, `filter: at /args/0/property: empty property name`},
		{`{"op": "=", "args": [{"property": 1}, 1]}`, `filter: at /args/0/property: "property" must be a string, found a number`},
		{`{"op": "=", "args": [{"property": "a", "x": 1}, 1]}`, `filter: at /args/0/x: unexpected member "x"`},
		{`{"op": "=", "args": [` + a + `, {"date": "2022-13-01"}]}`, `filter: at /args/1/date: invalid date "2022-13-01" (want an existing day as YYYY-MM-DD)`},
		{`{"op": "=", "args": [` + a + `, {"timestamp": "2022-12-01"}]}`, `filter: at /args/1/timestamp: invalid timestamp "2022-12-01" (want YYYY-MM-DDThh:mm:ss[.fff]Z in UTC)`},
		{`{"op": "=", "args": [` + a + `, {"interval": ["..", ".."]}]}`, `filter: at /args/1: intervals are not supported`},
		{`{"op": "=", "args": [` + a + `, {"op": "+", "args": [1, 2]}]}`, `filter: at /args/1: operator "+" is not supported`},
		{`{"op": "=", "args": [` + a + `, {"op": "=", "args": [1, 1]}]}`, `filter: at /args/1: expected a value, found the condition "="`},
		{`{"op": "=", "args": [` + a + `, {"op": "foo", "args": []}]}`, `filter: at /args/1: unknown operator "foo"`},
		{`{"op": "=", "args": [` + a + `, {"x": 1}]}`, `filter: at /args/1: expected a value, found an object with "x" (want "property", "date" or "timestamp")`},
		{`{"op": "=", "args": [` + a + `, {"bbox": [0, 0, 1, 1]}]}`, `filter: at /args/1: a geometry is only allowed as an argument of s_intersects or s_within`},
		{`{"op": "like", "args": [` + a + `, 5]}`, `filter: at /args/1: the pattern of "like" must be a string, found a number`},
		{`{"op": "like", "args": [` + a + `, {"op": "casei", "args": ["x"]}]}`, `filter: at /args/1: operator "casei" is not supported`},
		{`{"op": "like", "args": [` + a + `, "x\\"]}`, `filter: at /args/1: LIKE pattern ends with the escape character \`},
		{`{"op": "in", "args": [` + a + `, 5]}`, `filter: at /args/1: the second argument of "in" must be a list, found a number`},
		{`{"op": "in", "args": [` + a + `, []]}`, `filter: at /args/1: the list of "in" is empty`},
		{`{"op": "in", "args": [` + a + `, [1, null]]}`, `filter: at /args/1/1: null is not a value; test for null with {"op": "isNull"}`},

		{`{"op": "s_intersects", "args": [` + a + `, 5]}`, `filter: at /args/1: expected a property, a geometry or a bbox, found a number`},
		{`{"op": "s_intersects", "args": [` + a + `, {"bbox": [0, 0, 0, 1, 1, 1]}]}`,
			`filter: at /args/1/bbox: 3D bounding boxes (6 numbers) are not supported; give minx, miny, maxx, maxy`},
		{`{"op": "s_intersects", "args": [` + a + `, {"bbox": [0, 0, "1", 1]}]}`, `filter: at /args/1/bbox/2: expected a number, found a string`},
		{`{"op": "s_intersects", "args": [` + a + `, {"type": "Point", "coordinates": [1, 2, 3]}]}`, `filter: at /args/1/coordinates: only 2D coordinates are supported`},
		{`{"op": "s_intersects", "args": [` + a + `, {"type": "Point", "coordinates": [1]}]}`, `filter: at /args/1/coordinates: a position needs 2 numbers, has 1`},
		{`{"op": "s_intersects", "args": [` + a + `, {"type": "Point"}]}`, `filter: at /args/1: missing "coordinates"`},
		{`{"op": "s_intersects", "args": [` + a + `, {"type": "Point", "coordinates": [1, 2], "crs": 1}]}`, `filter: at /args/1/crs: unexpected member "crs"`},
		{`{"op": "s_intersects", "args": [` + a + `, {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}]}`,
			`filter: at /args/1/coordinates/0: polygon ring needs at least 4 positions, has 3`},
		{`{"op": "s_intersects", "args": [` + a + `, {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]], [[0, 0], [1, 0], [1, 1], [0, 1]]]}]}`,
			`filter: at /args/1/coordinates/1: polygon ring is not closed (its last position differs from its first)`},
		{`{"op": "s_intersects", "args": [` + a + `, {"type": "Polygon", "coordinates": []}]}`, `filter: at /args/1/coordinates: empty geometries are not supported`},
		{`{"op": "s_intersects", "args": [` + a + `, {"type": "MultiPoint", "coordinates": []}]}`, `filter: at /args/1/coordinates: empty geometries are not supported`},
		{`{"op": "s_intersects", "args": [` + a + `, {"type": "LineString", "coordinates": [[0, 0]]}]}`, `filter: at /args/1/coordinates: line needs at least 2 positions, has 1`},
		{`{"op": "s_intersects", "args": [` + a + `, {"type": "GeometryCollection", "geometries": []}]}`, `filter: at /args/1/type: geometry collections are not supported`},
		{`{"op": "s_intersects", "args": [` + a + `, {"type": "Circle", "coordinates": [0, 0]}]}`, `filter: at /args/1/type: unknown geometry type "Circle"`},
		{`{"op": "s_within", "args": [{"type": "Point", "coordinates": [1, 2]}, ` + a + `]}`,
			`filter: at root: S_WITHIN needs the property first: S_WITHIN(property, geometry)`},
		{`{"op": "s_intersects", "args": [` + a + `, ` + a + `]}`,
			`filter: at root: S_INTERSECTS needs a literal geometry; comparing two properties is not supported`},
	}
	for _, tt := range tests {
		e, err := ParseJSON([]byte(tt.in))
		if err == nil {
			t.Errorf("ParseJSON(%s) = %#v, want error %q", tt.in, e, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseJSON(%s)\n got error %q\nwant error %q", tt.in, err, tt.want)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseJSON(%s): error %T, want *SyntaxError", tt.in, err)
		}
	}
}

func TestParseJSONLimits(t *testing.T) {
	cmp := `{"op": "=", "args": [{"property": "a"}, 1]}`
	nots := func(n int) string {
		return strings.Repeat(`{"op": "not", "args": [`, n) + cmp + strings.Repeat("]}", n)
	}
	tests := []struct {
		name string
		lim  Limits
		in   string
		want string
	}{
		{"nodes", Limits{MaxNodes: 5}, `{"op": "and", "args": [` + cmp + `, ` + cmp + `]}`,
			"filter: at /args/1/args/0: filter has more than 5 nodes (Limits.MaxNodes)"},
		{"depth", Limits{MaxDepth: 3}, nots(3),
			"filter: at /args/0/args/0/args/0: filter nests deeper than 3 levels (Limits.MaxDepth)"},
		// Refused while reading, long before the stack is at risk.
		{"a million brackets", Limits{MaxDepth: 2}, strings.Repeat("[", 1_000_000),
			"filter: at /0/0/0/0/0/0/0/0/0: filter nests deeper than 2 levels (Limits.MaxDepth)"},
		{"positions", Limits{MaxPositions: 2}, `{"op": "s_intersects", "args": [{"property": "g"},
			{"type": "LineString", "coordinates": [[0, 0], [1, 1], [2, 2]]}]}`,
			"filter: at /args/1/coordinates/2: geometries have more than 2 positions (Limits.MaxPositions)"},
	}
	for _, tt := range tests {
		_, err := tt.lim.ParseJSON([]byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: got error %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := (Limits{MaxDepth: 4}).ParseJSON([]byte(nots(3))); err != nil {
		t.Errorf("depth at the limit: %v", err)
	}
}
