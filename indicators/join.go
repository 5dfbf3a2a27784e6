package indicators

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo/cql2"
	"github.com/sozialatlas/sozialatlas/geo/oapif"
)

// Join returns the property source that joins published indicator values
// to the features of OGC API Features: items?indicators=a,b&period=… adds
// to every feature the properties a, a_status and a_suppressed (and the
// same for b), null where the area has no cell. Give it to
// oapif.Config.Properties.
func (s *Store) Join() oapif.QueryableSource { return &join{store: s} }

type join struct{ store *Store }

// Parameters of the join.
func (j *join) Parameters() []oapif.Parameter {
	return []oapif.Parameter{
		{Name: "indicators", Description: "Indicator keys, comma-separated (see /indicators): every feature gets " +
			"the properties KEY (the published value, null where there is none or it is withheld), " +
			"KEY_status (measured, derived, estimated, provisional, missing, suppressed) and " +
			"KEY_suppressed (why a value is withheld: primary, secondary, source).",
			Schema: map[string]any{"type": "array", "items": map[string]any{"type": "string"}}},
		{Name: "period", Description: "Reference date of the indicator values (e.g. 2022-12-31); " +
			"default: each indicator's latest period with values at the collection's level.",
			Schema: map[string]any{"type": "string", "format": "date"}},
		{Name: "period2", Description: "Earlier reference date that the derived properties KEY_change " +
			"(value in period minus value in period2) compare with.",
			Schema: map[string]any{"type": "string", "format": "date"}},
	}
}

// sqlJoinPeriods takes, per indicator, the period asked for or the latest
// with cells at area versions of the level matching the features' period.
const sqlJoinPeriods = `
SELECT k.key, (
	SELECT x.period FROM cell_extent x
	CROSS JOIN LATERAL (
		SELECT FROM published_cell c JOIN area a ON a.id = c.area_id
		WHERE c.indicator = x.indicator AND c.period = x.period AND a.level = @level
			AND ` + sqlJoinVersions + `
		LIMIT 1) hit
	WHERE x.indicator = k.key AND x.level = @level
		AND (@period::date IS NULL OR x.period = @period::date)
	ORDER BY x.period DESC
	LIMIT 1)
FROM unnest(@keys::text[]) AS k(key)`

// sqlJoinVersions matches the area versions a of the features: valid on
// some day from @from to @to (open when NULL), or today; the same rule as
// geo's items.
const sqlJoinVersions = `daterange(a.valid_from, a.valid_to, '[]') && daterange(
	CASE WHEN @today::boolean THEN current_date ELSE @from::date END,
	CASE WHEN @today::boolean THEN current_date ELSE @to::date END, '[]')
	AND (@id::bigint = 0 OR a.id = @id::bigint)`

// sqlJoinCells reads the published cells of those versions.
const sqlJoinCells = `
SELECT pc.area_id, pc.indicator, pc.value, pc.decimals, pc.status, pc.suppressed
FROM area a
JOIN ` + sqlPublished + ` pc ON pc.area_id = a.id
JOIN unnest(@keys::text[], @periods::date[]) AS k(key, period) ON pc.indicator = k.key AND pc.period = k.period
WHERE a.level = @level AND ` + sqlJoinVersions

// versionArgs are the arguments of sqlJoinVersions for req.
func versionArgs(req oapif.PropertyRequest) pgx.NamedArgs {
	return pgx.NamedArgs{"level": req.Level, "id": req.AreaID,
		"today": !req.Period.Explicit, "from": req.Period.From, "to": req.Period.To}
}

// joinPeriod reads the period parameter, nil without one.
func joinPeriod(req oapif.PropertyRequest) (*time.Time, error) {
	v := req.Query.Get("period")
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, joinBad("period", "%q is not a date (2022-12-31)", v)
	}
	return &t, nil
}

// periods finds each key's period (sqlJoinPeriods): the one asked for or
// the latest with values at the request's area versions; nil for none.
func (j *join) periods(ctx context.Context, req oapif.PropertyRequest, keys []string, period *time.Time) (map[string]*time.Time, error) {
	args := versionArgs(req)
	args["keys"], args["period"] = keys, period
	rows, err := j.store.pool.Query(ctx, sqlJoinPeriods, pgx.QueryExecModeExec, args)
	if err != nil {
		return nil, fmt.Errorf("periods: %w", err)
	}
	var key string
	var p *time.Time
	periods := map[string]*time.Time{}
	if _, err := pgx.ForEachRow(rows, []any{&key, &p}, func() error { periods[key] = p; return nil }); err != nil {
		return nil, fmt.Errorf("periods: %w", err)
	}
	return periods, nil
}

func joinBad(param, format string, args ...any) error {
	return &oapif.ParameterError{Param: param, Reason: fmt.Sprintf(format, args...)}
}

// Properties reads indicators and period and loads the cells of every area
// version of the response at once, before the features stream.
func (j *join) Properties(ctx context.Context, req oapif.PropertyRequest) (oapif.Properties, error) {
	list := req.Query.Get("indicators")
	period, err := joinPeriod(req)
	if err != nil {
		return nil, err
	}
	if list == "" {
		// a filter on indicators reads period too (FilterColumns)
		if period != nil && req.Query.Get("filter") == "" && req.Query.Get("sortby") == "" {
			return nil, joinBad("period", "only with indicators, filter or sortby: name the indicators to join")
		}
		return nil, nil
	}
	catalogue, err := j.store.Indicators(ctx)
	if err != nil {
		return nil, fmt.Errorf("join indicators: %w", err)
	}
	props := &joinProperties{cells: map[int64][]joinCell{}}
	var derivedNames []string
	for _, key := range strings.Split(list, ",") {
		key = strings.TrimSpace(key)
		i, kind := derivedOf(catalogue, key)
		if i < 0 {
			return nil, joinBad("indicators", "%q is not an indicator or a derived property (KEY_change, KEY_parent_diff, KEY_parent_ratio, KEY_lisa); /indicators lists them", key)
		}
		if slices.Contains(props.keys, key) || slices.Contains(derivedNames, key) {
			return nil, joinBad("indicators", "%q is named twice", key)
		}
		if kind != "" {
			if slices.Contains(req.Reserved, key) {
				return nil, joinBad("indicators", "%q would add the property %q, which the features have already", key, key)
			}
			derivedNames = append(derivedNames, key)
			continue
		}
		for _, name := range []string{key, key + "_status", key + "_suppressed"} {
			if slices.Contains(req.Reserved, name) || slices.Contains(props.names, name) {
				return nil, joinBad("indicators", "%q would add the property %q, which the features have already", key, name)
			}
			props.names = append(props.names, name)
		}
		props.keys = append(props.keys, key)
	}
	for _, name := range derivedNames {
		if slices.Contains(props.names, name) {
			return nil, joinBad("indicators", "%q is named twice", name)
		}
	}
	props.names = append(props.names, derivedNames...)
	if len(derivedNames) > 0 {
		props.derived = derivedNames
		if props.derivedValues, err = j.derivedValues(ctx, req, derivedNames); err != nil {
			return nil, err
		}
	}

	periods, err := j.periods(ctx, req, props.keys, period)
	if err != nil {
		return nil, fmt.Errorf("join indicators: %w", err)
	}
	var keys []string
	var dates []time.Time
	for _, k := range props.keys {
		if periods[k] != nil {
			keys, dates = append(keys, k), append(dates, *periods[k])
		}
	}
	if len(keys) == 0 {
		return props, nil
	}
	args := versionArgs(req)
	args["keys"], args["periods"] = keys, dates
	rows, err := j.store.pool.Query(ctx, sqlJoinCells, pgx.QueryExecModeExec, args)
	if err != nil {
		return nil, fmt.Errorf("join indicators: %w", err)
	}
	var id int64
	var key string
	var c joinCell
	var value *float64
	var decimals int
	_, err = pgx.ForEachRow(rows, []any{&id, &key, &value, &decimals, &c.status, &c.suppressed}, func() error {
		c.value = published(value, decimals)
		cs := props.cells[id]
		if cs == nil {
			cs = make([]joinCell, len(props.keys))
			props.cells[id] = cs
		}
		cs[slices.Index(props.keys, key)] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("join indicators: %w", err)
	}
	return props, nil
}

// joinCell is a published cell as the join writes it; a zero joinCell is
// an area without a cell.
type joinCell struct {
	value, suppressed *string
	status            string
}

// joinProperties holds the cells of one response by area version.
type joinProperties struct {
	keys  []string
	names []string
	cells map[int64][]joinCell
	// derived properties, after the indicators' (join_derived.go)
	derived       []string
	derivedValues map[int64][]*string
}

func (p *joinProperties) Names() []string { return p.names }

// AppendJSON writes KEY, KEY_status and KEY_suppressed of every indicator.
// Values are published numbers with the indicator's decimals, so an
// indicator is an integer or a real in every feature alike.
func (p *joinProperties) AppendJSON(dst []byte, id int64) []byte {
	cs := p.cells[id]
	for i, key := range p.keys {
		var c joinCell
		if cs != nil {
			c = cs[i]
		}
		dst = append(dst, ',')
		dst = appendJSONString(dst, key)
		dst = append(dst, ':')
		dst = appendJSONNumber(dst, c.value)
		dst = append(dst, ',')
		dst = appendJSONString(dst, key+"_status")
		dst = append(dst, ':')
		if c.status == "" {
			dst = append(dst, "null"...)
		} else {
			dst = appendJSONString(dst, c.status)
		}
		dst = append(dst, ',')
		dst = appendJSONString(dst, key+"_suppressed")
		dst = append(dst, ':')
		dst = appendJSONOptString(dst, c.suppressed)
	}
	dv := p.derivedValues[id]
	for i, name := range p.derived {
		dst = append(dst, ',')
		dst = appendJSONString(dst, name)
		dst = append(dst, ':')
		var v *string
		if dv != nil {
			v = dv[i]
		}
		if strings.HasSuffix(name, "_"+derivedLISA) {
			dst = appendJSONOptString(dst, v)
		} else {
			dst = appendJSONNumber(dst, v)
		}
	}
	return dst
}

// AppendCells writes the same properties as cells of a German CSV table.
func (p *joinProperties) AppendCells(dst []string, id int64) []string {
	cs := p.cells[id]
	for i := range p.keys {
		var c joinCell
		if cs != nil {
			c = cs[i]
		}
		dst = append(dst, germanDecimal(c.value), c.status, deref(c.suppressed))
	}
	dv := p.derivedValues[id]
	for i, name := range p.derived {
		var v *string
		if dv != nil {
			v = dv[i]
		}
		if strings.HasSuffix(name, "_"+derivedLISA) {
			dst = append(dst, deref(v))
		} else {
			dst = append(dst, germanDecimal(v))
		}
	}
	return dst
}

// germanDecimal writes a published number with a decimal comma, "" for
// none.
func germanDecimal(s *string) string {
	if s == nil {
		return ""
	}
	return strings.Replace(*s, ".", ",", 1)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// sqlQueryables are the indicators with values at a level, for filters.
const sqlQueryables = `
SELECT i.key, i.title, coalesce(i.unit, ''), coalesce(i.description, '')
FROM indicator i
WHERE EXISTS (SELECT FROM cell_extent x WHERE x.indicator = i.key AND x.level = $1)
ORDER BY i.position, i.key`

// Queryables lists the indicators with values at level: a filter on
// /items may compare them (oapif.QueryableSource).
func (j *join) Queryables(ctx context.Context, level string) ([]oapif.Queryable, error) {
	rows, err := j.store.pool.Query(ctx, sqlQueryables, level)
	if err != nil {
		return nil, fmt.Errorf("queryables of %s: %w", level, err)
	}
	var list, derived []oapif.Queryable
	var q oapif.Queryable
	var unit, description string
	var keys []string
	units := map[string]string{}
	_, err = pgx.ForEachRow(rows, []any{&q.Name, &q.Title, &unit, &description}, func() error {
		q.Type = cql2.TypeNumber
		q.Description = description
		keys, units[q.Name] = append(keys, q.Name), unit
		if unit != "" {
			q.Title += " (" + unit + ")"
		}
		list = append(list, q)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queryables of %s: %w", level, err)
	}
	catalogue, err := j.store.Indicators(ctx)
	if err != nil {
		return nil, fmt.Errorf("queryables of %s: %w", level, err)
	}
	for _, key := range keys {
		if i, kind := derivedOf(catalogue, key); i >= 0 && kind == "" {
			derived = append(derived, derivedQueryables(catalogue[i], units[key])...)
		}
	}
	// An indicator whose key is a derived name of another is the indicator.
	for _, d := range derived {
		if !slices.Contains(keys, d.Name) {
			list = append(list, d)
		}
	}
	return list, nil
}

// sqlFilterJoin makes one indicator's published value, as every output
// shows it (withheld: NULL; rounded to its decimals), a column v of alias
// %[1]s for the filter's area versions a. Arguments are numbered by %[1]s
// too, so several indicators join side by side.
const sqlFilterJoin = `
LEFT JOIN (SELECT c.area_id, round((` + sqlShownValue + `)::numeric, @%[1]s_d::integer) AS v
	FROM published_cell c WHERE c.indicator = @%[1]s_k AND c.period = @%[1]s_p::date) %[1]s ON %[1]s.area_id = a.id`

// FilterColumns joins the named indicators' values in the period the
// request asks for (period), or each one's latest at the level, as the
// features show them with indicators=; and the derived properties
// (join_derived.go) of the indicators.
func (j *join) FilterColumns(ctx context.Context, req oapif.PropertyRequest, names []string) (oapif.FilterColumns, error) {
	cols := oapif.FilterColumns{Exprs: map[string]string{}, Args: map[string]any{}}
	period, err := joinPeriod(req)
	if err != nil {
		return cols, err
	}
	period2, err := joinPeriod2(req)
	if err != nil {
		return cols, err
	}
	catalogue, err := j.store.Indicators(ctx)
	if err != nil {
		return cols, fmt.Errorf("filter: %w", err)
	}
	var bases []string
	for _, name := range names {
		if i, _ := derivedOf(catalogue, name); i >= 0 && !slices.Contains(bases, catalogue[i].Key) {
			bases = append(bases, catalogue[i].Key)
		}
	}
	periods, err := j.periods(ctx, req, bases, period)
	if err != nil {
		return cols, fmt.Errorf("filter: %w", err)
	}
	var joins strings.Builder
	for n, name := range names {
		i, kind := derivedOf(catalogue, name)
		if i < 0 {
			continue
		}
		if kind == derivedChange && period2 == nil {
			return cols, joinBad("period2", "%s compares period with period2: give period2 (e.g. 2018-12-31)", name)
		}
		if kind == derivedLISA {
			alias := fmt.Sprintf("q_%d", n+1)
			if err := j.lisaColumn(ctx, &joins, cols, alias, req, catalogue[i], periods[catalogue[i].Key]); err != nil {
				return cols, err
			}
			cols.Exprs[name] = alias + ".v"
			continue
		}
		cols.Exprs[name] = derivedColumn(&joins, cols, fmt.Sprintf("q_%d", n+1), catalogue[i], kind,
			periods[catalogue[i].Key], period2)
	}
	cols.Joins = joins.String()
	return cols, nil
}
