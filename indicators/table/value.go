package table

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// valueReader reads value cells by one file's decimal convention.
type valueReader struct {
	decimal, group byte
	placeholders   []placeholder
}

type placeholder struct {
	text   string
	number float64
	isNum  bool
}

func newValueReader(decimal byte, placeholders []string) *valueReader {
	v := &valueReader{decimal: decimal, group: otherSeparator(decimal)}
	for _, p := range placeholders {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		ph := placeholder{text: p}
		if n, ok := v.number(p); ok {
			ph.number, ph.isNum = n, true
		} else if n, err := strconv.ParseFloat(p, 64); err == nil {
			ph.number, ph.isNum = n, true
		}
		v.placeholders = append(v.placeholders, ph)
	}
	return v
}

func otherSeparator(decimal byte) byte {
	if decimal == '.' {
		return ','
	}
	return '.'
}

// Official signs of German statistics (Zeichenerklärung) standing for a
// whole cell.
var signs = map[string]Status{
	"–":   Measured, // nothing: exactly zero
	"—":   Measured,
	"-":   Measured, // a hyphen-minus set for the dash
	".":   Suppressed,
	"x":   Missing, // not meaningful
	"X":   Missing,
	"/":   Missing, // too uncertain
	"…":   Missing, // not yet available
	"...": Missing,
}

// footnote is the status a footnote letter after a number gives.
func footnote(c byte) (Status, bool) {
	switch c {
	case 'p':
		return Provisional, true // vorläufig
	case 'e', 's':
		return Estimated, true // geschätzt
	case 'r':
		return Measured, true // berichtigt
	}
	return "", false
}

// read returns the value and status a cell states, or why it cannot be
// read. has is false when the cell states no value (Suppressed, Missing)
// or cannot be read.
func (v *valueReader) read(text string, typed bool) (n float64, has bool, st Status, reason string) {
	s := strings.TrimSpace(text)
	if s == "" {
		return 0, false, Missing, ""
	}
	if v.isPlaceholderText(s) {
		return 0, false, Missing, ""
	}
	if typed {
		if n, ok := parseTypedNumber(s); ok {
			if v.isPlaceholderNumber(n) {
				return 0, false, Missing, ""
			}
			return n, true, Measured, ""
		}
	}
	// No sign starts with a digit: most cells need no look-up.
	if s[0] < '0' || s[0] > '9' {
		if st, ok := signs[s]; ok {
			return 0, st == Measured, st, ""
		}
	}
	body, status := splitFootnote(s)
	n, ok := v.number(body)
	if !ok {
		return 0, false, "", v.notANumber(text)
	}
	if v.isPlaceholderNumber(n) {
		return 0, false, Missing, ""
	}
	return n, true, status, ""
}

func (v *valueReader) notANumber(text string) string {
	reason := fmt.Sprintf("not a number: %q", text)
	body, _ := splitFootnote(strings.TrimSpace(text))
	other := &valueReader{decimal: v.group, group: v.decimal}
	if _, ok := other.number(body); ok {
		reason += fmt.Sprintf(" (this file is read with the decimal %s; set the decimal separator if that is wrong)", separatorName(v.decimal))
	}
	return reason
}

func (v *valueReader) isPlaceholderText(s string) bool {
	for _, p := range v.placeholders {
		if p.text == s {
			return true
		}
	}
	return false
}

func (v *valueReader) isPlaceholderNumber(n float64) bool {
	for _, p := range v.placeholders {
		if p.isNum && p.number == n {
			return true
		}
	}
	return false
}

// splitFootnote removes a footnote letter after a number ("123 p").
func splitFootnote(s string) (string, Status) {
	if len(s) < 2 {
		return s, Measured
	}
	st, ok := footnote(s[len(s)-1])
	if !ok {
		return s, Measured
	}
	body := strings.TrimSpace(s[:len(s)-1])
	if body == "" || body[len(body)-1] < '0' || body[len(body)-1] > '9' {
		return s, Measured
	}
	return body, st
}

// splitSign removes a leading sign: hyphen-minus, the minus sign U+2212 or plus.
func splitSign(s string) (string, bool) {
	switch {
	case strings.HasPrefix(s, "-"):
		return strings.TrimSpace(s[1:]), true
	case strings.HasPrefix(s, "−"):
		return strings.TrimSpace(s[len("−"):]), true
	case strings.HasPrefix(s, "+"):
		return strings.TrimSpace(s[1:]), false
	}
	return s, false
}

// isGroupSpace reports the spaces used to group thousands: space, no-break
// space, narrow no-break space, thin space.
func isGroupSpace(r rune) bool {
	return r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\u2009'
}

// number reads a number by the file's convention: optional sign, digits
// grouped by threes with the group separator or spaces, optional decimal
// part.
func (v *valueReader) number(s string) (float64, bool) {
	if n, ok, decided := v.plainNumber(s); decided {
		return n, ok
	}
	return v.anyNumber(s)
}

// plainDigits is how many digits plainNumber converts itself: below 2^53
// every such integer is a float64, so that it and its quotient by a power
// of ten up to 10^22 round exactly as strconv.ParseFloat rounds the text.
const plainDigits = 15

var pow10 = [plainDigits + 1]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// plainNumber reads the numbers most cells hold — an optional "-" or "+"
// before a digit, then only digits and the two separators — by the rules
// of anyNumber, without its copies. decided is false for anything else
// (spaces, the minus sign U+2212, more than plainDigits digits), which
// anyNumber reads.
func (v *valueReader) plainNumber(s string) (n float64, ok, decided bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false, false
	}
	var mant uint64
	digits, group := 0, 0 // digits in all, in the current group of the integer part
	groups := false       // the integer part has group separators
	frac := -1            // digits after the decimal separator; -1 before it
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
			if digits > plainDigits {
				return 0, false, false
			}
			mant = mant*10 + uint64(c-'0')
			if frac >= 0 {
				frac++
			} else {
				group++
			}
		case c == v.group:
			// The first group has one to three digits, the others three.
			if frac >= 0 || group == 0 || group > 3 || (groups && group != 3) {
				return 0, false, true
			}
			groups, group = true, 0
		case c == v.decimal:
			if frac >= 0 {
				return 0, false, true
			}
			frac = 0
		default:
			return 0, false, false
		}
	}
	// group still counts the integer part's last group after a decimal
	// separator.
	if frac == 0 || (groups && group != 3) {
		return 0, false, true
	}
	n = float64(mant)
	if frac > 0 {
		n /= pow10[frac]
	}
	if neg {
		n = -n
	}
	return n, true, true
}

// anyNumber is number for every text.
func (v *valueReader) anyNumber(s string) (float64, bool) {
	s, neg := splitSign(s)
	if strings.ContainsFunc(s, isGroupSpace) {
		s = strings.Map(func(r rune) rune {
			if isGroupSpace(r) {
				return rune(v.group)
			}
			return r
		}, s)
	}
	intPart, frac, hasDec := strings.Cut(s, string(v.decimal))
	if hasDec && (frac == "" || !allDigits(frac)) {
		return 0, false
	}
	if !groupedDigits(intPart, v.group) && !(intPart == "" && hasDec) {
		return 0, false
	}
	clean := strings.ReplaceAll(intPart, string(v.group), "")
	if hasDec {
		clean += "." + frac
	}
	n, err := strconv.ParseFloat(clean, 64)
	if err != nil || math.IsInf(n, 0) {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// groupedDigits: "1234", or "1.234.567" with groups of three after the first.
func groupedDigits(s string, group byte) bool {
	parts := strings.Split(s, string(group))
	if len(parts) == 1 {
		return allDigits(s)
	}
	if len(parts[0]) < 1 || len(parts[0]) > 3 || !allDigits(parts[0]) {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) != 3 || !allDigits(p) {
			return false
		}
	}
	return true
}

func separatorName(c byte) string {
	if c == ',' {
		return "comma"
	}
	return "point"
}

// vote is what one value says about the file's decimal separator.
type vote int

const (
	noVote vote = iota
	commaDecimal
	pointDecimal
	// "1,234" or "1.234": a decimal or a group of thousands.
	ambiguousComma
	ambiguousPoint
)

// classify tells what a text value says about the decimal separator.
func classify(text string) vote {
	s := strings.TrimSpace(text)
	// Digits and separators alone, as most values are, have no footnote,
	// sign or spaces to remove.
	if !digitsAndSeparators(s) {
		s, _ = splitFootnote(s)
		s, _ = splitSign(s)
		s = strings.Map(func(r rune) rune {
			if isGroupSpace(r) {
				return -1
			}
			return r
		}, s)
		if strings.Trim(s, "0123456789.,") != "" {
			return noVote
		}
	}
	if s == "" || strings.Trim(s, ".,") == "" {
		return noVote
	}
	comma, point := strings.LastIndexByte(s, ','), strings.LastIndexByte(s, '.')
	switch {
	case comma < 0 && point < 0:
		return noVote
	case comma >= 0 && point >= 0:
		if comma > point {
			return commaDecimal
		}
		return pointDecimal
	case comma >= 0:
		return classifyOne(s, ',', commaDecimal, pointDecimal, ambiguousComma)
	default:
		return classifyOne(s, '.', pointDecimal, commaDecimal, ambiguousPoint)
	}
}

func digitsAndSeparators(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' && c != ',' {
			return false
		}
	}
	return true
}

// classifyOne judges a number with one kind of separator c: several of
// them are groups; one with other than three digits after it, or after a
// leading 0 or more than three digits, is a decimal; "1,234" stays open.
func classifyOne(s string, c byte, decimal, grouping, ambiguous vote) vote {
	if strings.Count(s, string(c)) > 1 {
		return grouping
	}
	i := strings.IndexByte(s, c)
	intPart, frac := s[:i], s[i+1:]
	if len(frac) == 3 && len(intPart) >= 1 && len(intPart) <= 3 && intPart != "0" {
		return ambiguous
	}
	return decimal
}

// example is a value cell remembered to explain a decision.
type example struct {
	line   int
	column string
	text   string
}

// decimalVotes gathers what a file's text values say about its decimal
// separator: the first value of each kind.
type decimalVotes struct {
	first [ambiguousPoint + 1]example
	has   [ambiguousPoint + 1]bool
}

// add counts a text value.
func (d *decimalVotes) add(line int, column, text string) {
	if k := classify(text); k != noVote && !d.has[k] {
		d.first[k], d.has[k] = example{line: line, column: column, text: text}, true
	}
}

// decide returns the file's decimal separator, or why the values leave it
// open.
func (d *decimalVotes) decide(t *Table) (byte, error) {
	var first [ambiguousPoint + 1]*example
	for k, ok := range d.has {
		if ok {
			first[k] = &d.first[k]
		}
	}
	conflict := func(a, b *example, hint string) error {
		return t.Problem(0, "", fmt.Sprintf("the values mix decimal conventions: line %d, column %q has %q and line %d, column %q has %q%s; set the decimal separator",
			a.line, a.column, a.text, b.line, b.column, b.text, hint))
	}
	comma, point := first[commaDecimal], first[pointDecimal]
	switch {
	case comma != nil && point != nil:
		return 0, conflict(comma, point, "")
	case comma != nil:
		return ',', nil
	case point != nil:
		return '.', nil
	}
	ac, ap := first[ambiguousComma], first[ambiguousPoint]
	switch {
	case ac != nil && ap != nil:
		return 0, conflict(ac, ap, " (groups of thousands or decimals?)")
	case ac != nil:
		return '.', nil // "1,234" with no decimals anywhere: grouping
	}
	return ',', nil
}
