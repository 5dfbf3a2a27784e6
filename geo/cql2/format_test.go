package cql2

import (
	"strings"
	"time"
)

// formatText writes a filter as CQL2 Text in a canonical form which
// ParseText reads back into the same tree: the fuzz tests parse what it
// writes to check that both parsers build the trees the grammar means. Keywords are upper case, parentheses
// appear only where the tree needs them, and a negated LIKE, BETWEEN, IN
// or IS NULL is written in its infix form (a NOT LIKE 'x').
func formatText(e Expr) string {
	var b strings.Builder
	writeCond(&b, e, 0)
	return b.String()
}

// Precedence of the context a condition is written in: 0 at the top.
const (
	inOr = iota + 1
	inAnd
	inNot
)

func writeCond(b *strings.Builder, e Expr, ctx int) {
	switch e := e.(type) {
	case Or:
		// Within another OR too, to keep a nested OR a node of its own.
		writeChain(b, e.Args, " OR ", inOr, ctx != 0)
	case And:
		writeChain(b, e.Args, " AND ", inAnd, ctx == inAnd || ctx == inNot)
	case Not:
		switch x := e.Arg.(type) {
		case Like:
			writeLike(b, x, " NOT LIKE ")
		case Between:
			writeBetween(b, x, " NOT BETWEEN ")
		case In:
			writeIn(b, x, " NOT IN (")
		case IsNull:
			writeValue(b, x.Arg)
			b.WriteString(" IS NOT NULL")
		default:
			b.WriteString("NOT ")
			writeCond(b, e.Arg, inNot)
		}
	case Compare:
		writeValue(b, e.Left)
		b.WriteString(" " + string(e.Op) + " ")
		writeValue(b, e.Right)
	case Between:
		writeBetween(b, e, " BETWEEN ")
	case In:
		writeIn(b, e, " IN (")
	case IsNull:
		writeValue(b, e.Arg)
		b.WriteString(" IS NULL")
	case Like:
		writeLike(b, e, " LIKE ")
	case Spatial:
		b.WriteString(strings.ToUpper(string(e.Op)) + "(")
		writeValue(b, e.Prop)
		b.WriteString(", ")
		writeValue(b, e.Geom)
		b.WriteByte(')')
	default:
		writeValue(b, e)
	}
}

func writeChain(b *strings.Builder, args []Expr, op string, ctx int, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	for i, a := range args {
		if i > 0 {
			b.WriteString(op)
		}
		writeCond(b, a, ctx)
	}
	if paren {
		b.WriteByte(')')
	}
}

func writeLike(b *strings.Builder, e Like, op string) {
	writeValue(b, e.Arg)
	b.WriteString(op)
	writeString(b, e.Pattern, '\'')
}

func writeBetween(b *strings.Builder, e Between, op string) {
	writeValue(b, e.Arg)
	b.WriteString(op)
	writeValue(b, e.Low)
	b.WriteString(" AND ")
	writeValue(b, e.High)
}

func writeIn(b *strings.Builder, e In, op string) {
	writeValue(b, e.Arg)
	b.WriteString(op)
	for i, x := range e.List {
		if i > 0 {
			b.WriteString(", ")
		}
		writeValue(b, x)
	}
	b.WriteByte(')')
}

func writeString(b *strings.Builder, s string, quote rune) {
	q := string(quote)
	b.WriteString(q + strings.ReplaceAll(s, q, q+q) + q)
}

func writeValue(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case Property:
		if isPlainName(e.Name) {
			b.WriteString(e.Name)
		} else {
			writeString(b, e.Name, '"')
		}
	case Literal:
		switch v := e.Value.(type) {
		case float64:
			b.WriteString(formatNumber(v))
		case string:
			writeString(b, v, '\'')
		case bool:
			if v {
				b.WriteString("TRUE")
			} else {
				b.WriteString("FALSE")
			}
		case time.Time:
			if e.Date {
				b.WriteString("DATE('" + v.Format(time.DateOnly) + "')")
			} else {
				b.WriteString("TIMESTAMP('" + v.UTC().Format("2006-01-02T15:04:05.999999999Z") + "')")
			}
		default:
			b.WriteString("?")
		}
	case Geometry:
		if checkGeometry(e) != "" {
			b.WriteString("?")
			return
		}
		b.WriteString(e.WKT())
	case BBox:
		b.WriteString("BBOX(" + formatNumber(e.MinX) + ", " + formatNumber(e.MinY) + ", " +
			formatNumber(e.MaxX) + ", " + formatNumber(e.MaxY) + ")")
	default:
		b.WriteString("?")
	}
}

// isPlainName tells whether a property name can be written without
// quotes: an identifier that is no keyword.
func isPlainName(name string) bool {
	if name == "" || isReserved(asciiUpper(name)) {
		return false
	}
	for i, r := range name {
		if i == 0 && !isIdentStart(r) || !isIdentPart(r) {
			return false
		}
	}
	return true
}
