package geo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Neighbourhood rules of the spatial statistics.
const (
	// Queen: areas whose boundaries share at least one point.
	Queen = "queen"
	// Rook: areas whose boundaries share a line of positive length.
	Rook = "rook"
	// KNearest: the k areas whose label points lie nearest.
	KNearest = "knn"
)

// NeighbourArea is an area version that takes part in a neighbourhood.
type NeighbourArea struct {
	ID   int64
	Code string
	Name string
}

// ExcludedArea is an area version of the level that cannot take part, and
// why.
type ExcludedArea struct {
	NeighbourArea
	Reason string
}

// ReasonNoGeometry: an area without boundaries (Berlin's Planungsräume, a
// Gemeinde a statistical table created) has no neighbours to find.
const ReasonNoGeometry = "no geometry"

// Neighbours are the areas of a level valid on one day with a geometry,
// ordered by code (versions of one code by id), and for contiguity the
// neighbours of each as indices into Areas, ascending; for k nearest
// neighbours the label point of each instead (see NearestNeighbours).
type Neighbours struct {
	Level    string
	Day      time.Time
	Rule     string
	Areas    []NeighbourArea
	Lists    [][]int32    // queen, rook
	Points   [][2]float64 // knn: x, y in metres, EPSG:25832
	Excluded []ExcludedArea
}

// sqlNeighbourAreas lists the level's area versions valid on @day.
const sqlNeighbourAreas = `
SELECT a.id, a.code, a.name, a.geom IS NOT NULL
FROM area a
WHERE a.level = @level AND ` + sqlValidOnDay + `
ORDER BY a.code, a.id`

// sqlValidOnDay matches the area versions a valid on @day (a NULL bound
// is open).
const sqlValidOnDay = `(a.valid_from IS NULL OR a.valid_from <= @day::date)
	AND (a.valid_to IS NULL OR a.valid_to >= @day::date)`

// sqlQueenPairs finds every pair of the level's areas valid on @day whose
// geometries meet, each pair once. The bounding boxes (&&, answered by
// area_geom_idx) leave ST_Intersects about three candidates per area.
// Intersects rather than Touches: VG5000's generalised boundaries overlap
// by slivers in places, and areas that overlap are neighbours all the
// more. Topology does not depend on the projection, so the stored
// EPSG:4326 geometry serves.
const sqlQueenPairs = `
SELECT a.id, b.id
FROM area a
JOIN area b ON b.geom && a.geom AND b.level = a.level AND b.id > a.id
WHERE a.level = @level AND a.geom IS NOT NULL AND ` + sqlValidOnDay + `
	AND (b.valid_from IS NULL OR b.valid_from <= @day::date)
	AND (b.valid_to IS NULL OR b.valid_to >= @day::date)
	AND ST_Intersects(a.geom, b.geom)`

// sqlRookPairs keeps the pairs whose boundaries share a line (the
// boundary/boundary cell of the DE-9IM matrix has dimension 1) or whose
// interiors overlap (dimension 2): two areas that meet only at a corner
// are queen but not rook neighbours. spdep's poly2nb calls the same
// distinction queen = TRUE or FALSE (one shared boundary point or more
// than one).
const sqlRookPairs = `
SELECT id_a, id_b FROM (
	SELECT a.id AS id_a, b.id AS id_b, ST_Relate(a.geom, b.geom) AS m
	FROM area a
	JOIN area b ON b.geom && a.geom AND b.level = a.level AND b.id > a.id
	WHERE a.level = @level AND a.geom IS NOT NULL AND ` + sqlValidOnDay + `
		AND (b.valid_from IS NULL OR b.valid_from <= @day::date)
		AND (b.valid_to IS NULL OR b.valid_to >= @day::date)
		AND ST_Intersects(a.geom, b.geom)
) p
WHERE substr(m, 1, 1) = '2' OR substr(m, 5, 1) = '1'`

// sqlLabelPoints are the label points of the level's areas valid on @day
// in ETRS89 / UTM 32N (EPSG:25832), the CRS of the BKG's German
// boundaries, in which distances are metres. The label point (the centre
// of the largest inscribed circle, see sqlInsertAreas) lies inside the
// area where the map writes its name.
const sqlLabelPoints = `
SELECT a.id, ST_X(p), ST_Y(p)
FROM area a,
	LATERAL ST_Transform(coalesce(a.label_point, ST_PointOnSurface(a.geom)), 25832) p
WHERE a.level = @level AND a.geom IS NOT NULL AND ` + sqlValidOnDay

// Neighbourhood computes the neighbourhood of the level's areas valid on
// day by rule (Queen, Rook or KNearest; for KNearest it returns the
// points, from which NearestNeighbours finds the lists for any k).
func (s *Store) Neighbourhood(ctx context.Context, level string, day time.Time, rule string) (Neighbours, error) {
	nb := Neighbours{Level: level, Day: day, Rule: rule}
	var pairs string
	switch rule {
	case Queen:
		pairs = sqlQueenPairs
	case Rook:
		pairs = sqlRookPairs
	case KNearest:
		pairs = sqlLabelPoints
	default:
		return nb, fmt.Errorf("neighbourhood of %s: unknown rule %q", level, rule)
	}
	args := pgx.NamedArgs{"level": level, "day": day}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return nb, fmt.Errorf("neighbourhood of %s: %w", level, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	// PostGIS's cost estimates make PostgreSQL compile the pair query
	// with JIT, which for the Gemeinden took 400 of its 900 ms.
	if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
		return nb, fmt.Errorf("neighbourhood of %s: %w", level, err)
	}
	rows, err := tx.Query(ctx, sqlNeighbourAreas, args)
	if err != nil {
		return nb, fmt.Errorf("neighbourhood of %s: areas: %w", level, err)
	}
	index := map[int64]int32{}
	var a NeighbourArea
	var hasGeom bool
	_, err = pgx.ForEachRow(rows, []any{&a.ID, &a.Code, &a.Name, &hasGeom}, func() error {
		if !hasGeom {
			nb.Excluded = append(nb.Excluded, ExcludedArea{NeighbourArea: a, Reason: ReasonNoGeometry})
			return nil
		}
		index[a.ID] = int32(len(nb.Areas))
		nb.Areas = append(nb.Areas, a)
		return nil
	})
	if err != nil {
		return nb, fmt.Errorf("neighbourhood of %s: areas: %w", level, err)
	}

	rows, err = tx.Query(ctx, pairs, args)
	if err != nil {
		return nb, fmt.Errorf("neighbourhood of %s (%s): %w", level, rule, err)
	}
	if rule == KNearest {
		nb.Points = make([][2]float64, len(nb.Areas))
		var id int64
		var x, y float64
		_, err = pgx.ForEachRow(rows, []any{&id, &x, &y}, func() error {
			i, ok := index[id]
			if !ok {
				return fmt.Errorf("area %d is not among the areas", id)
			}
			nb.Points[i] = [2]float64{x, y}
			return nil
		})
	} else {
		nb.Lists = make([][]int32, len(nb.Areas))
		var ida, idb int64
		_, err = pgx.ForEachRow(rows, []any{&ida, &idb}, func() error {
			i, ok1 := index[ida]
			j, ok2 := index[idb]
			if !ok1 || !ok2 {
				return fmt.Errorf("pair %d, %d is not among the areas", ida, idb)
			}
			nb.Lists[i] = append(nb.Lists[i], j)
			nb.Lists[j] = append(nb.Lists[j], i)
			return nil
		})
		for _, l := range nb.Lists {
			slices.Sort(l)
		}
	}
	if err != nil {
		return nb, fmt.Errorf("neighbourhood of %s (%s): %w", level, rule, err)
	}
	return nb, nil
}
