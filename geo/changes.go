package geo

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo/source"
)

// A change list records territorial changes (Gebietsänderungen) as the
// statistical offices publish them: on a day, areas of a level end and a
// new area takes over from them. Columns (German headers are accepted too):
//
//	valid_from (gültig ab)  first day of the new area, YYYY-MM-DD or DD.MM.YYYY
//	level      (Ebene)      level of old and new areas
//	old_code   (alter Schlüssel) an area that ends the day before
//	new_code   (neuer Schlüssel) the area that takes over
//	new_name   (neuer Name)  its name
//	parent     (übergeordnet) code of its parent in the next coarser level (optional)
//	share      (Anteil)      fraction of the old area passing over, default 1
//
// Rows with the same day, level and new code describe one new area: its
// geometry is the union of the parts of its predecessors (whole ones when
// the share is 1), and the predecessors pass to it exactly (a merger or a
// re-keying) or, with a share below 1, as an estimate.
var changeColumns = map[string][]string{
	"valid_from": {"valid_from", "gültig ab", "gueltig_ab", "wirksam"},
	"level":      {"level", "ebene"},
	"old_code":   {"old_code", "alter schlüssel", "alter_schluessel"},
	"new_code":   {"new_code", "neuer schlüssel", "neuer_schluessel"},
	"new_name":   {"new_name", "neuer name", "neuer_name"},
	"parent":     {"parent", "übergeordnet", "uebergeordnet"},
	"share":      {"share", "anteil"},
}

type changeRow struct {
	number  int
	day     time.Time
	level   string
	oldCode string
	newCode string
	name    string
	parent  string
	share   float64
}

// ChangeReport tells what a change list did.
type ChangeReport struct {
	Batch   int64   `json:"batch"`
	File    string  `json:"file"`
	Read    int     `json:"read"`
	Created int     `json:"created"`
	Closed  int     `json:"closed"`
	Seconds float64 `json:"seconds"`
}

func (r ChangeReport) String() string {
	return fmt.Sprintf("%s: read %d, new versions %d, versions closed %d, %.2f s (batch %d)",
		r.File, r.Read, r.Created, r.Closed, r.Seconds, r.Batch)
}

// ImportChanges applies a change list in one transaction.
func (s *Store) ImportChanges(ctx context.Context, path string) (ChangeReport, error) {
	start := time.Now()
	rep := ChangeReport{File: filepath.Base(path)}
	ds, err := source.Open(path, source.Options{})
	if err != nil {
		return rep, err
	}
	rep.Read = len(ds.Features)
	rows, err := changeRows(ds)
	if err != nil {
		return rep, err
	}

	tx, err := BeginWrite(ctx, s.pool)
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", path, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit

	if err := tx.QueryRow(ctx, sqlInsertBatch, "changes", rep.File, []byte(`{}`)).Scan(&rep.Batch); err != nil {
		return rep, fmt.Errorf("import %s: create batch: %w", path, err)
	}
	groups, err := groupChanges(ctx, tx, ds, rows)
	if err != nil {
		return rep, err
	}
	for _, g := range groups {
		closed, err := applyChange(ctx, tx, ds, g, rep.Batch)
		if err != nil {
			return rep, err
		}
		rep.Created++
		rep.Closed += closed
	}
	if err := checkOrphans(ctx, tx, ds, groups); err != nil {
		return rep, err
	}
	rep.Seconds = time.Since(start).Seconds()
	if err := s.finishImport(ctx, tx, rep.Batch, rep, "import "+path); err != nil {
		return rep, err
	}
	return rep, nil
}

// changeRows reads and checks the rows.
func changeRows(ds *source.Dataset) ([]changeRow, error) {
	col := findColumns(ds, changeColumns)
	for _, key := range []string{"valid_from", "level", "old_code", "new_code", "new_name"} {
		if col[key] == "" {
			return nil, ds.Problem(0, key, "no such column; the file has: "+strings.Join(ds.Fields, ", "))
		}
	}
	var probs source.Problems
	var rows []changeRow
	for _, f := range ds.Features {
		r := changeRow{number: f.Number, share: 1}
		get := func(key string) string { return strings.TrimSpace(f.Attrs[col[key]]) }
		bad := func(key, reason string) { probs.Add(ds.Problem(f.Number, col[key], reason)) }
		day, err := parseDay(get("valid_from"))
		if err != nil {
			bad("valid_from", err.Error())
		}
		r.day = day
		r.level, r.oldCode, r.newCode, r.name = get("level"), get("old_code"), get("new_code"), get("new_name")
		for key, v := range map[string]string{"level": r.level, "old_code": r.oldCode, "new_code": r.newCode, "new_name": r.name} {
			if v == "" {
				bad(key, "empty")
			}
		}
		if col["parent"] != "" {
			r.parent = get("parent")
		}
		if col["share"] != "" && get("share") != "" {
			v, err := strconv.ParseFloat(strings.Replace(get("share"), ",", ".", 1), 64)
			if err != nil || v <= 0 || v > 1 {
				bad("share", fmt.Sprintf("%q is not a share between 0 and 1", get("share")))
			}
			r.share = v
		}
		rows = append(rows, r)
	}
	return rows, probs.Err()
}

func parseDay(s string) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, "02.01.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD or DD.MM.YYYY)", s)
}

// changeGroup is one new area and the old ones it takes over from.
type changeGroup struct {
	rows   []changeRow
	level  Level
	parent Level // zero when the level is the top
}

func (g changeGroup) first() changeRow { return g.rows[0] }

// groupChanges groups rows by new area, coarse levels first so that a new
// Kreis exists before the Gemeinden that name it as their parent.
func groupChanges(ctx context.Context, tx pgx.Tx, ds *source.Dataset, rows []changeRow) ([]changeGroup, error) {
	byKey := map[string]*changeGroup{}
	var order []string
	var probs source.Problems
	oldSeen := map[string]changeRow{}
	for _, r := range rows {
		key := r.day.Format(time.DateOnly) + "\x00" + r.level + "\x00" + r.newCode
		g, ok := byKey[key]
		if !ok {
			level, parent, err := levelWithParent(ctx, tx, r.level)
			if err == nil && level.IsScheme() {
				err = fmt.Errorf("level %q is an area scheme, not part of the hierarchy", r.level)
			}
			if err != nil {
				probs.Add(ds.Problem(r.number, "level", err.Error()))
				continue
			}
			g = &changeGroup{level: level, parent: parent}
			byKey[key] = g
			order = append(order, key)
		}
		if prev := g.rows; len(prev) > 0 && (prev[0].name != r.name || prev[0].parent != r.parent) {
			probs.Add(ds.Problem(r.number, "new_name", fmt.Sprintf("%s %q has another name or parent on line %d", r.level, r.newCode, prev[0].number)))
		}
		oldKey := r.day.Format(time.DateOnly) + "\x00" + r.level + "\x00" + r.oldCode
		if prev, ok := oldSeen[oldKey]; ok && (prev.share == 1 || r.share == 1) {
			probs.Add(ds.Problem(r.number, "old_code", fmt.Sprintf("%s %q passes whole on line %d already", r.level, r.oldCode, prev.number)))
		}
		oldSeen[oldKey] = r
		g.rows = append(g.rows, r)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	groups := make([]changeGroup, 0, len(order))
	for _, k := range order {
		groups = append(groups, *byKey[k])
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if !a.first().day.Equal(b.first().day) {
			return a.first().day.Before(b.first().day)
		}
		return *a.level.Rank < *b.level.Rank
	})
	return groups, nil
}

// levelWithParent returns a level and the next coarser one of the
// hierarchy (zero at the top, and for an area scheme).
func levelWithParent(ctx context.Context, tx pgx.Tx, name string) (Level, Level, error) {
	level, err := scanLevel(tx.QueryRow(ctx, sqlLevelByName, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return Level{}, Level{}, fmt.Errorf("unknown level %q (see 'sozialatlas levels')", name)
	}
	if err != nil {
		return Level{}, Level{}, fmt.Errorf("look up level %q: %w", name, err)
	}
	if level.IsScheme() {
		return level, Level{}, nil
	}
	parent, err := scanLevel(tx.QueryRow(ctx, sqlNextCoarserLevel, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return level, Level{}, nil
	}
	if err != nil {
		return Level{}, Level{}, fmt.Errorf("look up the level above %q: %w", name, err)
	}
	return level, parent, nil
}

var sqlPredecessor = `
SELECT id, geom IS NOT NULL FROM area a
WHERE level = $1 AND code = $2 AND ` + fmt.Sprintf(validOn, "a", "($3::date - 1)")

// Old versions that pass whole end the day before; one passing in part ends
// too, as its other parts go to other new areas on the same day.
const sqlEndVersion = `
UPDATE area SET valid_to = $2::date - 1
WHERE id = $1 AND (valid_to IS NULL OR valid_to >= $2::date)`

// The new area's geometry is the union of its predecessors; where only a
// share of one passes, its whole geometry is not the new area's, so a
// partial change keeps the new area without geometry unless every part
// passes whole.
const sqlInsertSuccessor = `
WITH parts AS (
    SELECT ST_Multi(ST_CollectionExtract(ST_Union(geom), 3)) AS geom,
           bool_and(geom IS NOT NULL) AND $8 AS whole
    FROM area WHERE id = ANY ($7::bigint[])
), g AS (
    SELECT CASE WHEN whole THEN geom END AS geom FROM parts
)
INSERT INTO area (level, code, name, parent_level, parent_code, valid_from,
                  geom, geom_3857, area_km2, label_point, batch_id)
SELECT $1, $2, $3, $4, $5, $6::date,
       g.geom, ST_Transform(g.geom, 3857), ST_Area(g.geom::geography) / 1e6,
       ST_Transform((ST_MaximumInscribedCircle(ST_Transform(g.geom, 3857))).center, 4326),
       $9
FROM g
RETURNING id`

const sqlInsertChangeSuccession = `
INSERT INTO area_succession (predecessor_id, successor_id, share, exact, method, batch_id)
VALUES ($1, $2, $3::float8, $3::float8 = 1, 'change', $4)`

func applyChange(ctx context.Context, tx pgx.Tx, ds *source.Dataset, g changeGroup, batch int64) (int, error) {
	r := g.first()
	var probs source.Problems
	var preds []int64
	var shares []float64
	whole := true
	for _, row := range g.rows {
		var id int64
		var hasGeom bool
		err := tx.QueryRow(ctx, sqlPredecessor, g.level.Name, row.oldCode, row.day).Scan(&id, &hasGeom)
		if errors.Is(err, pgx.ErrNoRows) {
			probs.Add(ds.Problem(row.number, "old_code", fmt.Sprintf("%s %q is not valid on %s",
				g.level.Name, row.oldCode, row.day.AddDate(0, 0, -1).Format(time.DateOnly))))
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("import %s: %w", ds.Path, err)
		}
		preds = append(preds, id)
		shares = append(shares, row.share)
		whole = whole && row.share == 1
	}
	var parentLevel, parentCode *string
	if r.parent != "" {
		if g.parent.Name == "" {
			probs.Add(ds.Problem(r.number, "parent", fmt.Sprintf("level %s has no parent level", g.level.Name)))
		} else {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM area a WHERE level = $1 AND code = $2 AND `+
				fmt.Sprintf(validOn, "a", "$3::date")+`)`, g.parent.Name, r.parent, r.day).Scan(&ok); err != nil {
				return 0, fmt.Errorf("import %s: %w", ds.Path, err)
			}
			if !ok {
				probs.Add(ds.Problem(r.number, "parent", fmt.Sprintf("%s %q is not valid on %s", g.parent.Name, r.parent, r.day.Format(time.DateOnly))))
			}
			parentLevel, parentCode = &g.parent.Name, &r.parent
		}
	}
	if err := probs.Err(); err != nil {
		return 0, err
	}
	for _, id := range preds {
		if _, err := tx.Exec(ctx, sqlEndVersion, id, r.day); err != nil {
			return 0, fmt.Errorf("import %s: end %s versions: %w", ds.Path, g.level.Name, err)
		}
	}
	var succ int64
	err := tx.QueryRow(ctx, sqlInsertSuccessor, g.level.Name, r.newCode, r.name, parentLevel, parentCode,
		r.day, preds, whole, batch).Scan(&succ)
	if err != nil {
		return 0, fmt.Errorf("import %s: line %d: new %s %q: %w", ds.Path, r.number, g.level.Name, r.newCode, err)
	}
	for i, id := range preds {
		if _, err := tx.Exec(ctx, sqlInsertChangeSuccession, id, succ, shares[i], batch); err != nil {
			return 0, fmt.Errorf("import %s: record successor: %w", ds.Path, err)
		}
	}
	return len(preds), nil
}

// After the changes, no area valid on a change day may name a parent that
// has no version that day: a list that ends a Kreis must say where its
// Gemeinden go.
var sqlOrphans = `
SELECT a.level, a.code, a.parent_level, a.parent_code FROM area a
WHERE a.parent_code IS NOT NULL AND ` + fmt.Sprintf(validOn, "a", "$1::date") + `
  AND NOT EXISTS (SELECT FROM area p WHERE p.level = a.parent_level AND p.code = a.parent_code
                  AND ` + fmt.Sprintf(validOn, "p", "$1::date") + `)
ORDER BY a.level, a.code LIMIT 20`

func checkOrphans(ctx context.Context, tx pgx.Tx, ds *source.Dataset, groups []changeGroup) error {
	days := map[time.Time]bool{}
	var probs source.Problems
	for _, g := range groups {
		d := g.first().day
		if days[d] {
			continue
		}
		days[d] = true
		rows, err := tx.Query(ctx, sqlOrphans, d)
		if err != nil {
			return fmt.Errorf("import %s: check parents: %w", ds.Path, err)
		}
		for rows.Next() {
			var level, code, plevel, pcode string
			if err := rows.Scan(&level, &code, &plevel, &pcode); err != nil {
				rows.Close()
				return fmt.Errorf("import %s: check parents: %w", ds.Path, err)
			}
			probs.Add(ds.Problem(0, "", fmt.Sprintf("%s %q would be left under %s %q, which ends before %s; list its change too",
				level, code, plevel, pcode, d.Format(time.DateOnly))))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("import %s: check parents: %w", ds.Path, err)
		}
	}
	return probs.Err()
}
