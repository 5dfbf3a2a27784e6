package table

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Default column names of a long table.
const (
	DefaultAreaColumn      = "area"
	DefaultIndicatorColumn = "indicator"
	DefaultPeriodColumn    = "period"
	DefaultValueColumn     = "value"
)

// valueColumn is a column read as values.
type valueColumn struct {
	index     int
	name      string
	indicator string // wide tables; "" in long tables (the row says)
}

// table gives the grid meaning by the layout and reads every value.
func (g *grid) table(opts Options) (*Table, error) {
	lay := opts.Layout
	t := &Table{
		Path: g.path, Format: g.format, Sheet: g.sheet, Gebietsstand: g.gebietsstand,
		Wide: len(lay.Columns) > 0, HeaderLine: g.headerLine,
		index: map[string]int{}, notes: g.notes,
	}
	for i, h := range g.header {
		if h != "" {
			t.index[h] = i
		}
	}
	if g.format == GV100AD {
		if lay.AreaColumn == "" {
			lay.AreaColumn = gv100ARS
		}
		if lay.NameColumn == "" {
			lay.NameColumn = "name"
		}
	}
	// The file's own errors come before those of the layout.
	fail := func(err error) (*Table, error) {
		if ferr := g.check(); ferr != nil {
			return nil, ferr
		}
		return nil, err
	}
	var probs Problems
	column := func(name, what string) int {
		i, ok := t.index[name]
		if !ok {
			probs.Add(t.Problem(0, "", fmt.Sprintf("no %s column %q; the table has: %s", what, name, strings.Join(g.names(), ", "))))
			return -1
		}
		return i
	}

	var values []valueColumn
	indicatorIdx, periodIdx := -1, -1
	if t.Wide {
		if lay.AreaColumn == "" {
			return fail(t.Problem(0, "", "a wide table needs the name of its area column"))
		}
		if lay.Period.IsZero() {
			return fail(t.Problem(0, "", "a wide table needs a period (the reference date of its values)"))
		}
		for _, col := range slices.Sorted(maps.Keys(lay.Columns)) {
			if i := column(col, "mapped"); i >= 0 {
				values = append(values, valueColumn{index: i, name: col, indicator: lay.Columns[col]})
			}
		}
		// File order, so cells come out as the table reads.
		slices.SortFunc(values, func(a, b valueColumn) int { return a.index - b.index })
	} else {
		lay.AreaColumn = or(lay.AreaColumn, DefaultAreaColumn)
		t.IndicatorColumn = or(lay.IndicatorColumn, DefaultIndicatorColumn)
		indicatorIdx = column(t.IndicatorColumn, "indicator")
		value := or(lay.ValueColumn, DefaultValueColumn)
		if i := column(value, "value"); i >= 0 {
			values = append(values, valueColumn{index: i, name: value})
		}
		period := or(lay.PeriodColumn, DefaultPeriodColumn)
		if i, ok := t.index[period]; ok {
			periodIdx, t.PeriodColumn = i, period
		} else if lay.Period.IsZero() {
			probs.Add(t.Problem(0, "", fmt.Sprintf("no period column %q and no period given; the table has: %s",
				period, strings.Join(g.names(), ", "))))
		}
	}
	t.AreaColumn = lay.AreaColumn
	areaIdx := column(lay.AreaColumn, "area")
	nameIdx := -1
	if lay.NameColumn != "" {
		t.NameColumn = lay.NameColumn
		nameIdx = column(lay.NameColumn, "name")
	}
	if err := probs.Err(); err != nil {
		return fail(err)
	}

	rows := g.maxRows()
	t.Decimal = opts.Decimal
	if t.Decimal == 0 {
		var votes decimalVotes
		rows = 0
		err := g.each(func(r row) error {
			rows++
			for _, vc := range values {
				if s, typed := r.cell(vc.index); s != "" && !typed {
					votes.add(r.line, vc.name, s)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if t.Decimal, err = votes.decide(t); err != nil {
			return nil, err
		}
	}
	vr := newValueReader(t.Decimal, opts.Placeholders)

	// A long table repeats few areas, indicators and periods many times:
	// the cells share their strings and parsed periods, and take their
	// values from one array.
	areas, names, indicators := newInterner(), newInterner(), newInterner()
	periods := newPeriodCache()
	slab := floatSlab{free: make([]float64, rows*len(values))}
	t.Cells = make([]Cell, 0, rows*len(values))
	err := g.each(func(r row) error {
		area, _ := r.cell(areaIdx)
		area = strings.TrimSpace(area)
		if area == "" {
			probs.Add(t.Problem(r.line, t.AreaColumn, "empty area code"))
			return nil
		}
		var name string
		if nameIdx >= 0 {
			name, _ = r.cell(nameIdx)
			name = names.get(strings.TrimSpace(name))
		}
		period := lay.Period
		if periodIdx >= 0 {
			text, typed := r.cell(periodIdx)
			p, err := periods.parse(text, typed)
			if err != nil {
				probs.Add(t.Problem(r.line, t.PeriodColumn, err.Error()))
				return nil
			}
			period = p
		}
		indicator := ""
		if indicatorIdx >= 0 {
			indicator, _ = r.cell(indicatorIdx)
			indicator = strings.TrimSpace(indicator)
			if indicator == "" {
				probs.Add(t.Problem(r.line, t.IndicatorColumn, "empty indicator key"))
				return nil
			}
			indicator = indicators.get(indicator)
		}
		area = areas.get(area)
		for _, vc := range values {
			text, typed := r.cell(vc.index)
			n, has, st, reason := vr.read(text, typed)
			if reason != "" {
				probs.Add(t.Problem(r.line, vc.name, reason))
				continue
			}
			c := Cell{Line: r.line, Ref: vc.name, Column: vc.name, Area: area, AreaName: name,
				Indicator: indicator, Period: period, Status: st}
			if has {
				c.Value = slab.ptr(n)
			}
			if vc.indicator != "" {
				c.Indicator = vc.indicator
			}
			if g.format == XLSX {
				c.Ref = cellName(vc.index, r.line)
			}
			t.Cells = append(t.Cells, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// interner hands out one copy of each string: cells keep no part of the
// file's text alive, and equal strings share their bytes.
type interner struct {
	seen map[string]string
	last string
}

func newInterner() *interner { return &interner{seen: map[string]string{}} }

func (in *interner) get(s string) string {
	if s == in.last {
		return in.last
	}
	v, ok := in.seen[s]
	if !ok {
		v = strings.Clone(s)
		in.seen[v] = v
	}
	in.last = v
	return v
}

// periodCache remembers parsed period texts: a table has few.
type periodCache struct {
	seen map[string]parsedPeriod
	// The period of the row before, which a long table often repeats.
	last    parsedPeriod
	hasLast bool
}

type parsedPeriod struct {
	text string
	t    time.Time
	err  error
}

// maxPeriods bounds the cache for tables with a date on every row.
const maxPeriods = 4096

func newPeriodCache() *periodCache { return &periodCache{seen: map[string]parsedPeriod{}} }

// parse is parsePeriod, remembered for text that is not a typed number
// (a spreadsheet's serial day stays a parse of its own).
func (c *periodCache) parse(text string, typed bool) (time.Time, error) {
	if typed {
		return parsePeriod(text, typed)
	}
	if c.hasLast && c.last.text == text {
		return c.last.t, c.last.err
	}
	p, ok := c.seen[text]
	if !ok {
		p.text = text
		p.t, p.err = parsePeriod(text, false)
		if len(c.seen) < maxPeriods {
			c.seen[text] = p
		}
	}
	c.last, c.hasLast = p, true
	return p.t, p.err
}

// floatSlab hands out pointers to values from arrays allocated in chunks,
// not one allocation per value.
type floatSlab struct{ free []float64 }

// slabChunk is the size of chunks beyond the first, sized by the caller.
const slabChunk = 4096

func (s *floatSlab) ptr(v float64) *float64 {
	if len(s.free) == 0 {
		s.free = make([]float64, slabChunk)
	}
	p := &s.free[0]
	*p = v
	s.free = s.free[1:]
	return p
}

func (g *grid) names() []string {
	var n []string
	for _, h := range g.header {
		if h != "" {
			n = append(n, h)
		}
	}
	return n
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// parsePeriod reads a reference date: 2022-12-31, 31.12.2022, or a year
// alone, which means its 31 December (the usual Stichtag of stocks). A
// spreadsheet date is a number of days (Excel's serial date).
func parsePeriod(text string, typed bool) (time.Time, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty period")
	}
	if typed {
		if n, ok := parseTypedNumber(s); ok && n == float64(int64(n)) {
			if n >= 1000 && n <= 9999 {
				return time.Date(int(n), 12, 31, 0, 0, 0, 0, time.UTC), nil
			}
			if n > 0 {
				// Serial day 25569 is 1970-01-01 in the 1900 date system.
				return time.Unix(0, 0).UTC().AddDate(0, 0, int(n)-25569), nil
			}
		}
	}
	for _, layout := range []string{time.DateOnly, "02.01.2006", "2.1.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if len(s) == 4 && allDigits(s) {
		var y int
		fmt.Sscan(s, &y)
		return time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC), nil
	}
	return time.Time{}, fmt.Errorf("not a date: %q (use YYYY-MM-DD, DD.MM.YYYY or a year)", text)
}
