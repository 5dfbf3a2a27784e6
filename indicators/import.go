package indicators

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sozialatlas/sozialatlas/indicators/table"

	"github.com/sozialatlas/sozialatlas/geo"
)

// TableImport describes one import of a statistical table. A catalogue
// mapping (Mapping) describes the table; the other fields, where set,
// describe it without one or override the mapping.
type TableImport struct {
	Path    string
	Mapping *TableMapping

	// Format is csv, xlsx or gv100ad; "" takes the mapping's, else the
	// file name decides.
	Format table.Format
	// Columns maps the columns of a wide table to indicator keys; empty
	// (without a wide mapping) reads a long table.
	Columns map[string]string
	// Level of the area codes.
	Level      string
	AreaColumn string
	NameColumn string
	// Long tables (defaults "indicator", "period", "value").
	IndicatorColumn, PeriodColumn, ValueColumn string
	// Period of the values of a wide table (or a long one without a period
	// column).
	Period *time.Time
	// Gebietsstand: the boundary version the codes refer to; nil takes the
	// mapping's, else the one the file states (GV100AD), else each value's
	// period.
	Gebietsstand *time.Time
	// Check validates and reports without writing anything.
	Check bool
	// CreateMissingAreas turns codes unknown on the Gebietsstand into
	// areas of the level without geometry, under the parent their code's
	// first ParentPrefix characters name.
	CreateMissingAreas bool
	// ParentPrefix; 0 takes the ARS default of the parent level (land 2,
	// kreis 5; Berlin LOR: bezirk 2, prognoseraum 4, bezirksregion 6).
	ParentPrefix int
	// Placeholders are added to the mapping's.
	Placeholders []string
	// Decimal is ",", "." or "" (detect, or the mapping's).
	Decimal  string
	Encoding string
	Sheet    string
	// Delimiter of a CSV file, one character; "" detects it (or the
	// mapping's).
	Delimiter string
}

// TableReport tells what an import did, or with Check would do.
type TableReport struct {
	// Batch is the new import batch; 0 with Check or when the same file was
	// imported before.
	Batch int64 `json:"batch,omitempty"`
	// AlreadyImported is the batch holding this very file with the same
	// settings; nothing was written.
	AlreadyImported int64    `json:"already_imported,omitempty"`
	Checked         bool     `json:"checked,omitempty"`
	File            string   `json:"file"`
	Format          string   `json:"format"`
	Table           string   `json:"table,omitempty"`
	Level           string   `json:"level"`
	Decimal         string   `json:"decimal"`
	Gebietsstand    []string `json:"gebietsstand"`
	Indicators      []string `json:"indicators"`
	Periods         []string `json:"periods"`
	Observations    int      `json:"observations"`
	// By status.
	Measured    int `json:"measured"`
	Estimated   int `json:"estimated"`
	Provisional int `json:"provisional"`
	Suppressed  int `json:"suppressed"`
	Missing     int `json:"missing"`

	CreatedAreas []CreatedArea `json:"created_areas"`
	// Excluded are the codes the mapping declares not to be areas of the
	// level whose rows the table had; they were skipped.
	Excluded []string `json:"excluded,omitempty"`
	// WithoutData counts areas of the level valid on the Gebietsstand that
	// the table has no row for (per Gebietsstand); WithoutDataCodes lists
	// the first of them.
	WithoutData      int      `json:"without_data"`
	WithoutDataCodes []string `json:"without_data_codes"`

	Seconds float64 `json:"seconds"`
	// Time spent reading the file, checking, writing observations and
	// publishing cells.
	Timings ImportTimings `json:"timings"`
}

// ImportTimings break an import's time down, in seconds.
type ImportTimings struct {
	Read    float64 `json:"read"`
	Check   float64 `json:"check"`
	Write   float64 `json:"write"`
	Publish float64 `json:"publish"`
}

// CreatedArea is an area an import created for a code unknown on the
// table's Gebietsstand.
type CreatedArea struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Parent    string `json:"parent"`
	ValidFrom string `json:"valid_from"`
	ValidTo   string `json:"valid_to,omitempty"`
	Line      int    `json:"line"`
}

// maxListed bounds the codes a report lists.
const maxListed = 10

func (r TableReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s → %s: %d observations of %s", r.File, r.Level, r.Observations, strings.Join(r.Indicators, ", "))
	fmt.Fprintf(&b, " for %s (Gebietsstand %s)", strings.Join(r.Periods, ", "), strings.Join(r.Gebietsstand, ", "))
	var st []string
	for _, s := range []struct {
		name string
		n    int
	}{{"measured", r.Measured}, {"estimated", r.Estimated}, {"provisional", r.Provisional}, {"suppressed", r.Suppressed}, {"missing", r.Missing}} {
		if s.n > 0 {
			st = append(st, fmt.Sprintf("%s %d", s.name, s.n))
		}
	}
	if len(st) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(st, ", "))
	}
	fmt.Fprintf(&b, "; decimal %q", r.Decimal)
	if len(r.CreatedAreas) > 0 {
		codes := make([]string, len(r.CreatedAreas))
		for i, a := range r.CreatedAreas {
			codes[i] = fmt.Sprintf("%s %s (under %s)", a.Code, a.Name, a.Parent)
		}
		fmt.Fprintf(&b, "\n  created areas %d: %s", len(codes), strings.Join(codes, ", "))
	}
	if len(r.Excluded) > 0 {
		fmt.Fprintf(&b, "\n  skipped, not areas of the level (table mapping 'exclude'): %s", strings.Join(r.Excluded, ", "))
	}
	if r.WithoutData > 0 {
		more := ""
		if r.WithoutData > len(r.WithoutDataCodes) {
			more = ", …"
		}
		fmt.Fprintf(&b, "\n  areas without data %d: %s%s", r.WithoutData, strings.Join(r.WithoutDataCodes, ", "), more)
	}
	switch {
	case r.AlreadyImported > 0:
		fmt.Fprintf(&b, "\n  already imported as batch %d: nothing changed", r.AlreadyImported)
	case r.Checked:
		b.WriteString("\n  checked: nothing written")
	default:
		fmt.Fprintf(&b, "\n  %.2f s (batch %d)", r.Seconds, r.Batch)
	}
	return b.String()
}

// tableSettings is an import's description after the mapping and the
// overrides are merged.
type tableSettings struct {
	Table        string             `json:"table,omitempty"`
	Format       table.Format       `json:"format,omitempty"`
	Level        string             `json:"level"`
	Layout       table.Layout       `json:"-"`
	Columns      map[string]string  `json:"columns,omitempty"`
	Factors      map[string]float64 `json:"factors,omitempty"`
	AreaColumn   string             `json:"area_column,omitempty"`
	NameColumn   string             `json:"name_column,omitempty"`
	Long         [3]string          `json:"long_columns,omitzero"`
	Period       string             `json:"period,omitempty"`
	Gebietsstand *time.Time         `json:"gebietsstand,omitempty"`
	Placeholders []string           `json:"placeholders,omitempty"`
	Decimal      string             `json:"decimal,omitempty"`
	Encoding     string             `json:"encoding,omitempty"`
	Sheet        string             `json:"sheet,omitempty"`
	Delimiter    string             `json:"delimiter,omitempty"`
	CreateAreas  bool               `json:"create_missing_areas,omitempty"`
	ParentPrefix int                `json:"parent_prefix,omitempty"`
	Exclude      []string           `json:"exclude,omitempty"`
}

func (in TableImport) settings() (tableSettings, error) {
	var s tableSettings
	if m := in.Mapping; m != nil {
		s.Table = m.Key
		s.Level = m.Level
		s.AreaColumn, s.NameColumn = m.AreaColumn, m.NameColumn
		s.Long = [3]string{m.IndicatorColumn, m.PeriodColumn, m.ValueColumn}
		if m.Format == GV100AD {
			s.Format = table.GV100AD
		}
		if len(m.Columns) > 0 {
			s.Columns, s.Factors = map[string]string{}, map[string]float64{}
			for _, c := range m.Columns {
				s.Columns[c.Column] = c.Indicator
				if c.Factor != 0 && c.Factor != 1 {
					s.Factors[c.Column] = c.Factor
				}
			}
		}
		if !m.Period.IsZero() {
			s.Layout.Period = m.Period
		}
		if !m.Gebietsstand.IsZero() {
			gs := m.Gebietsstand
			s.Gebietsstand = &gs
		}
		s.Placeholders = slices.Clone(m.Placeholders)
		if m.Decimal != "auto" {
			s.Decimal = m.Decimal
		}
		if m.Encoding != "auto" {
			s.Encoding = m.Encoding
		}
		s.Sheet = m.Sheet
		s.Delimiter = m.Delimiter
		s.Exclude = slices.Clone(m.Exclude)
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	if in.Format != "" {
		s.Format = in.Format
	}
	if len(in.Columns) > 0 {
		s.Columns, s.Factors = maps.Clone(in.Columns), nil
	}
	set(&s.Level, in.Level)
	set(&s.AreaColumn, in.AreaColumn)
	set(&s.NameColumn, in.NameColumn)
	set(&s.Long[0], in.IndicatorColumn)
	set(&s.Long[1], in.PeriodColumn)
	set(&s.Long[2], in.ValueColumn)
	if in.Period != nil {
		s.Layout.Period = *in.Period
	}
	if in.Gebietsstand != nil {
		s.Gebietsstand = in.Gebietsstand
	}
	s.Placeholders = append(s.Placeholders, in.Placeholders...)
	set(&s.Decimal, in.Decimal)
	set(&s.Encoding, in.Encoding)
	set(&s.Sheet, in.Sheet)
	set(&s.Delimiter, in.Delimiter)
	if n := utf8.RuneCountInString(s.Delimiter); n > 1 {
		return s, fmt.Errorf("import indicators: delimiter %q: give one character", s.Delimiter)
	}
	s.CreateAreas, s.ParentPrefix = in.CreateMissingAreas, in.ParentPrefix

	switch {
	case s.Level == "":
		return s, errors.New("import indicators: no level given (the level of the area codes)")
	case s.Decimal != "" && s.Decimal != "," && s.Decimal != ".":
		return s, fmt.Errorf("import indicators: decimal separator %q: use ',' or '.'", s.Decimal)
	case s.ParentPrefix < 0:
		return s, fmt.Errorf("import indicators: parent prefix %d is negative", s.ParentPrefix)
	}
	s.Layout.Columns = s.Columns
	s.Layout.AreaColumn, s.Layout.NameColumn = s.AreaColumn, s.NameColumn
	s.Layout.IndicatorColumn, s.Layout.PeriodColumn, s.Layout.ValueColumn = s.Long[0], s.Long[1], s.Long[2]
	if !s.Layout.Period.IsZero() {
		s.Period = s.Layout.Period.Format(time.DateOnly)
	}
	return s, nil
}

func (s tableSettings) options() table.Options {
	o := table.Options{Format: s.Format, Encoding: s.Encoding, Sheet: s.Sheet, Placeholders: s.Placeholders, Layout: s.Layout}
	if s.Delimiter != "" {
		o.Delimiter, _ = utf8.DecodeRuneInString(s.Delimiter)
	}
	if s.Decimal != "" {
		o.Decimal = s.Decimal[0]
	}
	return o
}

// batchOptions is what import_batch.options records of an indicator import.
type batchOptions struct {
	// Digest identifies the file's content together with the settings it
	// was read with: importing it again changes nothing.
	Digest   string        `json:"digest"`
	SHA256   string        `json:"sha256"`
	Path     string        `json:"path"`
	Settings tableSettings `json:"settings"`
}

func digest(content []byte, s tableSettings) (string, string) {
	file := sha256.Sum256(content)
	settings, _ := json.Marshal(s)
	h := sha256.New()
	h.Write(file[:])
	h.Write(settings)
	return hex.EncodeToString(h.Sum(nil)), hex.EncodeToString(file[:])
}

const sqlSameImport = `
SELECT id FROM import_batch
WHERE kind = 'indicators' AND reverted_at IS NULL AND options->>'digest' = $1
ORDER BY id LIMIT 1`

const sqlLevelRank = `SELECT rank FROM level WHERE name = $1`

const sqlImportIndicators = `SELECT key, kind, coalesce(numerator, ''), coalesce(denominator, '') FROM indicator`

const sqlGroupParts = `
SELECT m.indicator, g.total, g.key
FROM indicator_group g JOIN indicator_group_member m ON m.group_key = g.key
ORDER BY g.key DESC`

const sqlAreasValidOn = `
SELECT code, id FROM area
WHERE level = $1 AND daterange(valid_from, valid_to, '[]') @> $2::date`

// ImportTable imports the observations of one statistical table in one
// transaction: on any problem nothing is written, and the error lists every
// problem found (up to 20), each naming file, line and column.
func (s *Store) ImportTable(ctx context.Context, in TableImport) (TableReport, error) {
	start := time.Now()
	rep := TableReport{File: filepath.Base(in.Path), CreatedAreas: []CreatedArea{}, WithoutDataCodes: []string{}}
	set, err := in.settings()
	if err != nil {
		return rep, err
	}
	rep.Level, rep.Table = set.Level, set.Table

	content, err := os.ReadFile(in.Path)
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", in.Path, err)
	}
	dig, sum := digest(content, set)
	var prior int64
	switch err := s.pool.QueryRow(ctx, sqlSameImport, dig).Scan(&prior); {
	case err == nil:
		rep.AlreadyImported = prior
		rep.Seconds = time.Since(start).Seconds()
		return rep, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return rep, fmt.Errorf("import %s: look up earlier imports: %w", in.Path, err)
	}

	tab, err := table.Read(in.Path, set.options())
	if err != nil {
		return rep, err
	}
	rep.Format, rep.Decimal = string(tab.Format), string(tab.Decimal)
	if len(tab.Cells) == 0 {
		return rep, tab.Problem(0, "", "the table has no values")
	}
	applyFactors(tab, set.Factors)
	rep.Excluded = excludeAreas(tab, set.Exclude)
	rep.Timings.Read = time.Since(start).Seconds()

	tx, err := geo.BeginWrite(ctx, s.pool)
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", in.Path, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit

	im := &tableImporter{tx: tx, tab: tab, set: set, rep: &rep}
	if err := im.prepare(ctx); err != nil {
		return rep, err
	}
	opts, err := json.Marshal(batchOptions{Digest: dig, SHA256: sum, Path: in.Path, Settings: set})
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", in.Path, err)
	}
	if err := tx.QueryRow(ctx, sqlInsertIndicatorBatch, rep.File, opts).Scan(&im.batch); err != nil {
		return rep, fmt.Errorf("import %s: create batch: %w", in.Path, err)
	}
	// Problems with indicators and area codes are reported together.
	if err := im.resolveAreas(ctx); err != nil {
		return rep, err
	}
	if err := im.probs.Err(); err != nil {
		return rep, err
	}
	im.validate()
	if err := im.probs.Err(); err != nil {
		return rep, err
	}
	checked := time.Now()
	rep.Timings.Check = checked.Sub(start).Seconds() - rep.Timings.Read
	if err := im.write(ctx); err != nil {
		return rep, err
	}
	written := time.Now()
	rep.Timings.Write = written.Sub(checked).Seconds()
	im.summarize()
	if in.Check {
		rep.Checked = true
		rep.Seconds = time.Since(start).Seconds()
		return rep, nil // the deferred rollback undoes the batch and any areas
	}

	// New areas change the sums of every indicator (a child more, maybe
	// without data), so they widen the scope to all.
	scope := PublishScope{}
	if len(rep.CreatedAreas) == 0 {
		scope.Indicators = rep.Indicators
		for _, p := range im.periods {
			scope.Periods = append(scope.Periods, p)
		}
	}
	if err := s.PublishScope(ctx, tx, scope); err != nil {
		return rep, fmt.Errorf("import %s: %w", in.Path, err)
	}
	rep.Timings.Publish = time.Since(written).Seconds()
	rep.Batch = im.batch
	rep.Seconds = time.Since(start).Seconds()
	if _, err := tx.Exec(ctx, sqlFinishIndicatorBatch, im.batch, rep); err != nil {
		return rep, fmt.Errorf("import %s: record report: %w", in.Path, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("import %s: commit: %w", in.Path, err)
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

const sqlInsertIndicatorBatch = `
INSERT INTO import_batch (kind, source, options) VALUES ('indicators', $1, $2) RETURNING id`

const sqlFinishIndicatorBatch = `UPDATE import_batch SET report = $2 WHERE id = $1`

// applyFactors multiplies the values of columns with a factor (hectares to
// km²).
// excludeAreas drops the cells of the codes the mapping declares not to be
// areas of the level, and returns which of them the table had.
func excludeAreas(tab *table.Table, codes []string) []string {
	if len(codes) == 0 {
		return nil
	}
	var found []string
	tab.Cells = slices.DeleteFunc(tab.Cells, func(c table.Cell) bool {
		if !slices.Contains(codes, c.Area) {
			return false
		}
		if !slices.Contains(found, c.Area) {
			found = append(found, c.Area)
		}
		return true
	})
	return found
}

func applyFactors(tab *table.Table, factors map[string]float64) {
	if len(factors) == 0 {
		return
	}
	for i := range tab.Cells {
		c := &tab.Cells[i]
		if f, ok := factors[c.Column]; ok && c.Value != nil {
			v := scaleValue(*c.Value, f)
			c.Value = &v
		}
	}
}

// scaleValue multiplies v by f. A factor like 0.01 has no exact binary
// form, and 5673 × 0.01 is 56.730000000000004; dividing by the exact 100
// gives the closest double to 56.73, as the table means.
func scaleValue(v, f float64) float64 {
	if inv := 1 / f; f < 1 && math.Abs(inv-math.Round(inv)) < 1e-9*inv {
		return v / math.Round(inv)
	}
	return v * f
}

// importIndicator is what an import needs to know of an indicator.
type importIndicator struct {
	key, kind, numerator, denominator string
}

type tableImporter struct {
	tx    pgx.Tx
	tab   *table.Table
	set   tableSettings
	rep   *TableReport
	batch int64

	catalogue map[string]importIndicator
	// partOf maps (member, total) of the additive groups to the group.
	partOf map[[2]string]string
	// indicators of the table, in order of first appearance; index is
	// obsKey.indicator.
	indicators []string
	indIndex   map[string]int32
	cellInd    []int32 // per cell: index into indicators

	// gs is each cell's Gebietsstand (days since 1970), areas the code → id
	// maps of the level valid on each Gebietsstand, cellArea each cell's
	// area version.
	gs       []int32
	areas    map[int32]map[string]int64
	cellArea []int64
	periods  map[int32]time.Time

	// order lists the cells in the order of observation's primary key
	// (sortObservations); indRank is each indicator's place among the
	// table's indicators by name, cellDay each cell's period in days, and
	// runs the table's (indicator, period) pairs with their number of cells.
	order   []int32
	indRank []int32
	cellDay []int32
	runs    []obsRun

	// probs are the input problems found so far; the methods return only
	// failures of the database.
	probs table.Problems
}

func days(t time.Time) int32 { return int32(t.Unix() / 86400) }

func fromDays(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// prepare checks the level, and the indicators against the catalogue.
func (im *tableImporter) prepare(ctx context.Context) error {
	var rank *int
	if err := im.tx.QueryRow(ctx, sqlLevelRank, im.set.Level).Scan(&rank); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("import %s: unknown level %q (see 'sozialatlas levels')", im.tab.Path, im.set.Level)
		}
		return fmt.Errorf("import %s: look up level: %w", im.tab.Path, err)
	}
	rows, err := im.tx.Query(ctx, sqlImportIndicators)
	if err != nil {
		return fmt.Errorf("import %s: read the catalogue: %w", im.tab.Path, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (importIndicator, error) {
		var ind importIndicator
		err := r.Scan(&ind.key, &ind.kind, &ind.numerator, &ind.denominator)
		return ind, err
	})
	if err != nil {
		return fmt.Errorf("import %s: read the catalogue: %w", im.tab.Path, err)
	}
	im.catalogue = make(map[string]importIndicator, len(list))
	for _, ind := range list {
		im.catalogue[ind.key] = ind
	}
	rows, err = im.tx.Query(ctx, sqlGroupParts)
	if err != nil {
		return fmt.Errorf("import %s: read the groups: %w", im.tab.Path, err)
	}
	im.partOf = map[[2]string]string{}
	var member, total, group string
	if _, err := pgx.ForEachRow(rows, []any{&member, &total, &group}, func() error {
		im.partOf[[2]string{member, total}] = group
		return nil
	}); err != nil {
		return fmt.Errorf("import %s: read the groups: %w", im.tab.Path, err)
	}

	reported := map[string]bool{}
	im.indIndex = map[string]int32{}
	im.cellInd = make([]int32, len(im.tab.Cells))
	for i, c := range im.tab.Cells {
		if idx, ok := im.indIndex[c.Indicator]; ok {
			im.cellInd[i] = idx
			continue
		}
		ind, ok := im.catalogue[c.Indicator]
		reason := ""
		switch {
		case !ok:
			reason = fmt.Sprintf("unknown indicator %q (not in the catalogue)", c.Indicator)
		case Kind(ind.kind) == Rate:
			reason = fmt.Sprintf("indicator %q is a rate (%s ÷ %s): rates are computed, import its numerator and denominator instead",
				c.Indicator, ind.numerator, ind.denominator)
		}
		if reason != "" {
			// A wide table's column is one mistake, not one per row.
			where := c.Indicator
			if im.tab.Wide {
				where = c.Column
			}
			if !reported[where] || !im.tab.Wide {
				im.probs.Add(im.tab.IndicatorProblem(c, reason))
				reported[where] = true
			}
			continue
		}
		idx := int32(len(im.indicators))
		im.indicators = append(im.indicators, c.Indicator)
		im.indIndex[c.Indicator] = idx
		im.cellInd[i] = idx
	}
	return nil
}

// gebietsstand is the day a cell's area code refers to.
func (im *tableImporter) gebietsstand(c table.Cell) time.Time {
	switch {
	case im.set.Gebietsstand != nil:
		return *im.set.Gebietsstand
	case im.tab.Gebietsstand != nil:
		return *im.tab.Gebietsstand
	}
	return c.Period
}

// resolveAreas attaches every cell to the area version of its code valid
// on its Gebietsstand, creating the unknown ones when asked to.
func (im *tableImporter) resolveAreas(ctx context.Context) error {
	cells := im.tab.Cells
	im.gs = make([]int32, len(cells))
	im.areas = map[int32]map[string]int64{}
	im.periods = map[int32]time.Time{}
	for i, c := range cells {
		d := days(im.gebietsstand(c))
		im.gs[i] = d
		im.areas[d] = nil
		im.periods[days(c.Period)] = c.Period
	}
	if err := im.loadAreas(ctx); err != nil {
		return err
	}

	// Unknown codes, each with the cell that names it first, per day.
	type unknown struct {
		code string
		day  int32
		cell int
	}
	type codeDay struct {
		code string
		day  int32
	}
	var missing []unknown
	seen := map[codeDay]bool{}
	for i, c := range cells {
		if _, ok := im.areas[im.gs[i]][c.Area]; ok {
			continue
		}
		key := codeDay{c.Area, im.gs[i]}
		if seen[key] {
			continue
		}
		seen[key] = true
		missing = append(missing, unknown{c.Area, im.gs[i], i})
	}
	if len(missing) == 0 {
		return im.attach()
	}
	if !im.set.CreateAreas {
		for _, m := range missing {
			im.probs.Add(im.tab.AreaProblem(cells[m.cell], fmt.Sprintf("unknown %s code %q on the Gebietsstand %s (use --create-missing-areas to create it)",
				im.set.Level, m.code, fromDays(m.day).Format(time.DateOnly))))
		}
		return nil
	}

	// One new version per code, from the earliest day it is unknown on.
	first := map[string]unknown{}
	var codes []string
	for _, m := range missing {
		f, ok := first[m.code]
		if !ok {
			codes = append(codes, m.code)
		}
		if !ok || m.day < f.day {
			first[m.code] = m
		}
	}
	var created []newArea
	for _, code := range codes {
		m := first[code]
		created = append(created, newArea{code: code, name: cells[m.cell].AreaName, from: fromDays(m.day), cell: m.cell})
	}
	if ok, err := im.createAreas(ctx, created); err != nil || !ok {
		return err
	}
	if err := im.loadAreas(ctx); err != nil {
		return err
	}
	return im.attach()
}

func (im *tableImporter) loadAreas(ctx context.Context) error {
	for d := range im.areas {
		rows, err := im.tx.Query(ctx, sqlAreasValidOn, im.set.Level, fromDays(d))
		if err != nil {
			return fmt.Errorf("import %s: look up areas: %w", im.tab.Path, err)
		}
		m := map[string]int64{}
		var code string
		var id int64
		_, err = pgx.ForEachRow(rows, []any{&code, &id}, func() error {
			m[code] = id
			return nil
		})
		if err != nil {
			return fmt.Errorf("import %s: look up areas: %w", im.tab.Path, err)
		}
		im.areas[d] = m
	}
	return nil
}

// attach sets each cell's area version; every code is known by now.
func (im *tableImporter) attach() error {
	im.cellArea = make([]int64, len(im.tab.Cells))
	for i, c := range im.tab.Cells {
		id, ok := im.areas[im.gs[i]][c.Area]
		if !ok {
			// A created version may end before a later Gebietsstand.
			im.probs.Add(im.tab.AreaProblem(c, fmt.Sprintf("unknown %s code %q on the Gebietsstand %s",
				im.set.Level, c.Area, fromDays(im.gs[i]).Format(time.DateOnly))))
			continue
		}
		im.cellArea[i] = id
	}
	return nil
}

// newArea is an area to create for an unknown code.
type newArea struct {
	code, name string
	from       time.Time
	cell       int
}

// Default lengths of the code prefix naming the parent, by parent level:
// the Amtlicher Regionalschlüssel (Land 2, Kreis 5 digits) and Berlin's
// LOR codes (Bezirk 2, Prognoseraum 4, Bezirksregion 6 digits).
var defaultParentPrefix = map[string]int{
	"land": 2, "kreis": 5, "bezirk": 2, "prognoseraum": 4, "bezirksregion": 6,
}

const sqlCoarserLevels = `
SELECT name FROM level WHERE rank < $1 ORDER BY rank DESC`

const sqlParentsValidOn = `
SELECT code FROM area
WHERE level = $1 AND code = ANY ($2) AND daterange(valid_from, valid_to, '[]') @> $3::date`

// A later version of the same code ends the new one the day before.
const sqlInsertCreatedArea = `
INSERT INTO area (level, code, name, parent_level, parent_code, valid_from, valid_to, batch_id)
SELECT $1, $2, $3, $4, $5, $6::date,
       (SELECT min(valid_from) - 1 FROM area WHERE level = $1 AND code = $2 AND valid_from > $6::date),
       $7
RETURNING valid_to`

// parentRef is a candidate parent of a new area.
type parentRef struct{ level, code string }

// parentCandidates are the parents a code can name, nearest first: the
// prefix of the parent level, then — where the digits in between are all
// zero, the official way of saying "none" (ARS 07000 9999 999: an area of
// Rheinland-Pfalz in no Kreis) — the prefixes of coarser levels.
func parentCandidates(code string, levels []string, prefix []int) []parentRef {
	var out []parentRef
	for i, l := range levels {
		p := prefix[i]
		if p == 0 || len(code) <= p {
			break
		}
		if i > 0 && (p >= prefix[i-1] || strings.Trim(code[p:prefix[i-1]], "0") != "") {
			break
		}
		out = append(out, parentRef{l, code[:p]})
	}
	return out
}

// createAreas creates the areas of unknown codes; false when input
// problems keep it from doing so.
func (im *tableImporter) createAreas(ctx context.Context, list []newArea) (bool, error) {
	var rank *int
	if err := im.tx.QueryRow(ctx, sqlLevelRank, im.set.Level).Scan(&rank); err != nil {
		return false, fmt.Errorf("import %s: look up level: %w", im.tab.Path, err)
	}
	if rank == nil {
		return false, fmt.Errorf("import %s: level %q is an area scheme: its areas cannot be created from codes", im.tab.Path, im.set.Level)
	}
	rows, err := im.tx.Query(ctx, sqlCoarserLevels, *rank)
	if err != nil {
		return false, fmt.Errorf("import %s: look up the parent level: %w", im.tab.Path, err)
	}
	levels, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return false, fmt.Errorf("import %s: look up the parent level: %w", im.tab.Path, err)
	}
	if len(levels) == 0 {
		return false, fmt.Errorf("import %s: level %q has no parent level to create areas under", im.tab.Path, im.set.Level)
	}
	prefix := make([]int, len(levels))
	for i, l := range levels {
		prefix[i] = defaultParentPrefix[l]
	}
	if im.set.ParentPrefix > 0 {
		prefix[0] = im.set.ParentPrefix
	}
	if prefix[0] == 0 {
		return false, fmt.Errorf("import %s: no default code prefix for parents of level %s; give the parent prefix length", im.tab.Path, levels[0])
	}

	before := im.probs.Len()
	candidates := make([][]parentRef, len(list))
	type lookup struct {
		level string
		day   time.Time
	}
	wanted := map[lookup][]string{}
	for i, a := range list {
		candidates[i] = parentCandidates(a.code, levels, prefix)
		if len(candidates[i]) == 0 {
			im.probs.Add(im.tab.AreaProblem(im.tab.Cells[a.cell], fmt.Sprintf("code %q is not longer than the parent prefix (%d characters): no parent %s can be named", a.code, prefix[0], levels[0])))
			continue
		}
		for _, c := range candidates[i] {
			k := lookup{c.level, a.from}
			wanted[k] = append(wanted[k], c.code)
		}
	}
	if im.probs.Len() > before {
		return false, nil
	}
	exists := map[lookup]map[string]bool{}
	for k, codes := range wanted {
		rows, err := im.tx.Query(ctx, sqlParentsValidOn, k.level, codes, k.day)
		if err != nil {
			return false, fmt.Errorf("import %s: look up parents: %w", im.tab.Path, err)
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return false, fmt.Errorf("import %s: look up parents: %w", im.tab.Path, err)
		}
		exists[k] = map[string]bool{}
		for _, c := range found {
			exists[k][c] = true
		}
	}
	parents := make([]parentRef, len(list))
	for i, a := range list {
		for _, c := range candidates[i] {
			if exists[lookup{c.level, a.from}][c.code] {
				parents[i] = c
				break
			}
		}
		if parents[i].code == "" {
			first := candidates[i][0]
			im.probs.Add(im.tab.AreaProblem(im.tab.Cells[a.cell], fmt.Sprintf("unknown %s code %q on the Gebietsstand %s, and its parent %s %q does not exist then either",
				im.set.Level, a.code, a.from.Format(time.DateOnly), first.level, first.code)))
		}
	}
	if im.probs.Len() > before {
		return false, nil
	}
	for i, a := range list {
		name := a.name
		if name == "" {
			name = a.code
		}
		p := parents[i]
		var to *time.Time
		if err := im.tx.QueryRow(ctx, sqlInsertCreatedArea, im.set.Level, a.code, name, p.level, p.code, a.from, im.batch).Scan(&to); err != nil {
			return false, fmt.Errorf("import %s: create %s %q: %w", im.tab.Path, im.set.Level, a.code, err)
		}
		ca := CreatedArea{Code: a.code, Name: name, Parent: p.level + " " + p.code,
			ValidFrom: a.from.Format(time.DateOnly), Line: im.tab.Cells[a.cell].Line}
		if to != nil {
			ca.ValidTo = to.Format(time.DateOnly)
		}
		im.rep.CreatedAreas = append(im.rep.CreatedAreas, ca)
	}
	return true, nil
}

// validate sorts the observations into the order of observation's primary
// key, and finds duplicates and numerators above their denominators.
func (im *tableImporter) validate() {
	cells := im.tab.Cells
	probs := &im.probs
	im.sortObservations()
	// Duplicates are neighbours in key order; they are reported in the
	// order of the file, each naming the first occurrence.
	var dups [][2]int32
	first := int32(-1)
	for n, i := range im.order {
		if n == 0 || !im.sameKey(first, i) {
			first = i
			continue
		}
		dups = append(dups, [2]int32{i, first})
	}
	slices.SortFunc(dups, func(x, y [2]int32) int { return int(x[0] - y[0]) })
	for _, d := range dups {
		c, first := cells[d[0]], cells[d[1]]
		probs.Add(im.tab.CellProblem(c, fmt.Sprintf("duplicate: %s of %s for %s is also on line %d (%s)",
			c.Indicator, c.Area, c.Period.Format(time.DateOnly), first.Line, first.Ref)))
	}
	// Every rate that is a share — its numerator a member of an additive
	// group whose total is its denominator — with both in this table. Other
	// rates (density, Jugendquotient) may well exceed 1.
	for _, key := range slices.Sorted(maps.Keys(im.catalogue)) {
		rate := im.catalogue[key]
		if Kind(rate.kind) != Rate {
			continue
		}
		group, share := im.partOf[[2]string{rate.numerator, rate.denominator}]
		num, okN := im.indIndex[rate.numerator]
		den, okD := im.indIndex[rate.denominator]
		if !share || !okN || !okD {
			continue
		}
		for i, c := range cells {
			if im.cellInd[i] != num || c.Value == nil {
				continue
			}
			j, ok := im.find(den, im.cellDay[i], im.cellArea[i])
			if !ok || cells[j].Value == nil || *c.Value <= *cells[j].Value {
				continue
			}
			d := cells[j]
			probs.Add(im.tab.CellProblem(c, fmt.Sprintf("%s %s is above its whole, %s %s (line %d, %s): the denominator of the share %s and the total of group %s",
				rate.numerator, fmtNumber(*c.Value), rate.denominator, fmtNumber(*d.Value), d.Line, d.Ref, key, group)))
		}
	}
}

// obsRun is the cells of one indicator (index into indicators) and period
// (days since 1970).
type obsRun struct{ ind, day, cells int32 }

// sortObservations orders the cells as observation's primary key does
// (indicator, period, area version; ties in file order): written in that
// order, the key's index grows at its right edge instead of everywhere.
func (im *tableImporter) sortObservations() {
	byName := slices.Clone(im.indicators)
	slices.Sort(byName)
	im.indRank = make([]int32, len(im.indicators))
	for r, k := range byName {
		im.indRank[im.indIndex[k]] = int32(r)
	}
	cells := im.tab.Cells
	im.cellDay = make([]int32, len(cells))
	// A table has few (indicator, period) pairs: the cells are distributed
	// into one bucket per pair, in file order, and each bucket is then
	// ordered by area version — mostly a run already, as tables list their
	// areas in order.
	type pair struct{ rank, day int32 }
	bucket := make([]int32, len(cells))
	ids := map[pair]int32{}
	var pairs []pair
	for i, c := range cells {
		im.cellDay[i] = days(c.Period)
		k := pair{im.indRank[im.cellInd[i]], im.cellDay[i]}
		b, ok := ids[k]
		if !ok {
			b = int32(len(pairs))
			ids[k] = b
			pairs = append(pairs, k)
			im.runs = append(im.runs, obsRun{ind: im.cellInd[i], day: im.cellDay[i]})
		}
		bucket[i] = b
		im.runs[b].cells++
	}
	byKey := make([]int32, len(pairs))
	for b := range byKey {
		byKey[b] = int32(b)
	}
	slices.SortFunc(byKey, func(a, b int32) int {
		return cmp.Or(cmp.Compare(pairs[a].rank, pairs[b].rank), cmp.Compare(pairs[a].day, pairs[b].day))
	})
	start := make([]int32, len(pairs))
	var at int32
	for _, b := range byKey {
		start[b] = at
		at += im.runs[b].cells
	}
	im.order = make([]int32, len(cells))
	next := slices.Clone(start)
	for i := range cells {
		im.order[next[bucket[i]]] = int32(i)
		next[bucket[i]]++
	}
	for b := range pairs {
		seg := im.order[start[b] : start[b]+im.runs[b].cells]
		slices.SortFunc(seg, func(x, y int32) int {
			return cmp.Or(cmp.Compare(im.cellArea[x], im.cellArea[y]), cmp.Compare(x, y))
		})
	}
}

// compareKey compares cell i's key with (indicator, day, area).
func (im *tableImporter) compareKey(i, ind, day int32, area int64) int {
	if c := int(im.indRank[im.cellInd[i]] - im.indRank[ind]); c != 0 {
		return c
	}
	if c := int(im.cellDay[i] - day); c != 0 {
		return c
	}
	switch {
	case im.cellArea[i] < area:
		return -1
	case im.cellArea[i] > area:
		return 1
	}
	return 0
}

func (im *tableImporter) sameKey(a, b int32) bool {
	return im.compareKey(a, im.cellInd[b], im.cellDay[b], im.cellArea[b]) == 0
}

// find returns the first cell with the key (indicator index, day, area).
func (im *tableImporter) find(ind, day int32, area int64) (int32, bool) {
	n, ok := slices.BinarySearchFunc(im.order, 0, func(i int32, _ int) int {
		return im.compareKey(i, ind, day, area)
	})
	if !ok {
		return 0, false
	}
	return im.order[n], true
}

func fmtNumber(v float64) string { return fmt.Sprint(v) }

const sqlCreateObservationStage = `
CREATE TEMP TABLE observation_stage (
    indicator text NOT NULL,
    area_id   bigint NOT NULL,
    period    date NOT NULL,
    value     double precision,
    status    text NOT NULL
) ON COMMIT DROP`

const sqlConflicts = `
SELECT s.indicator, s.area_id, s.period, o.batch_id, b.source
FROM observation_stage s
JOIN observation o USING (indicator, area_id, period)
JOIN import_batch b ON b.id = o.batch_id
LIMIT 21`

// sqlstateUniqueViolation is PostgreSQL's unique_violation.
const sqlstateUniqueViolation = "23505"

const sqlInsertExtent = `
INSERT INTO observation_extent (batch_id, indicator, period, level, rows)
SELECT $1, e.indicator, e.period, $2, e.rows
FROM unnest($3::text[], $4::date[], $5::integer[]) AS e (indicator, period, rows)`

// write copies the observations, in key order, straight into observation.
// Every key was checked before (see migration 00006); the one conflict
// left, an observation an earlier batch holds, fails the primary key, and
// then the rows are staged once more to name each conflict.
func (im *tableImporter) write(ctx context.Context) error {
	cols := []string{"indicator", "area_id", "period", "value", "status", "batch_id"}
	sp, err := im.tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("import %s: %w", im.tab.Path, err)
	}
	_, err = sp.CopyFrom(ctx, pgx.Identifier{"observation"}, cols, &cellRows{im: im, n: -1, batch: im.batch})
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		if err := sp.Commit(ctx); err != nil {
			return fmt.Errorf("import %s: %w", im.tab.Path, err)
		}
	case errors.As(err, &pgErr) && pgErr.Code == sqlstateUniqueViolation:
		if err := sp.Rollback(ctx); err != nil {
			return fmt.Errorf("import %s: %w", im.tab.Path, err)
		}
		if err := im.conflicts(ctx); err != nil {
			return err
		}
		return fmt.Errorf("import %s: write observations: %w", im.tab.Path, err)
	default:
		return fmt.Errorf("import %s: write observations: %w", im.tab.Path, err)
	}

	// What the batch brought, by indicator and period.
	var inds []string
	var periods []time.Time
	var counts []int32
	for _, r := range im.runs {
		inds = append(inds, im.indicators[r.ind])
		periods = append(periods, fromDays(r.day))
		counts = append(counts, r.cells)
	}
	if _, err := im.tx.Exec(ctx, sqlInsertExtent, im.batch, im.set.Level, inds, periods, counts); err != nil {
		return fmt.Errorf("import %s: record the batch's extent: %w", im.tab.Path, err)
	}
	return nil
}

// conflicts reports observations an earlier batch holds already.
func (im *tableImporter) conflicts(ctx context.Context) error {
	if _, err := im.tx.Exec(ctx, sqlCreateObservationStage); err != nil {
		return fmt.Errorf("import %s: create staging table: %w", im.tab.Path, err)
	}
	if _, err := im.tx.CopyFrom(ctx, pgx.Identifier{"observation_stage"},
		[]string{"indicator", "area_id", "period", "value", "status"}, &cellRows{im: im, n: -1, stage: true}); err != nil {
		return fmt.Errorf("import %s: stage observations: %w", im.tab.Path, err)
	}
	if _, err := im.tx.Exec(ctx, `ANALYZE observation_stage`); err != nil {
		return fmt.Errorf("import %s: %w", im.tab.Path, err)
	}
	rows, err := im.tx.Query(ctx, sqlConflicts)
	if err != nil {
		return fmt.Errorf("import %s: look up earlier observations: %w", im.tab.Path, err)
	}
	type conflict struct {
		indicator string
		area      int64
		period    time.Time
		batch     int64
		source    string
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (conflict, error) {
		var c conflict
		err := r.Scan(&c.indicator, &c.area, &c.period, &c.batch, &c.source)
		return c, err
	})
	if err != nil {
		return fmt.Errorf("import %s: look up earlier observations: %w", im.tab.Path, err)
	}
	var probs table.Problems
	for _, c := range list {
		i, _ := im.find(im.indIndex[c.indicator], days(c.period), c.area)
		cell := im.tab.Cells[i]
		probs.Add(im.tab.CellProblem(cell, fmt.Sprintf("%s of %s for %s is already imported by batch %d (%s): revert that batch first ('sozialatlas import revert %d')",
			c.indicator, cell.Area, c.period.Format(time.DateOnly), c.batch, c.source, c.batch)))
	}
	return probs.Err()
}

// cellRows feeds the cells to COPY in key order, reusing one row buffer;
// stage leaves out the batch.
type cellRows struct {
	im    *tableImporter
	n     int
	batch int64
	stage bool
	row   [6]any
}

func (r *cellRows) Next() bool {
	r.n++
	return r.n < len(r.im.order)
}

func (r *cellRows) Values() ([]any, error) {
	i := r.im.order[r.n]
	c := &r.im.tab.Cells[i]
	r.row[0] = c.Indicator
	r.row[1] = r.im.cellArea[i]
	r.row[2] = c.Period
	r.row[3] = c.Value
	r.row[4] = string(c.Status)
	if r.stage {
		return r.row[:5], nil
	}
	r.row[5] = r.batch
	return r.row[:], nil
}

func (r *cellRows) Err() error { return nil }

// summarize fills the report's counts and lists.
func (im *tableImporter) summarize() {
	rep := im.rep
	rep.Observations = len(im.tab.Cells)
	for _, c := range im.tab.Cells {
		switch c.Status {
		case table.Measured:
			rep.Measured++
		case table.Estimated:
			rep.Estimated++
		case table.Provisional:
			rep.Provisional++
		case table.Suppressed:
			rep.Suppressed++
		case table.Missing:
			rep.Missing++
		}
	}
	rep.Indicators = slices.Clone(im.indicators)
	rep.Periods = nil
	for _, d := range slices.Sorted(maps.Keys(im.periods)) {
		rep.Periods = append(rep.Periods, fromDays(d).Format(time.DateOnly))
	}
	rep.Gebietsstand = nil
	used := map[int64]bool{}
	for _, id := range im.cellArea {
		used[id] = true
	}
	var without []string
	for _, d := range slices.Sorted(maps.Keys(im.areas)) {
		rep.Gebietsstand = append(rep.Gebietsstand, fromDays(d).Format(time.DateOnly))
		for code, id := range im.areas[d] {
			if !used[id] {
				without = append(without, code)
			}
		}
	}
	slices.Sort(without)
	rep.WithoutData = len(without)
	without = slices.Compact(without)
	rep.WithoutDataCodes = append([]string{}, without[:min(len(without), maxListed)]...)
}
