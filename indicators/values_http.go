package indicators

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sozialatlas/sozialatlas/geo/web"
)

// sqlValuesPeriod finds the latest period with cells at areas of the
// level valid on the day. It walks the level's periods backwards
// and stops at the first with such a cell. (The LIMIT in the lateral probe
// keeps it a probe: as EXISTS, PostgreSQL joined the cells of every period
// first: 50 ms for 10,997 Gemeinden × 10 periods instead of 6.)
const sqlValuesPeriod = `
SELECT x.period
FROM cell_extent x
CROSS JOIN LATERAL (
	SELECT FROM published_cell c JOIN area a ON a.id = c.area_id
	WHERE c.indicator = x.indicator AND c.period = x.period AND a.level = @level AND ` + sqlValidOn + `
	LIMIT 1) hit
WHERE x.indicator = @key AND x.level = @level
ORDER BY x.period DESC
LIMIT 1`

// sqlValues lists every area of the level valid on the day, with its
// published cell where it has one: an area without a cell is a row too,
// so a table of all Gemeinden has all Gemeinden.
//
// It reads the cells by the withholding rule of sqlPublished without its
// joins: the indicator is one and known (@rate, the decimals come from the
// catalogue); leaving out three joins and their columns per row took the
// query for all Gemeinden from 16.8 to 13.2 ms. Unlike the other outputs'
// queries it runs as a cached prepared statement: its plan (areas of the
// level hashed, joined to one index range of cell and of observation) is
// the same for every level and period, so PostgreSQL's generic plan is the
// right one, and results come in binary (p50 over HTTP for all Gemeinden
// 22–28 ms, against 24–33 ms planned for each request).
//
// The rows come unordered and are sorted by code in Go (valueRows):
// sorting the joined rows took PostgreSQL 5 of the query's 15 ms; Go sorts
// 10,997 rows in 0.2 ms when they arrive in code order, as they do when
// the areas were imported by code, and in 3 ms when one in twenty is out
// of place.
const sqlValues = `
SELECT a.id, a.code, a.name, ` + sqlShownValue + `,
	CASE WHEN @rate::boolean THEN ` + sqlShownNumerator + ` END,
	CASE WHEN @rate::boolean THEN ` + sqlShownDenominator + ` END,
	` + sqlShownStatus + `, coalesce(c.incomplete, false), c.suppressed
FROM area a
LEFT JOIN published_cell c ON c.area_id = a.id AND c.indicator = @key AND c.period = @period::date
WHERE a.level = @level AND ` + sqlValidOn + ``

// valueRow is one published cell (or none) of an area: value, numerator
// and denominator as published (nil when absent or withheld); a nil Status
// is an area without a cell. One valueRow is reused for every row; its
// bytes belong to valueRows.
type valueRow struct {
	Code, Name         []byte
	Status, Suppressed *string
	Incomplete         bool

	status, suppressed string
	shown              [3][]byte // nil: no number
}

// valueRows holds the rows of a level compactly: code, name and the
// formatted numbers of all rows in one byte slice, so that reading 11,000
// Gemeinden allocates a handful of times, not per row.
type valueRows struct {
	bytes []byte
	recs  []valueRec
}

// valueRec is one row of valueRows; spans index valueRows.bytes, and a
// number span with end < 0 is no number. It holds no pointers, so the
// garbage collector never looks into a table of them.
type valueRec struct {
	id                 int64
	code, name         [2]int32
	shown              [3][2]int32
	status, suppressed word
	incomplete         bool
}

// read appends the rows from their raw columns (id, code, name, value,
// numerator, denominator, status, incomplete, suppressed). They are
// decoded here rather than through rows.Scan, whose scan plans were a
// quarter of the handler's CPU time in a profile of
// BenchmarkValuesGemeinden: they allocate a string per status and go
// through reflection for every column of every row.
func (t *valueRows) read(rows pgx.Rows, decimals [3]int) error {
	for rows.Next() {
		raw := rows.RawValues()
		fields := rows.FieldDescriptions()
		if len(raw) != 9 || len(fields) != 9 {
			return fmt.Errorf("%d columns, want 9", len(raw))
		}
		var r valueRec
		var err error
		if r.id, err = rawInt8(raw[0], fields[0].Format); err != nil {
			return fmt.Errorf("column id: %w", err)
		}
		r.code = t.add(raw[1])
		r.name = t.add(raw[2])
		for i := range 3 {
			f, ok, err := rawFloat8(raw[3+i], fields[3+i].Format)
			if err != nil {
				return fmt.Errorf("column %s: %w", fields[3+i].Name, err)
			}
			r.shown[i] = [2]int32{0, -1}
			if ok {
				from := len(t.bytes)
				t.bytes = appendPublished(t.bytes, f, decimals[i])
				r.shown[i] = [2]int32{int32(from), int32(len(t.bytes))}
			}
		}
		if r.status, err = rawWord(raw[6]); err != nil {
			return fmt.Errorf("column status: %w", err)
		}
		r.incomplete = len(raw[7]) == 1 && (raw[7][0] == 1 || raw[7][0] == 't')
		if r.suppressed, err = rawWord(raw[8]); err != nil {
			return fmt.Errorf("column suppressed: %w", err)
		}
		t.recs = append(t.recs, r)
	}
	return rows.Err()
}

func (t *valueRows) add(b []byte) [2]int32 {
	from := len(t.bytes)
	t.bytes = append(t.bytes, b...)
	return [2]int32{int32(from), int32(len(t.bytes))}
}

func (t *valueRows) span(s [2]int32) []byte {
	if s[1] < 0 {
		return nil
	}
	return t.bytes[s[0]:s[1]:s[1]]
}

// sort orders the rows by code bytewise, versions of one code by id.
// Official codes are digits, which every collation orders alike; the
// embedded cluster's C.UTF-8 orders any other code bytewise too.
func (t *valueRows) sort() {
	slices.SortFunc(t.recs, func(a, b valueRec) int {
		return cmp.Or(bytes.Compare(t.span(a.code), t.span(b.code)), cmp.Compare(a.id, b.id))
	})
}

// anyCell tells whether any row has a published cell.
func (t *valueRows) anyCell() bool {
	for _, r := range t.recs {
		if r.status != noWord {
			return true
		}
	}
	return false
}

// row fills v with row i.
func (t *valueRows) row(i int, v *valueRow) {
	r := &t.recs[i]
	v.Code, v.Name = t.span(r.code), t.span(r.name)
	for j := range 3 {
		v.shown[j] = t.span(r.shown[j])
	}
	v.Incomplete = r.incomplete
	v.Status, v.Suppressed = nil, nil
	if r.status != noWord {
		v.status = words[r.status]
		v.Status = &v.status
	}
	if r.suppressed != noWord {
		v.suppressed = words[r.suppressed]
		v.Suppressed = &v.suppressed
	}
}

// valueRows takes a table from the pool: reusing the memory of an earlier
// request spares a table of all Gemeinden its growing, which with the
// garbage collector's write barriers was over a quarter of read's time in
// a profile.
func (o *outputs) valueRows() *valueRows {
	if t, ok := o.tables.Get().(*valueRows); ok {
		return t
	}
	return &valueRows{}
}

// putValueRows returns a table to the pool unless it grew beyond what a
// level usually needs, so one huge answer does not stay in memory.
func (o *outputs) putValueRows(t *valueRows) {
	if cap(t.bytes) > 8<<20 || cap(t.recs) > 100_000 {
		return
	}
	t.bytes, t.recs = t.bytes[:0], t.recs[:0]
	o.tables.Put(t)
}

// rawInt8 decodes an int8 column in either wire format.
func rawInt8(b []byte, format int16) (int64, error) {
	switch {
	case format == pgtype.BinaryFormatCode && len(b) == 8:
		return int64(binary.BigEndian.Uint64(b)), nil
	case format == pgtype.TextFormatCode && b != nil:
		return strconv.ParseInt(string(b), 10, 64)
	}
	return 0, fmt.Errorf("int8 of %d bytes in format %d", len(b), format)
}

// rawFloat8 decodes a float8 column in either wire format; ok is false
// for NULL.
func rawFloat8(b []byte, format int16) (f float64, ok bool, err error) {
	switch {
	case b == nil:
		return 0, false, nil
	case format == pgtype.BinaryFormatCode && len(b) == 8:
		return math.Float64frombits(binary.BigEndian.Uint64(b)), true, nil
	case format == pgtype.TextFormatCode:
		f, err = strconv.ParseFloat(string(b), 64)
		return f, err == nil, err
	}
	return 0, false, fmt.Errorf("float8 of %d bytes in format %d", len(b), format)
}

// word is a status or suppression reason: one of the few words the
// schema allows (its CHECK constraints), as its index in words.
type word uint8

const noWord word = 0 // NULL

var words = [...]string{noWord: "", 1: "measured", 2: "derived", 3: "estimated", 4: "provisional",
	5: "suppressed", 6: "missing", 7: "primary", 8: "secondary", 9: "source"}

// rawWord is the word of a status or suppression column.
func rawWord(b []byte) (word, error) {
	if b == nil {
		return noWord, nil
	}
	for i := 1; i < len(words); i++ {
		if string(b) == words[i] {
			return word(i), nil
		}
	}
	return noWord, fmt.Errorf("unknown word %q", b)
}

// text is number i (0 value, 1 numerator, 2 denominator) as a string,
// "" for none.
func (v *valueRow) text(i int) string { return string(v.shown[i]) }

// values answers /indicators/{key}/values: the indicator for every area of
// a level in one period, on the boundaries valid on one day.
func (o *outputs) values(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	period, day, err := outPeriodDay(q, "datetime", "f", "level", "period")
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
	// the day is fixed here, so the header states the day the query used
	boundaries := outToday(day)
	table := o.valueRows()
	defer o.putValueRows(table)
	p, found, err := o.levelCells(ctx, ind, l.Name, period, boundaries, ind.Kind == Rate, table)
	if err != nil {
		o.fail(w, r, fmt.Errorf("values of %s: %w", ind.Key, err))
		return
	}
	if !found {
		noLevelValues(w, r, ind, l.Name, period, boundaries)
		return
	}
	table.sort()

	var out valueWriter
	switch mt {
	case outMediaJSON:
		out = &valuesJSON{ind: ind, level: l.Name, period: p, day: boundaries}
	default:
		out = &valuesTable{ind: ind, level: l.Name, period: p, day: boundaries, mt: mt}
	}
	if err := out.start(w); err != nil {
		o.fail(w, r, err)
		return
	}
	var v valueRow
	for i := range table.recs {
		table.row(i, &v)
		if err := out.row(&v); err != nil {
			o.abort(r, "values", err)
			return
		}
	}
	if err := out.finish(); err != nil {
		o.abort(r, "values", err)
	}
}

// levelCells reads into table the published cells of ind for every area
// of the level valid on day, in period or, when nil, in the latest period
// with cells at such areas (sqlValuesPeriod); numerator and denominator
// too when withCounts (rates only). found is false when there is no such
// cell: then there is nothing to show, which the outputs answer with 404
// (noLevelValues).
func (o *outputs) levelCells(ctx context.Context, ind Indicator, level string, period *time.Time, day time.Time,
	withCounts bool, table *valueRows) (p time.Time, found bool, err error) {
	args := pgx.NamedArgs{"key": ind.Key, "level": level, "day": day, "period": period}
	// A period asked for needs no probe: whether it has values shows in
	// the rows themselves, which spares a round trip.
	if period != nil {
		p = *period
	} else {
		err = o.store.pool.QueryRow(ctx, sqlValuesPeriod, pgx.QueryExecModeExec, args).Scan(&p)
		if errors.Is(err, pgx.ErrNoRows) {
			return p, false, nil
		}
		if err != nil {
			return p, false, fmt.Errorf("period: %w", err)
		}
	}
	args["period"] = p
	var decimals [3]int
	decimals[0] = ind.Decimals
	args["rate"] = withCounts
	if withCounts {
		if decimals[1], decimals[2], err = o.partDecimals(ctx, ind); err != nil {
			return p, false, err
		}
	}
	rows, err := o.store.pool.Query(ctx, sqlValues, args)
	if err != nil {
		return p, false, err
	}
	err = table.read(rows, decimals)
	rows.Close()
	if err != nil {
		return p, false, err
	}
	return p, period == nil || table.anyCell(), nil
}

// noLevelValues answers 404 for an indicator without cells at a level.
func noLevelValues(w http.ResponseWriter, r *http.Request, ind Indicator, level string, period *time.Time, day time.Time) {
	in := ""
	if period != nil {
		in = " in period " + dayText(period)
	}
	web.NotFound(w, r, fmt.Sprintf("Indicator %q has no values for level %q%s on the boundaries valid %s; /indicators/%s lists its levels and periods.",
		ind.Key, level, in, day.Format(time.DateOnly), ind.Key))
}

const sqlPartDecimals = `
SELECT coalesce((SELECT decimals FROM indicator WHERE key = $1), 0),
	coalesce((SELECT decimals FROM indicator WHERE key = $2), 0)`

// partDecimals are the decimals of a rate's numerator and denominator.
func (o *outputs) partDecimals(ctx context.Context, rate Indicator) (num, den int, err error) {
	err = o.store.pool.QueryRow(ctx, sqlPartDecimals, rate.Numerator, rate.Denominator).Scan(&num, &den)
	if err != nil {
		return 0, 0, fmt.Errorf("decimals of %s and %s: %w", rate.Numerator, rate.Denominator, err)
	}
	return num, den, nil
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
	// labels of a class indicator by the value as shown ("1": "hoch")
	labels map[string]string
}

// shownLabels maps the values of a class indicator, as the outputs show
// them, to their labels; nil for an indicator without labels.
func shownLabels(ind Indicator) map[string]string {
	if len(ind.Labels) == 0 {
		return nil
	}
	m := make(map[string]string, len(ind.Labels))
	for _, l := range ind.Labels {
		m[string(appendPublished(nil, float64(l.Value), ind.Decimals))] = l.Label
	}
	return m
}

func (j *valuesJSON) start(w http.ResponseWriter) error {
	meta, err := json.Marshal(j.ind)
	if err != nil {
		return fmt.Errorf("encode indicator %s: %w", j.ind.Key, err)
	}
	j.withCounts = j.ind.Kind == Rate
	j.labels = shownLabels(j.ind)
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
	b = appendJSONBytes(b, v.shown[0])
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
	if j.labels != nil {
		b = append(b, `,"label":`...)
		if l, ok := j.labels[string(v.shown[0])]; ok {
			b = appendJSONString(b, l)
		} else {
			b = append(b, "null"...)
		}
	}
	if j.withCounts {
		b = append(b, `,"numerator":`...)
		b = appendJSONBytes(b, v.shown[1])
		b = append(b, `,"denominator":`...)
		b = appendJSONBytes(b, v.shown[2])
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
	labels map[string]string
}

func (t *valuesTable) start(w http.ResponseWriter) error {
	t.counts = t.ind.Kind == Rate
	t.labels = shownLabels(t.ind)
	cols := []outColumn{
		{Title: "Schlüssel", Width: 14},
		{Title: "Name", Width: 40},
		{Title: valueTitle(t.ind.Unit), Numeric: true, Decimals: t.ind.Decimals, Width: 14},
	}
	if t.labels != nil {
		cols = append(cols, outColumn{Title: "Bezeichnung", Width: 24})
	}
	cols = append(cols, []outColumn{
		{Title: "Status", Width: 24},
		{Title: "Sperrgrund", Width: 12},
		{Title: "unvollständig", Width: 14},
	}...)
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
	c = append(c, string(v.Code), string(v.Name), v.text(0))
	if t.labels != nil {
		c = append(c, t.labels[v.text(0)])
	}
	c = append(c, statusLabel(v.Status), suppressionLabel(v.Suppressed), yesNo(v.Incomplete))
	if t.counts {
		c = append(c, v.text(1), v.text(2))
	}
	return t.tw.Row(c)
}

func (t *valuesTable) finish() error { return t.tw.Close() }
