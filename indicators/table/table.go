// Package table reads statistical tables — CSV, XLSX and Destatis'
// Gemeindeverzeichnis (GV100AD, fixed width) — into neutral cells: one per
// area, indicator and period, with the value and the status the table
// states. It knows the official signs of German statistics and both decimal
// conventions, and nothing about the database.
//
// Values are read as German offices deliver them:
//
//   - decimal comma or decimal point, one convention per file, detected from
//     all value cells (or set with Options.Decimal); grouping of thousands
//     with the other character, or with spaces (also no-break and narrow
//     no-break spaces). "1.234" alone is ambiguous: a file whose only
//     separators are such groups of three is read as grouping ("1.234" =
//     1234, "1,234" = 1234), and a file that shows decimals elsewhere
//     decides it.
//   - signs (Zeichenerklärung): "–" or "-" alone = exactly zero; "." = kept
//     secret (status suppressed, no value); "x", "/", "…", "..." = no value
//     (status missing); an empty cell is missing too.
//   - declared placeholders such as -9999 (Options.Placeholders) are
//     missing, never numbers.
//   - footnote letters after a number: "p" provisional (vorläufig), "e" or
//     "s" estimated (geschätzt), "r" corrected (berichtigt, kept as
//     measured), with or without a space ("123 p", "123p").
//
// Anything else that is not a number is an error naming the file, the line
// (or cell) and the column.
package table

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Status of a value as the table states it. The names are those of
// observation.status in the database.
type Status string

const (
	Measured    Status = "measured"
	Estimated   Status = "estimated"
	Provisional Status = "provisional"
	// Suppressed: the table says "." (kept secret); the cell has no value.
	Suppressed Status = "suppressed"
	// Missing: the table has no value ("x", "/", "…", a placeholder, empty).
	Missing Status = "missing"
)

// Format of a table file.
type Format string

const (
	CSV     Format = "csv"
	XLSX    Format = "xlsx"
	GV100AD Format = "gv100ad"
)

// Cell is one value of a table: an indicator of an area in a period.
type Cell struct {
	Line      int    // line of a text file, row of a spreadsheet
	Ref       string // where the value stands: "C7" in a spreadsheet, else the column name
	Column    string // the value's column (header name)
	Area      string // area code as written
	AreaName  string // from the name column, "" without one
	Indicator string
	Period    time.Time
	Value     *float64 // nil when Status is Suppressed or Missing
	Status    Status
}

// Table is what Read found in a file.
type Table struct {
	Path   string
	Format Format
	Sheet  string // spreadsheet sheet read, "" for text files
	// Decimal is the decimal separator the values were read with.
	Decimal byte
	// Gebietsstand is the boundary date the file states itself (GV100AD);
	// nil when it says none.
	Gebietsstand *time.Time
	// Wide: one column per indicator; otherwise long (one value per row).
	Wide            bool
	HeaderLine      int
	AreaColumn      string
	NameColumn      string // "" without one
	IndicatorColumn string // long tables
	PeriodColumn    string // long tables with a period column
	Cells           []Cell

	index map[string]int    // column name → 0-based position in the sheet
	notes map[string]string // column → where it stands in a fixed-width record
}

// Layout says how the table is laid out and which columns hold what.
type Layout struct {
	// Columns maps value columns to indicator keys: a wide table. Empty
	// means a long table with one value per row.
	Columns map[string]string
	// AreaColumn holds the area code. Default "area" (long), "ars" (GV100AD);
	// required for other wide tables.
	AreaColumn string
	// NameColumn holds the area's name (optional; GV100AD: "name").
	NameColumn string
	// Long tables: the columns of indicator key, period and value
	// (defaults "indicator", "period", "value"). Without a period column,
	// Period is used.
	IndicatorColumn string
	PeriodColumn    string
	ValueColumn     string
	// Period of every value of a wide table, or of a long table without a
	// period column. Zero means not given.
	Period time.Time
}

// Options steer reading.
type Options struct {
	// Format; "" chooses by the file name: .xlsx is XLSX, a name starting
	// with GV100AD is the Gemeindeverzeichnis, anything else CSV.
	Format Format
	// Encoding of a text file ("UTF-8", "windows-1252", "ISO-8859-1");
	// "" detects it.
	Encoding string
	// Sheet of a spreadsheet; "" is the first.
	Sheet string
	// Decimal separator, ',' or '.'; 0 detects it from the file.
	Decimal byte
	// Delimiter of a CSV file; 0 detects it.
	Delimiter rune
	// Placeholders are values that mean "no value" in this file (-9999).
	Placeholders []string
	Layout       Layout
}

// Read reads a table file into cells. On bad input it returns every problem
// found (up to 20), each naming the file, line or cell, and column.
func Read(path string, opts Options) (*Table, error) {
	format := opts.Format
	if format == "" {
		format = formatOf(path)
	}
	if opts.Decimal != 0 && opts.Decimal != ',' && opts.Decimal != '.' {
		return nil, fmt.Errorf("decimal separator %q: use ',' or '.'", opts.Decimal)
	}
	var g *grid
	var err error
	switch format {
	case CSV:
		g, err = readCSV(path, opts)
	case XLSX:
		g, err = readXLSX(path, opts)
	case GV100AD:
		g, err = readGV100AD(path, opts)
	default:
		return nil, fmt.Errorf("table format %q: use csv, xlsx or gv100ad", format)
	}
	if err != nil {
		return nil, err
	}
	return g.table(opts)
}

func formatOf(path string) Format {
	base := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(base, ".xlsx"):
		return XLSX
	case strings.HasPrefix(base, "gv100ad"):
		return GV100AD
	}
	return CSV
}

// Problem returns an input error about a line (0: the header or the whole
// file) and a column ("" for none) of the table.
func (t *Table) Problem(line int, column, reason string) *Error {
	e := &Error{Path: t.Path, Sheet: t.Sheet, Line: line, Column: column, Reason: reason}
	if i, ok := t.index[column]; ok && t.Format == XLSX && line > 0 {
		e.Cell = cellName(i, line)
	}
	if n, ok := t.notes[column]; ok {
		e.Where = n
	}
	return e
}

// CellProblem is an error about a cell's value.
func (t *Table) CellProblem(c Cell, reason string) *Error {
	return t.Problem(c.Line, c.Column, reason)
}

// AreaProblem is an error about a cell's area code.
func (t *Table) AreaProblem(c Cell, reason string) *Error {
	return t.Problem(c.Line, t.AreaColumn, reason)
}

// IndicatorProblem is an error about a cell's indicator: its column in a
// wide table (named in the header), its indicator cell in a long one.
func (t *Table) IndicatorProblem(c Cell, reason string) *Error {
	if t.Wide {
		return t.Problem(t.HeaderLine, c.Column, reason)
	}
	return t.Problem(c.Line, t.IndicatorColumn, reason)
}

// Error is a problem with a table, located as precisely as known.
type Error struct {
	Path   string
	Sheet  string // spreadsheet sheet, "" for text files
	Line   int    // line or spreadsheet row; 0 if not about one
	Cell   string // spreadsheet cell reference ("C7"), "" otherwise
	Column string // column name; "" if not about one column
	Where  string // further position, e.g. characters of a fixed-width field
	Reason string
}

func (e *Error) Error() string {
	var at []string
	if e.Sheet != "" {
		at = append(at, fmt.Sprintf("sheet %q", e.Sheet))
	}
	switch {
	case e.Cell != "":
		at = append(at, fmt.Sprintf("row %d, cell %s", e.Line, e.Cell))
	case e.Line > 0:
		at = append(at, fmt.Sprintf("line %d", e.Line))
	}
	if e.Column != "" {
		c := fmt.Sprintf("column %q", e.Column)
		if e.Where != "" {
			c += " (" + e.Where + ")"
		}
		at = append(at, c)
	}
	msg := e.Path
	if len(at) > 0 {
		msg += ": " + strings.Join(at, ", ")
	}
	return msg + ": " + e.Reason
}

// MaxProblems bounds how many problems one failed read lists.
const MaxProblems = 20

// Problems collects input errors up to MaxProblems and counts the rest.
type Problems struct {
	list []error
	more int
}

// Add records a problem.
func (p *Problems) Add(err error) {
	if len(p.list) < MaxProblems {
		p.list = append(p.list, err)
		return
	}
	p.more++
}

// Len is the number of problems recorded, including those not kept.
func (p *Problems) Len() int { return len(p.list) + p.more }

// Err joins the problems, nil if there are none.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	list := p.list
	if p.more > 0 {
		list = append(list[:len(list):len(list)], fmt.Errorf("… and %d more problems", p.more))
	}
	return errors.Join(list...)
}
