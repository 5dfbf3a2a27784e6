package tiles

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/facility"
)

// sqlFacilityTile is a tile of one facility type: the versions valid on the
// day whose point lies in the tile or its buffer (so that circles drawn at
// a tile's edge are not cut off), in one point layer named like the OGC API
// Features collection. The capacity is a float, as a capacity may be
// fractional (12,5); ST_AsMVT leaves NULL attributes out, so a facility
// without a known capacity has none.
const sqlFacilityTile = `
WITH box AS (
	SELECT ST_TileEnvelope(@z::integer, @x::integer, @y::integer) AS env,
		ST_TileEnvelope(@z::integer, @x::integer, @y::integer, margin => @margin::float8) AS wide)
SELECT coalesce((SELECT ST_AsMVT(m, @layer::text, @extent::integer, 'geom', 'id') FROM (
		SELECT f.id, f.source_id, f.name, f.carrier, f.carrier_type,
			f.capacity::float8 AS capacity, f.capacity_unit,
			ST_AsMVTGeom(f.geom_3857, box.env, @extent::integer, @buffer::integer, true) AS geom
		FROM box JOIN facility f ON f.geom_3857 && box.wide
		WHERE f.type = @type::text AND daterange(f.valid_from, f.valid_to, '[]') @> @day::date
		ORDER BY f.source_id) m
	WHERE m.geom IS NOT NULL), ''::bytea)`

// facilityFields are the properties of a facility tile's features, for
// TileJSON and the tileset metadata.
var facilityFields = []field{
	{"source_id", "String", "Kennung der Einrichtung in der Quelle"},
	{"name", "String", "Name der Einrichtung"},
	{"carrier", "String", "Träger"},
	{"carrier_type", "String", "Trägerart"},
	{"capacity", "Number", "Kapazität; fehlt, wo sie nicht bekannt ist"},
	{"capacity_unit", "String", "Einheit der Kapazität (Plätze)"},
}

// isFacilityLayer tells a facility collection id from a level name: level
// names cannot contain the prefix's hyphen.
func isFacilityLayer(id string) bool { return strings.HasPrefix(id, facility.LayerPrefix) }

// facilityLayer resolves a request for the tiles of a facility type: the
// type has facilities, and the request asks for nothing but the day.
func (s *Server) facilityLayer(ctx context.Context, req *request) (*Layer, facilityInfo, error) {
	if len(req.indicators) > 0 || req.period != nil || req.period2 != nil {
		return nil, facilityInfo{}, &paramError{"indicators", fmt.Sprintf("%s is a point layer of facilities without indicator values; its tiles take only datetime", req.level)}
	}
	info, err := s.facilities.Layer(ctx, req.level)
	if errors.Is(err, geo.ErrNotFound) {
		return nil, facilityInfo{}, &notFoundError{fmt.Sprintf("There is no facility collection %q; /collections lists them.", req.level)}
	}
	if err != nil {
		return nil, facilityInfo{}, fmt.Errorf("tiles of %s: %w", req.level, err)
	}
	key, _ := strings.CutPrefix(req.level, facility.LayerPrefix)
	return &Layer{Level: req.level, Day: req.day, Facility: key}, facilityInfo{title: info.Title, bbox: info.BBox}, nil
}

// facilityInfo is what the metadata of a facility layer say besides the
// layer.
type facilityInfo struct {
	title string
	bbox  *[4]float64
}

// facilityMeta is the metadata of a facility type's tiles.
func (s *Server) facilityMeta(ctx context.Context, req *request, query string) (*meta, error) {
	l, info, err := s.facilityLayer(ctx, req)
	if err != nil {
		return nil, err
	}
	return &meta{layer: l, query: query, title: info.title, bbox: info.bbox,
		attribution: s.cfg.Attribution, fields: facilityFields}, nil
}
