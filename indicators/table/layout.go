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
			return nil, t.Problem(0, "", "a wide table needs the name of its area column")
		}
		if lay.Period.IsZero() {
			return nil, t.Problem(0, "", "a wide table needs a period (the reference date of its values)")
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
		return nil, err
	}

	t.Decimal = opts.Decimal
	if t.Decimal == 0 {
		dec, err := detectDecimal(t, func(yield func(example) bool) {
			for _, r := range g.rows {
				for _, vc := range values {
					if s, typed := r.cell(vc.index); s != "" && !typed {
						if !yield(example{line: r.line, column: vc.name, text: s}) {
							return
						}
					}
				}
			}
		})
		if err != nil {
			return nil, err
		}
		t.Decimal = dec
	}
	vr := newValueReader(t.Decimal, opts.Placeholders)

	t.Cells = make([]Cell, 0, len(g.rows)*len(values))
	for _, r := range g.rows {
		area, _ := r.cell(areaIdx)
		area = strings.TrimSpace(area)
		if area == "" {
			probs.Add(t.Problem(r.line, t.AreaColumn, "empty area code"))
			continue
		}
		var name string
		if nameIdx >= 0 {
			name, _ = r.cell(nameIdx)
			name = strings.TrimSpace(name)
		}
		period := lay.Period
		if periodIdx >= 0 {
			text, typed := r.cell(periodIdx)
			p, err := parsePeriod(text, typed)
			if err != nil {
				probs.Add(t.Problem(r.line, t.PeriodColumn, err.Error()))
				continue
			}
			period = p
		}
		indicator := ""
		if indicatorIdx >= 0 {
			indicator, _ = r.cell(indicatorIdx)
			indicator = strings.TrimSpace(indicator)
			if indicator == "" {
				probs.Add(t.Problem(r.line, t.IndicatorColumn, "empty indicator key"))
				continue
			}
		}
		for _, vc := range values {
			text, typed := r.cell(vc.index)
			v, st, reason := vr.read(text, typed)
			if reason != "" {
				probs.Add(t.Problem(r.line, vc.name, reason))
				continue
			}
			c := Cell{Line: r.line, Ref: vc.name, Column: vc.name, Area: area, AreaName: name,
				Indicator: indicator, Period: period, Value: v, Status: st}
			if vc.indicator != "" {
				c.Indicator = vc.indicator
			}
			if g.format == XLSX {
				c.Ref = cellName(vc.index, r.line)
			}
			t.Cells = append(t.Cells, c)
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return t, nil
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
