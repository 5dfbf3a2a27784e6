package table

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/sozialatlas/sozialatlas/geo/source"
)

// grid is a file's content before the layout gives it meaning: a header
// and rows of text.
type grid struct {
	path       string
	format     Format
	sheet      string
	header     []string
	headerLine int
	rows       []row
	// csv, when set, stands for rows: a CSV file's rows are split from
	// its text again for each pass instead of being kept.
	csv          *source.CSVTable
	gebietsstand *time.Time
	notes        map[string]string
}

// each calls fn with every row in file order and stops at its first error.
// A CSV file's own errors (quoting, field counts) stop it too.
func (g *grid) each(fn func(r row) error) error {
	if g.csv != nil {
		return g.csv.Rows(func(line int, cells []string) error {
			return fn(row{line: line, cells: cells})
		})
	}
	for _, r := range g.rows {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// check returns the first error of the file itself, which a reader of the
// whole file would have met before any problem of the layout.
func (g *grid) check() error {
	return g.each(func(row) error { return nil })
}

// maxRows is an upper bound of the number of rows.
func (g *grid) maxRows() int {
	if g.csv != nil {
		return g.csv.MaxRows()
	}
	return len(g.rows)
}

type row struct {
	line  int
	cells []string
	// typed marks numbers stored as numbers (spreadsheet number cells,
	// fixed-width digits): they are read as such, not by the decimal
	// convention of text. nil when none are.
	typed []bool
}

func (r row) cell(i int) (string, bool) {
	if i < 0 || i >= len(r.cells) {
		return "", false
	}
	return r.cells[i], r.typed != nil && r.typed[i]
}

// readCSV reads a delimited text file with geo/source's reader, which
// detects delimiter and encoding. Files named as source.Open reads CSV
// (.csv, .txt) are read row by row when the table is built; any other
// name goes through source.Open, which says what it makes of it.
func readCSV(path string, opts Options) (*grid, error) {
	sopts := source.Options{Encoding: opts.Encoding, Delimiter: opts.Delimiter}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".txt":
		t, err := source.OpenCSV(path, sopts)
		if err != nil {
			return nil, err
		}
		return &grid{path: path, format: CSV, header: t.Fields, headerLine: 1, csv: t}, nil
	}
	ds, err := source.Open(path, sopts)
	if err != nil {
		return nil, err
	}
	g := &grid{path: path, format: CSV, header: ds.Fields, headerLine: 1, rows: make([]row, len(ds.Features))}
	for i, f := range ds.Features {
		cells := make([]string, len(ds.Fields))
		for j, name := range ds.Fields {
			cells[j] = f.Attrs[name]
		}
		g.rows[i] = row{line: f.Number, cells: cells}
	}
	return g, nil
}

// readXLSX reads one sheet of a workbook. The header is the first row with
// a value; rows without any value are skipped; columns without a header
// name are not read.
func readXLSX(path string, opts Options) (*grid, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, &Error{Path: path, Reason: fmt.Sprintf("open workbook: %v", err)}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	sheet := opts.Sheet
	switch {
	case sheet == "" && len(sheets) == 0:
		return nil, &Error{Path: path, Reason: "the workbook has no sheets"}
	case sheet == "":
		sheet = sheets[0]
	default:
		if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
			return nil, &Error{Path: path, Reason: fmt.Sprintf("no sheet %q; the workbook has: %s", sheet, strings.Join(sheets, ", "))}
		}
	}
	// Raw values: a number cell's stored number, not its display format
	// (which may round or add separators).
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, &Error{Path: path, Sheet: sheet, Reason: fmt.Sprintf("read sheet: %v", err)}
	}
	g := &grid{path: path, format: XLSX, sheet: sheet}
	for i, cells := range rows {
		line := i + 1
		if blank(cells) {
			continue
		}
		if g.header == nil {
			g.headerLine = line
			g.header = make([]string, len(cells))
			seen := map[string]string{}
			for j, h := range cells {
				name := strings.TrimSpace(h)
				g.header[j] = name
				if name == "" {
					continue
				}
				ref := cellName(j, line)
				if prev, dup := seen[name]; dup {
					return nil, &Error{Path: path, Sheet: sheet, Line: line, Cell: ref, Column: name,
						Reason: fmt.Sprintf("header: cells %s and %s have the same name", prev, ref)}
				}
				seen[name] = ref
			}
			continue
		}
		r := row{line: line, cells: cells}
		for j, v := range cells {
			if v == "" || j >= len(g.header) || g.header[j] == "" {
				continue
			}
			typ, err := f.GetCellType(sheet, cellName(j, line))
			if err != nil {
				return nil, &Error{Path: path, Sheet: sheet, Line: line, Cell: cellName(j, line), Reason: err.Error()}
			}
			// Cells without a type attribute are numbers too.
			if typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset {
				if r.typed == nil {
					r.typed = make([]bool, len(cells))
				}
				r.typed[j] = true
			}
		}
		g.rows = append(g.rows, r)
	}
	if g.header == nil {
		return nil, &Error{Path: path, Sheet: sheet, Reason: "the sheet is empty: expected a header row"}
	}
	return g, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// cellName is the spreadsheet reference of a 0-based column on a row.
func cellName(col, line int) string {
	ref, err := excelize.CoordinatesToCellName(col+1, line)
	if err != nil {
		return fmt.Sprintf("R%dC%d", line, col+1)
	}
	return ref
}

// The Gemeindeverzeichnis record of a Gemeinde (type 60), after Destatis'
// "Datensatzbeschreibung GV100AD": character positions, 0-based and
// half-open, counted in characters (the file is fixed width in its original
// single-byte encoding).
var gv100Fields = []struct {
	name       string
	start, end int
	number     bool
}{
	{"gebietsstand", 2, 10, false},
	{"ags", 10, 18, false},
	{"gemeindeverband", 18, 22, false},
	{"name", 22, 72, false},
	{"area_ha", 128, 139, true},
	{"population", 139, 150, true},
	{"male", 150, 161, true},
}

// gv100ARS is the name of the derived 12-digit Amtlicher Regionalschlüssel:
// AGS[:5] + Gemeindeverband + AGS[5:].
const gv100ARS = "ars"

const gv100RecordLen = 161

// readGV100AD reads the Gemeinde records (type 60) of a Gemeindeverzeichnis
// and skips the others (Land, Regierungsbezirk, Kreis, Gemeindeverband).
// Its columns are gebietsstand, ags, gemeindeverband, ars, name,
// area_ha (hectares), population and male. The population's reference date
// is not in the file: the import names it as the period.
func readGV100AD(path string, opts Options) (*grid, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Path: path, Reason: err.Error()}
	}
	text, err := decodeText(data, opts.Encoding)
	if err != nil {
		return nil, &Error{Path: path, Reason: err.Error()}
	}
	g := &grid{path: path, format: GV100AD, notes: map[string]string{}}
	idx := map[string]int{}
	for _, f := range gv100Fields {
		idx[f.name] = len(g.header)
		g.header = append(g.header, f.name)
		g.notes[f.name] = fmt.Sprintf("characters %d–%d", f.start+1, f.end)
		if f.name == "gemeindeverband" {
			idx[gv100ARS] = len(g.header)
			g.header = append(g.header, gv100ARS)
			g.notes[gv100ARS] = "characters 11–15 + 19–22 + 16–18"
		}
	}
	var probs Problems
	bad := func(line int, column, reason string) {
		probs.Add(&Error{Path: path, Line: line, Column: column, Where: g.notes[column], Reason: reason})
	}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if !strings.HasPrefix(line, "60") {
			continue
		}
		num := n + 1
		rec := []rune(line)
		if len(rec) < gv100RecordLen {
			bad(num, "", fmt.Sprintf("a Gemeinde record (type 60) has %d characters, expected at least %d", len(rec), gv100RecordLen))
			continue
		}
		r := row{line: num, cells: make([]string, len(g.header)), typed: make([]bool, len(g.header))}
		for _, f := range gv100Fields {
			v := strings.TrimSpace(string(rec[f.start:f.end]))
			r.cells[idx[f.name]] = v
			r.typed[idx[f.name]] = f.number
			if f.number && strings.Trim(v, "0123456789") != "" {
				bad(num, f.name, fmt.Sprintf("not a number: %q", v))
			}
		}
		ags, verband := r.cells[idx["ags"]], r.cells[idx["gemeindeverband"]]
		if !digits(ags, 8) {
			bad(num, "ags", fmt.Sprintf("AGS %q is not 8 digits", ags))
			continue
		}
		if !digits(verband, 4) {
			bad(num, "gemeindeverband", fmt.Sprintf("Gemeindeverband %q is not 4 digits", verband))
			continue
		}
		r.cells[idx[gv100ARS]] = ags[:5] + verband + ags[5:]
		stand, err := time.Parse("20060102", r.cells[idx["gebietsstand"]])
		if err != nil {
			bad(num, "gebietsstand", fmt.Sprintf("not a date (JJJJMMTT): %q", r.cells[idx["gebietsstand"]]))
			continue
		}
		switch {
		case g.gebietsstand == nil:
			g.gebietsstand = &stand
		case !g.gebietsstand.Equal(stand):
			bad(num, "gebietsstand", fmt.Sprintf("Gebietsstand %s differs from %s of the records before",
				stand.Format(time.DateOnly), g.gebietsstand.Format(time.DateOnly)))
		}
		g.rows = append(g.rows, r)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	if len(g.rows) == 0 {
		return nil, &Error{Path: path, Reason: "no Gemeinde records (type 60): is this a GV100AD file?"}
	}
	return g, nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// decodeText decodes a fixed-width file: UTF-8 (byte order mark dropped)
// when valid, else windows-1252 (Destatis ships ISO-8859-1); an explicit
// encoding wins.
func decodeText(data []byte, encoding string) (string, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var cm *charmap.Charmap
	switch strings.ToLower(strings.ReplaceAll(encoding, "_", "-")) {
	case "":
		if utf8.Valid(data) {
			return string(data), nil
		}
		cm = charmap.Windows1252
	case "utf-8", "utf8":
		if !utf8.Valid(data) {
			return "", fmt.Errorf("not valid UTF-8 (set the encoding, e.g. windows-1252)")
		}
		return string(data), nil
	case "windows-1252", "cp1252":
		cm = charmap.Windows1252
	case "iso-8859-1", "latin1", "latin-1":
		cm = charmap.ISO8859_1
	case "iso-8859-15", "latin9":
		cm = charmap.ISO8859_15
	default:
		return "", fmt.Errorf("unknown encoding %q", encoding)
	}
	b, err := cm.NewDecoder().Bytes(data)
	if err != nil {
		return "", fmt.Errorf("decode %s: %w", cm, err)
	}
	return string(b), nil
}

// parseTypedNumber reads a number a spreadsheet or fixed-width file stores
// as a number.
func parseTypedNumber(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v != v || v > 1e300 || v < -1e300 {
		return 0, false
	}
	return v, true
}
