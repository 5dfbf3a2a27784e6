package cql2

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Resolver maps the properties of a filter to SQL.
type Resolver interface {
	// Property returns the SQL expression for a queryable property and its
	// type. The expression is inserted as it is, so it must be trusted SQL
	// and a single operand (parenthesized if it is compound); a geometry
	// must be in SRID 4326. For an unknown property it returns an error,
	// typically an *UnknownPropertyError.
	Property(name string) (sqlExpr string, t Type, err error)
}

// likeEscape names the escape character of CQL2 LIKE patterns, which is
// PostgreSQL's default too; saying so keeps the meaning independent of that
// default. The escape-string form (E'\\') reads the same whatever
// standard_conforming_strings is set to.
const likeEscape = ` ESCAPE E'\\'`

// cast gives every literal placeholder an explicit type. Without it,
// PostgreSQL infers a placeholder's type from the other operand, which
// fails when there is none (1 = 1) and makes pgx refuse a fractional
// number for an integer column; with it, a number compares as numeric
// whatever the column's type. It returns "" for a type without literals.
func cast(t Type) string {
	switch t {
	case TypeNumber:
		return "::numeric"
	case TypeString:
		return "::text"
	case TypeBoolean:
		return "::boolean"
	case TypeDate:
		return "::date"
	case TypeTimestamp:
		return "::timestamptz"
	}
	return ""
}

// Compile translates a filter into a PostgreSQL boolean expression for a
// WHERE clause, with placeholders numbered from firstArg and the values
// for them in args. Only the resolver's SQL and fixed text of this package
// reach the SQL; every literal of the filter travels as an argument.
//
// Every node is parenthesized, so the result can be joined to other
// conditions with AND as it is. The SQL keeps the three-valued logic of
// SQL, which callers rely on: a property whose value is NULL (such as a
// value withheld for privacy) makes every comparison, LIKE, BETWEEN, IN
// and spatial test on it NULL, and NOT keeps NULL, so the row is never
// selected by either a condition or its negation. Only IS NULL tells such
// rows apart.
//
// An error is a *TypeError for types that do not fit, the resolver's error
// wrapped, or an error for a tree no parser makes.
func Compile(e Expr, r Resolver, firstArg int) (sql string, args []any, err error) {
	if firstArg < 1 {
		return "", nil, fmt.Errorf("filter: first placeholder number %d, want at least 1", firstArg)
	}
	if r == nil {
		return "", nil, errors.New("filter: no resolver")
	}
	c := &compiler{r: r, next: firstArg, name: func(i int) string { return "$" + strconv.Itoa(i) }}
	if err := c.cond(e); err != nil {
		return "", nil, err
	}
	return c.b.String(), c.args, nil
}

// CompileNamed is Compile with named placeholders, @prefix1, @prefix2, …,
// for drivers that bind arguments by name (pgx.NamedArgs, a map of the same
// type as args): a filter then joins a query whose other arguments are
// named too, without renumbering either. The prefix must be letters,
// digits or underscores.
func CompileNamed(e Expr, r Resolver, prefix string) (sql string, args map[string]any, err error) {
	for _, ch := range prefix {
		if !(ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9') {
			return "", nil, fmt.Errorf("filter: placeholder prefix %q: only letters, digits and _", prefix)
		}
	}
	if prefix == "" {
		return "", nil, errors.New("filter: empty placeholder prefix")
	}
	if r == nil {
		return "", nil, errors.New("filter: no resolver")
	}
	c := &compiler{r: r, next: 1, name: func(i int) string { return "@" + prefix + strconv.Itoa(i) }}
	if err := c.cond(e); err != nil {
		return "", nil, err
	}
	args = make(map[string]any, len(c.args))
	for i, v := range c.args {
		args[prefix+strconv.Itoa(i+1)] = v
	}
	return c.b.String(), args, nil
}

type compiler struct {
	r    Resolver
	b    strings.Builder
	args []any
	next int
	name func(i int) string // the placeholder of argument number i
}

// operand is a compiled scalar operand.
type operand struct {
	sql  string
	t    Type
	prop string // the property's name, "" for a literal
}

func (o operand) String() string {
	if o.prop != "" {
		return fmt.Sprintf("property %q is a %s", o.prop, o.t)
	}
	return "a " + o.t.String()
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	c.next++
	return c.name(c.next - 1)
}

func (c *compiler) cond(e Expr) error {
	switch e := e.(type) {
	case And:
		return c.chain(e.Args, " AND ")
	case Or:
		return c.chain(e.Args, " OR ")
	case Not:
		c.b.WriteString("(NOT ")
		if err := c.cond(e.Arg); err != nil {
			return err
		}
		c.b.WriteByte(')')
	case Compare:
		return c.compare(e)
	case Between:
		return c.between(e)
	case In:
		return c.in(e)
	case IsNull:
		x, err := c.operand(e.Arg)
		if err != nil {
			return err
		}
		c.b.WriteString("(" + x.sql + " IS NULL)")
	case Like:
		return c.like(e)
	case Spatial:
		return c.spatial(e)
	case Literal:
		if _, ok := e.Value.(bool); !ok {
			return &TypeError{Reason: fmt.Sprintf("a %s is not a condition", e.Type())}
		}
		x, err := c.operand(e)
		if err != nil {
			return err
		}
		c.b.WriteString("(" + x.sql + ")")
	default:
		return fmt.Errorf("filter: %T is not a condition", e)
	}
	return nil
}

func (c *compiler) chain(args []Expr, op string) error {
	if len(args) == 0 {
		return fmt.Errorf("filter: %s without arguments", strings.TrimSpace(op))
	}
	c.b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			c.b.WriteString(op)
		}
		if err := c.cond(a); err != nil {
			return err
		}
	}
	c.b.WriteByte(')')
	return nil
}

// operand compiles a property or a scalar literal.
func (c *compiler) operand(e Expr) (operand, error) {
	switch e := e.(type) {
	case Property:
		sql, t, err := c.r.Property(e.Name)
		if err != nil {
			var unknown *UnknownPropertyError
			if errors.As(err, &unknown) {
				return operand{}, fmt.Errorf("filter: %w", err)
			}
			return operand{}, fmt.Errorf("filter: property %q: %w", e.Name, err)
		}
		if cast(t) == "" && t != TypeGeometry {
			return operand{}, fmt.Errorf("filter: property %q has invalid type %v", e.Name, t)
		}
		return operand{sql: sql, t: t, prop: e.Name}, nil
	case Literal:
		t := e.Type()
		if t == 0 {
			return operand{}, fmt.Errorf("filter: literal of unsupported Go type %T", e.Value)
		}
		if f, ok := e.Value.(float64); ok && checkFinite(f) != "" {
			return operand{}, errors.New("filter: number out of range")
		}
		return operand{sql: c.arg(e.Value) + cast(t), t: t}, nil
	case Geometry, BBox:
		return operand{}, &TypeError{Reason: "a geometry is only allowed in S_INTERSECTS and S_WITHIN"}
	}
	return operand{}, fmt.Errorf("filter: %T is not a value", e)
}

func (c *compiler) operands(es ...Expr) ([]operand, error) {
	xs := make([]operand, len(es))
	for i, e := range es {
		x, err := c.operand(e)
		if err != nil {
			return nil, err
		}
		xs[i] = x
	}
	return xs, nil
}

// checkComparable checks that two operands can be compared with op ("" for
// equality only, as IN does).
func checkComparable(a, b operand, op CompareOp) error {
	switch {
	case a.t == TypeGeometry || b.t == TypeGeometry:
		geom := a
		if b.t == TypeGeometry {
			geom = b
		}
		return &TypeError{Reason: fmt.Sprintf("%s; compare geometries with S_INTERSECTS or S_WITHIN", geom)}
	case a.t != b.t:
		if a.prop == "" && b.prop != "" {
			a, b = b, a // name the property first
		}
		if b.prop != "" {
			return &TypeError{Reason: fmt.Sprintf("property %q is a %s and cannot be compared with property %q, a %s", a.prop, a.t, b.prop, b.t)}
		}
		if a.prop != "" {
			return &TypeError{Reason: fmt.Sprintf("%s and cannot be compared with a %s", a, b.t)}
		}
		return &TypeError{Reason: fmt.Sprintf("cannot compare a %s with a %s", a.t, b.t)}
	case a.t == TypeBoolean && op != Eq && op != Ne && op != "":
		return &TypeError{Reason: fmt.Sprintf("booleans can only be compared with = and <>, not %s", op)}
	}
	return nil
}

// needs reports an operand of the wrong type for an operator.
func needs(want string, x operand) error {
	if x.prop != "" {
		return &TypeError{Reason: fmt.Sprintf("%s; %s", want, x)}
	}
	return &TypeError{Reason: fmt.Sprintf("%s, not %s", want, x)}
}

func (c *compiler) compare(e Compare) error {
	if _, ok := compareOp(string(e.Op)); !ok {
		return fmt.Errorf("filter: unknown comparison operator %q", e.Op)
	}
	xs, err := c.operands(e.Left, e.Right)
	if err != nil {
		return err
	}
	if err := checkComparable(xs[0], xs[1], e.Op); err != nil {
		return err
	}
	c.b.WriteString("(" + xs[0].sql + " " + string(e.Op) + " " + xs[1].sql + ")")
	return nil
}

func (c *compiler) between(e Between) error {
	xs, err := c.operands(e.Arg, e.Low, e.High)
	if err != nil {
		return err
	}
	if t := xs[0].t; t != TypeNumber && t != TypeDate && t != TypeTimestamp {
		return needs("BETWEEN needs numbers, dates or timestamps", xs[0])
	}
	for _, x := range xs[1:] {
		if err := checkComparable(xs[0], x, Le); err != nil {
			return err
		}
	}
	c.b.WriteString("(" + xs[0].sql + " BETWEEN " + xs[1].sql + " AND " + xs[2].sql + ")")
	return nil
}

// in writes a list of placeholders rather than one array parameter, so
// that items may be properties too and each literal has its own cast.
func (c *compiler) in(e In) error {
	if len(e.List) == 0 {
		return errors.New("filter: IN with an empty list")
	}
	xs, err := c.operands(append([]Expr{e.Arg}, e.List...)...)
	if err != nil {
		return err
	}
	items := make([]string, len(e.List))
	for i, x := range xs[1:] {
		if err := checkComparable(xs[0], x, ""); err != nil {
			return err
		}
		items[i] = x.sql
	}
	c.b.WriteString("(" + xs[0].sql + " IN (" + strings.Join(items, ", ") + "))")
	return nil
}

func (c *compiler) like(e Like) error {
	if r := checkPattern(e.Pattern); r != "" {
		return errors.New("filter: " + r)
	}
	x, err := c.operand(e.Arg)
	if err != nil {
		return err
	}
	if x.t != TypeString {
		return needs("LIKE needs a string", x)
	}
	c.b.WriteString("(" + x.sql + " LIKE " + c.arg(e.Pattern) + cast(TypeString) + likeEscape + ")")
	return nil
}

func (c *compiler) spatial(e Spatial) error {
	var fn string
	switch e.Op {
	case Intersects:
		fn = "ST_Intersects"
	case Within:
		fn = "ST_Within"
	default:
		return fmt.Errorf("filter: unknown spatial operator %q", e.Op)
	}
	x, err := c.operand(e.Prop)
	if err != nil {
		return err
	}
	if x.t != TypeGeometry {
		return needs(strings.ToUpper(string(e.Op))+" needs a geometry", x)
	}
	var geom string
	switch g := e.Geom.(type) {
	case Geometry:
		if r := checkGeometry(g); r != "" {
			return errors.New("filter: " + r)
		}
		geom = "ST_GeomFromText(" + c.arg(g.WKT()) + ", 4326)"
	case BBox:
		if _, r := checkBBox([]float64{g.MinX, g.MinY, g.MaxX, g.MaxY}); r != "" {
			return errors.New("filter: " + r)
		}
		for _, v := range []float64{g.MinX, g.MinY, g.MaxX, g.MaxY} {
			if checkFinite(v) != "" {
				return errors.New("filter: number out of range")
			}
		}
		geom = "ST_MakeEnvelope(" + c.arg(g.MinX) + ", " + c.arg(g.MinY) + ", " + c.arg(g.MaxX) + ", " + c.arg(g.MaxY) + ", 4326)"
	default:
		return fmt.Errorf("filter: %s needs a Geometry or a BBox, not %T", strings.ToUpper(string(e.Op)), e.Geom)
	}
	c.b.WriteString("(" + fn + "(" + x.sql + ", " + geom + "))")
	return nil
}
