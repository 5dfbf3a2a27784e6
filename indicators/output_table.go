package indicators

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// outTable describes a table written as CSV or XLSX: German column titles
// for spreadsheet users, and notes (source, licence) the XLSX writes below
// the rows.
type outTable struct {
	// File is the download's name without extension.
	File    string
	Sheet   string
	Columns []outColumn
	Notes   []string
}

// outColumn is a column of an outTable.
type outColumn struct {
	Title string
	// Numeric columns hold published numbers as appendPublished writes them
	// ("1234.5", always a plain decimal) with Decimals digits after the
	// point, or, with Decimals < 0, as many as each row's number has (the
	// XLSX then shows them in Excel's general format); the others hold
	// text.
	Numeric  bool
	Decimals int
	// Width in characters, for the XLSX.
	Width float64
}

// outTableWriter writes the rows of an outTable; an empty cell is "".
type outTableWriter interface {
	Row(cells []string) error
	// Close completes the table; the XLSX is written to the response only
	// then.
	Close() error
}

// startTable sets the response headers for the table in media type mt and
// returns its writer.
func startTable(w http.ResponseWriter, mt string, t outTable) (outTableWriter, error) {
	switch mt {
	case outMediaCSV:
		w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
		w.Header().Set("Content-Disposition", contentDisposition(t.File+".csv"))
		return newCSVTable(w, t)
	case outMediaXLSX:
		w.Header().Set("Content-Type", outMediaXLSX)
		w.Header().Set("Content-Disposition", contentDisposition(t.File+".xlsx"))
		return newXLSXTable(w, t)
	}
	return nil, fmt.Errorf("no table writer for %s", mt)
}

// contentDisposition names a download. File names are built from keys,
// level names, codes and dates; anything else is replaced so the header
// needs no quoting rules beyond the quotes.
func contentDisposition(name string) string {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
	return `attachment; filename="` + safe + `"`
}

// sheetName makes a valid worksheet name: at most 31 characters, none of
// : \ / ? * [ ] (Office Open XML, ECMA-376 Part 1, 18.2.19).
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '-'
		}
		return r
	}, s)
	s = strings.Trim(s, "'")
	for utf8.RuneCountInString(s) > 31 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	if strings.TrimSpace(s) == "" {
		return "Tabelle"
	}
	return s
}

// German labels of a cell's status in tables; "" is an area without a
// cell.
var statusLabels = map[string]string{
	string(Measured):    "erhoben",
	string(Derived):     "abgeleitet",
	string(Estimated):   "geschätzt",
	string(Provisional): "vorläufig",
	string(Missing):     "keine Angabe",
	string(Suppressed):  "gesperrt (Geheimhaltung)",
	"":                  "keine Daten",
}

// German labels of why a cell is withheld.
var suppressionLabels = map[string]string{
	string(Primary):   "primär",
	string(Secondary): "sekundär",
	string(Source):    "Quelle",
}

func statusLabel(s *string) string {
	if s == nil {
		return statusLabels[""]
	}
	if l, ok := statusLabels[*s]; ok {
		return l
	}
	return *s
}

func suppressionLabel(s *string) string {
	if s == nil {
		return ""
	}
	if l, ok := suppressionLabels[*s]; ok {
		return l
	}
	return *s
}

func yesNo(b bool) string {
	if b {
		return "ja"
	}
	return "nein"
}

func textOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// tableNotes are the lines below a table: title, source, licence, and
// what the reference date and the boundaries are.
func tableNotes(ind Indicator, lines ...string) []string {
	notes := []string{ind.Title}
	if ind.Source != "" {
		notes = append(notes, "Quelle: "+ind.Source)
	}
	if ind.Licence != "" {
		notes = append(notes, "Lizenz: "+ind.Licence)
	}
	notes = append(notes, lines...)
	return append(notes, "Gesperrte Werte (statistische Geheimhaltung) bleiben leer; der Status nennt den Grund.")
}

// valueTitle is the title of a value column: Wert, with the unit.
func valueTitle(unit string) string {
	if unit == "" {
		return "Wert"
	}
	return "Wert (" + unit + ")"
}
