package source

import (
	"encoding/json"
	"fmt"

	"github.com/sozialatlas/sozialatlas/geo/crs"
)

// geojsonCRS reads the "crs" member that GeoJSON had before RFC 7946
// (geojson.org/geojson-spec 2008) and that GDAL and QGIS still write:
// {"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::25833"}}.
//
// Without it a file is CRS84 by RFC 7946, SRID 4326. CRS84 and EPSG:4326
// both give SRID 4326 with the coordinates taken as longitude/latitude in
// file order, as GDAL reads GeoJSON: files that name EPSG:4326 hold lon/lat
// in practice. Any other code is taken with its coordinates in file order
// (easting, northing).
func geojsonCRS(raw json.RawMessage) (CRS, error) {
	if geojsonIsNull(raw) {
		return CRS{SRID: 4326}, nil
	}
	var member struct {
		Type       string `json:"type"`
		Properties struct {
			Name string          `json:"name"`
			Code json.RawMessage `json:"code"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &member); err != nil {
		return CRS{}, fmt.Errorf("not a crs object: %w", err)
	}
	var name string
	switch member.Type {
	case "name":
		name = member.Properties.Name
	case "EPSG":
		// The 2008 draft's {"type":"EPSG","properties":{"code":25833}}.
		name = "EPSG:" + string(member.Properties.Code)
	default:
		return CRS{}, fmt.Errorf(`crs type %q is not supported: expected {"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::…"}}`, member.Type)
	}
	ref, err := crs.ParseName(name)
	if err != nil {
		return CRS{}, err
	}
	return CRS{SRID: ref.SRID, Name: name}, nil
}
