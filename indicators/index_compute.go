package indicators

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// indexArea is an area version that may be scored.
type indexArea struct {
	ID         int64
	Code, Name string
}

// indexInput holds the published values an index is computed from, for
// the areas of its level in one period: values[key][i] is the value of
// indicator key at areas[i], nil where it is missing or withheld.
type indexInput struct {
	areas  []indexArea
	values map[string][]*float64
}

// IndexScore is the result of one scored area.
type IndexScore struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Z are the components' standardised values, in the definition's
	// order; Combined is their combination before any restandardisation.
	Z        []float64 `json:"z"`
	Combined float64   `json:"combined"`
	Value    float64   `json:"value"`
	Class    int       `json:"class,omitempty"`

	id int64
}

// IndexExcluded is an area of the level that was not scored, and why.
type IndexExcluded struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// IndexStats are the statistics of one computation: the mean and standard
// deviation of each component and of the combination, over the scored
// areas.
type IndexStats struct {
	Components  []IndexMoments `json:"components,omitempty"`
	Combination *IndexMoments  `json:"combination,omitempty"`
	// Classes counts the scored areas per class (index 0: class 1).
	Classes []int `json:"classes,omitempty"`
}

// IndexMoments are the mean and standard deviation of one variable.
type IndexMoments struct {
	Indicator string  `json:"indicator,omitempty"`
	Mean      float64 `json:"mean"`
	SD        float64 `json:"sd"`
}

// indexOutcome is an index computed for one period.
type indexOutcome struct {
	Scored   []IndexScore
	Excluded []IndexExcluded
	Stats    IndexStats
}

// computeIndex scores the areas of in by d, which is no matrix. Areas are
// taken in the order of in.areas, so that sums are always formed in the
// same order and results repeat to the last bit.
//
//  1. An area takes part unless it is on the exclusion list, its
//     population is missing, withheld or below the minimum, or a component
//     (or the standardisation weight) is missing or withheld.
//  2. Each component x is standardised over the scored areas:
//     z = (x − mean) / sd, mean and sd weighted by the weight indicator if
//     one is set, sd with the divisor n (population) or n − 1 (sample).
//  3. The combination is Σ weight × direction × z (sum), or that divided
//     by Σ weight (mean).
//  4. With restandardize, the combination is standardised the same way.
//  5. The class counts the cuts below the value (a value on a cut goes to
//     the side the cut says).
func computeIndex(d *IndexDefinition, in indexInput) (indexOutcome, error) {
	var out indexOutcome
	excluded := map[string]string{}
	for _, x := range d.Areas.Exclude {
		excluded[x.Code] = x.Reason
	}
	var take []int
	for i, a := range in.areas {
		reason := ""
		if r, ok := excluded[a.Code]; ok {
			reason = "ausgeschlossen: " + r
		} else if d.Areas.Population != "" {
			pop := in.values[d.Areas.Population][i]
			switch {
			case pop == nil:
				reason = "Einwohnerzahl fehlt oder ist gesperrt"
			case *pop < d.Areas.MinPopulation:
				reason = fmt.Sprintf("weniger als %s Einwohner", formatPlain(d.Areas.MinPopulation))
			}
		}
		if reason == "" {
			var missing []string
			for _, c := range d.Indicators {
				if in.values[c.Indicator][i] == nil {
					missing = append(missing, c.Indicator)
				}
			}
			if w := d.Standardize.Weight; w != "" && in.values[w][i] == nil {
				missing = append(missing, w)
			}
			if len(missing) > 0 {
				reason = "Wert fehlt oder ist gesperrt: " + strings.Join(missing, ", ")
			}
		}
		if reason != "" {
			out.Excluded = append(out.Excluded, IndexExcluded{Code: a.Code, Name: a.Name, Reason: reason})
			continue
		}
		take = append(take, i)
	}
	if len(take) < 2 {
		return out, fmt.Errorf("index %s: %d areas to score; standardising needs at least 2", d.Key, len(take))
	}

	weights := make([]float64, len(take))
	for j, i := range take {
		weights[j] = 1
		if w := d.Standardize.Weight; w != "" {
			weights[j] = *in.values[w][i]
		}
	}
	out.Scored = make([]IndexScore, len(take))
	for j, i := range take {
		a := in.areas[i]
		out.Scored[j] = IndexScore{Code: a.Code, Name: a.Name, id: a.ID, Z: make([]float64, len(d.Indicators))}
	}
	x := make([]float64, len(take))
	var weightSum float64
	for _, c := range d.Indicators {
		weightSum += c.Weight
	}
	for k, c := range d.Indicators {
		for j, i := range take {
			x[j] = *in.values[c.Indicator][i]
		}
		m, err := moments(x, weights, d.Standardize.Deviation)
		if err != nil {
			return out, fmt.Errorf("index %s: indicator %s: %w", d.Key, c.Indicator, err)
		}
		m.Indicator = c.Indicator
		out.Stats.Components = append(out.Stats.Components, m)
		for j := range take {
			z := (x[j] - m.Mean) / m.SD
			out.Scored[j].Z[k] = z
			out.Scored[j].Combined += c.Weight * float64(c.Direction) * z
		}
	}
	for j := range out.Scored {
		s := &out.Scored[j]
		if d.Combine == CombineMean {
			s.Combined /= weightSum
		}
		s.Value = s.Combined
	}
	if d.Restandardize != nil && *d.Restandardize {
		for j := range out.Scored {
			x[j] = out.Scored[j].Combined
		}
		m, err := moments(x, weights, d.Standardize.Deviation)
		if err != nil {
			return out, fmt.Errorf("index %s: combination: %w", d.Key, err)
		}
		out.Stats.Combination = &m
		for j := range out.Scored {
			out.Scored[j].Value = (x[j] - m.Mean) / m.SD
		}
	}
	if d.Classes != nil {
		out.Stats.Classes = make([]int, len(d.Classes.Labels))
		for j := range out.Scored {
			s := &out.Scored[j]
			s.Class = d.Classes.classify(s.Value)
			out.Stats.Classes[s.Class-1]++
		}
	}
	return out, nil
}

// moments are the weighted mean and standard deviation of x; deviation
// says the divisor: Σweight (population) or Σweight − 1 (sample).
func moments(x, w []float64, deviation string) (IndexMoments, error) {
	var sw, swx float64
	for i := range x {
		sw += w[i]
		swx += w[i] * x[i]
	}
	if !(sw > 0) {
		return IndexMoments{}, fmt.Errorf("weights sum to %v", sw)
	}
	mean := swx / sw
	var ss float64
	for i := range x {
		d := x[i] - mean
		ss += w[i] * d * d
	}
	div := sw
	if deviation == DeviationSample {
		div = sw - 1
	}
	if !(div > 0) {
		return IndexMoments{}, fmt.Errorf("too few areas for a sample deviation")
	}
	sd := math.Sqrt(ss / div)
	if !(sd > 0) || math.IsInf(sd, 0) {
		return IndexMoments{}, fmt.Errorf("standard deviation %v; every scored area has the same value", sd)
	}
	return IndexMoments{Mean: mean, SD: sd}, nil
}

// computeMatrix crosses the classes of rows and columns: areas scored by
// both get group (r − 1) × m + c.
func computeMatrix(rows, columns indexOutcome, m int, groups int) indexOutcome {
	var out indexOutcome
	colClass := map[int64]int{}
	for _, s := range columns.Scored {
		colClass[s.id] = s.Class
	}
	rowClass := map[int64]bool{}
	out.Stats.Classes = make([]int, groups)
	for _, s := range rows.Scored {
		rowClass[s.id] = true
		c, ok := colClass[s.id]
		if !ok {
			out.Excluded = append(out.Excluded, IndexExcluded{Code: s.Code, Name: s.Name, Reason: "keine Klasse der Spalten"})
			continue
		}
		g := (s.Class-1)*m + c
		out.Scored = append(out.Scored, IndexScore{Code: s.Code, Name: s.Name, id: s.id, Value: float64(g), Class: g})
		out.Stats.Classes[g-1]++
	}
	for _, s := range columns.Scored {
		if !rowClass[s.id] {
			out.Excluded = append(out.Excluded, IndexExcluded{Code: s.Code, Name: s.Name, Reason: "keine Klasse der Zeilen"})
		}
	}
	out.Excluded = append(out.Excluded, rows.Excluded...)
	slices.SortFunc(out.Excluded, func(a, b IndexExcluded) int {
		if a.Code < b.Code {
			return -1
		}
		if a.Code > b.Code {
			return 1
		}
		return 0
	})
	out.Excluded = slices.CompactFunc(out.Excluded, func(a, b IndexExcluded) bool { return a.Code == b.Code })
	return out
}

// formatPlain writes a number without trailing zeros.
func formatPlain(v float64) string {
	return fmt.Sprintf("%g", v)
}
