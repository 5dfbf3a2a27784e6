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

	"github.com/sozialatlas/sozialatlas/geo/source"
)

// SchemeImport describes the import of an area scheme: a table that assigns
// areas of one member level to the scheme's own areas (Sozialräume).
type SchemeImport struct {
	Path        string
	Scheme      string // level name of the scheme, e.g. "sozialraum"
	Title       string // its German title; needed when the scheme is new
	MemberLevel string
	MemberField string // attribute holding the member area's code
	CodeField   string // attribute holding the scheme area's code
	NameField   string // attribute holding the scheme area's name
	ValidFrom   *time.Time
	ValidTo     *time.Time
	Encoding    string
}

const sqlCreateScheme = `
INSERT INTO level (name, title, member_level) VALUES ($1, $2, $3)`

// Members are looked up as the versions valid on the scheme's first day
// (or last, or today).
var sqlSchemeMembers = `
UPDATE scheme_stage s SET member_id = a.id
FROM area a
WHERE a.level = $1 AND a.code = s.member_code AND ` + fmt.Sprintf(validOn, "a", "$2")

const sqlMissingMembers = `
SELECT number, member_code FROM scheme_stage WHERE member_id IS NULL ORDER BY number`

const sqlCreateSchemeStage = `
CREATE TEMP TABLE scheme_stage (
    number      integer NOT NULL,
    code        text NOT NULL,
    name        text NOT NULL,
    member_code text NOT NULL,
    member_id   bigint
) ON COMMIT DROP`

const sqlCloseScheme = `
UPDATE area SET valid_to = $2::date - 1
WHERE level = $1 AND valid_to IS NULL AND (valid_from IS NULL OR valid_from < $2::date)`

const sqlSchemeOverlap = `
SELECT DISTINCT a.code, a.valid_from, a.valid_to
FROM scheme_stage s JOIN area a ON a.level = $1 AND a.code = s.code
WHERE daterange(a.valid_from, a.valid_to, '[]') && daterange($2::date, $3::date, '[]')
ORDER BY a.code`

// A scheme area's parent is the finest area that contains all its members
// in the hierarchy (their lowest common ancestor), so a Sozialraum made of
// Gemeinden of one Kreis compares with that Kreis.
var sqlInsertSchemeAreas = `
WITH RECURSIVE units AS (
    SELECT code, min(name) AS name, array_agg(member_id) AS members
    FROM scheme_stage GROUP BY code
), anc AS (
    SELECT u.code, a.id AS member, a.parent_level AS level, a.parent_code AS pcode
    FROM units u JOIN area a ON a.id = ANY (u.members)
    WHERE a.parent_code IS NOT NULL
  UNION
    SELECT anc.code, anc.member, p.parent_level, p.parent_code
    FROM anc JOIN area p ON p.level = anc.level AND p.code = anc.pcode AND ` + fmt.Sprintf(validOn, "p", "$5") + `
    WHERE p.parent_code IS NOT NULL
), common AS (
    SELECT DISTINCT ON (anc.code) anc.code, anc.level, anc.pcode
    FROM anc
    JOIN level l ON l.name = anc.level
    JOIN units u ON u.code = anc.code
    GROUP BY anc.code, anc.level, anc.pcode, l.rank, u.members
    HAVING count(DISTINCT anc.member) = cardinality(u.members)
    ORDER BY anc.code, l.rank DESC
), geoms AS (
    SELECT u.code, ST_Multi(ST_CollectionExtract(ST_Union(a.geom), 3)) AS geom
    FROM units u JOIN area a ON a.id = ANY (u.members)
    GROUP BY u.code
)
INSERT INTO area (level, code, name, parent_level, parent_code, valid_from, valid_to,
                  geom, geom_3857, area_km2, label_point, batch_id)
SELECT $1, u.code, u.name, c.level, c.pcode, $2::date, $3::date,
       g.geom, ST_Transform(g.geom, 3857), ST_Area(g.geom::geography) / 1e6,
       ST_Transform((ST_MaximumInscribedCircle(ST_Transform(g.geom, 3857))).center, 4326),
       $4
FROM units u
LEFT JOIN common c ON c.code = u.code
LEFT JOIN geoms g ON g.code = u.code
ORDER BY u.code
RETURNING id, code`

const sqlInsertMembers = `
INSERT INTO area_member (group_id, member_id)
SELECT a.id, s.member_id
FROM scheme_stage s JOIN area a ON a.level = $1 AND a.code = s.code AND a.batch_id = $2`

// ImportScheme creates or renews an area scheme from a member table: one row
// per member area with the scheme area's code and name. A scheme area's
// geometry is the union of its members'; members without geometry take
// part in tables but add nothing to the map.
func (s *Store) ImportScheme(ctx context.Context, in SchemeImport) (ImportReport, error) {
	start := time.Now()
	rep := ImportReport{File: filepath.Base(in.Path), Level: in.Scheme}
	if in.Scheme == "" || in.MemberField == "" || in.CodeField == "" || in.NameField == "" {
		return rep, errors.New("import scheme: scheme, member field, code field and name field are required")
	}
	ds, err := source.Open(in.Path, source.Options{Encoding: in.Encoding})
	if err != nil {
		return rep, err
	}
	rep.Read = len(ds.Features)
	for _, f := range []string{in.MemberField, in.CodeField, in.NameField} {
		if !ds.HasField(f) {
			return rep, &source.Error{Path: ds.Path, Field: f, Reason: "no such field; the file has: " + strings.Join(ds.Fields, ", ")}
		}
	}

	tx, err := BeginWrite(ctx, s.pool)
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", in.Path, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit

	if err := ensureScheme(ctx, tx, in); err != nil {
		return rep, err
	}

	rows, probs := schemeRows(ds, in)
	if err := probs.Err(); err != nil {
		return rep, err
	}
	if len(rows) == 0 {
		return rep, ds.Problem(0, "", "no rows to import")
	}
	if _, err := tx.Exec(ctx, sqlCreateSchemeStage); err != nil {
		return rep, fmt.Errorf("import %s: %w", in.Path, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"scheme_stage"},
		[]string{"number", "code", "name", "member_code"}, pgx.CopyFromRows(rows)); err != nil {
		return rep, fmt.Errorf("import %s: stage rows: %w", in.Path, err)
	}
	if err := resolveMembers(ctx, tx, ds, in); err != nil {
		return rep, err
	}

	if in.ValidFrom != nil {
		tag, err := tx.Exec(ctx, sqlCloseScheme, in.Scheme, in.ValidFrom)
		if err != nil {
			return rep, fmt.Errorf("import %s: close earlier versions: %w", in.Path, err)
		}
		rep.Closed = int(tag.RowsAffected())
	}
	if err := schemeConflicts(ctx, tx, in); err != nil {
		return rep, err
	}

	opts, _ := json.Marshal(in)
	if err := tx.QueryRow(ctx, sqlInsertBatch, "scheme", rep.File, opts).Scan(&rep.Batch); err != nil {
		return rep, fmt.Errorf("import %s: create batch: %w", in.Path, err)
	}
	day := in.ValidFrom
	if day == nil {
		day = in.ValidTo
	}
	inserted, err := tx.Query(ctx, sqlInsertSchemeAreas, in.Scheme, in.ValidFrom, in.ValidTo, rep.Batch, day)
	if err != nil {
		return rep, fmt.Errorf("import %s: insert scheme areas: %w", in.Path, err)
	}
	ids, err := pgx.CollectRows(inserted, func(r pgx.CollectableRow) (int64, error) {
		var id int64
		var code string
		err := r.Scan(&id, &code)
		return id, err
	})
	if err != nil {
		return rep, fmt.Errorf("import %s: insert scheme areas: %w", in.Path, err)
	}
	rep.Imported = len(ids)
	if _, err := tx.Exec(ctx, sqlInsertMembers, in.Scheme, rep.Batch); err != nil {
		return rep, fmt.Errorf("import %s: insert members: %w", in.Path, err)
	}
	rep.Seconds = time.Since(start).Seconds()
	if err := s.finishImport(ctx, tx, rep.Batch, rep, "import "+in.Path); err != nil {
		return rep, err
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// ensureScheme creates the scheme's level on first import and checks that a
// renewal keeps its member level.
func ensureScheme(ctx context.Context, tx pgx.Tx, in SchemeImport) error {
	l, err := scanLevel(tx.QueryRow(ctx, sqlLevelByName, in.Scheme))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if in.MemberLevel == "" || in.Title == "" {
			return fmt.Errorf("import scheme: %q is new: give its title and member level", in.Scheme)
		}
		member, err := scanLevel(tx.QueryRow(ctx, sqlLevelByName, in.MemberLevel))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("import scheme: unknown member level %q", in.MemberLevel)
		}
		if err != nil {
			return fmt.Errorf("import scheme: %w", err)
		}
		if member.IsScheme() {
			return fmt.Errorf("import scheme: member level %q is itself a scheme", in.MemberLevel)
		}
		if _, err := tx.Exec(ctx, sqlCreateScheme, in.Scheme, in.Title, in.MemberLevel); err != nil {
			return fmt.Errorf("import scheme: create %q: %w", in.Scheme, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("import scheme: %w", err)
	case !l.IsScheme():
		return fmt.Errorf("import scheme: %q is a level of the hierarchy, not a scheme", in.Scheme)
	case in.MemberLevel != "" && in.MemberLevel != l.MemberLevel:
		return fmt.Errorf("import scheme: %q groups %s areas, not %s", in.Scheme, l.MemberLevel, in.MemberLevel)
	}
	return nil
}

func schemeRows(ds *source.Dataset, in SchemeImport) ([][]any, source.Problems) {
	var probs source.Problems
	var rows [][]any
	memberRow := map[string]int{}
	unitName := map[string]string{}
	for _, f := range ds.Features {
		code := strings.TrimSpace(f.Attrs[in.CodeField])
		name := strings.TrimSpace(f.Attrs[in.NameField])
		member := strings.TrimSpace(f.Attrs[in.MemberField])
		bad := func(field, reason string) {
			probs.Add(ds.Problem(f.Number, field, reason))
		}
		switch {
		case code == "":
			bad(in.CodeField, "empty code")
		case name == "":
			bad(in.NameField, "empty name")
		case unitName[code] != "" && unitName[code] != name:
			bad(in.NameField, fmt.Sprintf("%q has two names: %q and %q", code, unitName[code], name))
		}
		unitName[code] = name
		switch {
		case member == "":
			bad(in.MemberField, "empty member code")
		case memberRow[member] > 0:
			bad(in.MemberField, fmt.Sprintf("member %q is assigned twice (also %d)", member, memberRow[member]))
		default:
			memberRow[member] = f.Number
		}
		rows = append(rows, []any{f.Number, code, name, member})
	}
	return rows, probs
}

func resolveMembers(ctx context.Context, tx pgx.Tx, ds *source.Dataset, in SchemeImport) error {
	day := in.ValidFrom
	if day == nil {
		day = in.ValidTo
	}
	memberLevel := in.MemberLevel
	if memberLevel == "" {
		l, err := scanLevel(tx.QueryRow(ctx, sqlLevelByName, in.Scheme))
		if err != nil {
			return fmt.Errorf("import scheme: %w", err)
		}
		memberLevel = l.MemberLevel
	}
	if _, err := tx.Exec(ctx, sqlSchemeMembers, memberLevel, day); err != nil {
		return fmt.Errorf("import %s: find members: %w", in.Path, err)
	}
	rows, err := tx.Query(ctx, sqlMissingMembers)
	if err != nil {
		return fmt.Errorf("import %s: find members: %w", in.Path, err)
	}
	defer rows.Close()
	when := "today"
	if day != nil {
		when = day.Format(time.DateOnly)
	}
	var probs source.Problems
	for rows.Next() {
		var number int
		var code string
		if err := rows.Scan(&number, &code); err != nil {
			return fmt.Errorf("import %s: find members: %w", in.Path, err)
		}
		probs.Add(ds.Problem(number, in.MemberField,
			fmt.Sprintf("%s %q does not exist (valid on %s)", memberLevel, code, when)))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("import %s: find members: %w", in.Path, err)
	}
	return probs.Err()
}

func schemeConflicts(ctx context.Context, tx pgx.Tx, in SchemeImport) error {
	rows, err := tx.Query(ctx, sqlSchemeOverlap, in.Scheme, in.ValidFrom, in.ValidTo)
	if err != nil {
		return fmt.Errorf("import %s: check versions: %w", in.Path, err)
	}
	defer rows.Close()
	var probs source.Problems
	for rows.Next() {
		var code string
		var from, to *time.Time
		if err := rows.Scan(&code, &from, &to); err != nil {
			return fmt.Errorf("import %s: check versions: %w", in.Path, err)
		}
		probs.Add(&source.Error{Path: in.Path, Field: in.CodeField,
			Reason: fmt.Sprintf("%s %q already exists valid %s; start a new version with --valid-from", in.Scheme, code, interval(from, to))})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("import %s: check versions: %w", in.Path, err)
	}
	return probs.Err()
}
