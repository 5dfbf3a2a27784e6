package indicators

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
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
// change is taken on the same boundaries) and the difference of the two as
// published.
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
	ORDER BY y.period DESC
	LIMIT 1) prev ON true
WHERE x.level = (SELECT level FROM area WHERE id = @id) AND x.period = @period`

// sqlProfileOthers reads the published cells of the areas compared with.
const sqlProfileOthers = `
SELECT pc.area_id, pc.indicator, pc.shown::text, pc.status, pc.suppressed, pc.incomplete
FROM area a
JOIN cell_extent x ON x.level = a.level AND x.period = @period
JOIN ` + sqlPublished + ` pc ON pc.indicator = x.indicator AND pc.period = x.period AND pc.area_id = a.id
WHERE a.id = ANY(@ids)`

// sqlProfileRanks ranks the published values of the area's siblings (same
// level, same parent, valid on the day; areas without a parent rank among
// the parentless of their level) per indicator, highest first; ties share
// a rank. Withheld and missing values take no rank. It returns the area's
// rank (NULL when it has none) and the number of ranked siblings.
const sqlProfileRanks = `
WITH me AS (SELECT level, parent_level, parent_code FROM area WHERE id = @id),
sib AS (
	SELECT a.id FROM area a, me
	WHERE a.level = me.level
		AND a.parent_level IS NOT DISTINCT FROM me.parent_level
		AND a.parent_code IS NOT DISTINCT FROM me.parent_code
		AND ` + sqlValidOn + `),
ranked AS (
	SELECT pc.indicator, pc.area_id, rank() OVER (PARTITION BY pc.indicator ORDER BY pc.shown DESC) AS rank
	FROM me
	JOIN cell_extent x ON x.level = me.level AND x.period = @period
	JOIN ` + sqlPublished + ` pc ON pc.indicator = x.indicator AND pc.period = x.period
	JOIN sib ON sib.id = pc.area_id
	WHERE pc.shown IS NOT NULL)
SELECT indicator, max(rank) FILTER (WHERE area_id = @id), count(*)
FROM ranked
GROUP BY indicator`

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
	// null where the area has no such ancestor or it no cell.
	Comparison map[string]*profileCell `json:"comparison"`
	// Rank among the siblings, 1 the highest value; null when the area's
	// value is withheld or missing. Ranked counts the siblings with a
	// published value, the area included.
	Rank   *int64 `json:"rank"`
	Ranked int64  `json:"ranked"`
	// Previous is the latest earlier period's cell; Change is this value
	// minus that one, in ChangeUnit (percentage points for percentages),
	// null when either is withheld or missing.
	Previous   *profilePrevious `json:"previous"`
	Change     *number          `json:"change"`
	ChangeUnit string           `json:"change_unit"`
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

// profile answers /areas/{level}/{code}/profile: every indicator of one
// area version in one period, compared with its parent, its Kreis, its
// Land and Germany, ranked among its siblings, with its change since the
// period before.
func (o *outputs) profile(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	period, day, err := outPeriodDay(q, "datetime", "f", "period")
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	if outFormat(w, r, outMediaJSON) == "" {
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
	}

	doc := struct {
		Area       profileArea             `json:"area"`
		Period     *string                 `json:"period"`
		Datetime   string                  `json:"datetime"`
		Periods    []string                `json:"periods"`
		Comparison map[string]*profileArea `json:"comparison"`
		Indicators []profileEntry          `json:"indicators"`
	}{Area: area, Period: optDay(period), Datetime: boundaries.Format(time.DateOnly), Periods: periods,
		Comparison: map[string]*profileArea{}, Indicators: []profileEntry{}}

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
	if period == nil {
		web.WriteJSON(w, r, o.log, http.StatusOK, outMediaJSON, doc)
		return
	}
	args["period"] = *period

	entries, err := o.profileEntries(r, args, ids, compared)
	if err != nil {
		o.fail(w, r, fmt.Errorf("profile of %s/%s: %w", l.Name, code, err))
		return
	}
	doc.Indicators = entries
	web.WriteJSON(w, r, o.log, http.StatusOK, outMediaJSON, doc)
}

// profileEntries reads the area's cells, those of the areas compared with
// (ids; compared names them by role) and the ranks, in catalogue order.
func (o *outputs) profileEntries(r *http.Request, args pgx.NamedArgs, ids []int64, compared map[string]int64) ([]profileEntry, error) {
	ctx := r.Context()
	catalogue, err := o.store.Indicators(ctx)
	if err != nil {
		return nil, err
	}
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
	_, err = pgx.ForEachRow(rows, []any{&key, &rank, &ranked}, func() error {
		if e := byKey[key]; e != nil {
			e.Rank, e.Ranked = rank, ranked
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ranks: %w", err)
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
		entries = append(entries, *e)
	}
	return entries, nil
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "no period"
	}
	return strings.Join(s, ", ")
}
