package indicators

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/sozialatlas/sozialatlas/geo"
)

// Catalogue is the indicator catalogue as read from its YAML file: the
// indicators, the additive groups among them and the mappings of the
// statistical tables that deliver them. The file is versioned with the data;
// the database mirrors its indicators and groups (SyncCatalogue).
//
// The file's top level has these fields:
//
//	defaults:    min_count and min_denominator for indicators that set none
//	             (3 and 10 when absent)
//	categories:  the allowed categories (DefaultCategories when absent)
//	indicators:  list of Indicator, in the order they are shown
//	groups:      list of Group
//	tables:      list of TableMapping
type Catalogue struct {
	// Path is the file the catalogue was read from; empty for one read
	// from the database.
	Path       string         `yaml:"-" json:"-"`
	Categories []string       `yaml:"categories" json:"categories"`
	Indicators []Indicator    `yaml:"indicators" json:"indicators"`
	Groups     []Group        `yaml:"groups" json:"groups"`
	Tables     []TableMapping `yaml:"tables" json:"tables,omitempty"`
}

// Indicator is one entry of the catalogue.
type Indicator struct {
	// Key identifies the indicator in tables, URLs and the database:
	// lower case letters, digits and '_', starting with a letter.
	Key         string `yaml:"key" json:"key"`
	Title       string `yaml:"title" json:"title"`
	Description string `yaml:"description" json:"description"`
	Unit        string `yaml:"unit" json:"unit"`
	// Category is one of the catalogue's categories.
	Category string   `yaml:"category" json:"category"`
	Polarity Polarity `yaml:"polarity" json:"polarity"`
	Source   string   `yaml:"source" json:"source"`
	Licence  string   `yaml:"licence" json:"licence"`
	// Decimals shown, 0 to 6.
	Decimals int  `yaml:"decimals" json:"decimals"`
	Kind     Kind `yaml:"kind" json:"kind"`
	// Combine (counts only) computes the count, where it was not imported,
	// as a linear combination of other counts of the same area and period:
	// {einwohner: 1, einwohner_maennlich: -1}.
	Combine map[string]float64 `yaml:"combine" json:"combine,omitempty"`
	// Numerator / Denominator × Scale (rates only), both counts.
	Numerator   string  `yaml:"numerator" json:"numerator,omitempty"`
	Denominator string  `yaml:"denominator" json:"denominator,omitempty"`
	Scale       float64 `yaml:"scale" json:"scale,omitempty"`
	// Weight (means only) is the count a mean is weighted by.
	Weight string `yaml:"weight" json:"weight,omitempty"`
	// MinCount: counts with 0 < n < MinCount are withheld.
	// MinDenominator: rates and means whose denominator or weight is below
	// it are withheld. In the file both are optional (min_count,
	// min_denominator) and default to the file's defaults.
	MinCount       int `yaml:"-" json:"min_count"`
	MinDenominator int `yaml:"-" json:"min_denominator"`
	// Position is the indicator's place in the catalogue, from 0.
	Position int `yaml:"-" json:"-"`
	// CompositeIndex names the index whose results the indicator holds;
	// such indicators are made by ApplyIndices, never by the catalogue.
	CompositeIndex string `yaml:"-" json:"composite_index,omitempty"`
	// Labels name the values of a class indicator (1 = "hoch", …).
	Labels []ValueLabel `yaml:"-" json:"labels,omitempty"`
}

// Label returns the label of value v, "" when it has none.
func (ind *Indicator) Label(v float64) string {
	for _, l := range ind.Labels {
		if float64(l.Value) == v {
			return l.Label
		}
	}
	return ""
}

// Group declares count indicators whose values add up to a total for
// every area and period (age bands to residents). Disclosure control keeps
// a withheld band from being recovered as total minus the other bands.
type Group struct {
	Key     string   `yaml:"key" json:"key"`
	Title   string   `yaml:"title" json:"title"`
	Total   string   `yaml:"total" json:"total"`
	Members []string `yaml:"members" json:"members"`
}

// TableFormat is the layout of a statistical table.
type TableFormat string

const (
	// LongTable has one value per row: area, indicator, period, value.
	LongTable TableFormat = "long"
	// WideTable has one row per area and one column per indicator.
	WideTable TableFormat = "wide"
	// GV100AD is Destatis' fixed-width Gemeindeverzeichnis
	// ("Datensatzbeschreibung GV100AD"); its records of type 60
	// (Gemeinden) offer the fields GV100ADFields names.
	GV100AD TableFormat = "gv100ad"
)

// GV100ADFields returns the field names a gv100ad table mapping can use
// as area, name and value columns: the 12-digit Regionalschlüssel (ars),
// the 8-digit Gemeindeschlüssel (ags), the name, the area in hectares, the
// population and the male population.
func GV100ADFields() []string {
	return []string{"ars", "ags", "name", "area_ha", "population", "male"}
}

// TableMapping says how to read one kind of statistical table; the
// importer takes it by key. Fields in the file (snake case):
//
//	key            identifies the mapping
//	description    what the table is (German)
//	file           optional: the table this mapping was written for,
//	               relative to the catalogue's directory
//	source, licence  of the table, with the attribution its licence asks for
//	format         long, wide or gv100ad
//	level          the area level the codes are of
//	area_column    the column holding area codes
//	name_column    optional: area names, for areas created on import
//	indicator_column, value_column, period_column
//	               long tables only: the indicator key, the value and
//	               (unless period is set) the period of each row
//	columns        wide and gv100ad tables: list of {column, indicator,
//	               factor}; the value read is multiplied by factor
//	               (default 1), e.g. 0.01 for hectares to km²
//	period         the reference date of the values (YYYY-MM-DD); wide
//	               and gv100ad tables need it
//	gebietsstand   the boundary version the codes refer to; default period
//	placeholders   cell values meaning "missing", e.g. "-9999"
//	decimal        ",", "." or auto (default: detected)
//	delimiter      one character; empty: detected (not for gv100ad)
//	encoding       utf-8, windows-1252 or auto (default)
//	sheet          optional: the sheet of an XLSX workbook
type TableMapping struct {
	Key             string          `yaml:"key" json:"key"`
	Description     string          `yaml:"description" json:"description,omitempty"`
	File            string          `yaml:"file" json:"file,omitempty"`
	Source          string          `yaml:"source" json:"source,omitempty"`
	Licence         string          `yaml:"licence" json:"licence,omitempty"`
	Format          TableFormat     `yaml:"format" json:"format"`
	Level           string          `yaml:"level" json:"level"`
	AreaColumn      string          `yaml:"area_column" json:"area_column"`
	NameColumn      string          `yaml:"name_column" json:"name_column,omitempty"`
	IndicatorColumn string          `yaml:"indicator_column" json:"indicator_column,omitempty"`
	ValueColumn     string          `yaml:"value_column" json:"value_column,omitempty"`
	PeriodColumn    string          `yaml:"period_column" json:"period_column,omitempty"`
	Columns         []ColumnMapping `yaml:"columns" json:"columns,omitempty"`
	// Period is zero for long tables that take it from PeriodColumn.
	Period time.Time `yaml:"period" json:"period,omitzero"`
	// Gebietsstand is Period when the file sets none; zero only for long
	// tables with a period column, whose rows each use their own period.
	Gebietsstand time.Time `yaml:"gebietsstand" json:"gebietsstand,omitzero"`
	Placeholders []string  `yaml:"placeholders" json:"placeholders,omitempty"`
	// Decimal is ",", "." or "auto".
	Decimal string `yaml:"decimal" json:"decimal"`
	// Delimiter is one character, or empty to detect it.
	Delimiter string `yaml:"delimiter" json:"delimiter,omitempty"`
	// Encoding is "utf-8", "windows-1252" or "auto".
	Encoding string `yaml:"encoding" json:"encoding"`
	Sheet    string `yaml:"sheet" json:"sheet,omitempty"`
	// Exclude lists codes in the file that are not areas of the level, such
	// as the records of Destatis' GV100AD for the German-Luxembourg
	// condominium and for coastal waters, which belong to no Kreis; their
	// rows are skipped and counted in the report, never silently dropped.
	Exclude []string `yaml:"exclude" json:"exclude,omitempty"`
}

// ColumnMapping maps one column of a wide table to an indicator.
type ColumnMapping struct {
	Column    string `yaml:"column" json:"column"`
	Indicator string `yaml:"indicator" json:"indicator"`
	// Factor multiplies the value read; 1 when the file sets none.
	Factor float64 `yaml:"factor" json:"factor"`
}

// DefaultCategories are the categories of a catalogue that declares none,
// in the order a Sozialstrukturatlas usually shows them.
func DefaultCategories() []string {
	return []string{
		"Demografie",
		"Kinder/Jugend/Familie",
		"Bildung",
		"Arbeit/Armut",
		"Alter/Pflege",
		"Teilhabe/Behinderung",
		"Wohnen",
		"Gesundheit",
		"Fläche/Siedlung",
	}
}

// Defaults of disclosure control: counts of 1 and 2 and rates over fewer
// than 10 are withheld.
const (
	DefaultMinCount       = 3
	DefaultMinDenominator = 10
)

// keyPattern is the form of indicator, group and table keys; the database
// checks the same for indicators and groups.
var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// The file as written: the two disclosure limits are pointers so that an
// explicit 0 differs from an absent value.
type catalogueFile struct {
	Defaults struct {
		MinCount       *int `yaml:"min_count"`
		MinDenominator *int `yaml:"min_denominator"`
	} `yaml:"defaults"`
	Categories []string        `yaml:"categories"`
	Indicators []indicatorFile `yaml:"indicators"`
	Groups     []Group         `yaml:"groups"`
	Tables     []TableMapping  `yaml:"tables"`
}

type indicatorFile struct {
	Indicator      `yaml:",inline"`
	MinCount       *int `yaml:"min_count"`
	MinDenominator *int `yaml:"min_denominator"`
}

// ReadCatalogue reads and validates a catalogue file. Every problem found
// is reported, one per line, each naming the file, the entry and the field.
func ReadCatalogue(path string) (*Catalogue, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	return ParseCatalogue(path, b)
}

// ParseCatalogue parses and validates a catalogue held in memory; path
// names it in errors and resolves nothing.
func ParseCatalogue(path string, b []byte) (*Catalogue, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", path, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("catalogue %s: the file is empty", path)
	}
	p := &problems{file: path}
	checkFields(p, root.Content[0], reflect.TypeFor[catalogueFile](), "")
	if err := p.err(); err != nil {
		return nil, err
	}
	// The walk above names unknown fields readably; KnownFields is the
	// backstop should a field ever slip past it.
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f catalogueFile
	if err := dec.Decode(&f); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				p.add("%s", e)
			}
			return nil, p.err()
		}
		return nil, fmt.Errorf("catalogue %s: %w", path, err)
	}
	cat := f.resolve(p, path)
	cat.validate(p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return cat, nil
}

// resolve applies the defaults.
func (f *catalogueFile) resolve(p *problems, path string) *Catalogue {
	minCount, minDenominator := DefaultMinCount, DefaultMinDenominator
	if v := f.Defaults.MinCount; v != nil {
		if *v < 0 {
			p.add("defaults: min_count: %d is negative", *v)
		}
		minCount = *v
	}
	if v := f.Defaults.MinDenominator; v != nil {
		if *v < 0 {
			p.add("defaults: min_denominator: %d is negative", *v)
		}
		minDenominator = *v
	}
	cat := &Catalogue{Path: path, Categories: f.Categories, Groups: f.Groups, Tables: f.Tables}
	if cat.Categories == nil {
		cat.Categories = DefaultCategories()
	}
	for i, fi := range f.Indicators {
		ind := fi.Indicator
		ind.Position = i
		ind.MinCount, ind.MinDenominator = minCount, minDenominator
		if fi.MinCount != nil {
			ind.MinCount = *fi.MinCount
		}
		if fi.MinDenominator != nil {
			ind.MinDenominator = *fi.MinDenominator
		}
		cat.Indicators = append(cat.Indicators, ind)
	}
	for i := range cat.Tables {
		t := &cat.Tables[i]
		if t.Decimal == "" {
			t.Decimal = "auto"
		}
		if t.Encoding == "" {
			t.Encoding = "auto"
		}
		if t.Gebietsstand.IsZero() {
			t.Gebietsstand = t.Period
		}
		for j := range t.Columns {
			if t.Columns[j].Factor == 0 {
				t.Columns[j].Factor = 1
			}
		}
	}
	return cat
}

func (c *Catalogue) validate(p *problems) {
	categories := map[string]bool{}
	for i, name := range c.Categories {
		switch {
		case strings.TrimSpace(name) == "":
			p.add("categories: entry %d is empty", i+1)
		case categories[name]:
			p.add("categories: %q is listed twice", name)
		}
		categories[name] = true
	}

	if len(c.Indicators) == 0 {
		p.add("indicators: none defined")
	}
	byKey := map[string]*Indicator{}
	for i := range c.Indicators {
		ind := &c.Indicators[i]
		if ind.Key == "" {
			p.add("indicator %d: key: missing", i+1)
			continue
		}
		if byKey[ind.Key] != nil {
			p.add("indicator %q: key: defined twice", ind.Key)
			continue
		}
		byKey[ind.Key] = ind
	}
	for i := range c.Indicators {
		ind := &c.Indicators[i]
		name := fmt.Sprintf("indicator %q", ind.Key)
		if ind.Key == "" {
			name = fmt.Sprintf("indicator %d", i+1)
		}
		ind.validate(p, name, categories, c.Categories, byKey)
	}
	c.checkCombineCycles(p, byKey)

	groups := map[string]bool{}
	for i, g := range c.Groups {
		name := checkEntryKey(p, "group", i, g.Key, groups)
		if strings.TrimSpace(g.Title) == "" {
			p.add("%s: title: missing", name)
		}
		if g.Total == "" {
			p.add("%s: total: missing", name)
		} else {
			checkCountRef(p, name, "total", g.Total, byKey)
		}
		if len(g.Members) == 0 {
			p.add("%s: members: missing", name)
		}
		seen := map[string]bool{}
		for _, m := range g.Members {
			switch {
			case m == g.Total:
				p.add("%s: members: %q is the group's total", name, m)
			case seen[m]:
				p.add("%s: members: %q is listed twice", name, m)
			default:
				checkCountRef(p, name, "members", m, byKey)
			}
			seen[m] = true
		}
	}

	tables := map[string]bool{}
	for i := range c.Tables {
		t := &c.Tables[i]
		t.validate(p, checkEntryKey(p, "table", i, t.Key, tables), byKey)
	}
}

// checkEntryKey checks the key of the i-th entry of a kind (group, table)
// against the key rules and the keys seen so far, and returns the entry's
// name for problems: its key, or its number when it has none.
func checkEntryKey(p *problems, kind string, i int, key string, seen map[string]bool) string {
	name := fmt.Sprintf("%s %q", kind, key)
	switch {
	case key == "":
		name = fmt.Sprintf("%s %d", kind, i+1)
		p.add("%s: key: missing", name)
	case !keyPattern.MatchString(key):
		p.add("%s: key: use lower case letters, digits and _, starting with a letter (at most 63)", name)
	case seen[key]:
		p.add("%s: key: defined twice", name)
	}
	seen[key] = true
	return name
}

func (ind *Indicator) validate(p *problems, name string, categories map[string]bool, order []string, byKey map[string]*Indicator) {
	if ind.Key != "" && !keyPattern.MatchString(ind.Key) {
		p.add("%s: key: use lower case letters, digits and _, starting with a letter (at most 63)", name)
	}
	if strings.TrimSpace(ind.Title) == "" {
		p.add("%s: title: missing", name)
	}
	switch {
	case ind.Category == "":
		p.add("%s: category: missing", name)
	case !categories[ind.Category]:
		p.add("%s: category: %q is not one of %s", name, ind.Category, strings.Join(order, ", "))
	}
	switch ind.Polarity {
	case HigherBetter, HigherWorse, Neutral:
	case "":
		p.add("%s: polarity: missing (higher_better, higher_worse or neutral)", name)
	default:
		p.add("%s: polarity: %q is not higher_better, higher_worse or neutral", name, ind.Polarity)
	}
	if ind.Decimals < 0 || ind.Decimals > 6 {
		p.add("%s: decimals: %d is not between 0 and 6", name, ind.Decimals)
	}
	if ind.MinCount < 0 {
		p.add("%s: min_count: %d is negative", name, ind.MinCount)
	}
	if ind.MinDenominator < 0 {
		p.add("%s: min_denominator: %d is negative", name, ind.MinDenominator)
	}

	// Fields that belong to another kind are errors rather than ignored: a
	// rate written as "kind: count" would otherwise be summed silently.
	notFor := func(field string, set bool) {
		if set {
			p.add("%s: %s: only for %s", name, field, fieldKind[field])
		}
	}
	switch ind.Kind {
	case Count:
		notFor("numerator", ind.Numerator != "")
		notFor("denominator", ind.Denominator != "")
		notFor("scale", ind.Scale != 0)
		notFor("weight", ind.Weight != "")
		for _, k := range sortedKeys(ind.Combine) {
			coef := ind.Combine[k]
			switch {
			case k == ind.Key:
				p.add("%s: combine: refers to itself", name)
			case coef == 0 || math.IsNaN(coef) || math.IsInf(coef, 0):
				p.add("%s: combine: %q has coefficient %v; use a finite number other than 0", name, k, coef)
			default:
				checkCountRef(p, name, "combine", k, byKey)
			}
		}
		if ind.Combine != nil && len(ind.Combine) == 0 {
			p.add("%s: combine: empty", name)
		}
	case Rate:
		notFor("combine", ind.Combine != nil)
		notFor("weight", ind.Weight != "")
		if ind.Numerator == "" {
			p.add("%s: numerator: missing", name)
		} else {
			checkCountRef(p, name, "numerator", ind.Numerator, byKey)
		}
		if ind.Denominator == "" {
			p.add("%s: denominator: missing", name)
		} else {
			checkCountRef(p, name, "denominator", ind.Denominator, byKey)
		}
		switch {
		case ind.Scale == 0:
			p.add("%s: scale: missing (100 for a percentage, 1 for a plain ratio)", name)
		case !(ind.Scale > 0) || math.IsInf(ind.Scale, 0):
			p.add("%s: scale: %v is not a positive number", name, ind.Scale)
		}
	case Mean:
		notFor("combine", ind.Combine != nil)
		notFor("numerator", ind.Numerator != "")
		notFor("denominator", ind.Denominator != "")
		notFor("scale", ind.Scale != 0)
		if ind.Weight == "" {
			p.add("%s: weight: missing", name)
		} else {
			checkCountRef(p, name, "weight", ind.Weight, byKey)
		}
	case Value:
		notFor("combine", ind.Combine != nil)
		notFor("numerator", ind.Numerator != "")
		notFor("denominator", ind.Denominator != "")
		notFor("scale", ind.Scale != 0)
		notFor("weight", ind.Weight != "")
	case "":
		p.add("%s: kind: missing (count, rate, mean or value)", name)
	default:
		p.add("%s: kind: %q is not count, rate, mean or value", name, ind.Kind)
	}
}

// fieldKind names the kinds a kind-specific field belongs to.
var fieldKind = map[string]string{
	"combine":     "kind count",
	"numerator":   "kind rate",
	"denominator": "kind rate",
	"scale":       "kind rate",
	"weight":      "kind mean",
}

// checkCountRef reports a reference to an indicator that is missing or is
// not a count.
func checkCountRef(p *problems, name, field, key string, byKey map[string]*Indicator) {
	ref := byKey[key]
	switch {
	case ref == nil:
		p.add("%s: %s: %q is not in the catalogue", name, field, key)
	case ref.Kind != Count:
		p.add("%s: %s: %q is a %s, not a count", name, field, key, ref.Kind)
	}
}

// checkCombineCycles reports combines that depend on themselves through
// other combines: they could never be computed.
func (c *Catalogue) checkCombineCycles(p *problems, byKey map[string]*Indicator) {
	const (
		unvisited = iota
		active
		done
	)
	state := map[string]int{}
	reported := map[string]bool{}
	var path []string
	var visit func(key string)
	visit = func(key string) {
		state[key] = active
		path = append(path, key)
		ind := byKey[key]
		for _, next := range sortedKeys(ind.Combine) {
			ref := byKey[next]
			if next == key || ref == nil || ref.Kind != Count {
				continue // reported by validate
			}
			switch state[next] {
			case active:
				start := slices.Index(path, next)
				cycle := append(slices.Clone(path[start:]), next)
				if !reported[next] {
					p.add("indicator %q: combine: cycle %s", next, strings.Join(cycle, " → "))
					for _, k := range cycle {
						reported[k] = true
					}
				}
			case unvisited:
				visit(next)
			}
		}
		path = path[:len(path)-1]
		state[key] = done
	}
	for _, ind := range c.Indicators {
		if ind.Kind == Count && len(ind.Combine) > 0 && byKey[ind.Key] != nil && state[ind.Key] == unvisited {
			visit(ind.Key)
		}
	}
}

func (t *TableMapping) validate(p *problems, name string, byKey map[string]*Indicator) {
	gv := t.Format == GV100AD
	switch t.Format {
	case LongTable, WideTable, GV100AD:
	case "":
		p.add("%s: format: missing (long, wide or gv100ad)", name)
	default:
		p.add("%s: format: %q is not long, wide or gv100ad", name, t.Format)
	}
	if t.Level == "" {
		p.add("%s: level: missing", name)
	}
	if t.AreaColumn == "" {
		p.add("%s: area_column: missing", name)
	}
	if gv {
		fields := GV100ADFields()
		for _, c := range []struct{ field, value string }{{"area_column", t.AreaColumn}, {"name_column", t.NameColumn}} {
			if c.value != "" && !slices.Contains(fields, c.value) {
				p.add("%s: %s: %q is not a GV100AD field (%s)", name, c.field, c.value, strings.Join(fields, ", "))
			}
		}
		if t.AreaColumn != "" && t.AreaColumn != "ars" && t.AreaColumn != "ags" {
			p.add("%s: area_column: %q is no area code; use ars or ags", name, t.AreaColumn)
		}
		if t.Delimiter != "" {
			p.add("%s: delimiter: a fixed-width gv100ad file has none", name)
		}
		if t.Decimal != "auto" {
			p.add("%s: decimal: a gv100ad file has integers only", name)
		}
	}
	if t.Format == LongTable {
		for _, c := range []struct{ field, value string }{{"indicator_column", t.IndicatorColumn}, {"value_column", t.ValueColumn}} {
			if c.value == "" {
				p.add("%s: %s: missing", name, c.field)
			}
		}
		if t.PeriodColumn == "" && t.Period.IsZero() {
			p.add("%s: period: missing (or name a period_column)", name)
		}
		if t.PeriodColumn != "" && !t.Period.IsZero() {
			p.add("%s: period: set together with period_column; keep one", name)
		}
		if len(t.Columns) > 0 {
			p.add("%s: columns: only for wide and gv100ad tables", name)
		}
	}
	if t.Format == WideTable || gv {
		for _, c := range []struct{ field, value string }{{"indicator_column", t.IndicatorColumn}, {"value_column", t.ValueColumn}, {"period_column", t.PeriodColumn}} {
			if c.value != "" {
				p.add("%s: %s: only for long tables", name, c.field)
			}
		}
		if t.Period.IsZero() {
			p.add("%s: period: missing", name)
		}
		if len(t.Columns) == 0 {
			p.add("%s: columns: missing", name)
		}
	}
	columns, indicators := map[string]bool{}, map[string]bool{}
	for i, c := range t.Columns {
		switch {
		case c.Column == "":
			p.add("%s: columns: entry %d: column: missing", name, i+1)
		case columns[c.Column]:
			p.add("%s: columns: %q is mapped twice", name, c.Column)
		case gv && !slices.Contains(GV100ADFields(), c.Column):
			p.add("%s: columns: %q is not a GV100AD field (%s)", name, c.Column, strings.Join(GV100ADFields(), ", "))
		}
		columns[c.Column] = true
		switch {
		case c.Indicator == "":
			p.add("%s: columns: %q: indicator: missing", name, c.Column)
		case byKey[c.Indicator] == nil:
			p.add("%s: columns: %q: indicator %q is not in the catalogue", name, c.Column, c.Indicator)
		case indicators[c.Indicator]:
			p.add("%s: columns: %q: indicator %q comes from another column too", name, c.Column, c.Indicator)
		}
		indicators[c.Indicator] = true
		if !(c.Factor > 0) || math.IsInf(c.Factor, 0) {
			p.add("%s: columns: %q: factor: %v is not a positive number", name, c.Column, c.Factor)
		}
	}
	for i, ph := range t.Placeholders {
		if strings.TrimSpace(ph) == "" {
			p.add("%s: placeholders: entry %d is empty", name, i+1)
		}
	}
	switch t.Decimal {
	case ",", ".", "auto":
	default:
		p.add("%s: decimal: %q is not \",\", \".\" or auto", name, t.Decimal)
	}
	if d := t.Delimiter; d != "" {
		if r := []rune(d); len(r) != 1 || r[0] == '"' || r[0] == '\n' || r[0] == '\r' {
			p.add("%s: delimiter: %q is not one character other than a quote or line break", name, d)
		} else if t.Decimal != "auto" && d == t.Decimal {
			p.add("%s: delimiter: %q is also the decimal separator", name, d)
		}
	}
	switch strings.ToLower(t.Encoding) {
	case "utf-8", "windows-1252", "auto":
		t.Encoding = strings.ToLower(t.Encoding)
	default:
		p.add("%s: encoding: %q is not utf-8, windows-1252 or auto", name, t.Encoding)
	}
}

// Indicator returns the catalogue's indicator of that key.
func (c *Catalogue) Indicator(key string) (Indicator, bool) {
	for _, ind := range c.Indicators {
		if ind.Key == key {
			return ind, true
		}
	}
	return Indicator{}, false
}

// Table returns the table mapping of that key; the error lists the keys
// there are.
func (c *Catalogue) Table(key string) (TableMapping, error) {
	keys := make([]string, 0, len(c.Tables))
	for _, t := range c.Tables {
		if t.Key == key {
			return t, nil
		}
		keys = append(keys, t.Key)
	}
	where := "the catalogue"
	if c.Path != "" {
		where = "catalogue " + c.Path
	}
	if len(keys) == 0 {
		return TableMapping{}, fmt.Errorf("%s has no table mappings, so none called %q", where, key)
	}
	return TableMapping{}, fmt.Errorf("%s has no table mapping %q (there are: %s)", where, key, strings.Join(keys, ", "))
}

// TablePath returns the path of the table's file: File relative to the
// catalogue's directory; empty when the mapping names no file.
func (c *Catalogue) TablePath(t TableMapping) string {
	if t.File == "" {
		return ""
	}
	if filepath.IsAbs(t.File) {
		return t.File
	}
	return filepath.Join(filepath.Dir(c.Path), t.File)
}

// problems collects validation errors, each prefixed with the file.
type problems struct {
	file string
	// kind names the file's kind in the messages; "catalogue" when empty.
	kind string
	list []error
}

func (p *problems) add(format string, args ...any) {
	kind := p.kind
	if kind == "" {
		kind = "catalogue"
	}
	p.list = append(p.list, fmt.Errorf("%s %s: "+format, append([]any{kind, p.file}, args...)...))
}

func (p *problems) err() error { return errors.Join(p.list...) }

// checkFields reports mapping keys of the YAML node that the Go type has
// no field for, naming the entry (by its key when it has one), so that a
// typo such as "denominatr" does not silently drop a field.
func checkFields(p *problems, n *yaml.Node, t reflect.Type, where string) {
	checkFieldsAs(p, n, t, where, catalogueLists)
}

// catalogueLists names the entries of the catalogue's top-level lists.
var catalogueLists = map[string]string{"indicators": "indicator", "groups": "group", "tables": "table"}

// checkFieldsAs is checkFields for a file whose top-level lists name their
// entries as lists says (list → singular).
func checkFieldsAs(p *problems, n *yaml.Node, t reflect.Type, where string, lists map[string]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return // a scalar; the decoder checks it
		}
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n.Kind != yaml.MappingNode {
			name := where
			if name == "" {
				name = "top level"
			}
			p.add("%s: not a mapping of fields (line %d)", name, n.Line)
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			ft, ok := fields[k]
			if !ok {
				prefix := where
				if prefix != "" {
					prefix += ": "
				}
				p.add("%sunknown field %q (line %d)", prefix, k, n.Content[i].Line)
				continue
			}
			sub := k
			if where != "" {
				sub = where + ": " + k
			}
			checkFieldsAs(p, n.Content[i+1], ft, sub, lists)
		}
	case reflect.Slice:
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			checkFieldsAs(p, item, t.Elem(), entryName(where, i, item, lists), lists)
		}
	}
}

// entryName names the i-th entry of a top-level list as errors do:
// `indicator "dichte"`, or `indicator 3` when it has no key.
func entryName(list string, i int, item *yaml.Node, lists map[string]string) string {
	singular := lists[list]
	if singular == "" {
		// A nested list, such as a table's columns.
		return fmt.Sprintf("%s: entry %d", list, i+1)
	}
	if item.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(item.Content); j += 2 {
			if item.Content[j].Value == "key" && item.Content[j+1].Kind == yaml.ScalarNode {
				return fmt.Sprintf("%s %q", singular, item.Content[j+1].Value)
			}
		}
	}
	return fmt.Sprintf("%s %d", singular, i+1)
}

// yamlFields maps the YAML names of t's fields, inline structs included,
// to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if opts == "inline" {
			for k, v := range yamlFields(f.Type) {
				fields[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SyncReport says what SyncCatalogue changed. Keys are listed in catalogue
// order; deleted ones in their former order.
type SyncReport struct {
	Inserted      []string `json:"inserted"`
	Updated       []string `json:"updated"`
	Deleted       []string `json:"deleted"`
	Unchanged     int      `json:"unchanged"`
	GroupsAdded   []string `json:"groups_added"`
	GroupsChanged []string `json:"groups_changed"`
	GroupsDeleted []string `json:"groups_deleted"`
}

// Changed reports whether the sync changed anything.
func (r SyncReport) Changed() bool {
	return len(r.Inserted)+len(r.Updated)+len(r.Deleted)+
		len(r.GroupsAdded)+len(r.GroupsChanged)+len(r.GroupsDeleted) > 0
}

const (
	// The WHERE clause leaves identical rows alone, so that no row is
	// returned for them; xmax = 0 tells an insert from an update.
	sqlUpsertIndicator = `
INSERT INTO indicator AS i (key, position, title, description, unit, category, polarity,
    source, licence, decimals, kind, combine, numerator, denominator, scale, weight,
    min_count, min_denominator)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (key) DO UPDATE SET
    position = excluded.position, title = excluded.title,
    description = excluded.description, unit = excluded.unit,
    category = excluded.category, polarity = excluded.polarity,
    source = excluded.source, licence = excluded.licence,
    decimals = excluded.decimals, kind = excluded.kind, combine = excluded.combine,
    numerator = excluded.numerator, denominator = excluded.denominator,
    scale = excluded.scale, weight = excluded.weight,
    min_count = excluded.min_count, min_denominator = excluded.min_denominator
WHERE i IS DISTINCT FROM excluded
RETURNING xmax = 0`

	// Indicators holding the results of composite indices are not the
	// catalogue's: they stay.
	sqlStaleIndicators = `
SELECT i.key, (SELECT count(*) FROM observation o WHERE o.indicator = i.key)
FROM indicator i
WHERE NOT (i.key = ANY ($1)) AND i.composite_index IS NULL
ORDER BY i.position, i.key`

	sqlIndexIndicatorsNamed = `
SELECT key, composite_index FROM indicator
WHERE key = ANY ($1) AND composite_index IS NOT NULL ORDER BY key`

	sqlDeleteIndicators = `DELETE FROM indicator WHERE key = ANY ($1)`

	sqlDeleteStaleGroups = `
DELETE FROM indicator_group WHERE NOT (key = ANY ($1)) RETURNING key`

	sqlUpsertGroup = `
INSERT INTO indicator_group AS g (key, title, total, position) VALUES ($1, $2, $3, $4)
ON CONFLICT (key) DO UPDATE SET title = excluded.title, total = excluded.total,
    position = excluded.position
WHERE g IS DISTINCT FROM excluded
RETURNING xmax = 0`

	sqlDeleteStaleMembers = `
DELETE FROM indicator_group_member WHERE group_key = $1 AND NOT (indicator = ANY ($2))`

	sqlUpsertMembers = `
INSERT INTO indicator_group_member AS gm (group_key, indicator, position)
SELECT $1, m, o - 1 FROM unnest($2::text[]) WITH ORDINALITY AS u (m, o)
ON CONFLICT (group_key, indicator) DO UPDATE SET position = excluded.position
WHERE gm.position <> excluded.position`
)

// SyncCatalogue makes the database's indicators and groups equal to cat,
// inside the caller's transaction. An indicator no longer in the catalogue
// is deleted with its cells, unless observations were imported for it:
// dropping those silently would lose data, so that is an error naming it.
// The published cells are then stale; the caller runs Publish in the same
// transaction.
func (s *Store) SyncCatalogue(ctx context.Context, tx pgx.Tx, cat *Catalogue) (SyncReport, error) {
	rep := SyncReport{Inserted: []string{}, Updated: []string{}, Deleted: []string{},
		GroupsAdded: []string{}, GroupsChanged: []string{}, GroupsDeleted: []string{}}
	where := "catalogue"
	if cat.Path != "" {
		where = "catalogue " + cat.Path
	}
	keys := make([]string, len(cat.Indicators))
	for i, ind := range cat.Indicators {
		keys[i] = ind.Key
	}

	rows, err := tx.Query(ctx, sqlStaleIndicators, keys)
	if err != nil {
		return rep, fmt.Errorf("sync %s: %w", where, err)
	}
	type stale struct {
		key          string
		observations int64
	}
	gone, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (stale, error) {
		var s stale
		err := r.Scan(&s.key, &s.observations)
		return s, err
	})
	if err != nil {
		return rep, fmt.Errorf("sync %s: %w", where, err)
	}
	rows, err = tx.Query(ctx, sqlIndexIndicatorsNamed, keys)
	if err != nil {
		return rep, fmt.Errorf("sync %s: %w", where, err)
	}
	var taken []string
	var key, index string
	if _, err := pgx.ForEachRow(rows, []any{&key, &index}, func() error {
		taken = append(taken, fmt.Sprintf("%q (of index %q)", key, index))
		return nil
	}); err != nil {
		return rep, fmt.Errorf("sync %s: %w", where, err)
	}
	if len(taken) > 0 {
		return SyncReport{}, fmt.Errorf("sync %s: indicator %s holds the results of a composite index; give the catalogue's indicator another key",
			where, strings.Join(taken, ", "))
	}
	var kept []string
	for _, g := range gone {
		if g.observations > 0 {
			kept = append(kept, fmt.Sprintf("%q (%d observations)", g.key, g.observations))
		}
		rep.Deleted = append(rep.Deleted, g.key)
	}
	if len(kept) > 0 {
		return SyncReport{}, fmt.Errorf("sync %s: indicator %s no longer in the catalogue but imported; revert its imports first or keep it",
			where, strings.Join(kept, ", "))
	}

	for _, ind := range cat.Indicators {
		var combine any
		if len(ind.Combine) > 0 {
			combine = ind.Combine
		}
		var scale any
		if ind.Kind == Rate {
			scale = ind.Scale
		}
		var inserted bool
		err := tx.QueryRow(ctx, sqlUpsertIndicator, ind.Key, ind.Position, ind.Title,
			ind.Description, ind.Unit, ind.Category, string(ind.Polarity), ind.Source,
			ind.Licence, ind.Decimals, string(ind.Kind), combine, nullText(ind.Numerator),
			nullText(ind.Denominator), scale, nullText(ind.Weight), ind.MinCount,
			ind.MinDenominator).Scan(&inserted)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			rep.Unchanged++
		case err != nil:
			return SyncReport{}, fmt.Errorf("sync %s: indicator %q: %w", where, ind.Key, err)
		case inserted:
			rep.Inserted = append(rep.Inserted, ind.Key)
		default:
			rep.Updated = append(rep.Updated, ind.Key)
		}
	}

	groupKeys := make([]string, len(cat.Groups))
	for i, g := range cat.Groups {
		groupKeys[i] = g.Key
	}
	rows, err = tx.Query(ctx, sqlDeleteStaleGroups, groupKeys)
	if err != nil {
		return SyncReport{}, fmt.Errorf("sync %s: groups: %w", where, err)
	}
	rep.GroupsDeleted, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return SyncReport{}, fmt.Errorf("sync %s: groups: %w", where, err)
	}
	slices.Sort(rep.GroupsDeleted)
	for i, g := range cat.Groups {
		var inserted bool
		changed := true
		err := tx.QueryRow(ctx, sqlUpsertGroup, g.Key, g.Title, g.Total, i).Scan(&inserted)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			changed = false
		case err != nil:
			return SyncReport{}, fmt.Errorf("sync %s: group %q: %w", where, g.Key, err)
		}
		del, err := tx.Exec(ctx, sqlDeleteStaleMembers, g.Key, g.Members)
		if err != nil {
			return SyncReport{}, fmt.Errorf("sync %s: group %q: %w", where, g.Key, err)
		}
		ins, err := tx.Exec(ctx, sqlUpsertMembers, g.Key, g.Members)
		if err != nil {
			return SyncReport{}, fmt.Errorf("sync %s: group %q: %w", where, g.Key, err)
		}
		switch {
		case inserted:
			rep.GroupsAdded = append(rep.GroupsAdded, g.Key)
		case changed || del.RowsAffected() > 0 || ins.RowsAffected() > 0:
			rep.GroupsChanged = append(rep.GroupsChanged, g.Key)
		}
	}

	// Last, so that groups no longer naming them are gone already.
	if len(rep.Deleted) > 0 {
		if _, err := tx.Exec(ctx, sqlDeleteIndicators, rep.Deleted); err != nil {
			return SyncReport{}, fmt.Errorf("sync %s: delete indicators: %w", where, err)
		}
	}
	return rep, nil
}

func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

const sqlIndicators = `
SELECT key, position, title, description, unit, category, polarity, source, licence,
    decimals, kind, combine, coalesce(numerator, ''), coalesce(denominator, ''),
    coalesce(scale, 0), coalesce(weight, ''), min_count, min_denominator,
    coalesce(composite_index, ''), value_labels
FROM indicator`

// Indicators lists the catalogue as loaded into the database, in
// catalogue order.
func (s *Store) Indicators(ctx context.Context) ([]Indicator, error) {
	rows, err := s.pool.Query(ctx, sqlIndicators+` ORDER BY position, key`)
	if err != nil {
		return nil, fmt.Errorf("list indicators: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanIndicator)
	if err != nil {
		return nil, fmt.Errorf("list indicators: %w", err)
	}
	return list, nil
}

// Indicator returns one indicator; an unknown key gives an error wrapping
// geo.ErrNotFound.
func (s *Store) Indicator(ctx context.Context, key string) (Indicator, error) {
	rows, err := s.pool.Query(ctx, sqlIndicators+` WHERE key = $1`, key)
	if err != nil {
		return Indicator{}, fmt.Errorf("indicator %q: %w", key, err)
	}
	ind, err := pgx.CollectExactlyOneRow(rows, scanIndicator)
	if errors.Is(err, pgx.ErrNoRows) {
		return Indicator{}, fmt.Errorf("indicator %q: %w", key, geo.ErrNotFound)
	}
	if err != nil {
		return Indicator{}, fmt.Errorf("indicator %q: %w", key, err)
	}
	return ind, nil
}

func scanIndicator(r pgx.CollectableRow) (Indicator, error) {
	var ind Indicator
	var combine, labels []byte
	err := r.Scan(&ind.Key, &ind.Position, &ind.Title, &ind.Description, &ind.Unit,
		&ind.Category, &ind.Polarity, &ind.Source, &ind.Licence, &ind.Decimals, &ind.Kind,
		&combine, &ind.Numerator, &ind.Denominator, &ind.Scale, &ind.Weight,
		&ind.MinCount, &ind.MinDenominator, &ind.CompositeIndex, &labels)
	if err != nil {
		return ind, err
	}
	if labels != nil {
		if err := json.Unmarshal(labels, &ind.Labels); err != nil {
			return ind, fmt.Errorf("indicator %q: value labels: %w", ind.Key, err)
		}
	}
	if combine != nil {
		if err := json.Unmarshal(combine, &ind.Combine); err != nil {
			return ind, fmt.Errorf("indicator %q: combine: %w", ind.Key, err)
		}
	}
	return ind, nil
}

const sqlGroups = `
SELECT g.key, g.title, g.total,
    coalesce(array_agg(m.indicator ORDER BY m.position, m.indicator)
             FILTER (WHERE m.indicator IS NOT NULL), '{}')
FROM indicator_group g
LEFT JOIN indicator_group_member m ON m.group_key = g.key
GROUP BY g.key
ORDER BY g.position, g.key`

// Groups lists the additive groups loaded into the database, groups and
// members in catalogue order.
func (s *Store) Groups(ctx context.Context) ([]Group, error) {
	rows, err := s.pool.Query(ctx, sqlGroups)
	if err != nil {
		return nil, fmt.Errorf("list indicator groups: %w", err)
	}
	groups, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Group, error) {
		var g Group
		err := r.Scan(&g.Key, &g.Title, &g.Total, &g.Members)
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("list indicator groups: %w", err)
	}
	return groups, nil
}

// Catalogue reads the catalogue back from the database: indicators and
// groups, with the categories in the order of their first indicator. Table
// mappings live only in the file.
func (s *Store) Catalogue(ctx context.Context) (*Catalogue, error) {
	inds, err := s.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	groups, err := s.Groups(ctx)
	if err != nil {
		return nil, err
	}
	cat := &Catalogue{Categories: []string{}, Indicators: inds, Groups: groups}
	for _, ind := range inds {
		if !slices.Contains(cat.Categories, ind.Category) {
			cat.Categories = append(cat.Categories, ind.Category)
		}
	}
	return cat, nil
}
