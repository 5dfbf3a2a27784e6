package indicators

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/indicators/supply"
)

// Supply results are observations of status derived in a batch of kind
// "supply", one batch per definition: publish then sums the counts upward
// and computes the ratios at every level, and withholds them, exactly as
// for imported counts. Applying a definition again replaces its batch.

// SupplyReport says what ApplySupply wrote, per definition.
type SupplyReport struct {
	Runs []SupplyRun `json:"runs"`
}

// SupplyRun is the outcome of one definition.
type SupplyRun struct {
	Type   string `json:"type"`
	Period string `json:"period"`
	Batch  int64  `json:"batch"`
	// Facilities valid on the period, and those without a capacity (left
	// out of capacity sums and the catchment measure).
	Facilities      int `json:"facilities"`
	WithoutCapacity int `json:"without_capacity"`
	// DemandPeriod is the population's period carried to Period.
	DemandPeriod string `json:"demand_period,omitempty"`
	// Areas with a gap > 0, and the places missing in all of them.
	GapAreas  int     `json:"gap_areas,omitempty"`
	GapPlaces float64 `json:"gap_places,omitempty"`
	// Unserved areas of the catchment measure (no facility in reach) and
	// unreached facilities (no demand in reach).
	Unserved  int `json:"unserved,omitempty"`
	Unreached int `json:"unreached,omitempty"`
}

// SupplyMeta is what supply_result.meta holds for an indicator: enough to
// say how a figure was made and to make it again.
type SupplyMeta struct {
	Definition   string        `json:"definition"`
	SupplyType   string        `json:"supply_type"`
	SupplyPeriod string        `json:"supply_period"`
	Demand       []string      `json:"demand_indicators,omitempty"`
	DemandPeriod string        `json:"demand_period,omitempty"`
	Note         string        `json:"note"`
	Target       *SupplyTarget `json:"target,omitempty"`
	Catchment    *supply.Meta  `json:"catchment,omitempty"`
	Scale        float64       `json:"scale,omitempty"`
	SRID         int           `json:"srid,omitempty"`
}

const (
	sqlSupplyKinds = `
SELECT key, kind, coalesce(numerator, ''), coalesce(denominator, ''), coalesce(scale, 0)
FROM indicator WHERE key = ANY($1)`

	sqlSupplyTypeKnown = `SELECT EXISTS (SELECT FROM facility_type WHERE key = $1)`

	// sqlDropSupplyBatches removes the batches that wrote any of the keys
	// (their observations go with them, see migration 00006).
	sqlDropSupplyBatches = `
DELETE FROM import_batch b WHERE b.kind = 'supply' AND EXISTS (
    SELECT FROM supply_result r WHERE r.batch_id = b.id AND r.indicator = ANY($1))`

	sqlInsertSupplyBatch = `
INSERT INTO import_batch (kind, source, options) VALUES ('supply', $1, $2) RETURNING id`

	sqlFinishSupplyBatch = `UPDATE import_batch SET report = $2 WHERE id = $1`

	// sqlSupplyFacilityStats counts the facilities of a type valid on a day.
	sqlSupplyFacilityStats = `
SELECT count(*), count(*) FILTER (WHERE capacity IS NULL)
FROM facility
WHERE type = $1 AND (valid_from IS NULL OR valid_from <= $2) AND (valid_to IS NULL OR valid_to >= $2)`

	// sqlSupplyCounts writes, for every area of each level facilities of
	// the type are counted in and valid on the day, the number of
	// facilities ($4 = 'count') or their summed capacity; 0 where there
	// are none, since "no Kita here" is a value, and a missing child
	// would mark every sum above incomplete. A facility is matched by its
	// area's level and code, so that a new version of the area since the
	// facility's first day still receives it.
	sqlSupplyCounts = `
WITH fac AS (
    SELECT fa.level, fa.code, f.capacity
    FROM facility f JOIN area fa ON fa.id = f.area_id
    WHERE f.type = $1 AND (f.valid_from IS NULL OR f.valid_from <= $2)
      AND (f.valid_to IS NULL OR f.valid_to >= $2)
), lv AS (SELECT DISTINCT level FROM fac)
INSERT INTO observation (indicator, area_id, period, value, status, batch_id)
SELECT $3, a.id, $2,
       CASE WHEN $4 = 'count' THEN count(fac.level)::double precision
            ELSE coalesce(sum(fac.capacity), 0)::double precision END,
       'derived', $5
FROM area a JOIN lv ON lv.level = a.level
LEFT JOIN fac ON fac.level = a.level AND fac.code = a.code
WHERE (a.valid_from IS NULL OR a.valid_from <= $2) AND (a.valid_to IS NULL OR a.valid_to >= $2)
GROUP BY a.id`

	// sqlSupplyDemandPeriod is the latest period at or before the day in
	// which every demand indicator has observations (of batches in force).
	sqlSupplyDemandPeriod = `
SELECT o.period FROM observation o JOIN import_batch b ON b.id = o.batch_id
WHERE o.indicator = ANY($1) AND o.period <= $2 AND b.reverted_at IS NULL
GROUP BY o.period HAVING count(DISTINCT o.indicator) = cardinality($1::text[])
ORDER BY o.period DESC LIMIT 1`

	// sqlSupplyDemand carries the demand indicators' cells of one period,
	// summed per area, to the facility period, at the levels the
	// facilities are counted in (as sqlSupplyCounts writes them): publish
	// sums both upward alike. The cells' own values are carried, not their
	// published form, so disclosure control judges the carried counts
	// afresh as it judged the originals. Finer levels get nothing: a
	// Planungsraum would otherwise gain a period holding the demand alone,
	// and its profile would open on it. An area where a component has no
	// value gets none.
	sqlSupplyDemand = `
WITH lv AS (
    SELECT DISTINCT fa.level
    FROM facility f JOIN area fa ON fa.id = f.area_id
    WHERE f.type = $6 AND (f.valid_from IS NULL OR f.valid_from <= $2)
      AND (f.valid_to IS NULL OR f.valid_to >= $2)
)
INSERT INTO observation (indicator, area_id, period, value, status, batch_id)
SELECT $1, a.id, $2,
       CASE WHEN count(c.value) = cardinality($4::text[]) THEN sum(c.value) END,
       CASE WHEN count(c.value) = cardinality($4::text[]) THEN 'derived' ELSE 'missing' END,
       $5
FROM area a JOIN lv ON lv.level = a.level
LEFT JOIN published_cell c ON c.area_id = a.id AND c.indicator = ANY($4) AND c.period = $3
WHERE (a.valid_from IS NULL OR a.valid_from <= $2) AND (a.valid_to IS NULL OR a.valid_to >= $2)
GROUP BY a.id`

	// sqlSupplyGapInput pairs each own capacity observation of the batch
	// with the published demand of its area (NULL when withheld).
	sqlSupplyGapInput = `
SELECT o.area_id, o.value, ` + sqlShownValue + `
FROM observation o
LEFT JOIN published_cell c ON c.indicator = $2 AND c.period = o.period AND c.area_id = o.area_id
WHERE o.indicator = $1 AND o.period = $3 AND o.batch_id = $4`

	// sqlSupplyDemandPoints are the label points of the level's areas
	// valid on the day, in the metric CRS, with their published demand;
	// areas without a label point or a shown demand take no part.
	sqlSupplyDemandPoints = `
SELECT a.id, ST_X(p.pt), ST_Y(p.pt), ` + sqlShownValue + `
FROM area a
JOIN published_cell c ON c.indicator = $2 AND c.period = $3 AND c.area_id = a.id
CROSS JOIN LATERAL (SELECT ST_Transform(a.label_point, $4::integer) AS pt) p
WHERE a.level = $1 AND a.label_point IS NOT NULL
  AND (a.valid_from IS NULL OR a.valid_from <= $3) AND (a.valid_to IS NULL OR a.valid_to >= $3)
ORDER BY a.id`

	// sqlSupplyFacilityPoints are the facilities of the type valid on the
	// day with a capacity, in the metric CRS.
	sqlSupplyFacilityPoints = `
SELECT f.id, ST_X(p.pt), ST_Y(p.pt), f.capacity::double precision
FROM facility f CROSS JOIN LATERAL (SELECT ST_Transform(f.geom, $3::integer) AS pt) p
WHERE f.type = $1 AND f.capacity IS NOT NULL
  AND (f.valid_from IS NULL OR f.valid_from <= $2) AND (f.valid_to IS NULL OR f.valid_to >= $2)
ORDER BY f.id`

	// sqlSupplyExtent records what the batch holds by indicator, period
	// and level, as imports do (see migration 00006).
	sqlSupplyExtent = `
INSERT INTO observation_extent (batch_id, indicator, period, level, rows)
SELECT o.batch_id, o.indicator, o.period, a.level, count(*)
FROM observation o JOIN area a ON a.id = o.area_id
WHERE o.batch_id = $1
GROUP BY 1, 2, 3, 4
ON CONFLICT (batch_id, indicator, period, level) DO UPDATE SET rows = excluded.rows`

	sqlInsertSupplyResult = `
INSERT INTO supply_result (indicator, period, batch_id, meta) VALUES ($1, $2, $3, $4)`
)

const sqlSupplyBatchCurrent = `
SELECT EXISTS (SELECT FROM import_batch WHERE kind = 'supply' AND options = $1::jsonb)`

// SupplyCurrent reports whether every definition of the file was applied
// as it stands, so that a loader need not replace results unchanged.
func (s *Store) SupplyCurrent(ctx context.Context, f *SupplyFile) (bool, error) {
	for i := range f.Supply {
		def, err := json.Marshal(&f.Supply[i])
		if err != nil {
			return false, fmt.Errorf("supply %s: %w", f.Path, err)
		}
		var ok bool
		if err := s.pool.QueryRow(ctx, sqlSupplyBatchCurrent, def).Scan(&ok); err != nil {
			return false, fmt.Errorf("supply %s: %w", f.Path, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// defaultSupplySRID is the metric CRS of catchment distances where a
// definition names none: ETRS89 / UTM 32N covers Germany with small
// distortion; Berlin's definitions name UTM 33N.
const defaultSupplySRID = 25832

// ApplySupply writes the indicators of every definition in the file,
// replacing what earlier applications of them wrote, publishes them and
// bumps the data version, in one transaction.
func (s *Store) ApplySupply(ctx context.Context, f *SupplyFile) (SupplyReport, error) {
	rep, err := s.applySupplyFiles(ctx, []*SupplyFile{f})
	if err != nil {
		return rep, fmt.Errorf("apply supply: %w", err)
	}
	return rep, nil
}

// sqlSupplyDefinitions are the definitions applied so far, by the file
// they came from, in the order they were applied.
const sqlSupplyDefinitions = `SELECT source, options FROM import_batch WHERE kind = 'supply' ORDER BY id`

// ComputeSupply applies every definition applied before once more, from
// the copies their batches keep: after a new population table or
// facility import, the ratios, gaps and catchment measures follow it.
func (s *Store) ComputeSupply(ctx context.Context) (SupplyReport, error) {
	rows, err := s.pool.Query(ctx, sqlSupplyDefinitions)
	if err != nil {
		return SupplyReport{}, fmt.Errorf("compute supply: %w", err)
	}
	var files []*SupplyFile
	byPath := map[string]*SupplyFile{}
	var path string
	var d SupplyDefinition
	if _, err := pgx.ForEachRow(rows, []any{&path, &d}, func() error {
		f, ok := byPath[path]
		if !ok {
			f = &SupplyFile{Path: path}
			byPath[path] = f
			files = append(files, f)
		}
		f.Supply = append(f.Supply, d)
		d = SupplyDefinition{}
		return nil
	}); err != nil {
		return SupplyReport{}, fmt.Errorf("compute supply: %w", err)
	}
	rep, err := s.applySupplyFiles(ctx, files)
	if err != nil {
		return rep, fmt.Errorf("compute supply: %w", err)
	}
	return rep, nil
}

// applySupplyFiles applies the files in one transaction.
func (s *Store) applySupplyFiles(ctx context.Context, files []*SupplyFile) (SupplyReport, error) {
	rep := SupplyReport{Runs: []SupplyRun{}}
	tx, err := geo.BeginWrite(ctx, s.pool)
	if err != nil {
		return rep, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit
	for _, f := range files {
		for i := range f.Supply {
			run, err := s.applySupply(ctx, tx, f.Path, &f.Supply[i])
			if err != nil {
				return rep, fmt.Errorf("%s: %s %s: %w", f.Path, f.Supply[i].Type, f.Supply[i].Period, err)
			}
			rep.Runs = append(rep.Runs, run)
		}
	}
	if _, err := tx.Exec(ctx, sqlBumpVersion); err != nil {
		return rep, fmt.Errorf("data version: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("commit: %w", err)
	}
	return rep, nil
}

// checkSupply checks the definition against the database: the facility
// type exists, every indicator has the kind its role needs, and the ratio
// divides the capacity by the demand.
func checkSupply(ctx context.Context, tx pgx.Tx, d *SupplyDefinition) (scale float64, err error) {
	var known bool
	if err := tx.QueryRow(ctx, sqlSupplyTypeKnown, d.Type).Scan(&known); err != nil {
		return 0, fmt.Errorf("facility type: %w", err)
	}
	if !known {
		return 0, fmt.Errorf("facility type %q is unknown", d.Type)
	}
	want := map[string]Kind{d.Count: Count}
	if d.Capacity != "" {
		want[d.Capacity] = Count
	}
	if d.Demand != nil {
		want[d.Demand.Key] = Count
		for _, k := range d.Demand.Indicators {
			want[k] = Count
		}
	}
	if d.Ratio != "" {
		want[d.Ratio] = Rate
	}
	if d.Target != nil {
		want[d.Target.Gap] = Count
	}
	if d.Catchment != nil {
		want[d.Catchment.Key] = Value
	}
	if d.Nearest != "" {
		want[d.Nearest] = Value
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	rows, err := tx.Query(ctx, sqlSupplyKinds, keys)
	if err != nil {
		return 0, fmt.Errorf("indicators: %w", err)
	}
	type kindRow struct {
		key, kind, num, den string
		scale               float64
	}
	var r kindRow
	got := map[string]kindRow{}
	if _, err := pgx.ForEachRow(rows, []any{&r.key, &r.kind, &r.num, &r.den, &r.scale}, func() error {
		got[r.key] = r
		return nil
	}); err != nil {
		return 0, fmt.Errorf("indicators: %w", err)
	}
	var errs []error
	for _, k := range keys {
		g, ok := got[k]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("indicator %q is not in the catalogue", k))
		case Kind(g.kind) != want[k]:
			errs = append(errs, fmt.Errorf("indicator %q is a %s, want a %s", k, g.kind, want[k]))
		}
	}
	if g, ok := got[d.Ratio]; ok && d.Ratio != "" && d.Demand != nil &&
		(g.num != d.Capacity || g.den != d.Demand.Key) {
		errs = append(errs, fmt.Errorf("rate %q must be %s / %s, the catalogue has %s / %s",
			d.Ratio, d.Capacity, d.Demand.Key, g.num, g.den))
	}
	return got[d.Ratio].scale, errors.Join(errs...)
}

// applySupply writes one definition's indicators inside tx.
func (s *Store) applySupply(ctx context.Context, tx pgx.Tx, path string, d *SupplyDefinition) (SupplyRun, error) {
	day := d.Day()
	run := SupplyRun{Type: d.Type, Period: d.Period}
	scale, err := checkSupply(ctx, tx, d)
	if err != nil {
		return run, err
	}
	keys := d.Keys()
	if _, err := tx.Exec(ctx, sqlDropSupplyBatches, keys); err != nil {
		return run, fmt.Errorf("drop earlier results: %w", err)
	}
	opts, err := json.Marshal(d)
	if err != nil {
		return run, fmt.Errorf("batch options: %w", err)
	}
	if err := tx.QueryRow(ctx, sqlInsertSupplyBatch, path, opts).Scan(&run.Batch); err != nil {
		return run, fmt.Errorf("batch: %w", err)
	}
	if err := tx.QueryRow(ctx, sqlSupplyFacilityStats, d.Type, day).Scan(&run.Facilities, &run.WithoutCapacity); err != nil {
		return run, fmt.Errorf("facilities: %w", err)
	}
	base := SupplyMeta{Definition: path, SupplyType: d.Type, SupplyPeriod: d.Period}
	metas := map[string]SupplyMeta{}

	counts := [][2]string{{d.Count, "count"}}
	if d.Capacity != "" {
		counts = append(counts, [2]string{d.Capacity, "capacity"})
	}
	for _, c := range counts {
		if _, err := tx.Exec(ctx, sqlSupplyCounts, d.Type, day, c[0], c[1], run.Batch); err != nil {
			return run, fmt.Errorf("%s: %w", c[0], err)
		}
		m := base
		m.Note = "Einrichtungen am " + d.Period + ", jede einmal gezählt im feinsten Gebiet mit Geometrie, das sie enthält; darüber summiert"
		if c[1] == "capacity" && run.WithoutCapacity > 0 {
			m.Note += "; " + strconv.Itoa(run.WithoutCapacity) + " ohne Angabe der Kapazität nicht mitgezählt"
		}
		metas[c[0]] = m
	}

	var demandPeriod time.Time
	if d.Demand != nil {
		err := tx.QueryRow(ctx, sqlSupplyDemandPeriod, d.Demand.Indicators, day).Scan(&demandPeriod)
		if errors.Is(err, pgx.ErrNoRows) {
			return run, fmt.Errorf("no period at or before %s has all of %v", d.Period, d.Demand.Indicators)
		}
		if err != nil {
			return run, fmt.Errorf("demand period: %w", err)
		}
		run.DemandPeriod = demandPeriod.Format(time.DateOnly)
		if _, err := tx.Exec(ctx, sqlSupplyDemand, d.Demand.Key, day, demandPeriod, d.Demand.Indicators, run.Batch, d.Type); err != nil {
			return run, fmt.Errorf("demand %s: %w", d.Demand.Key, err)
		}
		base.Demand, base.DemandPeriod = d.Demand.Indicators, run.DemandPeriod
		m := base
		m.Note = "Bevölkerung vom " + germanDate(demandPeriod) + " (letzter Stand am oder vor " +
			germanDate(day) + "), auf den Stichtag der Einrichtungen übertragen"
		metas[d.Demand.Key] = m
		if d.Ratio != "" {
			m.Note = "Kapazität am " + germanDate(day) + " je " + germanFloat(scale) +
				" der Bevölkerung vom " + germanDate(demandPeriod)
			m.Scale = scale
			metas[d.Ratio] = m
		}
	}
	// The counts and the demand are published first: the gap and the
	// catchment measure need the demand summed to their areas.
	if err := s.publishSupply(ctx, tx, run.Batch, keys); err != nil {
		return run, err
	}

	if t := d.Target; t != nil {
		if err := writeSupplyGap(ctx, tx, d, scale, run.Batch, &run); err != nil {
			return run, err
		}
		m := base
		m.Target, m.Scale = t, scale
		m.Note = "Plätze, die fehlen, um den Richtwert " + germanFloat(t.Value) +
			" zu erreichen: max(0, ⌈Richtwert × Bevölkerung ÷ " + germanFloat(scale) +
			"⌉ − Plätze) je Gebiet der Einrichtungen, darüber summiert (Überschüsse gleichen Lücken nicht aus)"
		metas[t.Gap] = m
	}
	if c := d.Catchment; c != nil {
		cm, err := writeSupplyCatchment(ctx, tx, d, run.Batch, &run)
		if err != nil {
			return run, err
		}
		cm.DemandIndicator, cm.DemandPeriod = d.Demand.Key, run.DemandPeriod
		cm.SupplyType, cm.SupplyPeriod = d.Type, d.Period
		m := base
		m.Catchment, m.Scale, m.SRID = &cm, c.Scale, c.srid()
		m.Note = "Kapazität je " + germanFloat(c.Scale) +
			" der Nachfrage in Reichweite (2SFCA), Nachfragepunkte: Labelpunkte der Ebene " + c.Level
		metas[c.Key] = m
		if d.Nearest != "" {
			m.Catchment = nil
			m.Note = "Luftlinie in Metern vom Labelpunkt zur nächsten Einrichtung mit Kapazität, Ebene " + c.Level
			metas[d.Nearest] = m
		}
	}
	if d.Target != nil || d.Catchment != nil {
		if err := s.publishSupply(ctx, tx, run.Batch, keys); err != nil {
			return run, err
		}
	}
	for k, m := range metas {
		doc, err := json.Marshal(m)
		if err != nil {
			return run, fmt.Errorf("metadata of %s: %w", k, err)
		}
		if _, err := tx.Exec(ctx, sqlInsertSupplyResult, k, day, run.Batch, doc); err != nil {
			return run, fmt.Errorf("metadata of %s: %w", k, err)
		}
	}
	report, err := json.Marshal(run)
	if err != nil {
		return run, fmt.Errorf("report: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlFinishSupplyBatch, run.Batch, report); err != nil {
		return run, fmt.Errorf("report: %w", err)
	}
	return run, nil
}

// publishSupply republishes the keys in every period, so that results of
// a replaced batch on another day disappear too.
func (s *Store) publishSupply(ctx context.Context, tx pgx.Tx, batch int64, keys []string) error {
	if _, err := tx.Exec(ctx, sqlSupplyExtent, batch); err != nil {
		return fmt.Errorf("record the batch's extent: %w", err)
	}
	if err := s.PublishScope(ctx, tx, PublishScope{Indicators: keys}); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}

// SupplyGap is the number of places missing in an area to reach target
// (in units per scale of the demand): whole places, rounded up, since
// 0.3 of a place cannot be built; never negative.
func SupplyGap(target, demand, scale, capacity float64) float64 {
	// The tolerance keeps a need that is whole but for rounding error
	// (83.3333 × 300 / 100) from asking for one place more.
	need := math.Ceil(target*demand/scale - 1e-9)
	return max(0, need-capacity)
}

// writeSupplyGap writes the gap of every area the facilities are counted
// in; where the demand is withheld or absent the gap has no value.
func writeSupplyGap(ctx context.Context, tx pgx.Tx, d *SupplyDefinition, scale float64, batch int64, run *SupplyRun) error {
	rows, err := tx.Query(ctx, sqlSupplyGapInput, d.Capacity, d.Demand.Key, d.Day(), batch)
	if err != nil {
		return fmt.Errorf("gap: %w", err)
	}
	var out [][]any
	var area int64
	var capacity float64
	var demand *float64
	if _, err := pgx.ForEachRow(rows, []any{&area, &capacity, &demand}, func() error {
		if demand == nil {
			out = append(out, []any{d.Target.Gap, area, d.Day(), nil, "missing", batch})
			return nil
		}
		g := SupplyGap(d.Target.Value, *demand, scale, capacity)
		if g > 0 {
			run.GapAreas++
			run.GapPlaces += g
		}
		out = append(out, []any{d.Target.Gap, area, d.Day(), g, string(Derived), batch})
		return nil
	}); err != nil {
		return fmt.Errorf("gap: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"observation"},
		[]string{"indicator", "area_id", "period", "value", "status", "batch_id"}, pgx.CopyFromRows(out)); err != nil {
		return fmt.Errorf("gap: %w", err)
	}
	return nil
}

func (c *SupplyCatchment) srid() int {
	if c.SRID == 0 {
		return defaultSupplySRID
	}
	return c.SRID
}

// SupplyInput reads the demand points of the catchment's level and the
// facilities of d as the published cells and the facility register hold
// them; what writeSupplyCatchment computes from.
func SupplyInput(ctx context.Context, q pgx.Tx, d *SupplyDefinition) ([]supply.Facility, []supply.Demand, error) {
	c := d.Catchment
	rows, err := q.Query(ctx, sqlSupplyDemandPoints, c.Level, d.Demand.Key, d.Day(), c.srid())
	if err != nil {
		return nil, nil, fmt.Errorf("demand points: %w", err)
	}
	var demand []supply.Demand
	var id int64
	var x, y float64
	var pop *float64
	if _, err := pgx.ForEachRow(rows, []any{&id, &x, &y, &pop}, func() error {
		if pop != nil {
			demand = append(demand, supply.Demand{AreaID: strconv.FormatInt(id, 10), X: x, Y: y, Population: *pop})
		}
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("demand points: %w", err)
	}
	rows, err = q.Query(ctx, sqlSupplyFacilityPoints, d.Type, d.Day(), c.srid())
	if err != nil {
		return nil, nil, fmt.Errorf("facility points: %w", err)
	}
	var facilities []supply.Facility
	var capacity float64
	if _, err := pgx.ForEachRow(rows, []any{&id, &x, &y, &capacity}, func() error {
		facilities = append(facilities, supply.Facility{ID: strconv.FormatInt(id, 10), X: x, Y: y, Capacity: capacity})
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("facility points: %w", err)
	}
	return facilities, demand, nil
}

// writeSupplyCatchment computes the 2SFCA measure (and the nearest
// distance) at the catchment level and writes them as value observations.
func writeSupplyCatchment(ctx context.Context, tx pgx.Tx, d *SupplyDefinition, batch int64, run *SupplyRun) (supply.Meta, error) {
	c := d.Catchment
	params := supply.Params{Radius: c.RadiusM, Decay: c.Decay}
	facilities, demand, err := SupplyInput(ctx, tx, d)
	if err != nil {
		return supply.Meta{}, err
	}
	if len(demand) == 0 || len(facilities) == 0 {
		return supply.Meta{}, fmt.Errorf("catchment: %d demand points at level %s, %d facilities with capacity",
			len(demand), c.Level, len(facilities))
	}
	res, err := supply.TwoStep(ctx, facilities, demand, params)
	if err != nil {
		return supply.Meta{}, fmt.Errorf("catchment: %w", err)
	}
	run.Unserved, run.Unreached = len(res.Unserved), len(res.Unreached)
	var out [][]any
	for _, a := range res.Areas {
		id, _ := strconv.ParseInt(a.AreaID, 10, 64) // written by SupplyInput
		out = append(out, []any{c.Key, id, d.Day(), a.Access * c.Scale, string(Derived), batch})
	}
	if d.Nearest != "" {
		near, err := supply.Nearest(ctx, facilities, demand)
		if err != nil {
			return supply.Meta{}, fmt.Errorf("nearest: %w", err)
		}
		for _, n := range near {
			id, _ := strconv.ParseInt(n.AreaID, 10, 64)
			out = append(out, []any{d.Nearest, id, d.Day(), n.Distance, string(Derived), batch})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"observation"},
		[]string{"indicator", "area_id", "period", "value", "status", "batch_id"}, pgx.CopyFromRows(out)); err != nil {
		return supply.Meta{}, fmt.Errorf("catchment: %w", err)
	}
	return params.Meta(), nil
}

// germanFloat writes a figure of a definition the German way (11,4;
// 1.000).
func germanFloat(v float64) string { return germanNumber(strconv.FormatFloat(v, 'f', -1, 64)) }

// germanDate writes a day as German tables do (31.12.2022).
func germanDate(t time.Time) string { return t.Format("02.01.2006") }
