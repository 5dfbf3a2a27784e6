package source

import (
	"path/filepath"
	"strings"
)

// Open reads a boundary file, choosing the reader by the file's extension:
// .geojson/.json, .shp (with its .dbf, .prj, .cpg beside it), .zip (holding
// one shapefile, or the one named by Options.Layer), .gpkg, .csv.
func Open(path string, opts Options) (*Dataset, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".geojson", ".json":
		return readGeoJSON(path, opts)
	case ".shp":
		return readShapefile(path, opts)
	case ".zip":
		return readZip(path, opts)
	case ".gpkg":
		return readGeoPackage(path, opts)
	case ".csv", ".txt":
		return readCSV(path, opts)
	}
	return nil, &Error{Path: path, Reason: "unknown file type: expected .geojson, .json, .shp, .zip, .gpkg or .csv"}
}
