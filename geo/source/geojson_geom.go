package source

import (
	"encoding/json"
	"errors"
	"fmt"

	geom "github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkbcommon"
)

// geojsonWKB converts a GeoJSON geometry to 2D little-endian WKB of the
// same type (promoting Polygon to MultiPolygon is the importer's choice).
// A null, missing or empty geometry has no location and gives nil.
func geojsonWKB(raw json.RawMessage) ([]byte, error) {
	if geojsonIsNull(raw) {
		return nil, nil
	}
	var g geojson.Geometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("not a geometry object")
	}
	if err := geojsonCheckMembers(&g); err != nil {
		return nil, err
	}
	t, err := g.Decode()
	if err != nil {
		var unsupported geojson.ErrUnsupportedType
		var tooLow geojson.ErrDimensionalityTooLow
		switch {
		case errors.As(err, &unsupported):
			return nil, fmt.Errorf("type %q is not a GeoJSON geometry type", string(unsupported))
		case errors.As(err, &tooLow):
			return nil, fmt.Errorf("a position has %d coordinate(s), at least 2 are needed", int(tooLow))
		}
		var nesting *json.UnmarshalTypeError
		var stride geom.ErrStrideMismatch
		switch {
		case errors.As(err, &nesting):
			return nil, fmt.Errorf("%s coordinates are not nested as that type requires", g.Type)
		case errors.As(err, &stride):
			return nil, fmt.Errorf("%s positions differ in their number of coordinates (%d and %d)", g.Type, stride.Want, stride.Got)
		}
		return nil, fmt.Errorf("%s coordinates: %w", g.Type, err)
	}
	if t.Empty() {
		return nil, nil
	}
	if err := geojsonCheckRings(t); err != nil {
		return nil, err
	}
	t, err = force2D(t)
	if err != nil {
		return nil, err
	}
	b, err := wkb.Marshal(t, wkb.NDR, wkbcommon.WKBOptionEmptyPointHandling(wkbcommon.EmptyPointHandlingNaN))
	if err != nil {
		return nil, fmt.Errorf("encode WKB: %w", err)
	}
	return b, nil
}

// geojsonCheckMembers rejects geometries go-geom would silently accept as
// empty: a missing "coordinates" (or "geometries") member is an error in
// RFC 7946 §3.1, not an empty geometry.
func geojsonCheckMembers(g *geojson.Geometry) error {
	if g.Type == "GeometryCollection" {
		if g.Geometries == nil {
			return fmt.Errorf(`GeometryCollection has no "geometries" member`)
		}
		var members []geojson.Geometry
		if err := json.Unmarshal(*g.Geometries, &members); err != nil {
			return fmt.Errorf("GeometryCollection geometries: %w", err)
		}
		for i := range members {
			if err := geojsonCheckMembers(&members[i]); err != nil {
				return fmt.Errorf("GeometryCollection member %d: %w", i+1, err)
			}
		}
		return nil
	}
	if g.Type == "" {
		return fmt.Errorf(`no "type" member`)
	}
	if g.Coordinates == nil || geojsonIsNull(*g.Coordinates) {
		return fmt.Errorf(`%s has no "coordinates" member`, g.Type)
	}
	return nil
}

// geojsonCheckRings enforces RFC 7946 §3.1.6: a linear ring is closed and
// has at least four positions. PostGIS would reject such a ring later,
// without saying which feature it belongs to.
func geojsonCheckRings(g geom.T) error {
	check := func(p *geom.Polygon, where string) error {
		for i := 0; i < p.NumLinearRings(); i++ {
			r := p.LinearRing(i)
			n := r.NumCoords()
			if n < 4 {
				return fmt.Errorf("%sring %d has %d positions, a closed ring needs at least 4", where, i+1, n)
			}
			first, last := r.Coord(0), r.Coord(n-1)
			if first.X() != last.X() || first.Y() != last.Y() {
				return fmt.Errorf("%sring %d is not closed: it starts at %v and ends at %v", where, i+1, []float64(first), []float64(last))
			}
		}
		return nil
	}
	switch t := g.(type) {
	case *geom.Polygon:
		return check(t, "")
	case *geom.MultiPolygon:
		for i := 0; i < t.NumPolygons(); i++ {
			if err := check(t.Polygon(i), fmt.Sprintf("polygon %d: ", i+1)); err != nil {
				return err
			}
		}
	case *geom.GeometryCollection:
		for i, m := range t.Geoms() {
			if err := geojsonCheckRings(m); err != nil {
				return fmt.Errorf("GeometryCollection member %d: %w", i+1, err)
			}
		}
	}
	return nil
}
