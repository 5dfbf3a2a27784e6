package indicators

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// changeValues are the changes from the earlier table's published values
// to the later's, area by area (both tables on the same boundaries, so an
// area version is the same row in both), sorted, rounded to the
// indicator's decimals: exactly what a reader gets by subtracting the two
// published figures, as KEY_change of the features and tiles. An area
// whose value is withheld on either side counts as withheld; one without
// a value on either side (and withheld on neither) as missing.
func changeValues(later, earlier *valueRows, decimals int) (values []float64, suppressed, missing int, err error) {
	type side struct {
		value    float64
		has      bool
		withheld bool
	}
	read := func(t *valueRows, r *valueRec) (side, error) {
		if shown := t.span(r.shown[0]); shown != nil {
			v, err := strconv.ParseFloat(string(shown), 64)
			if err != nil {
				return side{}, fmt.Errorf("published value %q: %w", shown, err)
			}
			return side{value: v, has: true}, nil
		}
		return side{withheld: words[r.status] == string(Suppressed)}, nil
	}
	before := make(map[int64]side, len(earlier.recs))
	for i := range earlier.recs {
		s, err := read(earlier, &earlier.recs[i])
		if err != nil {
			return nil, 0, 0, err
		}
		before[earlier.recs[i].id] = s
	}
	scale := math.Pow(10, float64(decimals))
	values = make([]float64, 0, len(later.recs))
	for i := range later.recs {
		now, err := read(later, &later.recs[i])
		if err != nil {
			return nil, 0, 0, err
		}
		then := before[later.recs[i].id]
		switch {
		case now.has && then.has:
			// the difference of two rounded figures has no more
			// decimals than they do; rounding removes the binary noise
			values = append(values, math.Round((now.value-then.value)*scale)/scale)
		case now.withheld || then.withheld:
			suppressed++
		default:
			missing++
		}
	}
	slices.Sort(values)
	return values, suppressed, missing, nil
}

// changeIndicator describes the change of ind since period2 for a legend:
// the property KEY_change, a title naming the earlier period, and
// percentage points for rates in per cent.
func changeIndicator(ind Indicator, period2 time.Time) Indicator {
	c := ind
	c.Key = ind.Key + "_" + derivedChange
	c.Title = fmt.Sprintf("%s: Veränderung seit %s", ind.Title, period2.Format("02.01.2006"))
	if ind.Kind == Rate && ind.Unit == "%" {
		c.Unit = "Prozentpunkte"
	}
	return c
}

// breakAtZero makes zero a class break where the changes run from below
// zero to above it, so that no class holds both falls and rises. Where
// that would make more classes than schemes have colours, zero replaces
// the inner break next to it. A class the new break leaves empty is
// merged with its neighbour on the same side of zero.
func breakAtZero(c *classBounds, sorted []float64) {
	k := c.k()
	if k == 0 || !(c.breaks[0] < 0 && 0 < c.breaks[k]) || slices.Contains(c.breaks, 0) {
		return
	}
	at, _ := slices.BinarySearch(c.breaks, 0)
	if k+1 > maxClasses {
		// the nearer of the two inner breaks around zero
		near := at
		if at == k || (at-1 > 0 && -c.breaks[at-1] < c.breaks[at]) {
			near = at - 1
		}
		c.breaks[near] = 0
	} else {
		c.breaks = slices.Insert(c.breaks, at, 0)
	}
	for merged := true; merged; {
		merged = false
		for i, n := range c.counts(sorted) {
			if n > 0 {
				continue
			}
			// drop the class's inner bound that is not zero
			for _, b := range []int{i + 1, i} {
				if b > 0 && b < c.k() && c.breaks[b] != 0 {
					c.breaks = slices.Delete(c.breaks, b, b+1)
					merged = true
					break
				}
			}
			if merged {
				break
			}
		}
	}
	c.of = c.k()
	c.slots = make([]int, c.of)
	for i := range c.slots {
		c.slots[i] = i
	}
}

// signSlots places the classes on a diverging scheme by sign: the classes
// below zero on the one side, those at or above it on the other, each
// side as long as the longer one needs, and a class across zero (manual
// breaks may make one) in the middle. A change map's colours then say
// "fell" and "rose" rather than "low" and "high". When the scheme has too
// few colours for that (a one-sided change in many classes), the classes
// keep the scheme's colours in order.
func signSlots(c *classBounds) {
	k := c.k()
	below, across, above := bySign(c)
	side := max(below, above)
	of := 2*side + across
	if k == 0 || of > maxClasses {
		return
	}
	c.of = of
	for i := range k {
		c.slots[i] = side - below + i
	}
}

// bySign counts the classes below zero, across it and at or above it.
func bySign(c *classBounds) (below, across, above int) {
	k := c.k()
	for i := range k {
		switch {
		case c.breaks[i+1] <= 0:
			below++
		case c.breaks[i] < 0:
			across++
		}
	}
	return below, across, k - below - across
}

// acrossZeroColour is the colour of a class across zero: a light grey
// between the two hues, darker than the missing grey's pattern ground.
const acrossZeroColour = "#f7f7f7"

// signColours are the default colours of a change map: two sequential
// schemes, one for the falls (darkest for the largest fall) and one for
// the rises, so that each side has as many shades as it has classes
// however unevenly the classes divide. The hues follow the polarity: the
// bad direction red, the good one blue (RdBu's pair), and for neutral
// indicators orange and purple (PuOr's pair); both pairs are told apart
// with the common colour vision deficiencies. The name says which
// schemes: "Blues_r|Reds".
func signColours(c *classBounds, p Polarity) (name string, colours []string) {
	fall, rise := "Oranges", "Purples"
	switch p {
	case HigherWorse:
		fall, rise = "Blues", "Reds"
	case HigherBetter:
		fall, rise = "Reds", "Blues"
	}
	below, across, above := bySign(c)
	f, _ := lookupScheme(fall + "_r")
	r, _ := lookupScheme(rise)
	colours = append(colours, f.colours(below)...)
	if across > 0 {
		colours = append(colours, acrossZeroColour)
	}
	colours = append(colours, r.colours(above)...)
	return fall + "_r|" + rise, colours
}
