package geo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Period selects area versions by validity: a version matches when it is
// valid on at least one day from From to To (both inclusive, nil is open).
// The zero Period selects the versions valid today.
type Period struct {
	Explicit bool // false: today (the database's current_date)
	From, To *time.Time
}

// On selects the versions valid on day d.
func On(d time.Time) Period { return Period{Explicit: true, From: &d, To: &d} }

// Between selects the versions valid on some day from from to to; nil is open.
func Between(from, to *time.Time) Period { return Period{Explicit: true, From: from, To: to} }

func (p Period) args(a pgx.NamedArgs) {
	a["today"] = !p.Explicit
	a["from"] = p.From
	a["to"] = p.To
}

// BBox is a bounding box filter in the CRS given by SRID. With LatLon the
// X values are latitudes and the Y values longitudes (EPSG:4326 axis order).
type BBox struct {
	MinX, MinY, MaxX, MaxY float64
	SRID                   int
	LatLon                 bool
}

func (b BBox) args(a pgx.NamedArgs) {
	minx, miny, maxx, maxy := b.MinX, b.MinY, b.MaxX, b.MaxY
	if b.LatLon {
		minx, miny, maxx, maxy = miny, minx, maxy, maxx
	}
	a["minx"], a["miny"], a["maxx"], a["maxy"] = minx, miny, maxx, maxy
	a["bbox_srid"] = b.SRID
}

// GeometryOptions say how geometries are written.
type GeometryOptions struct {
	SRID      int  // output CRS; 0 is 4326
	LatLon    bool // write latitude first (EPSG:4326 as OGC API Features Part 2 reads it)
	Precision int  // decimal digits of coordinates
	// SimplifyMetres is a tolerance on the ground; 0 keeps full detail.
	// Geometries are simplified in Web Mercator with the tolerance scaled by
	// 1/cos(latitude of the area's label point), Mercator's scale factor, so
	// the tolerance is close to metres on the ground at the area. Each area
	// is simplified on its own: shared borders may part a little.
	SimplifyMetres float64
}

func (g GeometryOptions) args(a pgx.NamedArgs) {
	srid := g.SRID
	if srid == 0 {
		srid = 4326
	}
	a["srid"] = srid
	a["flip"] = g.LatLon
	a["precision"] = g.Precision
	a["tolerance"] = g.SimplifyMetres
}

// ItemsQuery selects a page of one level's area versions.
type ItemsQuery struct {
	Level    string
	BBox     *BBox
	Period   Period
	Limit    int
	Offset   int
	Geometry GeometryOptions
	// Filter, when not nil, selects further.
	Filter *Filter
}

// Filter is a condition on the area versions a of a level, compiled from a
// query's filter (geo/cql2) into SQL with named arguments. Joins makes
// properties kept outside the area table available to Where: LEFT JOINs
// to "area a" that yield at most one row per area version, so that
// counting and paging stay those of the areas.
// Where may be empty when only Order is given.
type Filter struct {
	Joins string
	Where string
	Args  map[string]any
	// Order, when not empty, ranks the matches before the page is cut
	// (sortby): SQL expressions over a and Joins, each ascending or
	// descending. NULLs come last either way, so an area without a value
	// (or with a withheld one) never ranks among the values; code and id
	// follow, so pages are stable.
	Order []OrderBy
}

// OrderBy is one key of Filter.Order.
type OrderBy struct {
	Expr string
	Desc bool
}

// Feature is an area version with its geometry as a GeoJSON geometry object
// written by PostGIS, nil when the area has none.
type Feature struct {
	Area
	Geometry []byte
}

// Columns of Area, from area a left-joined to its parent p.
const sqlAreaColumns = `a.id, a.level, a.code, a.name, coalesce(a.parent_level, ''), coalesce(a.parent_code, ''),
	a.valid_from, a.valid_to, a.area_km2, a.geom IS NOT NULL`

// sqlFeatureGeometry writes the geometry; options 0 keeps PostGIS from adding
// a legacy "crs" member for SRIDs other than 4326.
const sqlFeatureGeometry = `ST_AsGeoJSON(CASE WHEN @flip::boolean THEN ST_FlipCoordinates(g.geom) ELSE g.geom END,
	@precision::integer, 0)`

// sqlGeometryLateral picks the cheapest source for the output geometry: the
// stored 4326 or 3857 geometry, transformed only where needed; simplified
// ones start from 3857 (see GeometryOptions.SimplifyMetres).
const sqlGeometryLateral = `
CROSS JOIN LATERAL (SELECT ST_Transform(CASE
	WHEN @tolerance::float8 > 0 THEN ST_Multi(ST_SimplifyPreserveTopology(a.geom_3857,
		@tolerance::float8 / cos(radians(ST_Y(coalesce(a.label_point, ST_PointOnSurface(a.geom)))))))
	WHEN @srid::integer = 3857 THEN a.geom_3857
	ELSE a.geom END, @srid::integer) AS geom) g`

const sqlPeriodMatch = `daterange(a.valid_from, a.valid_to, '[]') && daterange(
	CASE WHEN @today::boolean THEN current_date ELSE @from::date END,
	CASE WHEN @today::boolean THEN current_date ELSE @to::date END, '[]')`

// sqlBBoxEnvelope brings the bbox into 4326; its edges are segmentized first
// so a projected box stays the same region after the transform, not just a
// quadrilateral through its corners.
const sqlBBoxEnvelope = `WITH b AS (
	SELECT ST_Transform(ST_Segmentize(
		ST_MakeEnvelope(@minx::float8, @miny::float8, @maxx::float8, @maxy::float8, @bbox_srid::integer),
		greatest(@maxx::float8 - @minx::float8, @maxy::float8 - @miny::float8, 1e-6) / 32), 4326) AS env)
`

// The page is cut in a subquery so that geometries are transformed and
// written for the page's rows only.
const (
	sqlItemsWhere = `
WHERE a.level = @level AND ` + sqlPeriodMatch
	sqlItemsCount     = `SELECT count(*) FROM area a` + sqlItemsWhere
	sqlItemsCountBBox = sqlBBoxEnvelope + `SELECT count(*) FROM b CROSS JOIN area a` + sqlItemsWhere +
		` AND ST_Intersects(a.geom, b.env)`
	sqlItemsPage = `
	ORDER BY a.code, a.id
	LIMIT @limit OFFSET @offset`
	sqlItemsSelect = `SELECT ` + sqlAreaColumns + `, ` + sqlFeatureGeometry + `
FROM (SELECT a.* FROM `
	sqlItemsJoin = `) a` + sqlGeometryLateral + `
ORDER BY a.code, a.id`
	sqlItems     = sqlItemsSelect + `area a` + sqlItemsWhere + sqlItemsPage + sqlItemsJoin
	sqlItemsBBox = sqlBBoxEnvelope + sqlItemsSelect + `b CROSS JOIN area a` + sqlItemsWhere +
		` AND ST_Intersects(a.geom, b.env)` + sqlItemsPage + sqlItemsJoin
)

// filteredItemsSQL is sqlItemsCount and sqlItems (or their bbox
// variants) with the filter's joins, condition and order, in one query so
// that the filter is evaluated once: its first row holds the number of
// matches, the others the page (see scanFiltered). The matching area
// versions are materialized with their sort keys; the page is numbered and
// cut there, and its rows are then looked up one by one (OFFSET 0 keeps
// the lookup from being flattened into a join): a join to the list hashed
// every area row of every level, 11 ms of the 45 of the page of
// BenchmarkFilterGemeinden, and 640 ms instead of 116 ms for 274 Gemeinden
// matching two indicators. Counting
// separately evaluated the filter twice: 20 ms each for
// BenchmarkFilterGemeinden.
func filteredItemsSQL(bbox bool, f *Filter) string {
	from, where := `area a`, sqlItemsWhere
	if bbox {
		from, where = `b CROSS JOIN area a`, sqlItemsWhere+` AND ST_Intersects(a.geom, b.env)`
	}
	from += " " + f.Joins
	if f.Where != "" {
		where += " AND " + f.Where
	}
	var keys, order strings.Builder
	for i, o := range f.Order {
		fmt.Fprintf(&keys, ", %s AS s%d", o.Expr, i)
		dir := "ASC"
		if o.Desc {
			dir = "DESC"
		}
		fmt.Fprintf(&order, "s%d %s NULLS LAST, ", i, dir)
	}
	query := `m AS MATERIALIZED (SELECT a.id, a.code` + keys.String() + ` FROM ` + from + where + `),
pg AS MATERIALIZED (SELECT id, row_number() OVER (ORDER BY ` + order.String() + `code, id) AS ord FROM m
	ORDER BY ord LIMIT @limit OFFSET @offset)
SELECT 0 AS part, (SELECT count(*) FROM m), NULL::bigint AS ord,
	NULL::bigint, NULL, NULL, NULL, NULL, NULL, NULL::date, NULL::date, NULL::float8, NULL::boolean, NULL
UNION ALL
SELECT 1, NULL, a.ord, ` + sqlAreaColumns + `, ` + sqlFeatureGeometry + `
FROM (SELECT x.*, pg.ord FROM pg CROSS JOIN LATERAL (SELECT * FROM area WHERE id = pg.id OFFSET 0) x) a` + sqlGeometryLateral + `
ORDER BY 1, 3`
	if bbox {
		return strings.TrimSuffix(sqlBBoxEnvelope, "\n") + ",\n" + query
	}
	return "WITH " + query
}

// Items counts the area versions q selects, calls start with that count,
// then calls each for every feature of the requested page as the rows
// arrive, in order of code (then id, so pages are stable). The Feature's
// Geometry is only valid during the call. Count and page are read in one
// snapshot, so they agree.
func (s *Store) Items(ctx context.Context, q ItemsQuery, start func(matched int64) error, each func(Feature) error) error {
	args := pgx.NamedArgs{"level": q.Level, "limit": q.Limit, "offset": q.Offset}
	q.Period.args(args)
	q.Geometry.args(args)
	countSQL, itemsSQL := sqlItemsCount, sqlItems
	if q.BBox != nil {
		q.BBox.args(args)
		countSQL, itemsSQL = sqlItemsCountBBox, sqlItemsBBox
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("items of %s: %w", q.Level, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()

	if q.Filter != nil {
		for k, v := range q.Filter.Args {
			if _, taken := args[k]; taken {
				return fmt.Errorf("items of %s: filter argument %q is taken", q.Level, k)
			}
			args[k] = v
		}
		// A filter's plan depends on its values (which indicator, how
		// selective): it is planned for them each time. As a cached
		// prepared statement PostgreSQL switched to a generic plan after
		// five runs, and BenchmarkFilterGemeinden took 2.1 s at p50
		// instead of 88 ms.
		rows, err := tx.Query(ctx, filteredItemsSQL(q.BBox != nil, q.Filter), pgx.QueryExecModeExec, args)
		if err != nil {
			return fmt.Errorf("items of %s: %w", q.Level, err)
		}
		defer rows.Close()
		err = scanFiltered(rows, start, each)
		var cb callbackError
		if errors.As(err, &cb) {
			return cb.err
		}
		if err != nil {
			return fmt.Errorf("items of %s: %w", q.Level, err)
		}
		return nil
	}

	var matched int64
	if err := tx.QueryRow(ctx, countSQL, args).Scan(&matched); err != nil {
		return fmt.Errorf("count items of %s: %w", q.Level, err)
	}
	if err := start(matched); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, itemsSQL, args)
	if err != nil {
		return fmt.Errorf("items of %s: %w", q.Level, err)
	}
	defer rows.Close()
	for rows.Next() {
		f, err := scanFeature(rows)
		if err != nil {
			return fmt.Errorf("items of %s: %w", q.Level, err)
		}
		if err := each(f); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("items of %s: %w", q.Level, err)
	}
	return nil
}

// callbackError marks an error of start or each, passed on as it is.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

// scanFiltered reads the rows of filteredItemsSQL: the count first, then
// the features of the page.
func scanFiltered(rows pgx.Rows, start func(int64) error, each func(Feature) error) error {
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return errors.New("no count row")
	}
	var matched int64
	if err := rows.Scan(nil, &matched, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil); err != nil {
		return err
	}
	if err := start(matched); err != nil {
		return callbackError{err}
	}
	var f Feature
	dest := []any{nil, nil, nil, &f.ID, &f.Level, &f.Code, &f.Name, &f.ParentLevel, &f.ParentCode,
		&f.ValidFrom, &f.ValidTo, &f.AreaKm2, &f.HasGeometry, &f.Geometry}
	for rows.Next() {
		f = Feature{}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := each(f); err != nil {
			return callbackError{err}
		}
	}
	return rows.Err()
}

// sqlFeatureByCode picks, of the versions matching the period, the latest.
const sqlFeatureByCode = `SELECT ` + sqlAreaColumns + `, ` + sqlFeatureGeometry + `
FROM area a` + sqlGeometryLateral + `
WHERE a.level = @level AND a.code = @code AND ` + sqlPeriodMatch + `
ORDER BY a.valid_from DESC NULLS LAST, a.id DESC
LIMIT 1`

// Feature returns the version of the area level/code that matches p (the
// latest one when several do) with its geometry.
func (s *Store) Feature(ctx context.Context, level, code string, p Period, g GeometryOptions) (Feature, error) {
	args := pgx.NamedArgs{"level": level, "code": code}
	p.args(args)
	g.args(args)
	rows, err := s.pool.Query(ctx, sqlFeatureByCode, args)
	if err != nil {
		return Feature{}, fmt.Errorf("area %s/%s: %w", level, code, err)
	}
	f, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (Feature, error) {
		f, err := scanFeature(r)
		f.Geometry = append([]byte(nil), f.Geometry...)
		return f, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Feature{}, fmt.Errorf("area %s/%s: %w", level, code, ErrNotFound)
	}
	if err != nil {
		return Feature{}, fmt.Errorf("area %s/%s: %w", level, code, err)
	}
	return f, nil
}

func scanFeature(r pgx.Row) (Feature, error) {
	var f Feature
	err := r.Scan(&f.ID, &f.Level, &f.Code, &f.Name, &f.ParentLevel, &f.ParentCode,
		&f.ValidFrom, &f.ValidTo, &f.AreaKm2, &f.HasGeometry, &f.Geometry)
	return f, err
}

func scanArea(r pgx.CollectableRow) (Area, error) {
	var a Area
	err := r.Scan(&a.ID, &a.Level, &a.Code, &a.Name, &a.ParentLevel, &a.ParentCode,
		&a.ValidFrom, &a.ValidTo, &a.AreaKm2, &a.HasGeometry)
	return a, err
}

const sqlAreaAt = `SELECT ` + sqlAreaColumns + `
FROM area a
WHERE a.level = @level AND a.code = @code AND ` + sqlPeriodMatch + `
ORDER BY a.valid_from DESC NULLS LAST, a.id DESC
LIMIT 1`

// AreaAt returns the version of the area level/code that matches p (the
// latest one when several do).
func (s *Store) AreaAt(ctx context.Context, level, code string, p Period) (Area, error) {
	args := pgx.NamedArgs{"level": level, "code": code}
	p.args(args)
	rows, err := s.pool.Query(ctx, sqlAreaAt, args)
	if err != nil {
		return Area{}, fmt.Errorf("area %s/%s: %w", level, code, err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, scanArea)
	if errors.Is(err, pgx.ErrNoRows) {
		return Area{}, fmt.Errorf("area %s/%s: %w", level, code, ErrNotFound)
	}
	if err != nil {
		return Area{}, fmt.Errorf("area %s/%s: %w", level, code, err)
	}
	return a, nil
}

// sqlParentChain follows the parents (level and code) up to the root,
// taking of each the version that matches the period (the latest when
// several do); depth bounds it should the data ever hold a cycle.
const sqlParentChain = `
WITH RECURSIVE chain (level, code, depth) AS (
	SELECT parent_level, parent_code, 1 FROM area WHERE id = @id AND parent_code IS NOT NULL
	UNION ALL
	SELECT x.parent_level, x.parent_code, c.depth + 1
	FROM chain c CROSS JOIN LATERAL (` + sqlVersionOf + `) x
	WHERE x.parent_code IS NOT NULL AND c.depth < 32
)
SELECT ` + sqlAreaColumns + `
FROM chain c CROSS JOIN LATERAL (` + sqlVersionOf + `) a
ORDER BY c.depth`

// sqlVersionOf picks the version of chain entry c that matches the period.
const sqlVersionOf = `SELECT a.* FROM area a
	WHERE a.level = c.level AND a.code = c.code AND ` + sqlPeriodMatch + `
	ORDER BY a.valid_from DESC NULLS LAST, a.id DESC LIMIT 1`

// Parents returns the parent chain of the area version id, nearest first,
// each parent in its version matching p.
func (s *Store) Parents(ctx context.Context, id int64, p Period) ([]Area, error) {
	args := pgx.NamedArgs{"id": id}
	p.args(args)
	return s.areas(ctx, "parents", sqlParentChain, args)
}

const sqlChildren = `SELECT ` + sqlAreaColumns + `
FROM area a JOIN area me ON me.id = @id
WHERE a.parent_level = me.level AND a.parent_code = me.code AND ` + sqlPeriodMatch + `
ORDER BY a.level, a.code, a.id`

// Children returns the area versions whose parent is the area of version
// id and that match p, by code.
func (s *Store) Children(ctx context.Context, id int64, p Period) ([]Area, error) {
	args := pgx.NamedArgs{"id": id}
	p.args(args)
	return s.areas(ctx, "children", sqlChildren, args)
}

const sqlMembers = `SELECT ` + sqlAreaColumns + `
FROM area_member m JOIN area a ON a.id = m.member_id
WHERE m.group_id = @id
ORDER BY a.code, a.id`

// Members returns the member areas of the scheme area version id, by code.
func (s *Store) Members(ctx context.Context, id int64) ([]Area, error) {
	return s.areas(ctx, "members", sqlMembers, pgx.NamedArgs{"id": id})
}

func (s *Store) areas(ctx context.Context, what, sql string, args pgx.NamedArgs) ([]Area, error) {
	rows, err := s.pool.Query(ctx, sql, args)
	if err != nil {
		return nil, fmt.Errorf("%s of area %v: %w", what, args["id"], err)
	}
	as, err := pgx.CollectRows(rows, scanArea)
	if err != nil {
		return nil, fmt.Errorf("%s of area %v: %w", what, args["id"], err)
	}
	return as, nil
}

// LevelSummary is a level with what its areas span.
type LevelSummary struct {
	Level
	Versions     int64 // area versions of all times
	WithGeometry int64 // of those, versions with a geometry
	Current      int64 // versions valid today
	// BBox is the CRS84 extent (min lon, min lat, max lon, max lat) of all
	// versions with a geometry; nil when there is none.
	BBox *[4]float64
	// From and To span the validity of all versions; nil is open (or, with
	// no versions at all, unknown).
	From, To *time.Time
}

// sqlLevelSummaries: a level without areas still gets its row, with zero
// counts; the FILTER keeps the left join's empty row from counting as an
// open validity.
const sqlLevelSummaries = `
SELECT l.name, l.title, l.rank, coalesce(l.member_level, ''),
	count(a.id), count(a.geom),
	count(a.id) FILTER (WHERE daterange(a.valid_from, a.valid_to, '[]') @> current_date),
	ST_XMin(ST_Extent(a.geom)), ST_YMin(ST_Extent(a.geom)),
	ST_XMax(ST_Extent(a.geom)), ST_YMax(ST_Extent(a.geom)),
	CASE WHEN bool_or(a.valid_from IS NULL) FILTER (WHERE a.id IS NOT NULL) THEN NULL ELSE min(a.valid_from) END,
	CASE WHEN bool_or(a.valid_to IS NULL) FILTER (WHERE a.id IS NOT NULL) THEN NULL ELSE max(a.valid_to) END
FROM level l LEFT JOIN area a ON a.level = l.name
WHERE @name::text IS NULL OR l.name = @name::text
GROUP BY l.name
ORDER BY l.rank NULLS LAST, l.name`

// LevelSummaries returns every level with its extent and counts, in the
// order of Levels.
func (s *Store) LevelSummaries(ctx context.Context) ([]LevelSummary, error) {
	return s.levelSummaries(ctx, nil)
}

// LevelSummary returns one level's summary.
func (s *Store) LevelSummary(ctx context.Context, name string) (LevelSummary, error) {
	ls, err := s.levelSummaries(ctx, &name)
	if err != nil {
		return LevelSummary{}, err
	}
	if len(ls) == 0 {
		return LevelSummary{}, fmt.Errorf("level %q: %w", name, ErrNotFound)
	}
	return ls[0], nil
}

func (s *Store) levelSummaries(ctx context.Context, name *string) ([]LevelSummary, error) {
	rows, err := s.pool.Query(ctx, sqlLevelSummaries, pgx.NamedArgs{"name": name})
	if err != nil {
		return nil, fmt.Errorf("level summaries: %w", err)
	}
	ls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LevelSummary, error) {
		var l LevelSummary
		var minx, miny, maxx, maxy *float64
		err := r.Scan(&l.Name, &l.Title, &l.Rank, &l.MemberLevel,
			&l.Versions, &l.WithGeometry, &l.Current, &minx, &miny, &maxx, &maxy, &l.From, &l.To)
		if minx != nil && miny != nil && maxx != nil && maxy != nil {
			l.BBox = &[4]float64{*minx, *miny, *maxx, *maxy}
		}
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("level summaries: %w", err)
	}
	return ls, nil
}
