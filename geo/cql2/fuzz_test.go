package cql2

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// anyResolver accepts every property, giving it a type chosen by its
// name's length, so that fuzzed filters reach every branch of the
// compiler, the type errors included. Its SQL contains no quotes, so any
// quote in the compiled SQL would have come from the filter.
type anyResolver struct{}

func (anyResolver) Property(name string) (string, Type, error) {
	t := Type(len(name)%6 + 1)
	return "col_" + t.String(), t, nil
}

// usageResolver gives each property the type its use in the filter
// suggests, so that most fuzzed filters compile and the SQL is checked.
type usageResolver map[string]Type

func (r usageResolver) Property(name string) (string, Type, error) {
	t, ok := r[name]
	if !ok {
		t = TypeNumber
	}
	return "col_" + t.String(), t, nil
}

func inferTypes(e Expr, r usageResolver) {
	// like names a property compared with a literal after the literal.
	like := func(a Expr, others ...Expr) {
		p, ok := a.(Property)
		if !ok {
			return
		}
		for _, o := range others {
			if l, ok := o.(Literal); ok && l.Type() != 0 {
				r[p.Name] = l.Type()
			}
		}
	}
	switch e := e.(type) {
	case And:
		for _, a := range e.Args {
			inferTypes(a, r)
		}
	case Or:
		for _, a := range e.Args {
			inferTypes(a, r)
		}
	case Not:
		inferTypes(e.Arg, r)
	case Compare:
		like(e.Left, e.Right)
		like(e.Right, e.Left)
	case Between:
		like(e.Arg, e.Low, e.High)
	case In:
		like(e.Arg, e.List...)
	case Like:
		like(e.Arg, str(""))
	case Spatial:
		r[e.Prop.Name] = TypeGeometry
	}
}

// checkTree checks what must hold for every tree a parser returns: the
// canonical text reads back into it, and compiling it does not panic and
// yields only parameterized SQL.
func checkTree(t *testing.T, e Expr) {
	t.Helper()
	text := formatText(e)
	again, err := ParseText(text)
	if err != nil {
		t.Fatalf("formatText gave %q, which does not parse: %v", text, err)
	}
	if !reflect.DeepEqual(again, e) {
		t.Fatalf("formatText gave %q, which parses to\n%#v\nnot\n%#v", text, again, e)
	}
	Properties(e)

	usage := usageResolver{}
	inferTypes(e, usage)
	for _, r := range []Resolver{anyResolver{}, usage} {
		checkCompile(t, e, r)
	}
}

func checkCompile(t *testing.T, e Expr, r Resolver) {
	t.Helper()
	sql, args, err := Compile(e, r, 1)
	if err != nil {
		var te *TypeError
		if !errors.As(err, &te) {
			t.Fatalf("Compile: unexpected error %v", err)
		}
		return
	}
	if strings.Contains(strings.ReplaceAll(sql, likeEscape, ""), "'") {
		t.Fatalf("Compile gave SQL with a quote: %s", sql)
	}
	if n := strings.Count(sql, "$"); n != len(args) {
		t.Fatalf("Compile gave %d placeholders and %d arguments: %s", n, len(args), sql)
	}
	depth := 0
	for _, c := range sql {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth < 0 {
			break
		}
	}
	if depth != 0 {
		t.Fatalf("Compile gave unbalanced parentheses: %s", sql)
	}
}

func FuzzParseText(f *testing.F) {
	for _, s := range []string{
		"a = 1 OR b = 2 AND NOT c = 3",
		`"Anteil 65+" >= 25.5 AND name LIKE 'Bad\_%'`,
		"kreis NOT IN ('05315', '05111') AND x IS NOT NULL",
		"x NOT BETWEEN -1.5e3 AND .5 OR stand = DATE('2022-12-31')",
		"t < TIMESTAMP('2022-12-31T00:00:00Z') AND TRUE",
		"S_INTERSECTS(geom, POLYGON((0 0, 1 0, 1 1, 0 0))) AND S_WITHIN(geom, BBOX(0, 0, 1, 1))",
		"S_INTERSECTS(MULTIPOINT((0 0), (1 1)), g)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseText(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseText(%q): error %T, want *SyntaxError", s, err)
			}
			if se.Column < 1 || se.Column > utf8.RuneCountInString(s)+1 {
				t.Fatalf("ParseText(%q): column %d outside the filter", s, se.Column)
			}
			return
		}
		checkTree(t, e)
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"op": "or", "args": [{"op": "=", "args": [{"property": "a"}, 1]}, {"op": "not", "args": [{"op": "isNull", "args": [{"property": "b"}]}]}]}`,
		`{"op": "and", "args": [{"op": "like", "args": [{"property": "name"}, "Bad\\_%"]}, {"op": "in", "args": [{"property": "k"}, ["1", 2, true]]}]}`,
		`{"op": "between", "args": [{"property": "x"}, {"date": "2022-01-01"}, {"timestamp": "2022-12-31T00:00:00Z"}]}`,
		`{"op": "s_intersects", "args": [{"property": "g"}, {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]}]}`,
		`{"op": "s_within", "args": [{"property": "g"}, {"bbox": [0, 0, 1, 1]}]}`,
		`true`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseJSON(b)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseJSON(%q): error %T, want *SyntaxError", b, err)
			}
			if se.Column != 0 || (se.Pointer != "" && se.Pointer[0] != '/') {
				t.Fatalf("ParseJSON(%q): bad position in %v", b, err)
			}
			return
		}
		// Whatever CQL2 JSON accepts, CQL2 Text can say too.
		checkTree(t, e)
	})
}
