package cql2

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// fakeResolver knows a few queryables of each type.
type fakeResolver map[string]struct {
	sql string
	t   Type
}

func (r fakeResolver) Property(name string) (string, Type, error) {
	if name == "kaputt" {
		return "", 0, errors.New("database gone")
	}
	q, ok := r[name]
	if !ok {
		return "", 0, &UnknownPropertyError{Name: name}
	}
	return q.sql, q.t, nil
}

var queryables = fakeResolver{
	"einwohner":  {"v.einwohner", TypeNumber},
	"Anteil 65+": {`v."anteil_65"`, TypeNumber},
	"name":       {"a.name", TypeString},
	"kreis":      {"a.kreis", TypeString},
	"stand":      {"a.valid_from", TypeDate},
	"zeit":       {"a.updated", TypeTimestamp},
	"aktiv":      {"a.active", TypeBoolean},
	"geom":       {"a.geom", TypeGeometry},
}

func TestCompile(t *testing.T) {
	day := time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in    string
		first int
		sql   string
		args  []any
	}{
		{"einwohner > 1000", 1, "(v.einwohner > $1::numeric)", []any{1000.0}},
		{"einwohner > 1000", 3, "(v.einwohner > $3::numeric)", []any{1000.0}},
		{`"Anteil 65+" <= 25.5 AND name = 'Köln'`, 1,
			`((v."anteil_65" <= $1::numeric) AND (a.name = $2::text))`, []any{25.5, "Köln"}},
		{"einwohner = 1 OR einwohner = 2 AND NOT einwohner = 3", 1,
			"((v.einwohner = $1::numeric) OR ((v.einwohner = $2::numeric) AND (NOT (v.einwohner = $3::numeric))))",
			[]any{1.0, 2.0, 3.0}},
		{"(einwohner = 1 OR einwohner = 2) AND aktiv = TRUE", 1,
			"(((v.einwohner = $1::numeric) OR (v.einwohner = $2::numeric)) AND (a.active = $3::boolean))",
			[]any{1.0, 2.0, true}},
		{"einwohner = \"Anteil 65+\"", 1, `(v.einwohner = v."anteil_65")`, nil},
		{"1 = 1", 1, "($1::numeric = $2::numeric)", []any{1.0, 1.0}},
		{"TRUE", 1, "($1::boolean)", []any{true}},
		{"einwohner BETWEEN 10 AND 20", 1, "(v.einwohner BETWEEN $1::numeric AND $2::numeric)", []any{10.0, 20.0}},
		{"einwohner NOT BETWEEN 10 AND 20", 1, "(NOT (v.einwohner BETWEEN $1::numeric AND $2::numeric))", []any{10.0, 20.0}},
		{"stand BETWEEN DATE('2022-01-01') AND DATE('2022-12-31')", 1, "(a.valid_from BETWEEN $1::date AND $2::date)",
			[]any{time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), day}},
		{"zeit >= TIMESTAMP('2022-12-31T00:00:00Z')", 1, "(a.updated >= $1::timestamptz)", []any{day}},
		{"kreis IN ('05315', '05111')", 1, "(a.kreis IN ($1::text, $2::text))", []any{"05315", "05111"}},
		{"kreis NOT IN ('05315', name)", 1, "(NOT (a.kreis IN ($1::text, a.name)))", []any{"05315"}},
		{"einwohner IS NULL", 1, "(v.einwohner IS NULL)", nil},
		{"geom IS NOT NULL", 1, "(NOT (a.geom IS NULL))", nil},
		{`name LIKE 'Bad\_%'`, 1, `(a.name LIKE $1::text ESCAPE E'\\')`, []any{`Bad\_%`}},
		{"name NOT LIKE '%dorf'", 2, `(NOT (a.name LIKE $2::text ESCAPE E'\\'))`, []any{"%dorf"}},
		// A literal with quotes or SQL in it travels as an argument only.
		{"name = 'x''); DROP TABLE a; --'", 1, "(a.name = $1::text)", []any{"x'); DROP TABLE a; --"}},
		{"S_INTERSECTS(geom, POINT(7.1 50.7))", 1,
			"(ST_Intersects(a.geom, ST_GeomFromText($1, 4326)))", []any{"POINT(7.1 50.7)"}},
		{"S_INTERSECTS(POLYGON((0 0, 1 0, 1 1, 0 0)), geom)", 1,
			"(ST_Intersects(a.geom, ST_GeomFromText($1, 4326)))", []any{"POLYGON((0 0,1 0,1 1,0 0))"}},
		{"S_WITHIN(geom, BBOX(6.9, 50.8, 7.1, 51))", 5,
			"(ST_Within(a.geom, ST_MakeEnvelope($5, $6, $7, $8, 4326)))", []any{6.9, 50.8, 7.1, 51.0}},
		{"S_INTERSECTS(geom, MULTIPOINT(1 2, 3 4)) OR S_INTERSECTS(geom, MULTILINESTRING((0 0, 1e-7 1e7)))", 1,
			"((ST_Intersects(a.geom, ST_GeomFromText($1, 4326))) OR (ST_Intersects(a.geom, ST_GeomFromText($2, 4326))))",
			[]any{"MULTIPOINT((1 2),(3 4))", "MULTILINESTRING((0 0,1e-07 10000000))"}},
		{"S_INTERSECTS(geom, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5))))", 1,
			"(ST_Intersects(a.geom, ST_GeomFromText($1, 4326)))",
			[]any{"MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))"}},
		{"S_INTERSECTS(geom, LINESTRING(-7.5 -51, 0 0))", 1,
			"(ST_Intersects(a.geom, ST_GeomFromText($1, 4326)))", []any{"LINESTRING(-7.5 -51,0 0)"}},
	}
	for _, tt := range tests {
		e, err := ParseText(tt.in)
		if err != nil {
			t.Errorf("ParseText(%q): %v", tt.in, err)
			continue
		}
		sql, args, err := Compile(e, queryables, tt.first)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.in, err)
			continue
		}
		if sql != tt.sql || !reflect.DeepEqual(args, tt.args) {
			t.Errorf("Compile(%q)\n got %s %#v\nwant %s %#v", tt.in, sql, args, tt.sql, tt.args)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"einwohner = 'x'", `filter: property "einwohner" is a number and cannot be compared with a string`},
		{"'x' < einwohner", `filter: property "einwohner" is a number and cannot be compared with a string`},
		{"einwohner = name", `filter: property "einwohner" is a number and cannot be compared with property "name", a string`},
		{"1 = 'x'", "filter: cannot compare a number with a string"},
		{"stand = TIMESTAMP('2022-12-31T00:00:00Z')", `filter: property "stand" is a date and cannot be compared with a timestamp`},
		{"stand = '2022-12-31'", `filter: property "stand" is a date and cannot be compared with a string`},
		{"aktiv < TRUE", "filter: booleans can only be compared with = and <>, not <"},
		{"geom = 1", `filter: property "geom" is a geometry; compare geometries with S_INTERSECTS or S_WITHIN`},
		{"einwohner LIKE '1%'", `filter: LIKE needs a string; property "einwohner" is a number`},
		{"5 LIKE '5'", "filter: LIKE needs a string, not a number"},
		{"name BETWEEN 'a' AND 'b'", `filter: BETWEEN needs numbers, dates or timestamps; property "name" is a string`},
		{"stand BETWEEN DATE('2022-01-01') AND 5", `filter: property "stand" is a date and cannot be compared with a number`},
		{"name IN ('a', 1)", `filter: property "name" is a string and cannot be compared with a number`},
		{"geom IN (1)", `filter: property "geom" is a geometry; compare geometries with S_INTERSECTS or S_WITHIN`},
		{"S_INTERSECTS(name, POINT(1 2))", `filter: S_INTERSECTS needs a geometry; property "name" is a string`},
		{"S_WITHIN(einwohner, BBOX(0, 0, 1, 1))", `filter: S_WITHIN needs a geometry; property "einwohner" is a number`},
		{"gibtsnicht = 1", `filter: unknown property "gibtsnicht"`},
		{"einwohner = 1 OR kaputt = 1", `filter: property "kaputt": database gone`},
	}
	for _, tt := range tests {
		e, err := ParseText(tt.in)
		if err != nil {
			t.Errorf("ParseText(%q): %v", tt.in, err)
			continue
		}
		sql, args, err := Compile(e, queryables, 1)
		if err == nil {
			t.Errorf("Compile(%q) = %s %v, want error %q", tt.in, sql, args, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Compile(%q)\n got error %q\nwant error %q", tt.in, err, tt.want)
		}
	}

	e, _ := ParseText("gibtsnicht = 1")
	_, _, err := Compile(e, queryables, 1)
	var unknown *UnknownPropertyError
	if !errors.As(err, &unknown) || unknown.Name != "gibtsnicht" {
		t.Errorf("unknown property: error %v is not an *UnknownPropertyError for gibtsnicht", err)
	}
	e, _ = ParseText("einwohner = 'x'")
	_, _, err = Compile(e, queryables, 1)
	var te *TypeError
	if !errors.As(err, &te) {
		t.Errorf("type mismatch: error %T, want *TypeError", err)
	}
}

// TestCompileHandBuilt covers trees that no parser makes.
func TestCompileHandBuilt(t *testing.T) {
	tests := []struct {
		name  string
		e     Expr
		first int
		want  string
	}{
		{"first placeholder", eq("einwohner", 1), 0, "filter: first placeholder number 0, want at least 1"},
		{"number as condition", num(5), 1, "filter: a number is not a condition"},
		{"property as condition", prop("aktiv"), 1, "filter: cql2.Property is not a condition"},
		{"nil", nil, 1, "filter: <nil> is not a condition"},
		{"empty AND", And{}, 1, "filter: AND without arguments"},
		{"int literal", cmp(prop("einwohner"), Eq, Literal{Value: 5}), 1, "filter: literal of unsupported Go type int"},
		{"unknown operator", cmp(prop("einwohner"), "==", num(5)), 1, `filter: unknown comparison operator "=="`},
		{"empty IN", In{Arg: prop("einwohner")}, 1, "filter: IN with an empty list"},
		{"geometry operand", cmp(prop("geom"), Eq, point(1, 2)), 1,
			"filter: a geometry is only allowed in S_INTERSECTS and S_WITHIN"},
		{"bad geometry", Spatial{Intersects, prop("geom"), Geometry{Type: GeometryPolygon, Coordinates: []Position{{0, 0}}}}, 1,
			"filter: invalid Polygon geometry"},
		{"open ring", Spatial{Intersects, prop("geom"), Geometry{Type: GeometryPolygon, Coordinates: [][]Position{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}}, 1,
			"filter: polygon ring is not closed (its last position differs from its first)"},
		{"bad box", Spatial{Within, prop("geom"), BBox{1, 1, 0, 0}}, 1, "filter: bounding box has miny greater than maxy"},
		{"no geometry", Spatial{Within, prop("geom"), prop("geom")}, 1, "filter: S_WITHIN needs a Geometry or a BBox, not cql2.Property"},
		{"unknown spatial", Spatial{"s_touches", prop("geom"), point(1, 2)}, 1, `filter: unknown spatial operator "s_touches"`},
		{"bad pattern", Like{prop("name"), `x\`}, 1, `filter: LIKE pattern ends with the escape character \`},
	}
	for _, tt := range tests {
		_, _, err := Compile(tt.e, queryables, tt.first)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: got error %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestProperties(t *testing.T) {
	e, err := ParseText("a = 1 AND (b = a OR S_INTERSECTS(geom, POINT(1 2))) AND c IN (d, 1) AND NOT e LIKE 'x' AND f BETWEEN g AND 2 AND h IS NULL")
	if err != nil {
		t.Fatal(err)
	}
	got := Properties(e)
	want := []string{"a", "b", "geom", "c", "d", "e", "f", "g", "h"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Properties = %q, want %q", got, want)
	}
	if got := Properties(boolean(true)); got != nil {
		t.Errorf("Properties(TRUE) = %q, want none", got)
	}
}

func TestFormatText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"a=1 or b=2 and not c=3", "a = 1 OR b = 2 AND NOT c = 3"},
		{"(a=1 or b=2) and c=3", "(a = 1 OR b = 2) AND c = 3"},
		{"(a=1 and b=2) and c=3", "(a = 1 AND b = 2) AND c = 3"},
		{"not (a=1 or b=2)", "NOT (a = 1 OR b = 2)"},
		{"not a is null", "a IS NOT NULL"},
		{"not a in (1,2)", "a NOT IN (1, 2)"},
		{`"and" = 'it''s' AND "x y" <> "Größe"`, `"and" = 'it''s' AND "x y" <> Größe`},
		{"a = 1000000 and b = 1.5e-9 and c = -0.25", "a = 1000000 AND b = 1.5e-09 AND c = -0.25"},
		{"d = date('2022-12-31') and t < timestamp('2022-12-31T10:00:00.5Z')",
			"d = DATE('2022-12-31') AND t < TIMESTAMP('2022-12-31T10:00:00.5Z')"},
		{"s_intersects(point(1 2), g) or s_within(g, bbox(0,0,1,1))",
			"S_INTERSECTS(g, POINT(1 2)) OR S_WITHIN(g, BBOX(0, 0, 1, 1))"},
	}
	for _, tt := range tests {
		e, err := ParseText(tt.in)
		if err != nil {
			t.Errorf("ParseText(%q): %v", tt.in, err)
			continue
		}
		if got := formatText(e); got != tt.want {
			t.Errorf("formatText(ParseText(%q)) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCompileNamed(t *testing.T) {
	e, err := ParseText(`"Anteil 65+" <= 25.5 AND name LIKE 'Bad %'`)
	if err != nil {
		t.Fatal(err)
	}
	sql, args, err := CompileNamed(e, queryables, "f")
	if err != nil {
		t.Fatal(err)
	}
	if want := `((v."anteil_65" <= @f1::numeric) AND (a.name LIKE @f2::text ESCAPE E'\\'))`; sql != want {
		t.Errorf("sql %s, want %s", sql, want)
	}
	if want := map[string]any{"f1": 25.5, "f2": "Bad %"}; !reflect.DeepEqual(args, want) {
		t.Errorf("args %v, want %v", args, want)
	}
	for _, bad := range []string{"", "f-1", "f 1"} {
		if _, _, err := CompileNamed(e, queryables, bad); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
}
