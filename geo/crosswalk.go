package geo

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo/source"
)

// A crosswalk is a weight table for a boundary reform, such as the shares
// of each old area's population living in each new area: better estimates
// than the area overlap recorded when the new boundaries were imported.
// Columns: level, old_code, new_code, share (German headers: Ebene, alter
// Schlüssel, neuer Schlüssel, Anteil), and optionally valid_from (gültig
// ab), the first day of the new areas, when old codes ended more than once.
var crosswalkColumns = map[string][]string{
	"level":      {"level", "ebene"},
	"old_code":   {"old_code", "alter schlüssel", "alter_schluessel"},
	"new_code":   {"new_code", "neuer schlüssel", "neuer_schluessel"},
	"share":      {"share", "anteil", "gewicht", "weight"},
	"valid_from": {"valid_from", "gültig ab", "gueltig_ab"},
}

// CrosswalkReport tells what a crosswalk import did.
type CrosswalkReport struct {
	Batch    int64   `json:"batch"`
	File     string  `json:"file"`
	Read     int     `json:"read"`
	Replaced int     `json:"replaced"`
	Imported int     `json:"imported"`
	Seconds  float64 `json:"seconds"`
}

func (r CrosswalkReport) String() string {
	return fmt.Sprintf("%s: read %d, successor shares imported %d (replacing %d), %.2f s (batch %d)",
		r.File, r.Read, r.Imported, r.Replaced, r.Seconds, r.Batch)
}

func findColumns(ds *source.Dataset, names map[string][]string) map[string]string {
	col := map[string]string{}
	for key, alts := range names {
		for _, f := range ds.Fields {
			for _, n := range alts {
				if strings.EqualFold(strings.TrimSpace(f), n) {
					col[key] = f
				}
			}
		}
	}
	return col
}

// The predecessor is the latest ended version of the old code (that ended
// the day before valid_from, when given); the successor the version of the
// new code that began the day after.
var sqlCrosswalkPair = `
SELECT o.id, n.id FROM area o
JOIN area n ON n.level = o.level AND n.code = $3 AND n.valid_from = o.valid_to + 1
WHERE o.level = $1 AND o.code = $2 AND o.valid_to IS NOT NULL
  AND ($4::date IS NULL OR o.valid_to = $4::date - 1)
ORDER BY o.valid_to DESC LIMIT 1`

const sqlReplaceSuccession = `DELETE FROM area_succession WHERE predecessor_id = ANY ($1::bigint[])`

const sqlInsertWeightSuccession = `
INSERT INTO area_succession (predecessor_id, successor_id, share, exact, method, batch_id)
VALUES ($1, $2, $3::float8, false, 'weight', $4)`

// ImportCrosswalk replaces the successor shares of the predecessors it
// names; each predecessor's shares must sum to 1.
func (s *Store) ImportCrosswalk(ctx context.Context, path string) (CrosswalkReport, error) {
	start := time.Now()
	rep := CrosswalkReport{File: filepath.Base(path)}
	ds, err := source.Open(path, source.Options{})
	if err != nil {
		return rep, err
	}
	rep.Read = len(ds.Features)
	col := findColumns(ds, crosswalkColumns)
	for _, key := range []string{"level", "old_code", "new_code", "share"} {
		if col[key] == "" {
			return rep, ds.Problem(0, key, "no such column; the file has: "+strings.Join(ds.Fields, ", "))
		}
	}

	tx, err := BeginWrite(ctx, s.pool)
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", path, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit

	type pair struct {
		pred, succ int64
		share      float64
		line       int
	}
	var pairs []pair
	sums := map[int64]float64{}
	firstLine := map[int64]int{}
	var probs source.Problems
	for _, f := range ds.Features {
		get := func(key string) string { return strings.TrimSpace(f.Attrs[col[key]]) }
		share, err := strconv.ParseFloat(strings.Replace(get("share"), ",", ".", 1), 64)
		if err != nil || share <= 0 || share > 1 {
			probs.Add(ds.Problem(f.Number, col["share"], fmt.Sprintf("%q is not a share between 0 and 1", get("share"))))
			continue
		}
		var day *time.Time
		if col["valid_from"] != "" && get("valid_from") != "" {
			d, err := parseDay(get("valid_from"))
			if err != nil {
				probs.Add(ds.Problem(f.Number, col["valid_from"], err.Error()))
				continue
			}
			day = &d
		}
		var p pair
		err = tx.QueryRow(ctx, sqlCrosswalkPair, get("level"), get("old_code"), get("new_code"), day).Scan(&p.pred, &p.succ)
		if err == pgx.ErrNoRows {
			probs.Add(ds.Problem(f.Number, col["old_code"], fmt.Sprintf("no ended version of %s %q followed by a version of %q",
				get("level"), get("old_code"), get("new_code"))))
			continue
		}
		if err != nil {
			return rep, fmt.Errorf("import %s: %w", path, err)
		}
		p.share, p.line = share, f.Number
		sums[p.pred] += share
		if firstLine[p.pred] == 0 {
			firstLine[p.pred] = f.Number
		}
		pairs = append(pairs, p)
	}
	for pred, sum := range sums {
		if sum < 0.999999 || sum > 1.000001 {
			probs.Add(ds.Problem(firstLine[pred], col["share"], fmt.Sprintf("the shares of this old area sum to %.6g, not 1", sum)))
		}
	}
	if err := probs.Err(); err != nil {
		return rep, err
	}
	preds := make([]int64, 0, len(sums))
	for pred := range sums {
		preds = append(preds, pred)
	}
	if err := tx.QueryRow(ctx, sqlInsertBatch, "crosswalk", rep.File, []byte(`{}`)).Scan(&rep.Batch); err != nil {
		return rep, fmt.Errorf("import %s: create batch: %w", path, err)
	}
	tag, err := tx.Exec(ctx, sqlReplaceSuccession, preds)
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", path, err)
	}
	rep.Replaced = int(tag.RowsAffected())
	for _, p := range pairs {
		if _, err := tx.Exec(ctx, sqlInsertWeightSuccession, p.pred, p.succ, p.share, rep.Batch); err != nil {
			return rep, fmt.Errorf("import %s: line %d: %w", path, p.line, err)
		}
	}
	rep.Imported = len(pairs)
	rep.Seconds = time.Since(start).Seconds()
	if err := s.finishImport(ctx, tx, rep.Batch, rep, "import "+path); err != nil {
		return rep, err
	}
	return rep, nil
}
