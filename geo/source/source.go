// Package source reads boundary files — GeoJSON, ESRI Shapefile (plain or
// zipped), GeoPackage and CSV without geometry — into one neutral form: the
// features' attributes as text and their geometry as WKB in the file's CRS.
// It does not reproject; PostGIS does that on import.
package source

import (
	"fmt"
)

// CRS is what a file says about its coordinate reference system. At most one
// of SRID and WKT is the deciding statement: SRID when the file names an
// authority code (GeoPackage srs, GeoJSON crs member), WKT when it only has a
// definition (a shapefile's .prj). Both zero means the file says nothing; for
// GeoJSON that is CRS84 by RFC 7946, for CSV and shapefiles it is unknown.
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
}

// Error is a problem with the input, located as precisely as known.
type Error struct {
	Path    string // file
	Feature int    // 1-based feature number or CSV line; 0 if not about one feature
	Field   string // attribute name; "" if not about one field
	Reason  string
}

func (e *Error) Error() string {
	msg := e.Path
	if e.Feature > 0 {
		msg += fmt.Sprintf(": feature %d", e.Feature)
	}
	if e.Field != "" {
		msg += fmt.Sprintf(": field %q", e.Field)
	}
	return msg + ": " + e.Reason
}
