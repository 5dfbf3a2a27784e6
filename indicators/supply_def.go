package indicators

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sozialatlas/sozialatlas/indicators/supply"
)

// SupplyFile is a file of supply definitions (YAML): for a facility type
// and a day, which indicators the facilities of that day and the
// population that needs them are written to. The indicators themselves
// are the catalogue's; a definition only fills them.
type SupplyFile struct {
	Path   string             `yaml:"-"`
	Supply []SupplyDefinition `yaml:"supply"`
}

// SupplyDefinition is the supply analysis of one facility type on one day.
type SupplyDefinition struct {
	// Type is a facility type (kita, pflege, …).
	Type string `yaml:"type" json:"type"`
	// Period is the day whose facilities count (valid_from ≤ Period ≤
	// valid_to); every indicator written is dated on it.
	Period string `yaml:"period" json:"period"`
	// Count and Capacity are count indicators: the number of facilities
	// and their summed capacity, per area the facilities are counted in.
	Count    string `yaml:"count" json:"count"`
	Capacity string `yaml:"capacity" json:"capacity,omitempty"`
	// Demand carries a population to Period (see SupplyDemand).
	Demand *SupplyDemand `yaml:"demand" json:"demand,omitempty"`
	// Ratio is a catalogue rate of Capacity over Demand.Key; named here so
	// that the target and its gap refer to its scale.
	Ratio     string           `yaml:"ratio" json:"ratio,omitempty"`
	Target    *SupplyTarget    `yaml:"target" json:"target,omitempty"`
	Catchment *SupplyCatchment `yaml:"catchment" json:"catchment,omitempty"`
	// Nearest is a value indicator: the distance in metres from each
	// area's label point to the nearest facility (at Catchment's level).
	Nearest string `yaml:"nearest" json:"nearest,omitempty"`
}

// SupplyDemand is the population a facility type serves, carried from its
// latest period at or before the facility period to the facility period,
// so that the ratio divides two counts of one period at every level.
type SupplyDemand struct {
	// Key is the count indicator written: the sum of Indicators.
	Key        string   `yaml:"key" json:"key"`
	Indicators []string `yaml:"indicators" json:"indicators"`
}

// SupplyTarget is a target value (Richtwert) of the ratio, in its unit.
type SupplyTarget struct {
	Value float64 `yaml:"value" json:"value"`
	// Source says where the value comes from and how it was applied
	// (e.g. to other age bands than the ones it was set for).
	Source string `yaml:"source" json:"source"`
	// Gap is a count indicator: the places missing to reach the target.
	Gap string `yaml:"gap" json:"gap"`
}

// SupplyCatchment configures the two-step floating catchment measure.
type SupplyCatchment struct {
	// Key is a value indicator: places per Scale of the demand in reach.
	Key string `yaml:"key" json:"key"`
	// Level whose areas are the demand points (label points) and get the
	// value; it needs geometry and the demand population.
	Level   string       `yaml:"level" json:"level"`
	RadiusM float64      `yaml:"radius_m" json:"radius_m"`
	Decay   supply.Decay `yaml:"decay" json:"decay"`
	Scale   float64      `yaml:"scale" json:"scale"`
	// SRID of the metric CRS distances are measured in (default 25832).
	SRID int `yaml:"srid" json:"srid,omitempty"`
}

// Day is the definition's period as a date.
func (d *SupplyDefinition) Day() time.Time {
	t, _ := time.Parse(time.DateOnly, d.Period) // checked when read
	return t
}

// Keys are the indicators the definition writes.
func (d *SupplyDefinition) Keys() []string {
	keys := []string{d.Count}
	for _, k := range []string{d.Capacity, d.Nearest} {
		if k != "" {
			keys = append(keys, k)
		}
	}
	if d.Demand != nil {
		keys = append(keys, d.Demand.Key)
	}
	if d.Target != nil {
		keys = append(keys, d.Target.Gap)
	}
	if d.Catchment != nil {
		keys = append(keys, d.Catchment.Key)
	}
	return keys
}

// ReadSupplyFile reads and checks a file of supply definitions; what can
// only be checked against the database (the indicators' kinds) is checked
// when it is applied.
func ReadSupplyFile(path string) (*SupplyFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("supply definitions: %w", err)
	}
	return ParseSupplyFile(path, b)
}

// ParseSupplyFile is ReadSupplyFile of a file's content.
func ParseSupplyFile(path string, b []byte) (*SupplyFile, error) {
	f := &SupplyFile{Path: path}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	// A misspelt field would otherwise silently drop a target or radius.
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("supply definitions %s: %w", path, err)
	}
	p := &problems{file: path, kind: "supply definitions"}
	if len(f.Supply) == 0 {
		p.add("no definitions under supply:")
	}
	written := map[string]int{}
	for i := range f.Supply {
		d := &f.Supply[i]
		where := fmt.Sprintf("supply %d (%s)", i+1, d.Type)
		if d.Type == "" {
			p.add("%s: type is required", where)
		}
		if _, err := time.Parse(time.DateOnly, d.Period); err != nil {
			p.add("%s: period %q is not a date YYYY-MM-DD", where, d.Period)
		}
		if d.Count == "" {
			p.add("%s: count is required", where)
		}
		if d.Ratio != "" && (d.Capacity == "" || d.Demand == nil) {
			p.add("%s: a ratio needs capacity and demand", where)
		}
		if d.Demand != nil && (d.Demand.Key == "" || len(d.Demand.Indicators) == 0) {
			p.add("%s: demand needs key and indicators", where)
		}
		if t := d.Target; t != nil {
			if d.Ratio == "" || t.Gap == "" || !(t.Value > 0) || t.Source == "" {
				p.add("%s: a target needs a ratio, a gap indicator, a value > 0 and its source", where)
			}
		}
		if c := d.Catchment; c != nil {
			if c.Key == "" || c.Level == "" || !(c.RadiusM > 0) || !(c.Scale > 0) {
				p.add("%s: catchment needs key, level, radius_m > 0 and scale > 0", where)
			}
			if d.Capacity == "" || d.Demand == nil {
				p.add("%s: a catchment needs capacity and demand", where)
			}
		}
		if d.Nearest != "" && d.Catchment == nil {
			p.add("%s: nearest is computed at the catchment's level; give catchment", where)
		}
		for _, k := range d.Keys() {
			if j, ok := written[k]; ok {
				p.add("%s: indicator %q is written by supply %d too", where, k, j)
			}
			written[k] = i + 1
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return f, nil
}
