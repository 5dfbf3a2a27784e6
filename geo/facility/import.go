package facility

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/crs"
	"github.com/sozialatlas/sozialatlas/geo/source"
)

// Store reads and writes facilities in PostGIS.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on the given pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Import describes one facility import.
type Import struct {
	Path      string
	Type      string // facility_type key: kita, schule, pflege, jugend, beratung
	Mapping   Mapping
	ValidFrom *time.Time // first day of validity; nil is unbounded
	ValidTo   *time.Time // last day; nil is open
	// CRS overrides what the file says, e.g. "EPSG:25833"; a CSV file says
	// nothing, so it needs one unless its columns are lon/lat.
	CRS string
	// Layer and Encoding are passed to the file reader.
	Layer    string
	Encoding string
}

// Report tells what an import did.
type Report struct {
	Batch    int64  `json:"batch"`
	File     string `json:"file"`
	Type     string `json:"type"`
	SRID     int    `json:"srid"`
	Read     int    `json:"read"`
	Imported int    `json:"imported"`
	// Closed counts earlier open versions of the same source ids that the
	// new ones end.
	Closed  int     `json:"closed"`
	Seconds float64 `json:"seconds"`
}

func (r Report) String() string {
	s := fmt.Sprintf("%s → %s: read %d, imported %d", r.File, r.Type, r.Read, r.Imported)
	if r.Closed > 0 {
		s += fmt.Sprintf(", earlier versions closed %d", r.Closed)
	}
	return s + fmt.Sprintf(", EPSG:%d, %.2f s (batch %d)", r.SRID, r.Seconds, r.Batch)
}

// staged is one checked input feature.
type staged struct {
	number   int
	sourceID string
	cols     [8]string // name, street, house_number, postcode, place, carrier, carrier_type, target_group
	capacity *float64
	attrs    map[string]string
	wkb      []byte
}

const sqlTypeUnit = `SELECT capacity_unit FROM facility_type WHERE key = $1`

const sqlTypeKeys = `SELECT string_agg(key, ', ' ORDER BY key) FROM facility_type`

const sqlInsertBatch = `
INSERT INTO import_batch (kind, source, options) VALUES ('facilities', $1, $2) RETURNING id`

const sqlFinishBatch = `UPDATE import_batch SET report = $2 WHERE id = $1`

// Import reads a facility file and adds its features as facilities of one
// type, in one transaction: on any error the database is unchanged.
func (s *Store) Import(ctx context.Context, in Import) (Report, error) {
	start := time.Now()
	rep := Report{File: filepath.Base(in.Path), Type: in.Type}
	if err := in.check(); err != nil {
		return rep, err
	}
	ds, err := source.Open(in.Path, source.Options{Layer: in.Layer, Encoding: in.Encoding})
	if err != nil {
		return rep, err
	}
	rep.Read = len(ds.Features)
	rows, err := stage(ds, in.Mapping)
	if err != nil {
		return rep, err
	}
	if len(rows) == 0 {
		return rep, ds.Problem(0, "", "no features to import")
	}
	if rep.SRID, err = resolveSRID(ds, in); err != nil {
		return rep, err
	}

	tx, err := geo.BeginWrite(ctx, s.pool)
	if err != nil {
		return rep, fmt.Errorf("import facilities %s: %w", in.Path, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit

	var unit *string
	switch err := tx.QueryRow(ctx, sqlTypeUnit, in.Type).Scan(&unit); {
	case errors.Is(err, pgx.ErrNoRows):
		var keys string
		if err := tx.QueryRow(ctx, sqlTypeKeys).Scan(&keys); err != nil {
			return rep, fmt.Errorf("import facilities: list types: %w", err)
		}
		return rep, fmt.Errorf("import facilities: unknown type %q; known: %s", in.Type, keys)
	case err != nil:
		return rep, fmt.Errorf("import facilities: look up type: %w", err)
	}

	opts, err := json.Marshal(in)
	if err != nil {
		return rep, fmt.Errorf("import facilities: %w", err)
	}
	if err := tx.QueryRow(ctx, sqlInsertBatch, rep.File, opts).Scan(&rep.Batch); err != nil {
		return rep, fmt.Errorf("import facilities %s: create batch: %w", in.Path, err)
	}
	if err := copyStage(ctx, tx, rows, rep.SRID); err != nil {
		return rep, fmt.Errorf("import facilities %s: %w", in.Path, err)
	}
	if err := placeInAreas(ctx, tx, ds, in, rep.SRID); err != nil {
		return rep, err
	}
	if rep.Closed, err = closeEarlier(ctx, tx, ds, in, rep.Batch); err != nil {
		return rep, err
	}
	tag, err := tx.Exec(ctx, sqlInsertFacilities, in.Type, unit, in.ValidFrom, in.ValidTo, rep.Batch)
	if err != nil {
		return rep, fmt.Errorf("import facilities %s: insert: %w", in.Path, err)
	}
	rep.Imported = int(tag.RowsAffected())
	rep.Seconds = time.Since(start).Seconds()
	if _, err := tx.Exec(ctx, sqlFinishBatch, rep.Batch, rep); err != nil {
		return rep, fmt.Errorf("import facilities %s: record report: %w", in.Path, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("import facilities %s: commit: %w", in.Path, err)
	}
	return rep, nil
}

func (in Import) check() error {
	switch {
	case in.Type == "":
		return errors.New("import facilities: no type given (--type kita, schule, pflege, jugend, beratung)")
	case in.Mapping.ID == "":
		return errors.New("import facilities: no id field mapped (id=FIELD); a facility is known by its source's id")
	case in.Mapping.Name == "":
		return errors.New("import facilities: no name field mapped (name=FIELD)")
	case (in.Mapping.X == "") != (in.Mapping.Y == ""):
		return errors.New("import facilities: map both coordinate columns x and y, or neither")
	case in.ValidFrom != nil && in.ValidTo != nil && in.ValidTo.Before(*in.ValidFrom):
		return fmt.Errorf("import facilities: valid-to %s is before valid-from %s",
			in.ValidTo.Format(time.DateOnly), in.ValidFrom.Format(time.DateOnly))
	}
	return nil
}

// stage checks fields and features in Go, where messages can name the
// feature and the field.
func stage(ds *source.Dataset, m Mapping) ([]staged, error) {
	for _, s := range m.slots() {
		if *s.field != "" && !ds.HasField(*s.field) {
			return nil, &source.Error{Path: ds.Path, Field: *s.field,
				Reason: fmt.Sprintf("no such field (mapped as %s); the file has: %s", s.key, strings.Join(ds.Fields, ", "))}
		}
	}
	if ds.Tabular && m.X == "" {
		return nil, ds.Problem(0, "", "a CSV file needs coordinate columns: map x=FIELD,y=FIELD")
	}
	used := m.mapped()
	var probs source.Problems
	var out []staged
	seen := map[string]int{}
	for _, f := range ds.Features {
		bad := func(field, reason string) { probs.Add(ds.Problem(f.Number, field, reason)) }
		v := func(field string) string {
			if field == "" {
				return ""
			}
			return strings.TrimSpace(f.Attrs[field])
		}
		st := staged{number: f.Number, sourceID: v(m.ID), attrs: map[string]string{}}
		st.cols = [8]string{v(m.Name), v(m.Street), v(m.HouseNumber), v(m.Postcode), v(m.Place),
			v(m.Carrier), v(m.CarrierType), v(m.TargetGroup)}
		switch prev, dup := seen[st.sourceID]; {
		case st.sourceID == "":
			bad(m.ID, "empty id")
		case dup:
			bad(m.ID, fmt.Sprintf("duplicate id %q (also %s %d)", st.sourceID, unit(ds), prev))
		default:
			seen[st.sourceID] = f.Number
		}
		if st.cols[0] == "" {
			bad(m.Name, "empty name")
		}
		if m.Capacity != "" {
			c, ok := parseCapacity(f.Attrs[m.Capacity])
			if !ok {
				bad(m.Capacity, fmt.Sprintf("capacity %q is not a number", v(m.Capacity)))
			}
			st.capacity = c
		}
		for k, val := range f.Attrs {
			if !used[k] && strings.TrimSpace(val) != "" {
				st.attrs[k] = val
			}
		}
		if m.X != "" {
			x, okX := parseCoordinate(f.Attrs[m.X])
			y, okY := parseCoordinate(f.Attrs[m.Y])
			switch {
			case v(m.X) == "" || v(m.Y) == "":
				bad("geometry", fmt.Sprintf("missing coordinates (%s, %s)", m.X, m.Y))
			case !okX:
				bad(m.X, fmt.Sprintf("coordinate %q is not a number", v(m.X)))
			case !okY:
				bad(m.Y, fmt.Sprintf("coordinate %q is not a number", v(m.Y)))
			default:
				b, err := wkb.Marshal(geom.NewPointFlat(geom.XY, []float64{x, y}), wkb.NDR)
				if err != nil {
					return nil, fmt.Errorf("%s: encode point: %w", ds.Path, err)
				}
				st.wkb = b
			}
		} else {
			st.wkb = f.WKB
			if reason := point(f.WKB); reason != "" {
				bad("geometry", reason)
			}
		}
		out = append(out, st)
	}
	return out, probs.Err()
}

func unit(ds *source.Dataset) string {
	if ds.Tabular {
		return "line"
	}
	return "feature"
}

// point returns why a feature's WKB cannot be a facility's location, or "".
// A multipoint of one point, as some GIS write every point, is accepted.
func point(b []byte) string {
	if b == nil {
		return "missing geometry"
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return "unreadable geometry: " + err.Error()
	}
	switch t := g.(type) {
	case *geom.Point:
		return ""
	case *geom.MultiPoint:
		if t.NumPoints() == 1 {
			return ""
		}
		return fmt.Sprintf("a multipoint of %d points, not one location", t.NumPoints())
	}
	return fmt.Sprintf("geometry is a %T, not a point", g)
}

// resolveSRID decides the CRS of the coordinates: --crs, else the file's
// code; a CSV file with lon/lat columns is EPSG:4326.
func resolveSRID(ds *source.Dataset, in Import) (int, error) {
	if in.CRS != "" {
		ref, err := crs.ParseName(in.CRS)
		if err != nil {
			return 0, fmt.Errorf("--crs %q: %w", in.CRS, err)
		}
		return ref.SRID, nil
	}
	if ds.CRS.SRID != 0 {
		return ds.CRS.SRID, nil
	}
	if ds.Tabular && strings.HasPrefix(strings.ToLower(in.Mapping.X), "lon") && strings.HasPrefix(strings.ToLower(in.Mapping.Y), "lat") {
		return 4326, nil
	}
	return 0, ds.Problem(0, "", "the file does not say which coordinate reference system it uses; give --crs, e.g. --crs EPSG:25833")
}

const sqlCreateStage = `
CREATE TEMP TABLE facility_stage (
    number       integer NOT NULL,
    source_id    text NOT NULL,
    name         text NOT NULL,
    street       text,
    house_number text,
    postcode     text,
    place        text,
    carrier      text,
    carrier_type text,
    target_group text,
    capacity     numeric,
    attributes   jsonb NOT NULL,
    wkb          bytea NOT NULL,
    src          geometry,
    geom         geometry(Point, 4326),
    area_id      bigint
) ON COMMIT DROP`

// A point far outside a CRS's area of use (swapped axes) can make PROJ
// fail; such a point lies nowhere, which is what the check below reports,
// so the failure becomes NULL instead of aborting the import.
const sqlCreateTryTransform = `
CREATE OR REPLACE FUNCTION pg_temp.facility_to_4326(g geometry) RETURNS geometry
LANGUAGE plpgsql AS $$
BEGIN
    RETURN ST_Transform(g, 4326);
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END $$`

// A one-point multipoint becomes its point.
const sqlDecodeStage = `
UPDATE facility_stage SET src = ST_SetSRID(ST_GeometryN(ST_GeomFromWKB(wkb), 1), $1::int)`

const sqlProjectStage = `UPDATE facility_stage SET geom = pg_temp.facility_to_4326(src)`

func copyStage(ctx context.Context, tx pgx.Tx, rows []staged, srid int) error {
	if _, err := tx.Exec(ctx, sqlCreateStage); err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlCreateTryTransform); err != nil {
		return fmt.Errorf("create staging function: %w", err)
	}
	data := make([][]any, len(rows))
	for i, r := range rows {
		row := []any{r.number, r.sourceID}
		for _, c := range r.cols {
			if c == "" {
				row = append(row, nil)
			} else {
				row = append(row, c)
			}
		}
		data[i] = append(row, r.capacity, r.attrs, r.wkb)
	}
	cols := []string{"number", "source_id", "name", "street", "house_number", "postcode", "place",
		"carrier", "carrier_type", "target_group", "capacity", "attributes", "wkb"}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"facility_stage"}, cols, pgx.CopyFromRows(data)); err != nil {
		return fmt.Errorf("stage features: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlDecodeStage, srid); err != nil {
		return fmt.Errorf("decode points: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlProjectStage); err != nil {
		return fmt.Errorf("reproject points: %w", err)
	}
	return nil
}

// finestArea is the area a point is counted in: the finest level of the
// hierarchy (schemes are groupings of other areas) whose area version,
// valid on the day $1 (NULL: today), covers the point %s.
const finestArea = `
SELECT a.id, a.level, a.code, a.name FROM area a JOIN level l ON l.name = a.level
WHERE l.rank IS NOT NULL AND a.geom IS NOT NULL AND a.geom && %[1]s AND ST_Covers(a.geom, %[1]s)
  AND daterange(a.valid_from, a.valid_to, '[]') @> coalesce($1::date, current_date)
ORDER BY l.rank DESC, a.id LIMIT 1`

var sqlPlace = `
UPDATE facility_stage s SET area_id = (SELECT id FROM (` + fmt.Sprintf(finestArea, "s.geom") + `) finest)
WHERE s.geom IS NOT NULL`

// A point outside every area is reported with where it would lie with its
// axes exchanged, which tells a lat/lon file read as lon/lat (Berlin lands
// in Somalia) from a point that is simply elsewhere.
var sqlOutside = `
SELECT s.number, ST_X(s.src), ST_Y(s.src), coalesce(sw.level || ' ' || sw.code || ' (' || sw.name || ')', '')
FROM facility_stage s
LEFT JOIN LATERAL (` + fmt.Sprintf(finestArea, "pg_temp.facility_to_4326(ST_FlipCoordinates(s.src))") + `) sw ON true
WHERE s.area_id IS NULL
ORDER BY s.number
LIMIT ` + fmt.Sprint(source.MaxProblems)

func placeInAreas(ctx context.Context, tx pgx.Tx, ds *source.Dataset, in Import, srid int) error {
	if _, err := tx.Exec(ctx, sqlPlace, in.ValidFrom); err != nil {
		return fmt.Errorf("import facilities %s: find areas: %w", in.Path, err)
	}
	rows, err := tx.Query(ctx, sqlOutside, in.ValidFrom)
	if err != nil {
		return fmt.Errorf("import facilities %s: find points outside: %w", in.Path, err)
	}
	var probs source.Problems
	var number int
	var x, y float64
	var swapped string
	_, err = pgx.ForEachRow(rows, []any{&number, &x, &y, &swapped}, func() error {
		reason := fmt.Sprintf("point (%s %s) in EPSG:%d lies outside every area of the atlas valid on %s",
			num(x), num(y), srid, day(in.ValidFrom))
		if swapped != "" {
			reason += fmt.Sprintf("; the axis order looks swapped: with x and y exchanged it lies in %s", swapped)
		}
		probs.Add(ds.Problem(number, "geometry", reason))
		return nil
	})
	if err != nil {
		return fmt.Errorf("import facilities %s: find points outside: %w", in.Path, err)
	}
	return probs.Err()
}

func num(v float64) string { return fmt.Sprintf("%.10g", v) }

func day(t *time.Time) string {
	if t == nil {
		return "today"
	}
	return t.Format(time.DateOnly)
}

// A new version starting on valid_from ends the open version of the same
// source id that started before it, the day before; the batch that closed
// it is kept so that a revert reopens it.
const sqlCloseEarlier = `
UPDATE facility f SET valid_to = $2::date - 1, closed_by = $3
FROM facility_stage s
WHERE f.type = $1 AND f.source_id = s.source_id AND f.valid_to IS NULL
  AND $2::date IS NOT NULL AND f.valid_from < $2::date`

var sqlOverlapping = `
SELECT s.number, s.source_id, coalesce(f.valid_from::text, '…'), coalesce(f.valid_to::text, '…'), f.batch_id
FROM facility_stage s JOIN facility f ON f.type = $1 AND f.source_id = s.source_id
WHERE daterange(f.valid_from, f.valid_to, '[]') && daterange($2::date, $3::date, '[]')
ORDER BY s.number
LIMIT ` + fmt.Sprint(source.MaxProblems)

func closeEarlier(ctx context.Context, tx pgx.Tx, ds *source.Dataset, in Import, batch int64) (int, error) {
	tag, err := tx.Exec(ctx, sqlCloseEarlier, in.Type, in.ValidFrom, batch)
	if err != nil {
		return 0, fmt.Errorf("import facilities %s: close earlier versions: %w", in.Path, err)
	}
	rows, err := tx.Query(ctx, sqlOverlapping, in.Type, in.ValidFrom, in.ValidTo)
	if err != nil {
		return 0, fmt.Errorf("import facilities %s: check validity: %w", in.Path, err)
	}
	var probs source.Problems
	var number int
	var id, from, to string
	var other int64
	_, err = pgx.ForEachRow(rows, []any{&number, &id, &from, &to, &other}, func() error {
		probs.Add(ds.Problem(number, in.Mapping.ID, fmt.Sprintf(
			"%s %q is already imported (batch %d) for %s – %s, overlapping the new validity", in.Type, id, other, from, to)))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("import facilities %s: check validity: %w", in.Path, err)
	}
	return int(tag.RowsAffected()), probs.Err()
}

const sqlInsertFacilities = `
INSERT INTO facility (type, source_id, name, street, house_number, postcode, place, carrier,
    carrier_type, target_group, capacity, capacity_unit, valid_from, valid_to, attributes, geom,
    area_id, batch_id)
SELECT $1, source_id, name, street, house_number, postcode, place, carrier,
    carrier_type, target_group, capacity, CASE WHEN capacity IS NOT NULL THEN $2::text END, $3, $4,
    attributes, geom, area_id, $5
FROM facility_stage ORDER BY number`
