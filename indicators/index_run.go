package indicators

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Index results are computed from published values: a value withheld by
// disclosure control counts as missing, so the area is not scored and no
// index output can give away what was withheld (an index computed from raw
// values would move every other area's z-value with it).

const (
	// sqlIndexPeriods are the periods in which every component has cells
	// at the level.
	sqlIndexPeriods = `
SELECT period FROM cell_extent
WHERE indicator = ANY($1) AND level = $2
GROUP BY period HAVING count(DISTINCT indicator) = cardinality($1::text[])
ORDER BY period`

	// sqlIndexInput reads the published values (NULL when withheld) of the
	// indicators at the level's areas in the period.
	sqlIndexInput = `
SELECT a.id, a.code, a.name, c.indicator, ` + sqlShownValue + `
FROM published_cell c JOIN area a ON a.id = c.area_id
WHERE c.indicator = ANY($1) AND c.period = $2 AND a.level = $3
ORDER BY a.code, a.id`

	sqlClearIndexCells  = `DELETE FROM cell WHERE indicator = ANY($1)`
	sqlClearIndexExtent = `DELETE FROM cell_extent WHERE indicator = ANY($1)`

	sqlClearIndexResults = `DELETE FROM composite_index_result`

	sqlIndexExtent = `
INSERT INTO cell_extent (indicator, level, period) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING`

	sqlIndexResult = `
INSERT INTO composite_index_result (key, period, version, level, scored, stats, problem)
VALUES ($1, $2, $3, $4, $5, $6, $7)`
)

// computeIndices computes every index in force for every period its
// components have, and replaces the cells of their indicators, inside the
// caller's transaction. An index that cannot be computed for a period
// (too few areas, no spread) gets no cells there and a result row saying
// why; that is no error, so that an import is not refused over an index.
func (s *Store) computeIndices(ctx context.Context, tx pgx.Tx) ([]IndexRun, error) {
	defs, err := latestIndices(ctx, tx)
	if err != nil {
		return nil, err
	}
	if len(defs) == 0 {
		return nil, nil
	}
	var keys []string
	byKey := map[string]*IndexDefinition{}
	for i := range defs {
		d := &defs[i].Definition
		byKey[d.Key] = d
		keys = append(keys, d.ResultKeys()...)
	}
	for _, sql := range []string{sqlClearIndexCells, sqlClearIndexExtent} {
		if _, err := tx.Exec(ctx, sql, keys); err != nil {
			return nil, fmt.Errorf("compute indices: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, sqlClearIndexResults); err != nil {
		return nil, fmt.Errorf("compute indices: %w", err)
	}

	// outcomes[key][period] of the indices computed so far, for matrices.
	outcomes := map[string]map[time.Time]indexOutcome{}
	levels := map[string]string{}
	runs := []IndexRun{}
	for _, v := range defs {
		d := &v.Definition
		outcomes[d.Key] = map[time.Time]indexOutcome{}
		var periods []time.Time
		level := d.Level
		if d.Matrix != nil {
			level = levels[d.Matrix.Rows]
			for p := range outcomes[d.Matrix.Rows] {
				if _, ok := outcomes[d.Matrix.Columns][p]; ok {
					periods = append(periods, p)
				}
			}
			slices.SortFunc(periods, time.Time.Compare)
		} else {
			comps := make([]string, len(d.Indicators))
			for i, c := range d.Indicators {
				comps[i] = c.Indicator
			}
			rows, err := tx.Query(ctx, sqlIndexPeriods, comps, d.Level)
			if err != nil {
				return nil, fmt.Errorf("index %s: periods: %w", d.Key, err)
			}
			if periods, err = pgx.CollectRows(rows, pgx.RowTo[time.Time]); err != nil {
				return nil, fmt.Errorf("index %s: periods: %w", d.Key, err)
			}
		}
		levels[d.Key] = level
		for _, p := range periods {
			var out indexOutcome
			var problem error
			if d.Matrix != nil {
				cols := byKey[d.Matrix.Columns]
				out = computeMatrix(outcomes[d.Matrix.Rows][p], outcomes[d.Matrix.Columns][p],
					len(cols.Classes.Labels), len(byKey[d.Matrix.Rows].Classes.Labels)*len(cols.Classes.Labels))
			} else {
				in, err := readIndexInput(ctx, tx, d, p)
				if err != nil {
					return nil, err
				}
				out, problem = computeIndex(d, in)
			}
			run := IndexRun{Key: d.Key, Version: v.Version, Period: p.Format(time.DateOnly), Level: level,
				Excluded: len(out.Excluded)}
			if problem != nil {
				run.Problem = problem.Error()
			} else {
				outcomes[d.Key][p] = out
				run.Scored, run.Classes = len(out.Scored), out.Stats.Classes
				if err := writeIndexCells(ctx, tx, d, level, p, out); err != nil {
					return nil, err
				}
			}
			stats, err := json.Marshal(indexResultDoc{Stats: out.Stats, Excluded: out.Excluded})
			if err != nil {
				return nil, fmt.Errorf("index %s: %w", d.Key, err)
			}
			if _, err := tx.Exec(ctx, sqlIndexResult, d.Key, p, v.Version, level, run.Scored, stats,
				nullText(run.Problem)); err != nil {
				return nil, fmt.Errorf("index %s: result: %w", d.Key, err)
			}
			runs = append(runs, run)
		}
	}
	return runs, nil
}

// indexResultDoc is what composite_index_result.stats holds.
type indexResultDoc struct {
	Stats    IndexStats      `json:"stats"`
	Excluded []IndexExcluded `json:"excluded"`
}

// readIndexInput reads the published values of d's components, population
// and weight at d's level in period p.
func readIndexInput(ctx context.Context, tx pgx.Tx, d *IndexDefinition, p time.Time) (indexInput, error) {
	keys := []string{}
	for _, c := range d.Indicators {
		keys = append(keys, c.Indicator)
	}
	for _, k := range []string{d.Areas.Population, d.Standardize.Weight} {
		if k != "" {
			keys = append(keys, k)
		}
	}
	in := indexInput{values: map[string][]*float64{}}
	for _, k := range keys {
		in.values[k] = nil
	}
	rows, err := tx.Query(ctx, sqlIndexInput, keys, p, d.Level)
	if err != nil {
		return in, fmt.Errorf("index %s: values: %w", d.Key, err)
	}
	var a indexArea
	var key string
	var value *float64
	index := map[int64]int{}
	_, err = pgx.ForEachRow(rows, []any{&a.ID, &a.Code, &a.Name, &key, &value}, func() error {
		i, ok := index[a.ID]
		if !ok {
			i = len(in.areas)
			index[a.ID] = i
			in.areas = append(in.areas, a)
			for k := range in.values {
				in.values[k] = append(in.values[k], nil)
			}
		}
		in.values[key][i] = value
		return nil
	})
	if err != nil {
		return in, fmt.Errorf("index %s: values: %w", d.Key, err)
	}
	return in, nil
}

// writeIndexCells writes the cells of one period: the index value and the
// class, status derived.
func writeIndexCells(ctx context.Context, tx pgx.Tx, d *IndexDefinition, level string, p time.Time, out indexOutcome) error {
	var rows [][]any
	for _, s := range out.Scored {
		if d.Matrix != nil {
			rows = append(rows, []any{d.Key, s.id, p, float64(s.Class), string(Derived), false})
			continue
		}
		rows = append(rows, []any{d.Key, s.id, p, s.Value, string(Derived), false})
		if d.Classes != nil {
			rows = append(rows, []any{d.ClassKey(), s.id, p, float64(s.Class), string(Derived), false})
		}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"cell"},
		[]string{"indicator", "area_id", "period", "value", "status", "incomplete"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("index %s: cells: %w", d.Key, err)
	}
	for _, k := range d.ResultKeys() {
		if _, err := tx.Exec(ctx, sqlIndexExtent, k, level, p); err != nil {
			return fmt.Errorf("index %s: extent: %w", d.Key, err)
		}
	}
	return nil
}
