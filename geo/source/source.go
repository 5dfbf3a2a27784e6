// Package source reads boundary files — GeoJSON, ESRI Shapefile (plain or
// zipped), GeoPackage and CSV without geometry — into one neutral form: the
// features' attributes as text and their geometry as WKB in the file's CRS.
// It does not reproject; PostGIS does that on import.
package source

import (
	"fmt"
)

// CRS is what a file says about its coordinate reference system. SRID, when
// set, decides: the file names an EPSG code (GeoPackage srs, a GeoJSON crs
// member, an AUTHORITY on a .prj's outermost CRS; a GeoJSON file without a
// crs member is 4326, lon/lat, by RFC 7946). Otherwise WKT is a definition
// without a code (an ESRI-style .prj) that geo/crs identifies. Both zero
// means the file says nothing, as for CSV.
type CRS struct {
	SRID int    // EPSG code, 0 if not stated
	WKT  string // WKT definition as found in the file, "" if none
	Name string // the file's own name for it, for messages (e.g. "urn:ogc:def:crs:EPSG::25832")
}

// Feature is one feature (or CSV row) of a dataset.
type Feature struct {
	// Number is the 1-based position of the feature in the file; for CSV
	// it is the line number, so messages can name it.
	Number int
	// Attrs maps field name to value as text; a null or empty field is "".
	Attrs map[string]string
	// WKB is the geometry in ISO/OGC WKB, 2D, in the dataset's CRS;
	// nil when the feature has no geometry.
	WKB []byte
}

// Dataset is the content of one file (one layer).
type Dataset struct {
	Path     string   // as given, for messages
	Layer    string   // layer name (GeoPackage table, shapefile base name)
	Tabular  bool     // a CSV table: Feature.Number is a line number
	Fields   []string // attribute names in file order
	CRS      CRS
	Features []Feature
}

// HasField reports whether the dataset has an attribute of that name.
func (d *Dataset) HasField(name string) bool {
	for _, f := range d.Fields {
		if f == name {
			return true
		}
	}
	return false
}

// Options steer reading.
type Options struct {
	// Layer picks a GeoPackage table (or a shapefile inside a zip by base
	// name); "" takes the only one and is an error when there are several.
	Layer string
	// Encoding overrides the attribute encoding ("UTF-8", "ISO-8859-1",
	// "windows-1252"); "" uses the file's own statement (.cpg) or UTF-8.
	Encoding string
	// Delimiter of a CSV file; 0 detects it from the header.
	Delimiter rune
}

// Problem returns an input error about one feature (or CSV line) of the
// dataset; number 0 is about the whole file.
func (d *Dataset) Problem(number int, field, reason string) *Error {
	return &Error{Path: d.Path, Feature: number, Line: d.Tabular, Field: field, Reason: reason}
}

// Error is a problem with the input, located as precisely as known.
type Error struct {
	Path    string // file
	Feature int    // 1-based feature number or CSV line; 0 if not about one feature
	Line    bool   // Feature is a line number of a table
	Field   string // attribute name; "" if not about one field
	Reason  string
}

func (e *Error) Error() string {
	msg := e.Path
	switch {
	case e.Feature > 0 && e.Line:
		msg += fmt.Sprintf(": line %d", e.Feature)
	case e.Feature > 0:
		msg += fmt.Sprintf(": feature %d", e.Feature)
	}
	if e.Field != "" {
		msg += fmt.Sprintf(": field %q", e.Field)
	}
	return msg + ": " + e.Reason
}
