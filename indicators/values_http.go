package indicators

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo/web"
)

// sqlValuesPeriod finds the period asked for, or without one the latest,
// with cells at areas of the level valid on the day, and the day (the
// database's today when not given). It walks the cell index backwards and
// stops at the first match.
const sqlValuesPeriod = `
SELECT c.period, coalesce(@day::date, current_date) FROM cell c JOIN area a ON a.id = c.area_id
WHERE c.indicator = @key AND a.level = @level AND ` + sqlValidOn + `
	AND (@period::date IS NULL OR c.period = @period::date)
ORDER BY c.period DESC
LIMIT 1`

// sqlValues lists every area of the level valid on the day, with its
// published cell where it has one: an area without a cell is a row too,
// so a table of all Gemeinden has all Gemeinden.
const sqlValues = `
SELECT a.code, a.name, pc.value, pc.numerator, pc.denominator,
	coalesce(pc.decimals, 0), coalesce(pc.numerator_decimals, 0), coalesce(pc.denominator_decimals, 0),
	pc.status, coalesce(pc.incomplete, false), pc.suppressed
FROM area a
LEFT JOIN ` + sqlPublished + ` pc ON pc.area_id = a.id AND pc.indicator = @key AND pc.period = @period::date
WHERE a.level = @level AND ` + sqlValidOn + `
ORDER BY a.code, a.id`

// valueRow is one published cell (or none) of an area. Nil numbers are
// absent or withheld; a nil Status is an area without a cell.
type valueRow struct {
	Code, Name                    string
	Value, Numerator, Denominator *string
	Status, Suppressed            *string
	Incomplete                    bool

	value, numerator, denominator *float64
	decimals                      [3]int
}

func (v *valueRow) scan(rows pgx.Rows) error {
	err := rows.Scan(&v.Code, &v.Name, &v.value, &v.numerator, &v.denominator,
		&v.decimals[0], &v.decimals[1], &v.decimals[2], &v.Status, &v.Incomplete, &v.Suppressed)
	v.Value = published(v.value, v.decimals[0])
	v.Numerator = published(v.numerator, v.decimals[1])
	v.Denominator = published(v.denominator, v.decimals[2])
	return err
}

// values answers /indicators/{key}/values: the indicator for every area of
// a level in one period, on the boundaries valid on one day.
func (o *outputs) values(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkOutParams(q, "datetime", "f", "level", "period"); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	period, err := outDate(q, "period")
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	day, err := outDate(q, "datetime")
	if err != nil {
		web.BadRequest(w, r, err.Error())
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
	args := pgx.NamedArgs{"key": ind.Key, "level": l.Name, "day": day, "period": period}
	var p, boundaries time.Time
	err = o.store.pool.QueryRow(ctx, sqlValuesPeriod, pgx.QueryExecModeExec, args).Scan(&p, &boundaries)
	if errors.Is(err, pgx.ErrNoRows) {
		in := ""
		if period != nil {
			in = " in period " + dayText(period)
		}
		web.NotFound(w, r, fmt.Sprintf("Indicator %q has no values for level %q%s on the boundaries valid %s; /indicators/%s lists its levels and periods.",
			ind.Key, l.Name, in, outToday(day).Format(time.DateOnly), ind.Key))
		return
	}
	if err != nil {
		o.fail(w, r, fmt.Errorf("values of %s: period: %w", ind.Key, err))
		return
	}
	args["period"] = p

	var out valueWriter
	switch mt {
	case outMediaJSON:
		out = &valuesJSON{ind: ind, level: l.Name, period: p, day: boundaries}
	default:
		out = &valuesTable{ind: ind, level: l.Name, period: p, day: boundaries, mt: mt}
	}
	rows, err := o.store.pool.Query(ctx, sqlValues, pgx.QueryExecModeExec, args)
	if err != nil {
		o.fail(w, r, fmt.Errorf("values of %s: %w", ind.Key, err))
		return
	}
	defer rows.Close()
	started := false
	var v valueRow
	var scanErr error
	for rows.Next() {
		if scanErr = v.scan(rows); scanErr != nil {
			break
		}
		if !started {
			if err := out.start(w); err != nil {
				o.fail(w, r, err)
				return
			}
			started = true
		}
		if err := out.row(&v); err != nil {
			o.abort(r, "values", err)
		}
	}
	rows.Close()
	if err := cmp.Or(rows.Err(), scanErr); err != nil {
		if !started {
			o.fail(w, r, fmt.Errorf("values of %s: %w", ind.Key, err))
			return
		}
		o.abort(r, "values", err)
	}
	if !started {
		if err := out.start(w); err != nil {
			o.fail(w, r, err)
			return
		}
	}
	if err := out.finish(); err != nil {
		o.abort(r, "values", err)
	}
}

// valueWriter writes the rows of /values in one representation.
type valueWriter interface {
	start(w http.ResponseWriter) error
	row(v *valueRow) error
	finish() error
}

// valuesJSON streams {indicator, level, period, datetime, rows}. Every row
// has the same members; numerator and denominator only for rates.
type valuesJSON struct {
	ind        Indicator
	level      string
	period     time.Time
	day        time.Time
	bw         *bufio.Writer
	buf        []byte
	n          int
	withCounts bool
}

func (j *valuesJSON) start(w http.ResponseWriter) error {
	meta, err := json.Marshal(j.ind)
	if err != nil {
		return fmt.Errorf("encode indicator %s: %w", j.ind.Key, err)
	}
	j.withCounts = j.ind.Kind == Rate
	w.Header().Set("Content-Type", outMediaJSON)
	w.WriteHeader(http.StatusOK)
	j.bw = bufio.NewWriterSize(w, 64<<10)
	b := append(j.buf[:0], `{"indicator":`...)
	b = append(b, meta...)
	b = append(b, `,"level":`...)
	b = appendJSONString(b, j.level)
	b = append(b, `,"period":"`+j.period.Format(time.DateOnly)+`","datetime":"`+j.day.Format(time.DateOnly)+`","rows":[`...)
	j.buf = b
	_, err = j.bw.Write(b)
	return err
}

func (j *valuesJSON) row(v *valueRow) error {
	b := j.buf[:0]
	if j.n > 0 {
		b = append(b, ',')
	}
	j.n++
	b = append(b, "\n"+`{"code":`...)
	b = appendJSONString(b, v.Code)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, v.Name)
	b = append(b, `,"value":`...)
	b = appendJSONNumber(b, v.Value)
	b = append(b, `,"status":`...)
	b = appendJSONOptString(b, v.Status)
	b = append(b, `,"suppressed":`...)
	b = appendJSONOptString(b, v.Suppressed)
	b = append(b, `,"incomplete":`...)
	if v.Incomplete {
		b = append(b, "true"...)
	} else {
		b = append(b, "false"...)
	}
	if j.withCounts {
		b = append(b, `,"numerator":`...)
		b = appendJSONNumber(b, v.Numerator)
		b = append(b, `,"denominator":`...)
		b = appendJSONNumber(b, v.Denominator)
	}
	b = append(b, '}')
	j.buf = b
	_, err := j.bw.Write(b)
	return err
}

func (j *valuesJSON) finish() error {
	_, _ = j.bw.WriteString("\n]}\n")
	return j.bw.Flush()
}

// valuesTable writes /values as CSV or XLSX: Schlüssel, Name, Wert,
// Status, Sperrgrund, unvollständig, and for rates Zähler and Nenner.
type valuesTable struct {
	ind    Indicator
	level  string
	period time.Time
	day    time.Time
	mt     string
	tw     outTableWriter
	cells  []string
	counts bool
}

func (t *valuesTable) start(w http.ResponseWriter) error {
	t.counts = t.ind.Kind == Rate
	cols := []outColumn{
		{Title: "Schlüssel", Width: 14},
		{Title: "Name", Width: 40},
		{Title: valueTitle(t.ind.Unit), Numeric: true, Decimals: t.ind.Decimals, Width: 14},
		{Title: "Status", Width: 24},
		{Title: "Sperrgrund", Width: 12},
		{Title: "unvollständig", Width: 14},
	}
	if t.counts {
		cols = append(cols,
			outColumn{Title: "Zähler (" + t.ind.Numerator + ")", Numeric: true, Width: 16},
			outColumn{Title: "Nenner (" + t.ind.Denominator + ")", Numeric: true, Width: 16})
	}
	tbl := outTable{
		File:    fmt.Sprintf("%s_%s_%s", t.ind.Key, t.level, t.period.Format(time.DateOnly)),
		Sheet:   t.ind.Title,
		Columns: cols,
		Notes: tableNotes(t.ind,
			fmt.Sprintf("Stichtag: %s; Gebietsstand: %s; Ebene: %s",
				t.period.Format("02.01.2006"), t.day.Format("02.01.2006"), t.level)),
	}
	t.cells = make([]string, len(cols))
	var err error
	t.tw, err = startTable(w, t.mt, tbl)
	return err
}

func (t *valuesTable) row(v *valueRow) error {
	c := t.cells[:0]
	c = append(c, v.Code, v.Name, textOr(v.Value), statusLabel(v.Status), suppressionLabel(v.Suppressed), yesNo(v.Incomplete))
	if t.counts {
		c = append(c, textOr(v.Numerator), textOr(v.Denominator))
	}
	return t.tw.Row(c)
}

func (t *valuesTable) finish() error { return t.tw.Close() }
