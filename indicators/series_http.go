package indicators

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo/web"
)

// sqlSeriesArea picks the version of the area valid on the day, and says
// the day (the database's today when not given).
const sqlSeriesArea = `
SELECT a.id, a.name, a.valid_from, a.valid_to, coalesce(@day::date, current_date) FROM area a
WHERE a.level = @level AND a.code = @code AND ` + sqlValidOn + `
ORDER BY a.valid_from DESC NULLS LAST, a.id DESC
LIMIT 1`

// sqlSeries lists the published cells of one indicator at one area
// version, oldest period first. Periods before a boundary change are those
// carried over to the version by publishing.
const sqlSeries = `
SELECT pc.period, pc.value, pc.numerator, pc.denominator,
	pc.decimals, pc.numerator_decimals, pc.denominator_decimals,
	pc.status, pc.incomplete, pc.suppressed
FROM cell_extent x
JOIN ` + sqlPublished + ` pc ON pc.indicator = x.indicator AND pc.period = x.period AND pc.area_id = @id
WHERE x.indicator = @key AND x.level = (SELECT level FROM area WHERE id = @id)
ORDER BY pc.period`

// seriesPoint is one period of a series.
type seriesPoint struct {
	Period     string  `json:"period"`
	Value      *number `json:"value"`
	Status     string  `json:"status"`
	Suppressed *string `json:"suppressed"`
	Incomplete bool    `json:"incomplete"`
	// Rates only: a rate's points all have them, null where withheld.
	Numerator   any `json:"numerator,omitempty"`
	Denominator any `json:"denominator,omitempty"`
}

// number is a published number as appendPublished writes it, a plain
// decimal; it goes into JSON as it is.
type number string

func (n number) MarshalJSON() ([]byte, error) { return []byte(n), nil }

// optNumber is a number or null, present either way.
type optNumber struct{ n *number }

func (o optNumber) MarshalJSON() ([]byte, error) {
	if o.n == nil {
		return []byte("null"), nil
	}
	return []byte(*o.n), nil
}

func numberOf(s *string) *number {
	if s == nil {
		return nil
	}
	n := number(*s)
	return &n
}

// seriesArea is the area version a series is of.
type seriesArea struct {
	Level     string  `json:"level"`
	Code      string  `json:"code"`
	Name      string  `json:"name"`
	ValidFrom *string `json:"valid_from"`
	ValidTo   *string `json:"valid_to"`
}

func optDay(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

// series answers /indicators/{key}/series: one indicator at one area
// version, every period.
func (o *outputs) series(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkOutParams(q, "code", "datetime", "f", "level"); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	day, err := outDate(q, "datetime")
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	code := q.Get("code")
	if code == "" {
		web.BadRequest(w, r, badOutParam("code", "missing; name the area by its code").Error())
		return
	}
	mt := outFormat(w, r, outMediaJSON, outMediaCSV, outMediaXLSX)
	if mt == "" {
		return
	}
	ind, ok := o.indicator(w, r)
	if !ok {
		return
	}
	l, ok := o.level(w, r, q.Get("level"))
	if !ok {
		return
	}
	ctx := r.Context()
	area := seriesArea{Level: l.Name, Code: code}
	var id int64
	var from, to *time.Time
	var boundaries time.Time
	args := pgx.NamedArgs{"level": l.Name, "code": code, "day": day, "key": ind.Key}
	err = o.store.pool.QueryRow(ctx, sqlSeriesArea, args).Scan(&id, &area.Name, &from, &to, &boundaries)
	if errors.Is(err, pgx.ErrNoRows) {
		web.NotFound(w, r, fmt.Sprintf("Level %q has no area %q valid on %s.", l.Name, code, outToday(day).Format(time.DateOnly)))
		return
	}
	if err != nil {
		o.fail(w, r, fmt.Errorf("series of %s: area %s/%s: %w", ind.Key, l.Name, code, err))
		return
	}
	area.ValidFrom, area.ValidTo = optDay(from), optDay(to)
	args["id"] = id
	rows, err := o.store.pool.Query(ctx, sqlSeries, args)
	if err != nil {
		o.fail(w, r, fmt.Errorf("series of %s at %s/%s: %w", ind.Key, l.Name, code, err))
		return
	}
	points, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (seriesPoint, error) {
		var p seriesPoint
		var period time.Time
		var value, num, den *float64
		var d [3]int
		err := row.Scan(&period, &value, &num, &den, &d[0], &d[1], &d[2], &p.Status, &p.Incomplete, &p.Suppressed)
		p.Period = period.Format(time.DateOnly)
		p.Value = numberOf(published(value, d[0]))
		if ind.Kind == Rate {
			p.Numerator, p.Denominator = optNumber{numberOf(published(num, d[1]))}, optNumber{numberOf(published(den, d[2]))}
		}
		return p, err
	})
	if err != nil {
		o.fail(w, r, fmt.Errorf("series of %s at %s/%s: %w", ind.Key, l.Name, code, err))
		return
	}
	if points == nil {
		points = []seriesPoint{}
	}

	if mt == outMediaJSON {
		web.WriteJSON(w, r, o.log, http.StatusOK, outMediaJSON, struct {
			Indicator Indicator     `json:"indicator"`
			Area      seriesArea    `json:"area"`
			Datetime  string        `json:"datetime"`
			Series    []seriesPoint `json:"series"`
		}{ind, area, boundaries.Format(time.DateOnly), points})
		return
	}
	o.seriesTable(w, r, mt, ind, area, boundaries, points)
}

// seriesTable writes a series as CSV or XLSX: Stichtag, Wert, Status,
// Sperrgrund, unvollständig, and for rates Zähler and Nenner.
func (o *outputs) seriesTable(w http.ResponseWriter, r *http.Request, mt string, ind Indicator, area seriesArea, day time.Time, points []seriesPoint) {
	counts := ind.Kind == Rate
	cols := []outColumn{
		{Title: "Stichtag", Width: 12},
		{Title: valueTitle(ind.Unit), Numeric: true, Decimals: ind.Decimals, Width: 14},
		{Title: "Status", Width: 24},
		{Title: "Sperrgrund", Width: 12},
		{Title: "unvollständig", Width: 14},
	}
	if counts {
		cols = append(cols,
			outColumn{Title: "Zähler (" + ind.Numerator + ")", Numeric: true, Width: 16},
			outColumn{Title: "Nenner (" + ind.Denominator + ")", Numeric: true, Width: 16})
	}
	tw, err := startTable(w, mt, outTable{
		File:    fmt.Sprintf("%s_%s_%s", ind.Key, area.Level, area.Code),
		Sheet:   ind.Title,
		Columns: cols,
		Notes: tableNotes(ind, fmt.Sprintf("Gebiet: %s %s (%s); Gebietsstand: %s",
			area.Code, area.Name, area.Level, day.Format("02.01.2006"))),
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
	optText := func(v any) string {
		if o, ok := v.(optNumber); ok {
			return text(o.n)
		}
		return ""
	}
	for _, p := range points {
		d, _ := time.Parse(time.DateOnly, p.Period)
		c := []string{d.Format("02.01.2006"), text(p.Value), statusLabel(&p.Status), suppressionLabel(p.Suppressed), yesNo(p.Incomplete)}
		if counts {
			c = append(c, optText(p.Numerator), optText(p.Denominator))
		}
		if err := tw.Row(c); err != nil {
			o.abort(r, "series", err)
		}
	}
	if err := tw.Close(); err != nil {
		o.abort(r, "series", err)
	}
}
