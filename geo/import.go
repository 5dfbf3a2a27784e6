package geo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"

	"github.com/sozialatlas/sozialatlas/geo/crs"
	"github.com/sozialatlas/sozialatlas/geo/source"
)

// ParentRule says how an imported area finds its parent.
type ParentRule struct {
	// Exactly one of the following, or none for areas without a parent.
	Field   string // attribute holding the parent's code
	Prefix  int    // the parent's code is the first Prefix characters of the area's code
	Code    string // every area has this parent
	Overlap bool   // the parent-level area with the largest overlap

	// Level is the parent's level; "" is the next coarser level of the hierarchy.
	Level string
}

func (p ParentRule) kinds() int {
	n := 0
	for _, set := range []bool{p.Field != "", p.Prefix > 0, p.Code != "", p.Overlap} {
		if set {
			n++
		}
	}
	return n
}

func (p ParentRule) none() bool { return p.kinds() == 0 }

// AreaImport describes one boundary import.
type AreaImport struct {
	Path      string // file to read
	Level     string
	CodeField string
	NameField string
	Parent    ParentRule
	ValidFrom *time.Time // first day of validity; nil is unbounded
	ValidTo   *time.Time // last day of validity; nil is open
	// Strict rejects the file when a geometry is invalid instead of repairing it.
	Strict bool
	// CRS overrides what the file says about its coordinate reference
	// system, e.g. "EPSG:25832".
	CRS string
	// Where keeps only features whose attribute equals the value (all of them).
	Where map[string]string
	// Distinct collapses rows that repeat a code with the same name and
	// parent into one, as in hierarchy tables that list a Bezirksregion on
	// every one of its Planungsräume; a repeated code with another name or
	// parent is still an error.
	Distinct bool
	// Layer and Encoding are passed to the file reader.
	Layer    string
	Encoding string
}

// ImportReport tells what an import did.
type ImportReport struct {
	Batch           int64   `json:"batch"`
	File            string  `json:"file"`
	Level           string  `json:"level"`
	SRID            int     `json:"srid,omitempty"`
	Read            int     `json:"read"`
	Skipped         int     `json:"skipped"`
	Imported        int     `json:"imported"`
	Repaired        int     `json:"repaired"`
	WithoutGeometry int     `json:"without_geometry"`
	Closed          int     `json:"closed"`
	Successions     int     `json:"successions"`
	Seconds         float64 `json:"seconds"`
}

func (r ImportReport) String() string {
	s := fmt.Sprintf("%s → %s: read %d, imported %d, repaired %d", r.File, r.Level, r.Read, r.Imported, r.Repaired)
	if r.Skipped > 0 {
		s += fmt.Sprintf(", skipped by filter %d", r.Skipped)
	}
	if r.WithoutGeometry > 0 {
		s += fmt.Sprintf(", without geometry %d", r.WithoutGeometry)
	}
	if r.Closed > 0 {
		s += fmt.Sprintf(", earlier versions closed %d", r.Closed)
	}
	return s + fmt.Sprintf(", %.2f s (batch %d)", r.Seconds, r.Batch)
}

// stagedArea is one validated input feature.
type stagedArea struct {
	number int
	code   string
	name   string
	key    string // parent code, or "" when the rule does not use one
	wkb    []byte
}

// ImportAreas reads a boundary file and adds its features as area versions of
// one level, in one transaction: on any error the database is unchanged.
func (s *Store) ImportAreas(ctx context.Context, in AreaImport) (ImportReport, error) {
	start := time.Now()
	rep := ImportReport{File: filepath.Base(in.Path), Level: in.Level}

	if err := in.check(); err != nil {
		return rep, err
	}
	ds, err := source.Open(in.Path, source.Options{Layer: in.Layer, Encoding: in.Encoding})
	if err != nil {
		return rep, err
	}
	rep.Read = len(ds.Features)

	tx, err := BeginWrite(ctx, s.pool)
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", in.Path, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit

	level, parentLevel, err := resolveLevels(ctx, tx, in.Level, in.Parent)
	if err != nil {
		return rep, err
	}
	if level.IsScheme() {
		return rep, fmt.Errorf("level %q is an area scheme: import its members with 'import scheme'", level.Name)
	}
	staged, skipped, err := stageFeatures(ds, in)
	if err != nil {
		return rep, err
	}
	rep.Skipped = skipped
	if len(staged) == 0 {
		return rep, ds.Problem(0, "", "no features to import")
	}

	hasGeom := staged[0].wkb != nil
	srid := 0
	if hasGeom {
		srid, err = resolveSRID(ctx, tx, ds, in)
		if err != nil {
			return rep, err
		}
		rep.SRID = srid
	} else {
		rep.WithoutGeometry = len(staged)
	}

	opts, _ := json.Marshal(in)
	if err := tx.QueryRow(ctx, sqlInsertBatch, "areas", rep.File, opts).Scan(&rep.Batch); err != nil {
		return rep, fmt.Errorf("import %s: create batch: %w", in.Path, err)
	}
	if err := copyStage(ctx, tx, staged, srid); err != nil {
		return rep, fmt.Errorf("import %s: %w", in.Path, err)
	}
	if hasGeom {
		if rep.Repaired, err = checkGeometries(ctx, tx, ds, in); err != nil {
			return rep, err
		}
	}
	if err := resolveParents(ctx, tx, ds, in, parentLevel, hasGeom); err != nil {
		return rep, err
	}
	var closed []int64
	if in.ValidFrom != nil {
		if closed, err = closeOpenVersions(ctx, tx, in, parentLevel.Name); err != nil {
			return rep, err
		}
		rep.Closed = len(closed)
	}
	if err := checkOverlappingVersions(ctx, tx, ds, in); err != nil {
		return rep, err
	}
	var parentLevelName *string
	if !in.Parent.none() {
		parentLevelName = &parentLevel.Name
	}
	tag, err := tx.Exec(ctx, sqlInsertAreas, in.Level, in.ValidFrom, in.ValidTo, rep.Batch, parentLevelName)
	if err != nil {
		return rep, fmt.Errorf("import %s: insert areas: %w", in.Path, err)
	}
	rep.Imported = int(tag.RowsAffected())
	if len(closed) > 0 {
		if rep.Successions, err = recordSuccession(ctx, tx, closed, rep.Batch); err != nil {
			return rep, fmt.Errorf("import %s: %w", in.Path, err)
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	if err := s.finishImport(ctx, tx, rep.Batch, rep, "import "+in.Path); err != nil {
		return rep, err
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func (in AreaImport) check() error {
	switch {
	case in.Level == "":
		return errors.New("import areas: no level given")
	case in.CodeField == "":
		return errors.New("import areas: no code field given")
	case in.NameField == "":
		return errors.New("import areas: no name field given")
	case in.Parent.kinds() > 1:
		return errors.New("import areas: give at most one parent rule (field, prefix, code or overlap)")
	case in.Parent.Level != "" && in.Parent.none():
		return errors.New("import areas: a parent level needs a parent rule (field, prefix, code or overlap)")
	case in.ValidFrom != nil && in.ValidTo != nil && in.ValidTo.Before(*in.ValidFrom):
		return fmt.Errorf("import areas: valid-to %s is before valid-from %s",
			in.ValidTo.Format(time.DateOnly), in.ValidFrom.Format(time.DateOnly))
	}
	return nil
}

// referenceDate is the day on which parents must be valid: the first day of
// the new versions, else their last, else today.
func (in AreaImport) referenceDate() *time.Time {
	if in.ValidFrom != nil {
		return in.ValidFrom
	}
	return in.ValidTo // nil: the query takes current_date
}

const sqlLevelByName = `SELECT name, title, rank, coalesce(member_level, '') FROM level WHERE name = $1`

const sqlNextCoarserLevel = `
SELECT name, title, rank, '' FROM level
WHERE rank < (SELECT rank FROM level WHERE name = $1)
ORDER BY rank DESC LIMIT 1`

func scanLevel(row pgx.Row) (Level, error) {
	var l Level
	err := row.Scan(&l.Name, &l.Title, &l.Rank, &l.MemberLevel)
	return l, err
}

// resolveLevels finds the import's level and, when a parent rule is given,
// the parent's level, which must be coarser.
func resolveLevels(ctx context.Context, tx pgx.Tx, name string, rule ParentRule) (Level, Level, error) {
	level, next, err := levelWithParent(ctx, tx, name)
	if err != nil || rule.none() {
		return level, Level{}, err
	}
	parent := next
	switch {
	case rule.Level != "":
		parent, err = scanLevel(tx.QueryRow(ctx, sqlLevelByName, rule.Level))
		if errors.Is(err, pgx.ErrNoRows) {
			return Level{}, Level{}, fmt.Errorf("unknown parent level %q", rule.Level)
		}
		if err != nil {
			return Level{}, Level{}, fmt.Errorf("look up parent level: %w", err)
		}
	case parent.Name == "":
		return Level{}, Level{}, fmt.Errorf("level %q is the top of the hierarchy and has no parent level", name)
	}
	if parent.IsScheme() || level.Rank == nil || *parent.Rank >= *level.Rank {
		return Level{}, Level{}, fmt.Errorf("parent level %q is not coarser than %q", parent.Name, name)
	}
	return level, parent, nil
}

// stageFeatures checks fields and features in Go, where messages can name
// the feature, and returns the features that pass the filter.
func stageFeatures(ds *source.Dataset, in AreaImport) ([]stagedArea, int, error) {
	fields := []string{in.CodeField, in.NameField}
	if in.Parent.Field != "" {
		fields = append(fields, in.Parent.Field)
	}
	for f := range in.Where {
		fields = append(fields, f)
	}
	for _, f := range fields {
		if !ds.HasField(f) {
			return nil, 0, &source.Error{Path: ds.Path, Field: f,
				Reason: "no such field; the file has: " + strings.Join(ds.Fields, ", ")}
		}
	}

	var probs source.Problems
	var staged []stagedArea
	skipped := 0
	seen := map[string]int{}
	first := map[string]stagedArea{}
	withGeom := 0
	for _, f := range ds.Features {
		if !matches(f.Attrs, in.Where) {
			skipped++
			continue
		}
		a := stagedArea{
			number: f.Number,
			code:   strings.TrimSpace(f.Attrs[in.CodeField]),
			name:   strings.TrimSpace(f.Attrs[in.NameField]),
			wkb:    f.WKB,
		}
		bad := func(field, reason string) {
			probs.Add(ds.Problem(f.Number, field, reason))
		}
		if a.name == "" {
			bad(in.NameField, "empty name")
		}
		switch {
		case in.Parent.Field != "":
			a.key = strings.TrimSpace(f.Attrs[in.Parent.Field])
			if a.key == "" {
				bad(in.Parent.Field, "empty parent code")
			}
		case in.Parent.Prefix > 0:
			if len(a.code) < in.Parent.Prefix {
				bad(in.CodeField, fmt.Sprintf("code %q is shorter than the parent prefix length %d", a.code, in.Parent.Prefix))
			} else {
				a.key = a.code[:in.Parent.Prefix]
			}
		case in.Parent.Code != "":
			a.key = in.Parent.Code
		}
		switch prev, dup := first[a.code]; {
		case a.code == "":
			bad(in.CodeField, "empty code")
		case dup && in.Distinct && a.wkb == nil && prev.name == a.name && prev.key == a.key:
			skipped++
			continue
		case dup:
			bad(in.CodeField, fmt.Sprintf("duplicate code %q (also %s %d)", a.code, unit(ds), seen[a.code]))
		default:
			seen[a.code] = f.Number
			first[a.code] = a
		}
		if a.wkb != nil {
			withGeom++
			if reason := polygonal(a.wkb); reason != "" {
				bad("geometry", reason)
			}
		}
		staged = append(staged, a)
	}
	// A file either carries boundaries or it does not; a feature without
	// geometry in a boundary file is an empty geometry.
	if withGeom > 0 && withGeom < len(staged) {
		for _, a := range staged {
			if a.wkb == nil {
				probs.Add(ds.Problem(a.number, "geometry", "empty geometry"))
			}
		}
	}
	if in.Parent.Overlap && withGeom == 0 && len(staged) > 0 {
		probs.Add(&source.Error{Path: ds.Path, Reason: "the parent rule 'overlap' needs geometries; the file has none"})
	}
	return staged, skipped, probs.Err()
}

// unit names what a dataset's numbers count, for messages.
func unit(ds *source.Dataset) string {
	if ds.Tabular {
		return "line"
	}
	return "feature"
}

func matches(attrs map[string]string, where map[string]string) bool {
	for k, v := range where {
		if strings.TrimSpace(attrs[k]) != v {
			return false
		}
	}
	return true
}

// polygonal returns why a WKB geometry cannot be an area's boundary, or "".
func polygonal(b []byte) string {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return "unreadable geometry: " + err.Error()
	}
	switch t := g.(type) {
	case *geom.Polygon:
		if t.Empty() {
			return "empty geometry"
		}
	case *geom.MultiPolygon:
		if t.Empty() {
			return "empty geometry"
		}
	default:
		return fmt.Sprintf("geometry is a %T, not a polygon", g)
	}
	return ""
}

// resolveSRID decides the CRS of the file's coordinates: the --crs option,
// else the file's authority code, else its WKT identified against PostGIS's
// spatial_ref_sys.
func resolveSRID(ctx context.Context, tx pgx.Tx, ds *source.Dataset, in AreaImport) (int, error) {
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
	if ds.CRS.WKT == "" {
		return 0, &source.Error{Path: ds.Path, Reason: "the file does not say which coordinate reference system it uses (no .prj); give --crs, e.g. --crs EPSG:25832"}
	}
	catalog, err := crs.LoadCatalog(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("import %s: %w", ds.Path, err)
	}
	srid, err := crs.Identify(ds.CRS.WKT, catalog)
	if err != nil {
		return 0, &source.Error{Path: ds.Path, Reason: err.Error() + "; give --crs to name it"}
	}
	return srid, nil
}

const sqlInsertBatch = `
INSERT INTO import_batch (kind, source, options) VALUES ($1, $2, $3) RETURNING id`

const sqlFinishBatch = `UPDATE import_batch SET report = $2 WHERE id = $1`

const sqlCreateStage = `
CREATE TEMP TABLE area_stage (
    number     integer NOT NULL,
    code       text NOT NULL,
    name       text NOT NULL,
    parent_key text,
    wkb        bytea,
    src        geometry,
    geom       geometry(MultiPolygon, 4326),
    parent_id  bigint,
    parent_code text
) ON COMMIT DROP`

func copyStage(ctx context.Context, tx pgx.Tx, staged []stagedArea, srid int) error {
	if _, err := tx.Exec(ctx, sqlCreateStage); err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	rows := make([][]any, len(staged))
	for i, a := range staged {
		var key any
		if a.key != "" {
			key = a.key
		}
		rows[i] = []any{a.number, a.code, a.name, key, a.wkb}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"area_stage"},
		[]string{"number", "code", "name", "parent_key", "wkb"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("stage features: %w", err)
	}
	if srid != 0 {
		if _, err := tx.Exec(ctx, `UPDATE area_stage SET src = ST_SetSRID(ST_GeomFromWKB(wkb), $1::int), wkb = NULL`, srid); err != nil {
			return fmt.Errorf("decode geometries: %w", err)
		}
	}
	return nil
}

// Invalid geometries are listed by feature; with --strict they reject the
// file, otherwise ST_MakeValid repairs them (keeping only polygonal parts).
const sqlInvalid = `
SELECT number, ST_IsValidReason(src) FROM area_stage
WHERE NOT ST_IsValid(src) ORDER BY number`

const sqlRepair = `
UPDATE area_stage
SET src = ST_CollectionExtract(ST_MakeValid(src, 'method=structure'), 3)
WHERE NOT ST_IsValid(src)`

// Reprojection happens once here; a reprojected ring can in rare cases
// self-touch, so the result is made valid again.
const sqlProject = `
UPDATE area_stage
SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(src, 4326)), 3))`

const sqlEmptyAfter = `
SELECT number FROM area_stage WHERE geom IS NULL OR ST_IsEmpty(geom) ORDER BY number LIMIT 20`

func checkGeometries(ctx context.Context, tx pgx.Tx, ds *source.Dataset, in AreaImport) (int, error) {
	rows, err := tx.Query(ctx, sqlInvalid)
	if err != nil {
		return 0, fmt.Errorf("validate geometries: %w", err)
	}
	type invalid struct {
		number int
		reason string
	}
	bad, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (invalid, error) {
		var v invalid
		err := r.Scan(&v.number, &v.reason)
		return v, err
	})
	if err != nil {
		return 0, fmt.Errorf("validate geometries: %w", err)
	}
	if len(bad) > 0 && in.Strict {
		var probs source.Problems
		for _, b := range bad {
			probs.Add(ds.Problem(b.number, "geometry", "invalid geometry: "+b.reason))
		}
		return 0, probs.Err()
	}
	if len(bad) > 0 {
		if _, err := tx.Exec(ctx, sqlRepair); err != nil {
			return 0, fmt.Errorf("repair geometries: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, sqlProject); err != nil {
		return 0, fmt.Errorf("reproject geometries: %w", err)
	}
	rows, err = tx.Query(ctx, sqlEmptyAfter)
	if err != nil {
		return 0, fmt.Errorf("check geometries: %w", err)
	}
	empty, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return 0, fmt.Errorf("check geometries: %w", err)
	}
	if len(empty) > 0 {
		var probs source.Problems
		for _, n := range empty {
			probs.Add(ds.Problem(n, "geometry", "geometry has no area (empty or degenerate polygon)"))
		}
		return 0, probs.Err()
	}
	return len(bad), nil
}

// validOn is the SQL condition "version a is valid on day $d", with a NULL
// day meaning today.
const validOn = `daterange(%[1]s.valid_from, %[1]s.valid_to, '[]') @> coalesce(%[2]s::date, current_date)`

var sqlParentByKey = `
UPDATE area_stage s SET parent_id = p.id, parent_code = p.code
FROM area p
WHERE p.level = $1 AND p.code = s.parent_key AND ` + fmt.Sprintf(validOn, "p", "$2")

// The largest overlap is measured in Web Mercator: only the order matters,
// and the scale distortion is the same for all candidates of one area.
var sqlParentByOverlap = `
UPDATE area_stage s SET parent_id = best.id, parent_code = best.code
FROM area_stage s2
CROSS JOIN LATERAL (
    SELECT p.id, p.code FROM area p
    WHERE p.level = $1 AND p.geom && s2.geom AND ` + fmt.Sprintf(validOn, "p", "$2") + `
    ORDER BY ST_Area(ST_Intersection(p.geom_3857, ST_Transform(s2.geom, 3857))) DESC, p.code
    LIMIT 1) best
WHERE s2.number = s.number`

const sqlMissingParents = `
SELECT number, coalesce(parent_key, '') FROM area_stage WHERE parent_id IS NULL ORDER BY number`

func resolveParents(ctx context.Context, tx pgx.Tx, ds *source.Dataset, in AreaImport, parent Level, hasGeom bool) error {
	if in.Parent.none() {
		return nil
	}
	var q string
	switch {
	case in.Parent.Overlap:
		if !hasGeom {
			return ds.Problem(0, "", "the parent rule 'overlap' needs geometries")
		}
		q = sqlParentByOverlap
	default:
		q = sqlParentByKey
	}
	if _, err := tx.Exec(ctx, q, parent.Name, in.referenceDate()); err != nil {
		return fmt.Errorf("import %s: find parents: %w", in.Path, err)
	}
	rows, err := tx.Query(ctx, sqlMissingParents)
	if err != nil {
		return fmt.Errorf("import %s: find parents: %w", in.Path, err)
	}
	type missing struct {
		number int
		key    string
	}
	miss, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (missing, error) {
		var m missing
		err := r.Scan(&m.number, &m.key)
		return m, err
	})
	if err != nil {
		return fmt.Errorf("import %s: find parents: %w", in.Path, err)
	}
	day := "today"
	if d := in.referenceDate(); d != nil {
		day = d.Format(time.DateOnly)
	}
	var probs source.Problems
	for _, m := range miss {
		e := ds.Problem(m.number, "", "")
		switch {
		case in.Parent.Overlap:
			e.Field = "geometry"
			e.Reason = fmt.Sprintf("overlaps no area of level %s valid on %s", parent.Name, day)
		case in.Parent.Field != "":
			e.Field = in.Parent.Field
		default:
			e.Field = in.CodeField
		}
		if !in.Parent.Overlap {
			e.Reason = fmt.Sprintf("parent %s %q does not exist (valid on %s)", parent.Name, m.key, day)
		}
		probs.Add(e)
	}
	return probs.Err()
}

// New versions must not overlap in time with the versions that stay; it
// runs after closing, so what overlaps now is a real conflict.
const sqlOverlapping = `
SELECT s.number, a.code, a.valid_from, a.valid_to
FROM area_stage s
JOIN area a ON a.level = $1 AND a.code = s.code
WHERE daterange(a.valid_from, a.valid_to, '[]') && daterange($2::date, $3::date, '[]')
ORDER BY s.number`

func checkOverlappingVersions(ctx context.Context, tx pgx.Tx, ds *source.Dataset, in AreaImport) error {
	rows, err := tx.Query(ctx, sqlOverlapping, in.Level, in.ValidFrom, in.ValidTo)
	if err != nil {
		return fmt.Errorf("import %s: check versions: %w", in.Path, err)
	}
	defer rows.Close()
	var probs source.Problems
	for rows.Next() {
		var number int
		var code string
		var from, to *time.Time
		if err := rows.Scan(&number, &code, &from, &to); err != nil {
			return fmt.Errorf("import %s: check versions: %w", in.Path, err)
		}
		probs.Add(ds.Problem(number, in.CodeField,
			fmt.Sprintf("%s %q already exists valid %s; start a new version with --valid-from after its first day",
				in.Level, code, interval(from, to))))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("import %s: check versions: %w", in.Path, err)
	}
	return probs.Err()
}

func interval(from, to *time.Time) string {
	f, t := "…", "…"
	if from != nil {
		f = from.Format(time.DateOnly)
	}
	if to != nil {
		t = to.Format(time.DateOnly)
	}
	return f + " – " + t
}

// Opening a new version closes every open version of the level under the
// parents the new versions have, whether or not its code recurs: a reform
// replaces the whole subdivision of a parent. Versions that began on or
// after the new first day are left alone and then conflict below.
const sqlCloseOpen = `
UPDATE area a SET valid_to = $2::date - 1
WHERE a.level = $1 AND a.valid_to IS NULL
  AND (a.valid_from IS NULL OR a.valid_from < $2::date)
  AND ((a.parent_level = $3 AND a.parent_code IN (SELECT parent_code FROM area_stage WHERE parent_code IS NOT NULL))
       OR (a.parent_code IS NULL AND EXISTS (SELECT FROM area_stage WHERE parent_code IS NULL)))
RETURNING a.id`

func closeOpenVersions(ctx context.Context, tx pgx.Tx, in AreaImport, parentLevel string) ([]int64, error) {
	rows, err := tx.Query(ctx, sqlCloseOpen, in.Level, in.ValidFrom, parentLevel)
	if err != nil {
		return nil, fmt.Errorf("import %s: close earlier versions: %w", in.Path, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("import %s: close earlier versions: %w", in.Path, err)
	}
	return ids, nil
}

// A closed version passes to the new versions it overlaps, in proportion
// to the overlap (measured in Web Mercator, whose scale is the same across
// one area); slivers under half a percent are generalisation noise. Without
// geometry, a recurring code passes whole. A predecessor that lies (99 %)
// within one successor passed whole: exact.
const sqlSuccessionByOverlap = `
WITH old AS (SELECT id, code, geom_3857 FROM area WHERE id = ANY ($1::bigint[])),
new AS (SELECT id, code, geom_3857 FROM area WHERE batch_id = $2),
pairs AS (
    SELECT o.id AS pred, n.id AS succ,
           CASE WHEN o.geom_3857 IS NOT NULL AND n.geom_3857 IS NOT NULL
                THEN ST_Area(ST_Intersection(o.geom_3857, n.geom_3857)) / NULLIF(ST_Area(o.geom_3857), 0)
                ELSE 1 END AS raw
    FROM old o JOIN new n
      ON (o.geom_3857 && n.geom_3857)
      OR (o.code = n.code AND (o.geom_3857 IS NULL OR n.geom_3857 IS NULL))
), kept AS (
    SELECT * FROM pairs WHERE raw >= 0.005
)
INSERT INTO area_succession (predecessor_id, successor_id, share, exact, method, batch_id)
SELECT pred, succ, raw / sum(raw) OVER (PARTITION BY pred),
       count(*) OVER (PARTITION BY pred) = 1 AND raw >= 0.99, 'overlap', $2
FROM kept`

func recordSuccession(ctx context.Context, tx pgx.Tx, closed []int64, batch int64) (int, error) {
	tag, err := tx.Exec(ctx, sqlSuccessionByOverlap, closed, batch)
	if err != nil {
		return 0, fmt.Errorf("record successors: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Area in km² is geodesic (on the WGS84 ellipsoid), so it does not depend
// on any projection. The label point is the centre of the largest inscribed
// circle, computed in Web Mercator, which is inside the polygon by
// construction and sits where a label fits.
const sqlInsertAreas = `
INSERT INTO area (level, code, name, parent_level, parent_code, valid_from, valid_to,
                  geom, geom_3857, area_km2, label_point, batch_id)
SELECT $1, code, name, $5, parent_code, $2::date, $3::date,
       geom, ST_Transform(geom, 3857), ST_Area(geom::geography) / 1e6,
       ST_Transform((ST_MaximumInscribedCircle(ST_Transform(geom, 3857))).center, 4326),
       $4
FROM area_stage
ORDER BY number`
