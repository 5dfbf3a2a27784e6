package cql2

import (
	"fmt"
	"strconv"
)

// SyntaxError is a filter that does not parse, or exceeds the Limits. It
// says where, so that a client can find its mistake: Column for CQL2 Text,
// Pointer for CQL2 JSON.
type SyntaxError struct {
	// Column is the 1-based column, counted in characters, of a CQL2 Text
	// filter where the problem is; 0 for CQL2 JSON.
	Column int
	// Pointer is the JSON Pointer (RFC 6901) to the offending node of a
	// CQL2 JSON filter; "" is the whole document.
	Pointer string
	// Reason says what is wrong.
	Reason string
}

func (e *SyntaxError) Error() string {
	if e.Column > 0 {
		return "filter: column " + strconv.Itoa(e.Column) + ": " + e.Reason
	}
	if e.Pointer == "" {
		return "filter: at root: " + e.Reason
	}
	return "filter: at " + e.Pointer + ": " + e.Reason
}

// TypeError is a filter that parses but does not fit the types of the
// properties it uses, such as a number property compared with a string.
type TypeError struct {
	Reason string
}

func (e *TypeError) Error() string {
	return "filter: " + e.Reason
}

// UnknownPropertyError is what a Resolver returns for a name that is not a
// queryable; Compile passes it on wrapped, for errors.As.
type UnknownPropertyError struct {
	Name string
}

func (e *UnknownPropertyError) Error() string {
	return fmt.Sprintf("unknown property %q", e.Name)
}

// Limits bound the size of a filter a parser accepts, so that a hostile
// filter costs little: parsing stops at the first node beyond a limit,
// and recursion never goes deeper than MaxDepth. A zero field takes its
// default.
type Limits struct {
	// MaxNodes bounds the nodes of the tree: every condition, property,
	// literal and geometry counts one. Default 200.
	MaxNodes int
	// MaxDepth bounds the nesting of conditions: a predicate is one
	// level, each AND, OR and NOT around it one more. In CQL2 Text each
	// open parenthesis counts as well. Default 20.
	MaxDepth int
	// MaxPositions bounds the coordinate pairs of all geometries of a
	// filter together; they do not count as nodes. Default 10000.
	MaxPositions int
}

// The default limits.
const (
	DefaultMaxNodes     = 200
	DefaultMaxDepth     = 20
	DefaultMaxPositions = 10000
)

func (l Limits) withDefaults() Limits {
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultMaxNodes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxPositions <= 0 {
		l.MaxPositions = DefaultMaxPositions
	}
	return l
}

// budget counts what a parser has built against the limits. Both parsers
// share it so that the same filter meets the same limits in either
// encoding.
type budget struct {
	lim       Limits
	nodes     int
	positions int
}

// node counts one node at the given depth and says which limit it breaks,
// if any.
func (b *budget) node(depth int) string {
	b.nodes++
	if b.nodes > b.lim.MaxNodes {
		return fmt.Sprintf("filter has more than %d nodes (Limits.MaxNodes)", b.lim.MaxNodes)
	}
	if depth > b.lim.MaxDepth {
		return b.tooDeep()
	}
	return ""
}

func (b *budget) tooDeep() string {
	return fmt.Sprintf("filter nests deeper than %d levels (Limits.MaxDepth)", b.lim.MaxDepth)
}

func (b *budget) position() string {
	b.positions++
	if b.positions > b.lim.MaxPositions {
		return fmt.Sprintf("geometries have more than %d positions (Limits.MaxPositions)", b.lim.MaxPositions)
	}
	return ""
}
