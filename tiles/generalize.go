package tiles

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"

	"github.com/sozialatlas/sozialatlas/tiles/coverage"
)

// Generalization runs per level over all its area versions together:
// vertices are matched by coordinates, so a border that several versions
// share is one chain, simplified once, and stays identical from version to
// version. Where versions of different dates differ, their borders meet at
// more nodes than either alone would have; extra nodes only cut chains
// shorter, so the versions valid on any one day still form a coverage.
// Chains are kept from crossing only chains of versions valid on a common
// day (see coverage.Period).

const (
	sqlLevelExists = `SELECT EXISTS (SELECT 1 FROM level WHERE name = $1)`

	sqlLevelsWithGeometry = `SELECT DISTINCT level FROM area WHERE geom_3857 IS NOT NULL ORDER BY level`

	sqlDeleteLevel = `DELETE FROM tile_geom t USING area a WHERE a.id = t.area_id AND a.level = $1`

	sqlDeleteAll = `DELETE FROM tile_geom`

	// Validity as days since 1970-01-01, NULL when unbounded.
	sqlLevelGeometry = `SELECT id, ST_AsBinary(geom_3857), valid_from - DATE '1970-01-01', valid_to - DATE '1970-01-01'
FROM area WHERE level = $1 AND geom_3857 IS NOT NULL ORDER BY id`

	// The top band is the stored geometry: copied in the database, never
	// round-tripped through Go.
	sqlInsertStored = `INSERT INTO tile_geom (area_id, band, geom)
SELECT id, $2, geom_3857 FROM area WHERE level = $1 AND geom_3857 IS NOT NULL`

	sqlAnalyze = `ANALYZE tile_geom`
)

// Generalize rebuilds the tile geometry of every area version of a level
// inside the caller's transaction: the stored Web Mercator geometry for the
// top band, and for each lower band the level's coverage simplified border
// by border (see package coverage) with the band's tolerance. An area whose
// rings all collapse at a band has no row there.
func Generalize(ctx context.Context, tx pgx.Tx, level string) error {
	var exists bool
	if err := tx.QueryRow(ctx, sqlLevelExists, level).Scan(&exists); err != nil {
		return fmt.Errorf("generalize %s: %w", level, err)
	}
	if !exists {
		return fmt.Errorf("generalize: unknown level %q", level)
	}
	if _, err := tx.Exec(ctx, sqlDeleteLevel, level); err != nil {
		return fmt.Errorf("generalize %s: delete: %w", level, err)
	}
	if err := generalizeLevel(ctx, tx, level); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, sqlAnalyze); err != nil {
		return fmt.Errorf("generalize %s: %w", level, err)
	}
	return nil
}

// GeneralizeAll rebuilds the tile geometry of every level that has
// geometry, inside the caller's transaction.
func GeneralizeAll(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, sqlLevelsWithGeometry)
	if err != nil {
		return fmt.Errorf("generalize: levels: %w", err)
	}
	levels, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("generalize: levels: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlDeleteAll); err != nil {
		return fmt.Errorf("generalize: delete: %w", err)
	}
	for _, level := range levels {
		if err := generalizeLevel(ctx, tx, level); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, sqlAnalyze); err != nil {
		return fmt.Errorf("generalize: %w", err)
	}
	return nil
}

// generalizeLevel writes a level's rows, whose old ones are gone.
func generalizeLevel(ctx context.Context, tx pgx.Tx, level string) error {
	ids, shapes, periods, err := readLevel(ctx, tx, level)
	if err != nil {
		return fmt.Errorf("generalize %s: %w", level, err)
	}
	if _, err := tx.Exec(ctx, sqlInsertStored, level, maxBand); err != nil {
		return fmt.Errorf("generalize %s: band %d: %w", level, maxBand, err)
	}
	if len(ids) == 0 {
		return nil
	}
	cov := coverage.New(shapes, periods)
	var rows [][]any
	for _, band := range Bands {
		if band >= maxBand {
			continue
		}
		for i, mp := range cov.Simplify(Tolerance(band)) {
			if len(mp) > 0 {
				rows = append(rows, []any{ids[i], int16(band), encodeEWKB(mp, webMercatorSRID)})
			}
		}
	}
	// pgx passes the bytes of a type it does not know (geometry) as they
	// are; PostGIS reads them as EWKB in COPY's binary format.
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"tile_geom"},
		[]string{"area_id", "band", "geom"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("generalize %s: write: %w", level, err)
	}
	return nil
}

// readLevel reads the Web Mercator geometry of a level's area versions and
// when they are valid.
func readLevel(ctx context.Context, tx pgx.Tx, level string) ([]int64, []coverage.MultiPolygon, []coverage.Period, error) {
	rows, err := tx.Query(ctx, sqlLevelGeometry, level)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read geometry: %w", err)
	}
	defer rows.Close()
	var ids []int64
	var shapes []coverage.MultiPolygon
	var periods []coverage.Period
	for rows.Next() {
		var id int64
		var raw []byte
		var from, to *int64
		if err := rows.Scan(&id, &raw, &from, &to); err != nil {
			return nil, nil, nil, fmt.Errorf("read geometry: %w", err)
		}
		mp, err := decodeWKB(raw)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("area %d: geom_3857: %w", id, err)
		}
		period := coverage.Period{From: math.MinInt64, To: math.MaxInt64}
		if from != nil {
			period.From = *from
		}
		if to != nil {
			period.To = *to
		}
		ids = append(ids, id)
		shapes = append(shapes, mp)
		periods = append(periods, period)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("read geometry: %w", err)
	}
	return ids, shapes, periods, nil
}

// decodeWKB reads a polygon or multipolygon.
func decodeWKB(raw []byte) (coverage.MultiPolygon, error) {
	g, err := wkb.Unmarshal(raw)
	if err != nil {
		return nil, fmt.Errorf("decode WKB: %w", err)
	}
	var polys []*geom.Polygon
	switch g := g.(type) {
	case *geom.MultiPolygon:
		for i := range g.NumPolygons() {
			polys = append(polys, g.Polygon(i))
		}
	case *geom.Polygon:
		polys = append(polys, g)
	default:
		return nil, fmt.Errorf("decode WKB: %T is not a polygon or multipolygon", g)
	}
	mp := make(coverage.MultiPolygon, 0, len(polys))
	for _, p := range polys {
		poly := make(coverage.Polygon, 0, p.NumLinearRings())
		for i := range p.NumLinearRings() {
			flat, stride := p.LinearRing(i).FlatCoords(), p.Stride()
			r := make(coverage.Ring, 0, len(flat)/stride)
			for k := 0; k+1 < len(flat); k += stride {
				r = append(r, coverage.Point{flat[k], flat[k+1]})
			}
			poly = append(poly, r)
		}
		mp = append(mp, poly)
	}
	return mp, nil
}

// webMercatorSRID is the SRID of tile_geom.geom.
const webMercatorSRID = 3857

// WKB type codes (OGC Simple Features, ISO 19125-1 §8.2), and the flag of
// PostGIS' extended WKB that says an SRID follows the type.
const (
	wkbLittleEndian = 1
	wkbPolygon      = 3
	wkbMultiPolygon = 6
	ewkbSRIDFlag    = 0x20000000
)

// encodeEWKB writes a 2D multipolygon as little-endian EWKB with an SRID,
// which a geometry column of that SRID accepts.
func encodeEWKB(mp coverage.MultiPolygon, srid uint32) []byte {
	size := 13
	for _, p := range mp {
		size += 9
		for _, r := range p {
			size += 4 + 16*len(r)
		}
	}
	b := make([]byte, 0, size)
	le := binary.LittleEndian
	b = append(b, wkbLittleEndian)
	b = le.AppendUint32(b, wkbMultiPolygon|ewkbSRIDFlag)
	b = le.AppendUint32(b, srid)
	b = le.AppendUint32(b, uint32(len(mp)))
	for _, p := range mp {
		b = append(b, wkbLittleEndian)
		b = le.AppendUint32(b, wkbPolygon)
		b = le.AppendUint32(b, uint32(len(p)))
		for _, r := range p {
			b = le.AppendUint32(b, uint32(len(r)))
			for _, pt := range r {
				b = le.AppendUint64(b, math.Float64bits(pt[0]))
				b = le.AppendUint64(b, math.Float64bits(pt[1]))
			}
		}
	}
	return b
}
