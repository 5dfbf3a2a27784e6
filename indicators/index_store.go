package indicators

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo"
)

// ValueLabel names one value of a class indicator.
type ValueLabel struct {
	Value int    `json:"value"`
	Label string `json:"label"`
}

// IndexVersion is one stored version of an index definition.
type IndexVersion struct {
	Key        string          `json:"key"`
	Version    int             `json:"version"`
	File       string          `json:"file"`
	CreatedAt  time.Time       `json:"created_at"`
	Definition IndexDefinition `json:"definition"`
}

// IndexApplyReport says what ApplyIndices changed.
type IndexApplyReport struct {
	// Versions are the versions in force after the apply, in file order;
	// New lists the keys that got a new version.
	Versions []IndexVersion `json:"versions"`
	New      []string       `json:"new"`
	Computed []IndexRun     `json:"computed"`
}

// IndexRun is the computation of one index for one period.
type IndexRun struct {
	Key      string `json:"key"`
	Version  int    `json:"version"`
	Period   string `json:"period"`
	Level    string `json:"level"`
	Scored   int    `json:"scored"`
	Excluded int    `json:"excluded"`
	// Classes counts the scored areas per class (index 0: class 1).
	Classes []int  `json:"classes,omitempty"`
	Problem string `json:"problem,omitempty"`
}

// indexPosition places the indices' indicators after the catalogue's.
const indexPosition = 1_000_000

const (
	sqlLatestIndices = `
SELECT DISTINCT ON (key) key, version, definition, file, created_at
FROM composite_index ORDER BY key, version DESC`

	sqlLatestIndex = `
SELECT version, definition = $2::jsonb FROM composite_index WHERE key = $1
ORDER BY version DESC LIMIT 1`

	sqlInsertIndexVersion = `
INSERT INTO composite_index (key, version, definition, file) VALUES ($1, $2, $3, $4)`

	sqlIndexClashes = `
SELECT key, coalesce(composite_index, '') FROM indicator
WHERE key = ANY($1) AND composite_index IS DISTINCT FROM $2 ORDER BY key`

	sqlUpsertIndexIndicator = `
INSERT INTO indicator AS i (key, position, title, description, unit, category, polarity,
    source, licence, decimals, kind, composite_index, value_labels, min_count, min_denominator)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'value', $11, $12, 0, 0)
ON CONFLICT (key) DO UPDATE SET
    position = excluded.position, title = excluded.title, description = excluded.description,
    unit = excluded.unit, category = excluded.category, polarity = excluded.polarity,
    source = excluded.source, licence = excluded.licence, decimals = excluded.decimals,
    value_labels = excluded.value_labels
WHERE i.composite_index = excluded.composite_index`

	sqlDeleteStaleIndexIndicators = `
DELETE FROM indicator WHERE composite_index = $1 AND NOT (key = ANY($2))`

	sqlIndicatorKinds = `SELECT key, kind, coalesce(composite_index, '') FROM indicator WHERE key = ANY($1)`
)

// ApplyIndices stores the file's definitions — a definition that differs
// from its key's latest version becomes a new version, the old ones are
// kept —, makes the indicators that hold their results, computes every
// index and bumps the data version, in one transaction.
func (s *Store) ApplyIndices(ctx context.Context, f *IndexFile) (IndexApplyReport, error) {
	rep := IndexApplyReport{Versions: []IndexVersion{}, New: []string{}, Computed: []IndexRun{}}
	tx, err := geo.BeginWrite(ctx, s.pool)
	if err != nil {
		return rep, fmt.Errorf("apply indices %s: %w", f.Path, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit
	if err := s.checkIndexReferences(ctx, tx, f); err != nil {
		return rep, err
	}
	byKey := map[string]*IndexDefinition{}
	for i := range f.Indices {
		byKey[f.Indices[i].Key] = &f.Indices[i]
	}
	for i := range f.Indices {
		d := &f.Indices[i]
		def, err := json.Marshal(d)
		if err != nil {
			return rep, fmt.Errorf("apply indices %s: index %q: %w", f.Path, d.Key, err)
		}
		version, same := 0, false
		err = tx.QueryRow(ctx, sqlLatestIndex, d.Key, def).Scan(&version, &same)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return rep, fmt.Errorf("apply indices %s: index %q: %w", f.Path, d.Key, err)
		}
		if !same {
			version++
			if _, err := tx.Exec(ctx, sqlInsertIndexVersion, d.Key, version, def, f.Path); err != nil {
				return rep, fmt.Errorf("apply indices %s: index %q: %w", f.Path, d.Key, err)
			}
			rep.New = append(rep.New, d.Key)
		}
		rep.Versions = append(rep.Versions, IndexVersion{Key: d.Key, Version: version, File: f.Path, Definition: *d})
		if err := syncIndexIndicators(ctx, tx, d, i, byKey); err != nil {
			return rep, fmt.Errorf("apply indices %s: %w", f.Path, err)
		}
	}
	if len(rep.New) == 0 {
		// Unchanged definitions were computed when they were applied and
		// with every publish since; recomputing would only bump the data
		// version and empty every cache.
		return rep, nil
	}
	runs, err := s.computeIndices(ctx, tx)
	if err != nil {
		return rep, fmt.Errorf("apply indices %s: %w", f.Path, err)
	}
	rep.Computed = runs
	if _, err := tx.Exec(ctx, sqlBumpVersion); err != nil {
		return rep, fmt.Errorf("apply indices %s: data version: %w", f.Path, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("apply indices %s: commit: %w", f.Path, err)
	}
	return rep, nil
}

// checkIndexReferences checks the file against the database: levels and
// indicators exist, population and weight are counts, and the indicators
// an index writes belong to no catalogue indicator or other index.
func (s *Store) checkIndexReferences(ctx context.Context, tx pgx.Tx, f *IndexFile) error {
	p := &problems{file: f.Path, kind: "index definitions"}
	var refs []string
	for _, d := range f.Indices {
		if d.Areas.Population != "" {
			refs = append(refs, d.Areas.Population)
		}
		if d.Standardize.Weight != "" {
			refs = append(refs, d.Standardize.Weight)
		}
		for _, c := range d.Indicators {
			refs = append(refs, c.Indicator)
		}
	}
	type known struct{ kind, index string }
	kinds := map[string]known{}
	rows, err := tx.Query(ctx, sqlIndicatorKinds, refs)
	if err != nil {
		return fmt.Errorf("index definitions %s: %w", f.Path, err)
	}
	var key string
	var k known
	if _, err := pgx.ForEachRow(rows, []any{&key, &k.kind, &k.index}, func() error {
		kinds[key] = k
		return nil
	}); err != nil {
		return fmt.Errorf("index definitions %s: %w", f.Path, err)
	}
	for _, d := range f.Indices {
		name := fmt.Sprintf("index %q", d.Key)
		if d.Level != "" {
			var ok bool
			if err := tx.QueryRow(ctx, sqlLevelExists, d.Level).Scan(&ok); err != nil {
				return fmt.Errorf("index definitions %s: %w", f.Path, err)
			}
			if !ok {
				p.add("%s: level: %q is no level", name, d.Level)
			}
		}
		counts := []struct{ field, key string }{{"areas: population", d.Areas.Population}, {"standardize: weight", d.Standardize.Weight}}
		for _, c := range counts {
			if c.key == "" {
				continue
			}
			switch k, ok := kinds[c.key]; {
			case !ok:
				p.add("%s: %s: %q is not in the catalogue", name, c.field, c.key)
			case k.kind != string(Count):
				p.add("%s: %s: %q is a %s, not a count", name, c.field, c.key, k.kind)
			}
		}
		for _, c := range d.Indicators {
			switch k, ok := kinds[c.Indicator]; {
			case !ok:
				p.add("%s: indicators: %q is not in the catalogue", name, c.Indicator)
			case k.index == d.Key:
				p.add("%s: indicators: %q is a result of this index", name, c.Indicator)
			}
		}
		rows, err := tx.Query(ctx, sqlIndexClashes, d.ResultKeys(), d.Key)
		if err != nil {
			return fmt.Errorf("index definitions %s: %w", f.Path, err)
		}
		var owner string
		if _, err := pgx.ForEachRow(rows, []any{&key, &owner}, func() error {
			if owner == "" {
				p.add("%s: key: its indicator %q is in the catalogue already", name, key)
			} else {
				p.add("%s: key: its indicator %q is a result of index %q", name, key, owner)
			}
			return nil
		}); err != nil {
			return fmt.Errorf("index definitions %s: %w", f.Path, err)
		}
	}
	return p.err()
}

// syncIndexIndicators makes the indicators holding d's results; position
// is d's place in its file.
func syncIndexIndicators(ctx context.Context, tx pgx.Tx, d *IndexDefinition, position int, byKey map[string]*IndexDefinition) error {
	labels, err := d.classLabels(byKey)
	if err != nil {
		return fmt.Errorf("index %q: %w", d.Key, err)
	}
	var valueLabels []ValueLabel
	for i, l := range labels {
		valueLabels = append(valueLabels, ValueLabel{Value: i + 1, Label: l})
	}
	type row struct {
		key, title, description, unit string
		decimals                      int
		labels                        []ValueLabel
	}
	var want []row
	switch {
	case d.Matrix != nil:
		want = append(want, row{d.Key, d.Title, joinText(d.Description, classText(labels, nil)), "Gruppe", 0, valueLabels})
	default:
		want = append(want, row{d.Key, d.Title, d.Description, d.Unit, d.Decimals, nil})
		if d.Classes != nil {
			want = append(want, row{d.ClassKey(), d.Classes.Title,
				joinText("Klassen des Indexwerts ("+d.Title+").", classText(labels, d.Classes.Cuts)),
				"Klasse", 0, valueLabels})
		}
	}
	keys := make([]string, len(want))
	for i, w := range want {
		keys[i] = w.key
		var lbl any
		if w.labels != nil {
			lbl = w.labels
		}
		_, err := tx.Exec(ctx, sqlUpsertIndexIndicator, w.key, indexPosition+10*position+i, w.title,
			w.description, w.unit, d.Category, string(d.Polarity), d.Source, d.Licence, w.decimals,
			d.Key, lbl)
		if err != nil {
			return fmt.Errorf("index %q: indicator %q: %w", d.Key, w.key, err)
		}
	}
	if _, err := tx.Exec(ctx, sqlDeleteStaleIndexIndicators, d.Key, keys); err != nil {
		return fmt.Errorf("index %q: %w", d.Key, err)
	}
	return nil
}

// classText describes the classes in German, with their intervals when
// cuts are given: "1 = hoch (x < -1)".
func classText(labels []string, cuts []IndexCut) string {
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = fmt.Sprintf("%d = %s", i+1, l)
		if len(cuts) == len(labels)-1 && len(cuts) > 0 {
			parts[i] += " (" + intervalText(cuts, i) + ")"
		}
	}
	return "Klassen: " + strings.Join(parts, "; ") + "."
}

// intervalText is the interval of class i+1 between the cuts, in German
// number format: "-1 ≤ x ≤ 1".
func intervalText(cuts []IndexCut, i int) string {
	var lo, hi string
	if i > 0 {
		c := cuts[i-1]
		lo = germanNumber(strconv.FormatFloat(c.At, 'f', -1, 64)) + " < "
		if c.Equal == cutAbove {
			lo = germanNumber(strconv.FormatFloat(c.At, 'f', -1, 64)) + " ≤ "
		}
	}
	if i < len(cuts) {
		c := cuts[i]
		hi = " < " + germanNumber(strconv.FormatFloat(c.At, 'f', -1, 64))
		if c.Equal == cutBelow {
			hi = " ≤ " + germanNumber(strconv.FormatFloat(c.At, 'f', -1, 64))
		}
	}
	switch {
	case lo == "":
		return "x" + hi
	case hi == "":
		// the last class reads better as "x > 1,5" than as "1,5 < x"
		c := cuts[i-1]
		if c.Equal == cutAbove {
			return "x ≥ " + germanNumber(strconv.FormatFloat(c.At, 'f', -1, 64))
		}
		return "x > " + germanNumber(strconv.FormatFloat(c.At, 'f', -1, 64))
	}
	return lo + "x" + hi
}

func joinText(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// latestIndices reads the definitions in force: the latest version of
// each key, components before matrices.
func latestIndices(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]IndexVersion, error) {
	rows, err := q.Query(ctx, sqlLatestIndices)
	if err != nil {
		return nil, fmt.Errorf("index definitions: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanIndexVersion)
	if err != nil {
		return nil, fmt.Errorf("index definitions: %w", err)
	}
	slices.SortStableFunc(list, func(a, b IndexVersion) int {
		am, bm := a.Definition.Matrix != nil, b.Definition.Matrix != nil
		switch {
		case am == bm:
			return 0
		case am:
			return 1
		}
		return -1
	})
	return list, nil
}

func scanIndexVersion(r pgx.CollectableRow) (IndexVersion, error) {
	var v IndexVersion
	var def []byte
	if err := r.Scan(&v.Key, &v.Version, &def, &v.File, &v.CreatedAt); err != nil {
		return v, err
	}
	if err := json.Unmarshal(def, &v.Definition); err != nil {
		return v, fmt.Errorf("index %q version %d: %w", v.Key, v.Version, err)
	}
	return v, nil
}

// Indices lists the index definitions in force.
func (s *Store) Indices(ctx context.Context) ([]IndexVersion, error) {
	return latestIndices(ctx, s.pool)
}

const sqlIndexVersions = `
SELECT key, version, definition, file, created_at FROM composite_index
WHERE key = $1 ORDER BY version`

// IndexVersions lists every stored version of an index, oldest first; an
// unknown key gives an error wrapping geo.ErrNotFound.
func (s *Store) IndexVersions(ctx context.Context, key string) ([]IndexVersion, error) {
	rows, err := s.pool.Query(ctx, sqlIndexVersions, key)
	if err != nil {
		return nil, fmt.Errorf("index %q: %w", key, err)
	}
	list, err := pgx.CollectRows(rows, scanIndexVersion)
	if err != nil {
		return nil, fmt.Errorf("index %q: %w", key, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("index %q: %w", key, geo.ErrNotFound)
	}
	return list, nil
}

// ComputeIndices recomputes every index from the published cells and
// bumps the data version, in one transaction. Publish does the same as
// its last step; this is for the command line.
func (s *Store) ComputeIndices(ctx context.Context) ([]IndexRun, error) {
	tx, err := geo.BeginWrite(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("compute indices: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit
	runs, err := s.computeIndices(ctx, tx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, sqlBumpVersion); err != nil {
		return nil, fmt.Errorf("compute indices: data version: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("compute indices: commit: %w", err)
	}
	return runs, nil
}
