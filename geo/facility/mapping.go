// Package facility keeps the social infrastructure — Kitas, schools,
// nursing homes, youth leisure centres, counselling centres — as point
// layers by type, imported from GeoJSON, GeoPackage or CSV with coordinate
// columns. Each facility is a version with a validity interval and is
// counted once, in the finest area with geometry that contains it on its
// first day of validity.
package facility

import (
	"fmt"
	"sort"
	"strings"
)

// Mapping names the source fields that fill a facility's columns; "" leaves
// a column empty. Fields not mapped are kept in the facility's attributes.
type Mapping struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Street      string `json:"street,omitempty"`
	HouseNumber string `json:"house_number,omitempty"`
	Postcode    string `json:"postcode,omitempty"`
	Place       string `json:"place,omitempty"`
	Carrier     string `json:"carrier,omitempty"`
	CarrierType string `json:"carrier_type,omitempty"`
	TargetGroup string `json:"target_group,omitempty"`
	Capacity    string `json:"capacity,omitempty"`
	// X and Y are the coordinate columns of a CSV file (easting and
	// northing, or longitude and latitude).
	X string `json:"x,omitempty"`
	Y string `json:"y,omitempty"`
}

// slots lists the mapping's keys with the field each points at, in the
// order messages and --map use them.
func (m *Mapping) slots() []struct {
	key   string
	field *string
} {
	return []struct {
		key   string
		field *string
	}{
		{"id", &m.ID}, {"name", &m.Name}, {"street", &m.Street}, {"house_number", &m.HouseNumber},
		{"postcode", &m.Postcode}, {"place", &m.Place}, {"carrier", &m.Carrier},
		{"carrier_type", &m.CarrierType}, {"target_group", &m.TargetGroup},
		{"capacity", &m.Capacity}, {"x", &m.X}, {"y", &m.Y},
	}
}

// Set maps key (id, name, street, …) to a source field.
func (m *Mapping) Set(key, field string) error {
	for _, s := range m.slots() {
		if s.key == key {
			*s.field = field
			return nil
		}
	}
	keys := make([]string, 0, 12)
	for _, s := range m.slots() {
		keys = append(keys, s.key)
	}
	return fmt.Errorf("unknown mapping key %q; known: %s", key, strings.Join(keys, ", "))
}

// Apply sets the pairs of a list like "name=e_name,capacity=e_platz".
func (m *Mapping) Apply(list string) error {
	for _, pair := range strings.Split(list, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("mapping %q: want KEY=FIELD", pair)
		}
		if err := m.Set(strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
			return err
		}
	}
	return nil
}

// mapped returns the source fields the mapping uses.
func (m *Mapping) mapped() map[string]bool {
	used := map[string]bool{}
	for _, s := range m.slots() {
		if *s.field != "" {
			used[*s.field] = true
		}
	}
	return used
}

// builtin are the mappings of the files Berlin publishes (the demo's), so
// that they import without a list of fields.
var builtin = map[string]Mapping{
	// Kindertagesstätten, Senatsverwaltung für Bildung, Jugend und Familie.
	"berlin-kita": {ID: "e_nr", Name: "e_name", Street: "e_strasse", HouseNumber: "e_hnr",
		Postcode: "e_plz", Place: "e_ort", Carrier: "t_name", CarrierType: "t_art", Capacity: "e_platz"},
	// Jugendfreizeiteinrichtungen: the same register, with target groups.
	"berlin-jugend": {ID: "e_nr", Name: "e_name", Street: "e_strasse", HouseNumber: "e_hnr",
		Postcode: "e_plz", Place: "e_ort", Carrier: "t_name", CarrierType: "t_art",
		TargetGroup: "zielgr1", Capacity: "e_platz"},
	// Pflegeeinrichtungen by IK number; the place is the Ortsteil.
	"berlin-pflege": {ID: "ik_nummer", Name: "einrichtung_name", Street: "gc_strasse", HouseNumber: "gc_haus",
		Postcode: "gc_plz", Place: "gc_ortsteil", Carrier: "traegername", CarrierType: "traegerverbandkurz",
		Capacity: "platzzahl"},
	// Schulen by Berliner Schulnummer; the file names no carrier, only
	// whether it is public or private, and no capacity.
	"berlin-schule": {ID: "bsn", Name: "name", Street: "strasse", HouseNumber: "hausnr",
		Postcode: "plz", Place: "ortsteil", CarrierType: "traeger"},
}

// Builtin returns the built-in mapping of that name.
func Builtin(name string) (Mapping, error) {
	m, ok := builtin[name]
	if !ok {
		names := make([]string, 0, len(builtin))
		for n := range builtin {
			names = append(names, n)
		}
		sort.Strings(names)
		return Mapping{}, fmt.Errorf("no built-in mapping %q; known: %s", name, strings.Join(names, ", "))
	}
	return m, nil
}
