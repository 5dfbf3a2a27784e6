package tiles

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/indicators"
)

// Tile geometry: MVT 2.1 tiles of Extent units a side, with Buffer units of
// geometry beyond each edge so that strokes and labels do not end at tile
// borders.
const (
	Extent  = 4096
	Buffer  = 64
	MaxZoom = 14
)

// TileID addresses a tile of the WebMercatorQuad tiling (XYZ: y grows
// southwards).
type TileID struct{ Z, X, Y int }

func (t TileID) String() string { return fmt.Sprintf("%d/%d/%d", t.Z, t.X, t.Y) }

// Valid reports whether the tile exists at a zoom from 0 to MaxZoom.
func (t TileID) Valid() bool {
	if t.Z < 0 || t.Z > MaxZoom {
		return false
	}
	n := 1 << t.Z
	return t.X >= 0 && t.X < n && t.Y >= 0 && t.Y < n
}

// Layer is what one tile request shows: the areas of a level valid on Day
// with the values of indicators, each in its own period.
type Layer struct {
	Level      string
	Day        time.Time
	Indicators []LayerIndicator
	// Facility, when set, makes this the points of that facility type
	// (facility_type key) valid on Day, Level their collection id.
	Facility string
}

// LayerIndicator is an indicator of a layer with the period whose values the
// tiles carry and the decimals they are rounded to.
type LayerIndicator struct {
	Key      string
	Period   time.Time
	Decimals int
	// Clusters, when not nil, makes this the LISA clusters of the
	// indicator Key (the property Key + indicators.LISASuffix) by area
	// code instead of its values.
	Clusters map[string]string
	// Since, when not nil, makes this the change of Key's values from
	// that period to Period (the property Key + indicators.ChangeSuffix).
	Since *time.Time
}

// Property is the name of the feature property of li's values.
func (li LayerIndicator) Property() string {
	switch {
	case li.Clusters != nil:
		return li.Key + indicators.LISASuffix
	case li.Since != nil:
		return li.Key + indicators.ChangeSuffix
	}
	return li.Key
}

// LabelsLayer is the name of a level's label layer.
func LabelsLayer(level string) string { return level + "_labels" }

// sqlTileStart selects the areas whose band geometry reaches into the tile
// or its buffer, each clipped and quantized once (the CTE is referenced
// twice, so PostgreSQL computes it once).
const sqlTileStart = `
WITH box AS (
	SELECT ST_TileEnvelope(@z::integer, @x::integer, @y::integer) AS env,
		ST_TileEnvelope(@z::integer, @x::integer, @y::integer, margin => @margin::float8) AS wide),
f AS (
	SELECT a.id, a.code, a.name, a.label_point,
		ST_AsMVTGeom(t.geom, box.env, @extent::integer, @buffer::integer, true) AS geom
	FROM box
	JOIN tile_geom t ON t.band = @band::smallint AND t.geom && box.wide
	JOIN area a ON a.id = t.area_id
	WHERE a.level = @level::text AND daterange(a.valid_from, a.valid_to, '[]') @> @day::date)
SELECT coalesce((SELECT ST_AsMVT(m, @layer::text, @extent::integer, 'geom', 'id') FROM (
		SELECT f.id, f.code, f.name, f.geom`

// sqlTileLabels is the label layer: one point per area, inside its polygon.
const sqlTileLabels = `
		WHERE f.geom IS NOT NULL) m), ''::bytea)
	|| coalesce((SELECT ST_AsMVT(l, @labels::text, @extent::integer, 'geom', 'id') FROM (
		SELECT f.id, f.code, f.name,
			ST_AsMVTGeom(ST_Transform(f.label_point, 3857), box.env, @extent::integer, @buffer::integer, true) AS geom
		FROM f, box) l
		WHERE l.geom IS NOT NULL), ''::bytea)`

// tileSQL is the one statement that builds a tile of the layer's shape.
// Its text depends only on the indicator keys and their decimals (level,
// day, periods and the tile are arguments), so pgx prepares it once per
// connection and shape. ST_AsMVT leaves NULL attributes out: a withheld
// value is absent from the feature, and its _status and _suppressed say
// why.
func tileSQL(inds []LayerIndicator) string {
	var cols, joins strings.Builder
	for i, ind := range inds {
		if ind.Clusters != nil {
			// the clusters come as two arrays, joined by code
			fmt.Fprintf(&cols, ",\n\t\t\tl%d.cluster AS %s", i, pgx.Identifier{ind.Property()}.Sanitize())
			fmt.Fprintf(&joins, "\n\t\tLEFT JOIN unnest(@lc%d::text[], @lv%d::text[]) AS l%d(code, cluster) ON l%d.code = f.code", i, i, i, i)
			continue
		}
		if ind.Since != nil {
			// the difference of the two published figures, withheld where
			// either is
			v, w := fmt.Sprintf("v%d", i), fmt.Sprintf("w%d", i)
			value := fmt.Sprintf("round((%s.value::numeric - %s.value::numeric), %d)::float8", v, w, ind.Decimals)
			if ind.Decimals == 0 {
				value += "::bigint"
			}
			fmt.Fprintf(&cols, ",\n\t\t\t%s AS %s, CASE WHEN 'suppressed' IN (%s.status, %s.status) THEN 'suppressed' END AS %s",
				value, pgx.Identifier{ind.Property()}.Sanitize(), v, w, pgx.Identifier{ind.Property() + "_status"}.Sanitize())
			for _, side := range []string{v, w} {
				fmt.Fprintf(&joins, "\n\t\tLEFT JOIN LATERAL (SELECT c.value, c.status FROM %s c\n\t\t\tWHERE c.area_id = f.id AND c.indicator = @k%d::text AND c.period = @%s::date) %s ON true",
					indicators.TileCellsSQL, i, "p"+side, side)
			}
			continue
		}
		v := fmt.Sprintf("v%d", i)
		value := v + ".value"
		if ind.Decimals == 0 {
			value += "::bigint" // a whole number: an MVT int, read as Integer64
		}
		fmt.Fprintf(&cols, ",\n\t\t\t%s AS %s, %s.status AS %s, %s.suppressed AS %s",
			value, pgx.Identifier{ind.Key}.Sanitize(),
			v, pgx.Identifier{ind.Key + "_status"}.Sanitize(),
			v, pgx.Identifier{ind.Key + "_suppressed"}.Sanitize())
		fmt.Fprintf(&joins, "\n\t\tLEFT JOIN LATERAL (SELECT c.value, c.status, c.suppressed FROM %s c\n\t\t\tWHERE c.area_id = f.id AND c.indicator = @k%d::text AND c.period = @p%d::date) %s ON true",
			indicators.TileCellsSQL, i, i, v)
	}
	return sqlTileStart + cols.String() + "\n\t\tFROM f" + joins.String() + sqlTileLabels
}

// tileArgs are the arguments of tileSQL for one tile.
func tileArgs(l *Layer, t TileID) pgx.NamedArgs {
	args := pgx.NamedArgs{
		"z": t.Z, "x": t.X, "y": t.Y, "band": Band(t.Z),
		"margin": float64(Buffer) / Extent, "extent": Extent, "buffer": Buffer,
		"level": l.Level, "day": l.Day, "layer": l.Level, "labels": LabelsLayer(l.Level),
	}
	for i, ind := range l.Indicators {
		if ind.Clusters != nil {
			codes := slices.Sorted(maps.Keys(ind.Clusters))
			clusters := make([]string, len(codes))
			for j, c := range codes {
				clusters[j] = ind.Clusters[c]
			}
			args[fmt.Sprintf("lc%d", i)], args[fmt.Sprintf("lv%d", i)] = codes, clusters
			continue
		}
		args[fmt.Sprintf("k%d", i)] = ind.Key
		if ind.Since != nil {
			args[fmt.Sprintf("pv%d", i)], args[fmt.Sprintf("pw%d", i)] = ind.Period, *ind.Since
			continue
		}
		args[fmt.Sprintf("p%d", i)] = ind.Period
	}
	return args
}

// Querier runs queries: a pool, a connection or a transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Render builds tile t of the layer with one statement: the MVT bytes
// (uncompressed), empty when no area of the layer reaches into the tile.
func Render(ctx context.Context, db Querier, l *Layer, t TileID) ([]byte, error) {
	var mvt []byte
	if l.Facility != "" {
		args := pgx.NamedArgs{"z": t.Z, "x": t.X, "y": t.Y, "margin": float64(Buffer) / Extent,
			"extent": Extent, "buffer": Buffer, "layer": l.Level, "type": l.Facility, "day": l.Day}
		if err := db.QueryRow(ctx, sqlFacilityTile, args).Scan(&mvt); err != nil {
			return nil, fmt.Errorf("tile %s/%s: %w", l.Level, t, err)
		}
		return mvt, nil
	}
	if err := db.QueryRow(ctx, tileSQL(l.Indicators), tileArgs(l, t)).Scan(&mvt); err != nil {
		return nil, fmt.Errorf("tile %s/%s: %w", l.Level, t, err)
	}
	return mvt, nil
}
