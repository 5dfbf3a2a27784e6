package indicators

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// Published values lie on a grid: they are rounded to the indicator's
// decimals. A break between two grid points separates the same published
// values as the next grid point above it, so the legend names that grid
// point: with one decimal, values from a break of 12.34 on are those from
// 12,4 on, and the class below ends "bis unter 12,4". The labels are
// therefore exact for every value the map can show, whatever the break.

// gridPoint is a value on the grid of decimals: m × 10^−decimals, with
// the float64 a published value of that text has.
type gridPoint struct {
	m     int64
	value float64
	text  string // plain decimal, as appendPublished writes it
}

// gridUp is the least grid point at or above b.
func gridUp(b float64, decimals int) gridPoint {
	scaled := b * math.Pow10(decimals)
	if math.Abs(scaled) >= 1e15 {
		// beyond the integers a float64 holds exactly there is no grid
		// finer than the value itself
		t := string(appendPublished(nil, b, decimals))
		v, _ := strconv.ParseFloat(t, 64)
		return gridPoint{m: int64(scaled), value: v, text: t}
	}
	m := int64(math.Ceil(scaled))
	// b × 10^d is rounded: correct by the values themselves
	for gridAt(m-1, decimals).value >= b {
		m--
	}
	for gridAt(m, decimals).value < b {
		m++
	}
	return gridAt(m, decimals)
}

// gridAt is the grid point m × 10^−decimals.
func gridAt(m int64, decimals int) gridPoint {
	digits := strconv.FormatInt(max(m, -m), 10)
	if len(digits) <= decimals {
		digits = strings.Repeat("0", decimals-len(digits)+1) + digits
	}
	t := digits
	if decimals > 0 {
		t = digits[:len(digits)-decimals] + "." + digits[len(digits)-decimals:]
	}
	if m < 0 {
		t = "-" + t
	}
	v, _ := strconv.ParseFloat(t, 64)
	return gridPoint{m: m, value: v, text: t}
}

// dropEmptyClasses merges into the class below every inner class that no
// published value can fall in (both its bounds round up to the same grid
// point): quantiles interpolated between two neighbouring published
// values, or standard deviations narrower than the rounding. No value
// changes its class, and the legend loses a class that could only ever
// be empty. The lowest class holds the minimum and the highest the
// maximum, so neither is ever dropped.
func dropEmptyClasses(c *classBounds, decimals int) {
	for i := 1; i < c.k()-1; {
		if gridUp(c.breaks[i], decimals).m != gridUp(c.breaks[i+1], decimals).m {
			i++
			continue
		}
		c.breaks = slices.Delete(c.breaks, i, i+1)
		c.slots = slices.Delete(c.slots, i, i+1)
		if c.withDeviations {
			c.sdHigh[i-1] = c.sdHigh[i]
			c.sdLow = slices.Delete(c.sdLow, i, i+1)
			c.sdHigh = slices.Delete(c.sdHigh, i, i+1)
		}
	}
}

// classLabels are the legend's German labels: "10,0 bis unter 20,0 %",
// the last class "20,0 bis 30,0 %" (its maximum included), a class that
// can hold a single published value just that value, and manual classes
// "unter 10,0 %" and "30,0 % und mehr".
func classLabels(c *classBounds, decimals int, unit string) []string {
	k := c.k()
	labels := make([]string, k)
	withUnit := func(s string) string {
		if unit == "" {
			return s
		}
		return s + " " + unit
	}
	for i := range k {
		lo := gridUp(c.breaks[i], decimals)
		var hi gridPoint
		last := i == k-1
		if last {
			hi = gridUp(c.breaks[k], decimals)
		} else {
			hi = gridUp(c.breaks[i+1], decimals)
		}
		switch {
		case c.open && i == 0:
			labels[i] = withUnit("unter " + germanNumber(hi.text))
		case c.open && last:
			labels[i] = withUnit(germanNumber(lo.text)) + " und mehr"
		case last && lo.m == hi.m, !last && lo.m+1 == hi.m:
			labels[i] = withUnit(germanNumber(lo.text))
		case last:
			labels[i] = withUnit(germanNumber(lo.text) + " bis " + germanNumber(hi.text))
		default:
			labels[i] = withUnit(germanNumber(lo.text) + " bis unter " + germanNumber(hi.text))
		}
	}
	return labels
}

// germanNumber writes a plain decimal ("-12345.6") the German way:
// decimal comma, a point between thousands ("-12.345,6").
func germanNumber(plain string) string {
	sign, digits := "", plain
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	whole, frac, hasFrac := strings.Cut(digits, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteByte(',')
		b.WriteString(frac)
	}
	return b.String()
}
