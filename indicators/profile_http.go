package indicators

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// sqlProfilePeriods lists the periods with cells at an area version.
const sqlProfilePeriods = `
SELECT p.period
FROM (SELECT DISTINCT period FROM cell_extent WHERE level = (SELECT level FROM area WHERE id = @id)) p
CROSS JOIN LATERAL (
	SELECT FROM cell_extent x JOIN published_cell c
		ON c.indicator = x.indicator AND c.period = x.period AND c.area_id = @id
	WHERE x.level = (SELECT level FROM area WHERE id = @id) AND x.period = p.period
	LIMIT 1) hit
ORDER BY p.period`

// sqlProfileOwn reads the area's published cells in the period, each with
// the latest earlier one of the same indicator at the same version (so a
// change is taken on the same boundaries), or the one of period @since
// when given, and the difference of the two as published (NULL when
// either is withheld or missing).
const sqlProfileOwn = `
SELECT pc.indicator, pc.shown::text, pc.status, pc.suppressed, pc.incomplete,
	prev.period, prev.shown::text, prev.status, prev.suppressed, prev.incomplete,
	(pc.shown - prev.shown)::text
FROM cell_extent x
JOIN ` + sqlPublished + ` pc ON pc.indicator = x.indicator AND pc.period = x.period AND pc.area_id = @id
LEFT JOIN LATERAL (
	SELECT pp.period, pp.shown, pp.status, pp.suppressed, pp.incomplete
	FROM cell_extent y
	JOIN ` + sqlPublished + ` pp ON pp.indicator = y.indicator AND pp.period = y.period AND pp.area_id = @id
	WHERE y.indicator = x.indicator AND y.level = x.level AND y.period < x.period
		AND (@since::date IS NULL OR y.period = @since::date)
	ORDER BY y.period DESC
	LIMIT 1) prev ON true
WHERE x.level = (SELECT level FROM area WHERE id = @id) AND x.period = @period`

// sqlProfileOthers reads the published cells of the areas compared with.
// The areas are a condition on the cells rather than a join: PostgreSQL
// pushes a condition into both branches of published_cell, but a join
// only into its first, and would build the whole second branch (the
// observations without cells) once per area.
const sqlProfileOthers = `
SELECT pc.area_id, pc.indicator, pc.shown::text, pc.status, pc.suppressed, pc.incomplete
FROM ` + sqlPublished + ` pc
JOIN area a ON a.id = pc.area_id
JOIN cell_extent x ON x.level = a.level AND x.period = pc.period AND x.indicator = pc.indicator
WHERE pc.area_id = ANY(@ids) AND pc.period = @period`

// sqlProfileRanks ranks the published values of the area's siblings (same
// level, same parent, valid on the day; areas without a parent rank among
// the parentless of their level) per indicator, highest first; ties share
// a rank. Withheld and missing values take no rank. It returns the area's
// rank (NULL when it has none), the number of ranked siblings and the
// area's percentile: the share of the other ranked siblings with a lower
// value, 100 × (rank from the lowest − 1) / (ranked − 1), rounded to one
// decimal. That is PostgreSQL's percent_rank() over ascending values
// (ties share the lowest rank), taken in numeric so the rounding is exact;
// NULL when the area has no rank or is ranked alone. The siblings are a
// condition on the cells, not a join, for the reason sqlProfileOthers
// gives (a join took 1 s for the 22 Kreise of a Land, the condition 3 ms).
const sqlProfileRanks = `
WITH me AS (SELECT level, parent_level, parent_code FROM area WHERE id = @id),
sib AS (
	SELECT a.id FROM area a, me
	WHERE a.level = me.level
		AND a.parent_level IS NOT DISTINCT FROM me.parent_level
		AND a.parent_code IS NOT DISTINCT FROM me.parent_code
		AND ` + sqlValidOn + `),
ranked AS (
	SELECT pc.indicator, pc.area_id,
		rank() OVER (PARTITION BY pc.indicator ORDER BY pc.shown DESC) AS rank,
		rank() OVER (PARTITION BY pc.indicator ORDER BY pc.shown) AS rank_low
	FROM me
	JOIN cell_extent x ON x.level = me.level AND x.period = @period
	JOIN ` + sqlPublished + ` pc ON pc.indicator = x.indicator AND pc.period = x.period
	WHERE pc.shown IS NOT NULL AND pc.area_id = ANY (ARRAY(SELECT id FROM sib)))
SELECT indicator, max(rank) FILTER (WHERE area_id = @id), count(*),
	round(100.0 * (max(rank_low) FILTER (WHERE area_id = @id) - 1) / nullif(count(*) - 1, 0), 1)::text
FROM ranked
GROUP BY indicator`

// sqlProfileTrends fits, per indicator, the ordinary least-squares line
// through the area's published values in the periods from @trend_from to
// @trend_to (both included) at the same area version, against the time
// since @trend_from in years of 365.25 days. Withheld and missing values
// take no part. PostgreSQL's regr_slope, regr_intercept and regr_r2 are
// the exact least-squares estimates (regr_r2 is 1 when all values are
// equal). Slope and intercept are rounded to the indicator's decimals plus
// two, r² to four decimals. Indicators with fewer than two values have no
// trend.
const sqlProfileTrends = `
WITH pts AS (
	SELECT pc.indicator, pc.decimals, pc.shown::float8 AS y,
		((pc.period - @trend_from::date) / 365.25)::float8 AS x
	FROM cell_extent x
	JOIN ` + sqlPublished + ` pc ON pc.indicator = x.indicator AND pc.period = x.period AND pc.area_id = @id
	WHERE x.level = (SELECT level FROM area WHERE id = @id)
		AND x.period BETWEEN @trend_from::date AND @trend_to::date
		AND pc.suppressed IS NULL AND pc.shown IS NOT NULL)
SELECT indicator, count(*),
	round(regr_slope(y, x)::numeric, decimals + 2)::text,
	round(regr_intercept(y, x)::numeric, decimals + 2)::text,
	round(regr_r2(y, x)::numeric, 4)::text
FROM pts
GROUP BY indicator, decimals
HAVING count(*) >= 2`

// sqlProfileSeries reads every published cell of the area version, each
// indicator's periods oldest first: the series the profile draws, for the
// indicators of the period shown and for those with values in other
// periods only (an index computed for an earlier period).
const sqlProfileSeries = `
SELECT pc.indicator, pc.period, pc.shown::text, pc.status, pc.suppressed, pc.incomplete
FROM cell_extent x
JOIN ` + sqlPublished + ` pc ON pc.indicator = x.indicator AND pc.period = x.period AND pc.area_id = @id
WHERE x.level = (SELECT level FROM area WHERE id = @id)
ORDER BY pc.indicator, pc.period`

// profileCell is a published cell in a profile.
type profileCell struct {
	Value      *number `json:"value"`
	Status     string  `json:"status"`
	Suppressed *string `json:"suppressed"`
	Incomplete bool    `json:"incomplete"`
}

// profilePrevious is the cell of the period before.
type profilePrevious struct {
	Period string `json:"period"`
	profileCell
}

// profileEntry is one indicator of a profile.
type profileEntry struct {
	Key      string   `json:"key"`
	Title    string   `json:"title"`
	Unit     string   `json:"unit"`
	Category string   `json:"category"`
	Polarity Polarity `json:"polarity"`
	Kind     Kind     `json:"kind"`
	Decimals int      `json:"decimals"`
	profileCell
	// Label names the value of a class indicator (an index's class).
	Label *string `json:"label,omitempty"`
	// Comparison holds the cells of the parent, Kreis, Land and Germany,
	// and of the reference area when one is asked for, null where the area
	// has no such ancestor or it no cell.
	Comparison map[string]*profileCell `json:"comparison"`
	// Rank among the siblings, 1 the highest value; null when the area's
	// value is withheld or missing. Ranked counts the siblings with a
	// published value, the area included.
	Rank   *int64 `json:"rank"`
	Ranked int64  `json:"ranked"`
	// Percentile is the percent rank among the ranked siblings: the share
	// of the others with a lower published value, 100 × (number lower) /
	// (ranked − 1), one decimal (PostgreSQL's percent_rank over ascending
	// values; ties share). Null without a rank or when ranked alone.
	Percentile *number `json:"percentile"`
	// Previous is the latest earlier period's cell, or that of the period
	// asked for by since; Change is this value minus that one, in
	// ChangeUnit (percentage points for percentages), null when either is
	// withheld or missing.
	Previous   *profilePrevious `json:"previous"`
	Change     *number          `json:"change"`
	ChangeUnit string           `json:"change_unit"`
	// Trend is present when asked for by trend=FROM/TO.
	Trend profileTrendField `json:"trend,omitzero"`
}

// profileTrend is the least-squares line through the published values of
// the periods from From to To: value ≈ Intercept + SlopePerYear × years
// since From (years of 365.25 days), in the indicator's unit per year; R2
// its coefficient of determination.
type profileTrend struct {
	From         string  `json:"from"`
	To           string  `json:"to"`
	Periods      int64   `json:"periods"`
	SlopePerYear *number `json:"slope_per_year"`
	Intercept    *number `json:"intercept"`
	R2           *number `json:"r2"`
}

// profileTrendField is absent unless a trend is asked for, then the trend
// or null where fewer than two periods have a published value.
type profileTrendField struct {
	asked bool
	trend *profileTrend
}

func (f profileTrendField) IsZero() bool { return !f.asked }

func (f profileTrendField) MarshalJSON() ([]byte, error) {
	if f.trend == nil {
		return []byte("null"), nil
	}
	return json.Marshal(f.trend)
}

// profileSeriesPoint is one period of an indicator's series in a profile;
// Label names a class indicator's value.
type profileSeriesPoint struct {
	Period string `json:"period"`
	profileCell
	Label *string `json:"label,omitempty"`
}

// profileArea is an area a profile is of or compares with.
type profileArea struct {
	Level     string  `json:"level"`
	Code      string  `json:"code"`
	Name      string  `json:"name"`
	ValidFrom *string `json:"valid_from,omitempty"`
	ValidTo   *string `json:"valid_to,omitempty"`
}

// comparisonLevels are the ancestors a profile compares with, besides the
// parent.
var comparisonLevels = []string{"kreis", "land", "staat"}

// profileQuery is what a profile is asked for besides its area.
type profileQuery struct {
	period, day *time.Time
	// since is the period a change is taken from; nil for the one before.
	since *time.Time
	// refLevel and refCode name the reference area; empty for none.
	refLevel, refCode string
	// trendFrom and trendTo bound the trend's periods; nil for no trend.
	trendFrom, trendTo *time.Time
	// series asks for every indicator's values in all periods.
	series bool
}

// parseProfileQuery reads and checks the profile's query parameters.
func parseProfileQuery(q url.Values) (profileQuery, error) {
	var pq profileQuery
	var err error
	pq.period, pq.day, err = outPeriodDay(q, "datetime", "f", "period", "reference", "series", "since", "trend")
	if err != nil {
		return pq, err
	}
	if pq.since, err = outDate(q, "since"); err != nil {
		return pq, err
	}
	if err := checkSince(pq.since, pq.period); err != nil {
		return pq, err
	}
	if v := q.Get("reference"); v != "" {
		lv, code, ok := strings.Cut(v, ":")
		if !ok || lv == "" || code == "" || strings.Contains(code, ":") {
			return pq, badOutParam("reference", "%q is not LEVEL:CODE (kreis:16063)", v)
		}
		pq.refLevel, pq.refCode = lv, code
	}
	if v := q.Get("trend"); v != "" {
		a, b, ok := strings.Cut(v, "/")
		from, errA := time.Parse(time.DateOnly, a)
		to, errB := time.Parse(time.DateOnly, b)
		if !ok || errA != nil || errB != nil {
			return pq, badOutParam("trend", "%q is not two dates FROM/TO (2010-12-31/2022-12-31)", v)
		}
		if !from.Before(to) {
			return pq, badOutParam("trend", "%s is not before %s", a, b)
		}
		pq.trendFrom, pq.trendTo = &from, &to
	}
	switch v := q.Get("series"); v {
	case "", "false":
	case "true":
		pq.series = true
	default:
		return pq, badOutParam("series", "%q is neither true nor false", v)
	}
	return pq, nil
}

// checkSince rejects a since that is not before the period.
func checkSince(since, period *time.Time) error {
	if since != nil && period != nil && !since.Before(*period) {
		return badOutParam("since", "%s is not before the period %s", dayText(since), dayText(period))
	}
	return nil
}

// profile answers /areas/{level}/{code}/profile: every indicator of one
// area version in one period, compared with its parent, its Kreis, its
// Land, Germany and a chosen reference area, ranked among its siblings,
// with its change since the period before or a chosen one and its trend
// over a chosen range of periods.
func (o *outputs) profile(w http.ResponseWriter, r *http.Request) {
	pq, err := parseProfileQuery(r.URL.Query())
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	period, day := pq.period, pq.day
	mt := outFormat(w, r, outMediaJSON, outMediaCSV, outMediaXLSX)
	if mt == "" {
		return
	}
	ctx := r.Context()
	levelName, code := chi.URLParam(r, "level"), chi.URLParam(r, "code")
	l, err := o.store.areas.Level(ctx, levelName)
	if errors.Is(err, geo.ErrNotFound) {
		web.NotFound(w, r, fmt.Sprintf("There is no level %q; /collections lists them.", levelName))
		return
	}
	if err != nil {
		o.fail(w, r, err)
		return
	}
	area := profileArea{Level: l.Name, Code: code}
	var id int64
	var from, to *time.Time
	var boundaries time.Time
	args := pgx.NamedArgs{"level": l.Name, "code": code, "day": day}
	err = o.store.pool.QueryRow(ctx, sqlSeriesArea, args).Scan(&id, &area.Name, &from, &to, &boundaries)
	if errors.Is(err, pgx.ErrNoRows) {
		web.NotFound(w, r, fmt.Sprintf("Level %q has no area %q valid on %s.", l.Name, code, outToday(day).Format(time.DateOnly)))
		return
	}
	if err != nil {
		o.fail(w, r, fmt.Errorf("profile of %s/%s: %w", l.Name, code, err))
		return
	}
	area.ValidFrom, area.ValidTo = optDay(from), optDay(to)
	args["id"] = id

	rows, err := o.store.pool.Query(ctx, sqlProfilePeriods, args)
	if err != nil {
		o.fail(w, r, fmt.Errorf("profile of %s/%s: periods: %w", l.Name, code, err))
		return
	}
	dates, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		o.fail(w, r, fmt.Errorf("profile of %s/%s: periods: %w", l.Name, code, err))
		return
	}
	periods := make([]string, len(dates))
	for i, d := range dates {
		periods[i] = d.Format(time.DateOnly)
	}
	if period != nil && !slices.Contains(periods, dayText(period)) {
		web.NotFound(w, r, fmt.Sprintf("Area %s/%s has no values for period %s; it has values for %s.",
			l.Name, code, dayText(period), listOrNone(periods)))
		return
	}
	if period == nil && len(dates) > 0 {
		period = &dates[len(dates)-1]
		if err := checkSince(pq.since, period); err != nil {
			web.BadRequest(w, r, err.Error())
			return
		}
	}

	doc := profileAnswer{Area: area, Period: optDay(period), Datetime: boundaries.Format(time.DateOnly), Periods: periods,
		Comparison: map[string]*profileArea{}, Indicators: []profileEntry{}}
	if pq.series && mt == outMediaJSON {
		doc.Series = map[string][]profileSeriesPoint{}
	}

	parents, err := o.store.areas.Parents(ctx, id, geo.On(boundaries))
	if err != nil {
		o.fail(w, r, fmt.Errorf("profile of %s/%s: %w", l.Name, code, err))
		return
	}
	// The areas compared with: the parent, then the nearest ancestor at
	// each comparison level.
	compared := map[string]int64{}
	var ids []int64
	doc.Comparison["parent"] = nil
	for _, lv := range comparisonLevels {
		doc.Comparison[lv] = nil
	}
	for i, p := range parents {
		pa := &profileArea{Level: p.Level, Code: p.Code, Name: p.Name}
		if i == 0 {
			doc.Comparison["parent"], compared["parent"] = pa, p.ID
		}
		if slices.Contains(comparisonLevels, p.Level) && doc.Comparison[p.Level] == nil {
			doc.Comparison[p.Level], compared[p.Level] = pa, p.ID
		}
		ids = append(ids, p.ID)
	}
	if pq.refLevel != "" {
		ref, refID, ok := o.profileReference(w, r, pq)
		if !ok {
			return
		}
		doc.Comparison["reference"], compared["reference"] = ref, refID
		ids = append(ids, refID)
	}
	if period != nil {
		args["period"], args["since"] = *period, pq.since
		args["trend_from"], args["trend_to"] = pq.trendFrom, pq.trendTo
		catalogue, err := o.store.Indicators(ctx)
		if err != nil {
			o.fail(w, r, fmt.Errorf("profile of %s/%s: %w", l.Name, code, err))
			return
		}
		if doc.Indicators, err = o.profileEntries(r, catalogue, args, ids, compared); err != nil {
			o.fail(w, r, fmt.Errorf("profile of %s/%s: %w", l.Name, code, err))
			return
		}
		if doc.Series != nil {
			if err := o.profileSeries(r, catalogue, args, doc.Series); err != nil {
				o.fail(w, r, fmt.Errorf("profile of %s/%s: %w", l.Name, code, err))
				return
			}
		}
	}
	if mt == outMediaJSON {
		web.WriteJSON(w, r, o.log, http.StatusOK, outMediaJSON, doc)
		return
	}
	o.profileTable(w, r, mt, doc, boundaries)
}

// profileAnswer is a profile as JSON, and what its tables are made of.
type profileAnswer struct {
	Area       profileArea             `json:"area"`
	Period     *string                 `json:"period"`
	Datetime   string                  `json:"datetime"`
	Periods    []string                `json:"periods"`
	Comparison map[string]*profileArea `json:"comparison"`
	Indicators []profileEntry          `json:"indicators"`
	// Series holds, when asked for by series=true, every indicator with a
	// published cell at the area version in any period, by key.
	Series map[string][]profileSeriesPoint `json:"series,omitzero"`
}

// profileSeries reads the area's cells of all periods into series, with
// the labels of class indicators' values.
func (o *outputs) profileSeries(r *http.Request, catalogue []Indicator, args pgx.NamedArgs, series map[string][]profileSeriesPoint) error {
	labels := map[string]map[string]string{}
	for _, ind := range catalogue {
		if l := shownLabels(ind); l != nil {
			labels[ind.Key] = l
		}
	}
	rows, err := o.store.pool.Query(r.Context(), sqlProfileSeries, args)
	if err != nil {
		return fmt.Errorf("series: %w", err)
	}
	var key string
	var period time.Time
	var value *string
	var c profileCell
	_, err = pgx.ForEachRow(rows, []any{&key, &period, &value, &c.Status, &c.Suppressed, &c.Incomplete}, func() error {
		p := profileSeriesPoint{Period: period.Format(time.DateOnly), profileCell: c}
		p.Value = numberOf(value)
		if value != nil {
			if l, ok := labels[key][*value]; ok {
				p.Label = &l
			}
		}
		series[key] = append(series[key], p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("series: %w", err)
	}
	return nil
}

// profileTable writes a profile as CSV or XLSX, a row per indicator:
// Kategorie, Indikator, Einheit, Wert: the area's value (with its class's
// Bezeichnung when there are classes), its Status and Sperrgrund as the
// values table has them, the value of each area compared with (an area
// that is parent and Kreis once), Rang and Von, the number ranked.
func (o *outputs) profileTable(w http.ResponseWriter, r *http.Request, mt string, doc profileAnswer, day time.Time) {
	var roles []string
	for _, role := range append(append([]string{"parent"}, comparisonLevels...), "reference") {
		a := doc.Comparison[role]
		if a == nil || slices.ContainsFunc(roles, func(o string) bool {
			return doc.Comparison[o].Level == a.Level && doc.Comparison[o].Code == a.Code
		}) {
			continue
		}
		roles = append(roles, role)
	}
	labelled := slices.ContainsFunc(doc.Indicators, func(e profileEntry) bool { return e.Label != nil })
	// Indicators differ in their decimals: numbers go out as published, in
	// the XLSX with Excel's general format.
	value := func(title string) outColumn { return outColumn{Title: title, Numeric: true, Decimals: -1, Width: 16} }
	areaTitle := func(a *profileArea) string { return a.Name + " (" + a.Level + ")" }
	cols := []outColumn{
		{Title: "Kategorie", Width: 20},
		{Title: "Indikator", Width: 40},
		{Title: "Einheit", Width: 16},
		value("Wert " + areaTitle(&doc.Area)),
	}
	if labelled {
		cols = append(cols, outColumn{Title: "Bezeichnung", Width: 24})
	}
	cols = append(cols, outColumn{Title: "Status", Width: 24}, outColumn{Title: "Sperrgrund", Width: 12})
	for _, role := range roles {
		cols = append(cols, value(areaTitle(doc.Comparison[role])))
	}
	cols = append(cols, outColumn{Title: "Rang", Width: 8}, outColumn{Title: "Von", Width: 8})

	file := fmt.Sprintf("profil_%s_%s", doc.Area.Level, doc.Area.Code)
	stichtag := "kein Stichtag mit Werten"
	if doc.Period != nil {
		file += "_" + *doc.Period
		p, _ := time.Parse(time.DateOnly, *doc.Period)
		stichtag = "Stichtag: " + p.Format("02.01.2006")
	}
	var compared []string
	for _, role := range roles {
		a := doc.Comparison[role]
		compared = append(compared, fmt.Sprintf("%s %s (%s)", a.Code, a.Name, a.Level))
	}
	tw, err := startTable(w, mt, outTable{
		File:    file,
		Sheet:   "Steckbrief " + doc.Area.Name,
		Columns: cols,
		Notes: []string{
			fmt.Sprintf("Gebietssteckbrief %s %s (%s); %s; Gebietsstand: %s",
				doc.Area.Code, doc.Area.Name, doc.Area.Level, stichtag, day.Format("02.01.2006")),
			"Verglichen mit: " + strings.Join(compared, ", "),
			"Rang unter den Gebieten derselben Ebene mit demselben übergeordneten Gebiet, 1 = höchster Wert; Von: Zahl der Gebiete mit veröffentlichtem Wert.",
			"Gesperrte Werte (statistische Geheimhaltung) bleiben leer; der Status nennt den Grund.",
			"Quellen und Lizenzen der Indikatoren: /indicators",
		},
	})
	if err != nil {
		w.Header().Del("Content-Disposition")
		o.fail(w, r, err)
		return
	}
	text := func(n *number) string {
		if n == nil {
			return ""
		}
		return string(*n)
	}
	cells := make([]string, 0, len(cols))
	for _, e := range doc.Indicators {
		c := append(cells[:0], e.Category, e.Title, e.Unit, text(e.Value))
		if labelled {
			c = append(c, textOr(e.Label))
		}
		c = append(c, statusLabel(&e.Status), suppressionLabel(e.Suppressed))
		for _, role := range roles {
			v := ""
			if cell := e.Comparison[role]; cell != nil {
				v = text(cell.Value)
			}
			c = append(c, v)
		}
		rank := ""
		if e.Rank != nil {
			rank = strconv.FormatInt(*e.Rank, 10)
		}
		c = append(c, rank, strconv.FormatInt(e.Ranked, 10))
		if err := tw.Row(c); err != nil {
			o.abort(r, "profile", err)
		}
	}
	if err := tw.Close(); err != nil {
		o.abort(r, "profile", err)
	}
}

// profileReference finds the version of the reference area valid on the
// profile's day; it answers 404 itself when there is none.
func (o *outputs) profileReference(w http.ResponseWriter, r *http.Request, pq profileQuery) (*profileArea, int64, bool) {
	ctx := r.Context()
	l, err := o.store.areas.Level(ctx, pq.refLevel)
	if errors.Is(err, geo.ErrNotFound) {
		web.NotFound(w, r, badOutParam("reference", "there is no level %q; /collections lists them", pq.refLevel).Error())
		return nil, 0, false
	}
	if err != nil {
		o.fail(w, r, err)
		return nil, 0, false
	}
	ref := &profileArea{Level: l.Name, Code: pq.refCode}
	var id int64
	var from, to *time.Time
	var boundaries time.Time
	args := pgx.NamedArgs{"level": l.Name, "code": pq.refCode, "day": pq.day}
	err = o.store.pool.QueryRow(ctx, sqlSeriesArea, args).Scan(&id, &ref.Name, &from, &to, &boundaries)
	if errors.Is(err, pgx.ErrNoRows) {
		web.NotFound(w, r, badOutParam("reference", "level %q has no area %q valid on %s",
			l.Name, pq.refCode, outToday(pq.day).Format(time.DateOnly)).Error())
		return nil, 0, false
	}
	if err != nil {
		o.fail(w, r, fmt.Errorf("profile reference %s/%s: %w", l.Name, pq.refCode, err))
		return nil, 0, false
	}
	ref.ValidFrom, ref.ValidTo = optDay(from), optDay(to)
	return ref, id, true
}

// profileEntries reads the area's cells, those of the areas compared with
// (ids; compared names them by role) and the ranks, in catalogue order.
func (o *outputs) profileEntries(r *http.Request, catalogue []Indicator, args pgx.NamedArgs, ids []int64, compared map[string]int64) ([]profileEntry, error) {
	ctx := r.Context()
	byKey := map[string]*profileEntry{}
	rows, err := o.store.pool.Query(ctx, sqlProfileOwn, args)
	if err != nil {
		return nil, fmt.Errorf("cells: %w", err)
	}
	var key string
	var c profileCell
	var value, prevValue, change, prevStatus, prevSuppressed *string
	var prevPeriod *time.Time
	var prevIncomplete *bool
	_, err = pgx.ForEachRow(rows, []any{&key, &value, &c.Status, &c.Suppressed, &c.Incomplete,
		&prevPeriod, &prevValue, &prevStatus, &prevSuppressed, &prevIncomplete, &change}, func() error {
		e := &profileEntry{Key: key, profileCell: c, Comparison: map[string]*profileCell{}}
		e.Value = numberOf(value)
		if prevPeriod != nil {
			e.Previous = &profilePrevious{Period: prevPeriod.Format(time.DateOnly), profileCell: profileCell{
				Value: numberOf(prevValue), Status: textOr(prevStatus), Suppressed: prevSuppressed,
				Incomplete: prevIncomplete != nil && *prevIncomplete}}
			e.Change = numberOf(change)
		}
		byKey[key] = e
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cells: %w", err)
	}

	others := map[int64]map[string]*profileCell{}
	args["ids"] = ids
	rows, err = o.store.pool.Query(ctx, sqlProfileOthers, args)
	if err != nil {
		return nil, fmt.Errorf("cells compared with: %w", err)
	}
	var areaID int64
	_, err = pgx.ForEachRow(rows, []any{&areaID, &key, &value, &c.Status, &c.Suppressed, &c.Incomplete}, func() error {
		if others[areaID] == nil {
			others[areaID] = map[string]*profileCell{}
		}
		cc := c
		cc.Value = numberOf(value)
		others[areaID][key] = &cc
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cells compared with: %w", err)
	}

	rows, err = o.store.pool.Query(ctx, sqlProfileRanks, args)
	if err != nil {
		return nil, fmt.Errorf("ranks: %w", err)
	}
	var rank *int64
	var ranked int64
	var percentile *string
	_, err = pgx.ForEachRow(rows, []any{&key, &rank, &ranked, &percentile}, func() error {
		if e := byKey[key]; e != nil {
			e.Rank, e.Ranked, e.Percentile = rank, ranked, numberOf(percentile)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ranks: %w", err)
	}

	if err := o.profileTrends(r, args, byKey); err != nil {
		return nil, err
	}

	entries := []profileEntry{}
	for _, ind := range catalogue {
		e := byKey[ind.Key]
		if e == nil {
			continue
		}
		e.Title, e.Unit, e.Category, e.Polarity, e.Kind, e.Decimals =
			ind.Title, ind.Unit, ind.Category, ind.Polarity, ind.Kind, ind.Decimals
		e.ChangeUnit = changeUnit(ind)
		if labels := shownLabels(ind); labels != nil && e.Value != nil {
			if l, ok := labels[string(*e.Value)]; ok {
				e.Label = &l
			}
		}
		for _, role := range append([]string{"parent"}, comparisonLevels...) {
			e.Comparison[role] = nil
			if id, ok := compared[role]; ok {
				e.Comparison[role] = others[id][ind.Key]
			}
		}
		if id, ok := compared["reference"]; ok {
			e.Comparison["reference"] = others[id][ind.Key]
		}
		entries = append(entries, *e)
	}
	return entries, nil
}

// profileTrends sets the entries' trends when a trend range is asked for
// (args trend_from, trend_to).
func (o *outputs) profileTrends(r *http.Request, args pgx.NamedArgs, byKey map[string]*profileEntry) error {
	from, _ := args["trend_from"].(*time.Time)
	to, _ := args["trend_to"].(*time.Time)
	if from == nil || to == nil {
		return nil
	}
	for _, e := range byKey {
		e.Trend.asked = true
	}
	rows, err := o.store.pool.Query(r.Context(), sqlProfileTrends, args)
	if err != nil {
		return fmt.Errorf("trends: %w", err)
	}
	var key string
	var n int64
	var slope, intercept, r2 *string
	_, err = pgx.ForEachRow(rows, []any{&key, &n, &slope, &intercept, &r2}, func() error {
		if e := byKey[key]; e != nil {
			e.Trend.trend = &profileTrend{From: dayText(from), To: dayText(to), Periods: n,
				SlopePerYear: numberOf(slope), Intercept: numberOf(intercept), R2: numberOf(r2)}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("trends: %w", err)
	}
	return nil
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "no period"
	}
	return strings.Join(s, ", ")
}
