package source

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// prjCRS reads a .prj: its WKT as found, the outermost CRS's name, and its
// EPSG code when the outermost CRS carries AUTHORITY["EPSG",n] (WKT 1) or
// ID["EPSG",n] (WKT 2). Authorities of nested elements (datum, base CRS)
// do not identify the CRS and are ignored.
func prjCRS(data []byte) CRS {
	text := string(data)
	if !utf8.ValidString(text) {
		// .prj files are ASCII in practice; a stray Latin-1 byte in a name
		// must not make the text unusable.
		var sb strings.Builder
		for _, b := range data {
			sb.WriteRune(charmap.Windows1252.DecodeByte(b))
		}
		text = sb.String()
	}
	text = strings.TrimSpace(strings.TrimPrefix(text, "\ufeff"))
	crs := CRS{WKT: text}
	root, ok := parseWKT(text)
	if !ok {
		return crs
	}
	if len(root.args) > 0 {
		crs.Name = root.args[0].text
	}
	for _, a := range root.args {
		kw := strings.ToUpper(a.keyword)
		if (kw != "AUTHORITY" && kw != "ID") || len(a.args) < 2 {
			continue
		}
		if !strings.EqualFold(a.args[0].text, "EPSG") {
			continue
		}
		if code, err := strconv.Atoi(a.args[1].text); err == nil && code > 0 {
			crs.SRID = code
			break
		}
	}
	return crs
}

// wktNode is a WKT element KEYWORD[arg, …]; a leaf (quoted text, number or
// enumeration) has only text.
type wktNode struct {
	keyword string
	text    string
	args    []wktNode
}

// parseWKT parses well-known text of either version far enough to walk
// its element tree. It reports false for text that is not well-formed.
func parseWKT(s string) (wktNode, bool) {
	p := wktParser{s: s}
	n, ok := p.node()
	if !ok || n.keyword == "" {
		return wktNode{}, false
	}
	p.space()
	return n, p.pos == len(p.s)
}

type wktParser struct {
	s   string
	pos int
}

func (p *wktParser) space() {
	for p.pos < len(p.s) && strings.ContainsRune(" \t\r\n", rune(p.s[p.pos])) {
		p.pos++
	}
}

func (p *wktParser) node() (wktNode, bool) {
	p.space()
	if p.pos >= len(p.s) {
		return wktNode{}, false
	}
	if p.s[p.pos] == '"' {
		return p.quoted()
	}
	start := p.pos
	for p.pos < len(p.s) && !strings.ContainsRune(",[]() \t\r\n\"", rune(p.s[p.pos])) {
		p.pos++
	}
	word := p.s[start:p.pos]
	if word == "" {
		return wktNode{}, false
	}
	p.space()
	if p.pos >= len(p.s) || (p.s[p.pos] != '[' && p.s[p.pos] != '(') {
		return wktNode{text: word}, true
	}
	open := p.s[p.pos]
	p.pos++
	n := wktNode{keyword: word}
	for {
		arg, ok := p.node()
		if !ok {
			return wktNode{}, false
		}
		n.args = append(n.args, arg)
		p.space()
		if p.pos >= len(p.s) {
			return wktNode{}, false
		}
		switch c := p.s[p.pos]; {
		case c == ',':
			p.pos++
		case (c == ']' && open == '[') || (c == ')' && open == '('):
			p.pos++
			return n, true
		default:
			return wktNode{}, false
		}
	}
}

// quoted reads a double-quoted string; "" inside stands for one quote.
func (p *wktParser) quoted() (wktNode, bool) {
	p.pos++ // opening quote
	var sb strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		if c != '"' {
			sb.WriteByte(c)
			continue
		}
		if p.pos < len(p.s) && p.s[p.pos] == '"' {
			sb.WriteByte('"')
			p.pos++
			continue
		}
		return wktNode{text: sb.String()}, true
	}
	return wktNode{}, false
}
