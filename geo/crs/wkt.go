package crs

import (
	"fmt"
	"strconv"
	"strings"
)

// wktNode is one KEYWORD[arg, …] of a WKT definition. WKT1 (OGC 01-009,
// and ESRI's dialect of it) and WKT2 (ISO 19162) share this bracket syntax,
// so one tree serves both.
type wktNode struct {
	key  string // upper case
	args []wktArg
}

// wktArg is a quoted string, a bare token (number or enumeration such as
// EAST) or a nested node.
type wktArg struct {
	text   string
	quoted bool
	node   *wktNode
}

// parseWKT parses a WKT definition into its node tree.
func parseWKT(s string) (*wktNode, error) {
	p := &wktParser{s: s}
	p.skipSpace()
	key, err := p.bare()
	if err != nil {
		return nil, err
	}
	n, err := p.node(key)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.s) {
		return nil, fmt.Errorf("WKT: unexpected %q after the end at offset %d", p.s[p.pos], p.pos)
	}
	return n, nil
}

type wktParser struct {
	s   string
	pos int
}

func (p *wktParser) skipSpace() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

// bare reads a keyword, number or enumeration value.
func (p *wktParser) bare() (string, error) {
	start := p.pos
	for p.pos < len(p.s) && strings.IndexByte("[](),\" \t\r\n", p.s[p.pos]) < 0 {
		p.pos++
	}
	if p.pos == start {
		if p.pos == len(p.s) {
			return "", fmt.Errorf("WKT: unexpected end")
		}
		return "", fmt.Errorf("WKT: unexpected %q at offset %d", p.s[p.pos], p.pos)
	}
	return p.s[start:p.pos], nil
}

// quoted reads a string; WKT2 escapes a quote by doubling it.
func (p *wktParser) quoted() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		if c != '"' {
			b.WriteByte(c)
			continue
		}
		if p.pos < len(p.s) && p.s[p.pos] == '"' {
			b.WriteByte('"')
			p.pos++
			continue
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("WKT: string opened at offset %d is not closed", start)
}

// node reads the bracketed argument list following key.
func (p *wktParser) node(key string) (*wktNode, error) {
	p.skipSpace()
	if p.pos >= len(p.s) || (p.s[p.pos] != '[' && p.s[p.pos] != '(') {
		return nil, fmt.Errorf("WKT: expected [ after %s at offset %d", key, p.pos)
	}
	closing := byte(']')
	if p.s[p.pos] == '(' {
		closing = ')'
	}
	p.pos++
	n := &wktNode{key: strings.ToUpper(key)}
	for {
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, fmt.Errorf("WKT: %s is not closed", key)
		}
		if p.s[p.pos] == closing && len(n.args) == 0 {
			p.pos++
			return n, nil
		}
		arg, err := p.arg()
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, arg)
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, fmt.Errorf("WKT: %s is not closed", key)
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case closing:
			p.pos++
			return n, nil
		default:
			return nil, fmt.Errorf("WKT: expected , or %c in %s at offset %d", closing, key, p.pos)
		}
	}
}

func (p *wktParser) arg() (wktArg, error) {
	if p.s[p.pos] == '"' {
		s, err := p.quoted()
		return wktArg{text: s, quoted: true}, err
	}
	tok, err := p.bare()
	if err != nil {
		return wktArg{}, err
	}
	p.skipSpace()
	if p.pos < len(p.s) && (p.s[p.pos] == '[' || p.s[p.pos] == '(') {
		n, err := p.node(tok)
		return wktArg{node: n}, err
	}
	return wktArg{text: tok}, nil
}

// name is the node's first quoted argument, by convention its name.
func (n *wktNode) name() string {
	if len(n.args) > 0 && n.args[0].node == nil {
		return n.args[0].text
	}
	return ""
}

// child returns the first direct child node with one of the keys.
func (n *wktNode) child(keys ...string) *wktNode {
	for _, a := range n.args {
		if a.node == nil {
			continue
		}
		for _, k := range keys {
			if a.node.key == k {
				return a.node
			}
		}
	}
	return nil
}

// children returns all direct child nodes with the key.
func (n *wktNode) children(key string) []*wktNode {
	var out []*wktNode
	for _, a := range n.args {
		if a.node != nil && a.node.key == key {
			out = append(out, a.node)
		}
	}
	return out
}

// number returns the i-th argument as a number.
func (n *wktNode) number(i int) (float64, error) {
	if i >= len(n.args) || n.args[i].node != nil {
		return 0, fmt.Errorf("%s[%q]: argument %d missing", n.key, n.name(), i+1)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(n.args[i].text), 64)
	if err != nil {
		return 0, fmt.Errorf("%s[%q]: argument %d %q is not a number", n.key, n.name(), i+1, n.args[i].text)
	}
	return v, nil
}

// text returns the i-th argument as text, "" if it is missing or a node.
func (n *wktNode) text(i int) string {
	if i >= len(n.args) || n.args[i].node != nil {
		return ""
	}
	return n.args[i].text
}
