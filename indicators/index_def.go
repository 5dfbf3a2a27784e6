package indicators

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// IndexFile is a file of composite index definitions (YAML):
//
//	indices:  list of IndexDefinition, components before the matrices
//	          that combine them
type IndexFile struct {
	Path    string            `yaml:"-"`
	Indices []IndexDefinition `yaml:"indices"`
}

// IndexDefinition defines one composite index: which indicators it
// combines, with which weights and directions, over which areas, how they
// are standardised and combined, and the classes of the result. A matrix
// index instead crosses the classes of two other indices.
//
// The results are indicators: Key holds the index value, Key_klasse its
// class (1 … n, labelled); a matrix index holds only its group, in Key.
type IndexDefinition struct {
	Key         string `yaml:"key" json:"key"`
	Title       string `yaml:"title" json:"title"`
	Description string `yaml:"description" json:"description"`
	// Method says in words how the index is computed and where the method
	// is documented; the outputs show it with the definition.
	Method   string   `yaml:"method" json:"method"`
	Source   string   `yaml:"source" json:"source"`
	Licence  string   `yaml:"licence" json:"licence"`
	Category string   `yaml:"category" json:"category"`
	Unit     string   `yaml:"unit" json:"unit"`
	Polarity Polarity `yaml:"polarity" json:"polarity"`
	Decimals int      `yaml:"decimals" json:"decimals"`
	// Level is the level whose areas are scored.
	Level string `yaml:"level" json:"level,omitempty"`
	// Areas says which areas of the level take part.
	Areas IndexAreas `yaml:"areas" json:"areas"`
	// Indicators are the components, each standardised on its own.
	Indicators  []IndexComponent `yaml:"-" json:"indicators,omitempty"`
	Standardize IndexStandardize `yaml:"standardize" json:"standardize"`
	// Combine is how the standardised components are combined: sum
	// (Σ weight × direction × z) or mean (the same divided by Σ weight).
	Combine string `yaml:"combine" json:"combine,omitempty"`
	// Restandardize standardises the combination again (z over the scored
	// areas, by Standardize's weight and deviation), so that the class
	// thresholds are in standard deviations of the index itself.
	Restandardize *bool `yaml:"restandardize" json:"restandardize,omitempty"`
	// Classes of the index value; required for a matrix's components.
	Classes *IndexClasses `yaml:"classes" json:"classes,omitempty"`
	// Matrix crosses the classes of two indices instead.
	Matrix *IndexMatrix `yaml:"matrix" json:"matrix,omitempty"`
}

// IndexAreas selects the areas of the level that are scored.
type IndexAreas struct {
	// Population is a count indicator; areas whose published value of it
	// in the period is missing, withheld or below MinPopulation are not
	// scored. Both empty: no minimum.
	Population    string  `yaml:"population" json:"population,omitempty"`
	MinPopulation float64 `yaml:"min_population" json:"min_population,omitempty"`
	// Exclude lists areas left out by decision (outliers), with the reason.
	Exclude []IndexExclusion `yaml:"exclude" json:"exclude,omitempty"`
}

// IndexExclusion is an area left out of an index, by its code.
type IndexExclusion struct {
	Code   string `yaml:"code" json:"code"`
	Reason string `yaml:"reason" json:"reason"`
}

// IndexComponent is one indicator of an index.
type IndexComponent struct {
	Indicator string `yaml:"indicator" json:"indicator"`
	// Weight of the component's z-value in the combination (default 1).
	Weight float64 `yaml:"weight" json:"weight"`
	// Direction +1: a higher value raises the index; -1 lowers it
	// (default +1).
	Direction int `yaml:"direction" json:"direction"`
}

// IndexStandardize is the z-transformation: z = (x − mean) / sd over the
// scored areas.
type IndexStandardize struct {
	// Weight, a count indicator, weights mean and deviation by it (e.g.
	// residents); empty: every area counts once.
	Weight string `yaml:"weight" json:"weight,omitempty"`
	// Deviation is population (divide by n, or Σweight) or sample (n − 1,
	// or Σweight − 1).
	Deviation string `yaml:"deviation" json:"deviation"`
}

// IndexClasses divides the index values into classes 1 … n at the cuts,
// in standard deviations when the index is restandardised.
type IndexClasses struct {
	// Title of the class indicator.
	Title string `yaml:"title" json:"title"`
	// Labels of the classes in ascending order of the index value; one
	// more than cuts.
	Labels []string   `yaml:"labels" json:"labels"`
	Cuts   []IndexCut `yaml:"cuts" json:"cuts"`
}

// IndexCut is a class boundary. A value equal to At belongs to the class
// below it (Equal "below") or above it ("above").
type IndexCut struct {
	At    float64 `yaml:"at" json:"at"`
	Equal string  `yaml:"equal" json:"equal"`
}

// IndexMatrix crosses the classes of two indices: group (r−1)·m + c for
// class r of Rows and class c of Columns (m classes), labelled "r.c row
// label / column label".
type IndexMatrix struct {
	Rows    string `yaml:"rows" json:"rows"`
	Columns string `yaml:"columns" json:"columns"`
}

// Combinations and deviations of an index.
const (
	CombineSum          = "sum"
	CombineMean         = "mean"
	DeviationPopulation = "population"
	DeviationSample     = "sample"
	cutBelow            = "below"
	cutAbove            = "above"
)

// ClassKey is the key of the indicator holding the classes of an index
// that is not a matrix.
func (d *IndexDefinition) ClassKey() string {
	if d.Matrix != nil {
		return d.Key
	}
	return d.Key + "_klasse"
}

// ResultKeys are the keys of the indicators holding the index's results.
func (d *IndexDefinition) ResultKeys() []string {
	switch {
	case d.Matrix != nil:
		return []string{d.Key}
	case d.Classes != nil:
		return []string{d.Key, d.ClassKey()}
	}
	return []string{d.Key}
}

// The file as written: pointers tell an absent weight or direction from
// an explicit one.
type indexFileRaw struct {
	Indices []indexRaw `yaml:"indices"`
}

type indexRaw struct {
	IndexDefinition `yaml:",inline"`
	Indicators      []componentRaw `yaml:"indicators"`
}

type componentRaw struct {
	Indicator string   `yaml:"indicator"`
	Weight    *float64 `yaml:"weight"`
	Direction *int     `yaml:"direction"`
}

// ReadIndexFile reads and validates a file of index definitions. Every
// problem is reported, one per line, naming the file, the index and the
// field. References to indicators are checked when the definitions are
// applied, against the database's catalogue.
func ReadIndexFile(path string) (*IndexFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("index definitions: %w", err)
	}
	return ParseIndexFile(path, b)
}

// ParseIndexFile is ReadIndexFile of a file's content.
func ParseIndexFile(path string, b []byte) (*IndexFile, error) {
	p := &problems{file: path, kind: "index definitions"}
	var node yaml.Node
	if err := yaml.Unmarshal(b, &node); err != nil {
		return nil, fmt.Errorf("index definitions %s: %w", path, err)
	}
	if len(node.Content) == 0 {
		return nil, fmt.Errorf("index definitions %s: empty", path)
	}
	checkFieldsAs(p, node.Content[0], reflect.TypeFor[indexFileRaw](), "", map[string]string{"indices": "index"})
	var raw indexFileRaw
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		p.add("%v", err)
		return nil, p.err()
	}
	f := &IndexFile{Path: path}
	for _, r := range raw.Indices {
		d := r.IndexDefinition
		d.Indicators = nil
		for _, c := range r.Indicators {
			ic := IndexComponent{Indicator: c.Indicator, Weight: 1, Direction: 1}
			if c.Weight != nil {
				ic.Weight = *c.Weight
			}
			if c.Direction != nil {
				ic.Direction = *c.Direction
			}
			d.Indicators = append(d.Indicators, ic)
		}
		f.Indices = append(f.Indices, d)
	}
	f.validate(p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *IndexFile) validate(p *problems) {
	if len(f.Indices) == 0 {
		p.add("indices: none defined")
	}
	seen := map[string]bool{}
	byKey := map[string]*IndexDefinition{}
	results := map[string]string{}
	for i := range f.Indices {
		d := &f.Indices[i]
		name := checkEntryKey(p, "index", i, d.Key, seen)
		if d.Key != "" && len(d.ClassKey()) > 63 {
			p.add("%s: key: at most %d characters, so that %q fits", name, 63-len("_klasse"), d.ClassKey())
		}
		d.validate(p, name, byKey)
		for _, k := range d.ResultKeys() {
			if other, ok := results[k]; ok && d.Key != "" {
				p.add("%s: key: its indicator %q is also a result of %s", name, k, other)
			}
			results[k] = name
		}
		if d.Key != "" {
			byKey[d.Key] = d
		}
	}
}

// validate checks one definition; byKey holds the definitions before it,
// which a matrix may cross.
func (d *IndexDefinition) validate(p *problems, name string, byKey map[string]*IndexDefinition) {
	if strings.TrimSpace(d.Title) == "" {
		p.add("%s: title: missing", name)
	}
	if strings.TrimSpace(d.Category) == "" {
		p.add("%s: category: missing", name)
	}
	switch d.Polarity {
	case HigherBetter, HigherWorse, Neutral:
	case "":
		p.add("%s: polarity: missing (higher_better, higher_worse or neutral)", name)
	default:
		p.add("%s: polarity: %q is not higher_better, higher_worse or neutral", name, d.Polarity)
	}
	if d.Decimals < 0 || d.Decimals > 6 {
		p.add("%s: decimals: %d is not between 0 and 6", name, d.Decimals)
	}
	if d.Matrix != nil {
		d.validateMatrix(p, name, byKey)
		return
	}
	if d.Level == "" {
		p.add("%s: level: missing", name)
	}
	if len(d.Indicators) == 0 {
		p.add("%s: indicators: none; an index combines at least one indicator (or set matrix)", name)
	}
	comps := map[string]bool{}
	for i, c := range d.Indicators {
		where := fmt.Sprintf("%s: indicators: entry %d", name, i+1)
		switch {
		case c.Indicator == "":
			p.add("%s: indicator: missing", where)
		case comps[c.Indicator]:
			p.add("%s: indicator: %q is listed twice", where, c.Indicator)
		}
		comps[c.Indicator] = true
		if !(c.Weight > 0) || math.IsInf(c.Weight, 0) {
			p.add("%s: weight: %v is not a positive number", where, c.Weight)
		}
		if c.Direction != 1 && c.Direction != -1 {
			p.add("%s: direction: %d is neither 1 (higher value, higher index) nor -1", where, c.Direction)
		}
	}
	a := d.Areas
	switch {
	case a.MinPopulation < 0 || math.IsNaN(a.MinPopulation) || math.IsInf(a.MinPopulation, 0):
		p.add("%s: areas: min_population: %v is not a non-negative number", name, a.MinPopulation)
	case a.MinPopulation > 0 && a.Population == "":
		p.add("%s: areas: population: missing; min_population needs the count indicator it applies to", name)
	}
	codes := map[string]bool{}
	for i, x := range a.Exclude {
		switch {
		case strings.TrimSpace(x.Code) == "":
			p.add("%s: areas: exclude: entry %d: code: missing", name, i+1)
		case codes[x.Code]:
			p.add("%s: areas: exclude: %q is listed twice", name, x.Code)
		}
		codes[x.Code] = true
		if strings.TrimSpace(x.Reason) == "" {
			p.add("%s: areas: exclude: %q: reason: missing", name, x.Code)
		}
	}
	switch d.Standardize.Deviation {
	case DeviationPopulation, DeviationSample:
	case "":
		p.add("%s: standardize: deviation: missing (population: divide by n; sample: by n − 1)", name)
	default:
		p.add("%s: standardize: deviation: %q is not population or sample", name, d.Standardize.Deviation)
	}
	switch d.Combine {
	case CombineSum, CombineMean:
	case "":
		p.add("%s: combine: missing (sum or mean)", name)
	default:
		p.add("%s: combine: %q is not sum or mean", name, d.Combine)
	}
	if d.Restandardize == nil {
		p.add("%s: restandardize: missing (true: the combination is standardised again; false: not)", name)
	}
	if d.Classes != nil {
		d.Classes.validate(p, name)
	}
}

func (c *IndexClasses) validate(p *problems, name string) {
	if strings.TrimSpace(c.Title) == "" {
		p.add("%s: classes: title: missing", name)
	}
	if len(c.Labels) != len(c.Cuts)+1 {
		p.add("%s: classes: %d labels for %d cuts; give one label more than cuts", name, len(c.Labels), len(c.Cuts))
	}
	for i, l := range c.Labels {
		if strings.TrimSpace(l) == "" {
			p.add("%s: classes: labels: entry %d is empty", name, i+1)
		}
	}
	for i, cut := range c.Cuts {
		if math.IsNaN(cut.At) || math.IsInf(cut.At, 0) {
			p.add("%s: classes: cuts: entry %d: at: %v is not a number", name, i+1, cut.At)
		}
		if i > 0 && !(cut.At > c.Cuts[i-1].At) {
			p.add("%s: classes: cuts: entry %d: at: %v does not rise above %v", name, i+1, cut.At, c.Cuts[i-1].At)
		}
		switch cut.Equal {
		case cutBelow, cutAbove:
		case "":
			p.add("%s: classes: cuts: entry %d: equal: missing (below or above: the class a value equal to the cut belongs to)", name, i+1)
		default:
			p.add("%s: classes: cuts: entry %d: equal: %q is not below or above", name, i+1, cut.Equal)
		}
	}
}

func (d *IndexDefinition) validateMatrix(p *problems, name string, byKey map[string]*IndexDefinition) {
	notFor := func(field string, set bool) {
		if set {
			p.add("%s: %s: not for a matrix index, which crosses the classes of two others", name, field)
		}
	}
	notFor("level", d.Level != "")
	notFor("indicators", len(d.Indicators) > 0)
	notFor("areas", d.Areas.Population != "" || d.Areas.MinPopulation != 0 || len(d.Areas.Exclude) > 0)
	notFor("standardize", d.Standardize != IndexStandardize{})
	notFor("combine", d.Combine != "")
	notFor("restandardize", d.Restandardize != nil)
	notFor("classes", d.Classes != nil)
	m := d.Matrix
	for _, r := range []struct{ field, key string }{{"rows", m.Rows}, {"columns", m.Columns}} {
		other := byKey[r.key]
		switch {
		case r.key == "":
			p.add("%s: matrix: %s: missing", name, r.field)
		case other == nil:
			p.add("%s: matrix: %s: %q is no index defined before it in the file", name, r.field, r.key)
		case other.Matrix != nil:
			p.add("%s: matrix: %s: %q is a matrix itself", name, r.field, r.key)
		case other.Classes == nil:
			p.add("%s: matrix: %s: %q has no classes", name, r.field, r.key)
		}
	}
	if m.Rows != "" && m.Rows == m.Columns {
		p.add("%s: matrix: rows and columns are both %q", name, m.Rows)
	}
	if r, c := byKey[m.Rows], byKey[m.Columns]; r != nil && c != nil && r.Matrix == nil && c.Matrix == nil && r.Level != c.Level {
		p.add("%s: matrix: %q is of level %q, %q of %q", name, m.Rows, r.Level, m.Columns, c.Level)
	}
}

// classify returns the class (1 …) of v.
func (c *IndexClasses) classify(v float64) int {
	class := 1
	for _, cut := range c.Cuts {
		if v > cut.At || (v == cut.At && cut.Equal == cutAbove) {
			class++
		}
	}
	return class
}

// matrixLabels are the labels of the groups of a matrix of rows × columns.
func matrixLabels(rows, columns *IndexClasses) []string {
	var labels []string
	for r, rl := range rows.Labels {
		for c, cl := range columns.Labels {
			labels = append(labels, fmt.Sprintf("%d.%d %s / %s", r+1, c+1, rl, cl))
		}
	}
	return labels
}

// classLabels are the labels of the index's classes or groups; matrix
// needs the definitions of its rows and columns.
func (d *IndexDefinition) classLabels(byKey map[string]*IndexDefinition) ([]string, error) {
	if d.Matrix == nil {
		if d.Classes == nil {
			return nil, nil
		}
		return slices.Clone(d.Classes.Labels), nil
	}
	r, c := byKey[d.Matrix.Rows], byKey[d.Matrix.Columns]
	if r == nil || c == nil || r.Classes == nil || c.Classes == nil {
		return nil, errors.New("matrix of indices without classes")
	}
	return matrixLabels(r.Classes, c.Classes), nil
}
