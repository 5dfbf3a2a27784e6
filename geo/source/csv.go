package source

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// readCSV reads a table without geometry, as statistics offices and
// spreadsheets export them: the delimiter (semicolon, comma or tab) is
// detected from the header line, the text is UTF-8 (with or without byte
// order mark), UTF-16 with byte order mark, or windows-1252 when it is not
// valid UTF-8; Options.Encoding overrides the guess. Quoting follows RFC
// 4180 as encoding/csv implements it.
//
// The first line is the header; names are trimmed and must be unique and
// non-empty. Every row has the header's number of fields; values are kept
// as they are. Blank lines are skipped, and so are rows of only empty
// fields at the end of the file (spreadsheets leave them behind).
// Feature.Number is the physical line the row starts on (header = line 1).
func readCSV(path string, opts Options) (*Dataset, error) {
	t, err := OpenCSV(path, opts)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{
		Path:    path,
		Layer:   strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)),
		Fields:  t.Fields,
		Tabular: true,
	}
	err = t.Rows(func(line int, rec []string) error {
		attrs := make(map[string]string, len(t.Fields))
		for i, name := range t.Fields {
			attrs[name] = rec[i]
		}
		ds.Features = append(ds.Features, Feature{Number: line, Attrs: attrs})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// CSVTable is a CSV file decoded and its header checked (see Open for what
// is accepted), ready to be read row by row, as often as needed. Long
// statistical tables are read this way: without a map and a record per row.
type CSVTable struct {
	Path       string
	Fields     []string // header names, trimmed, in file order
	HeaderLine int

	text  string
	comma rune
	// rows is the offset in text after the header record, firstLine the
	// physical line it starts.
	rows      int
	firstLine int
}

// OpenCSV reads and decodes a CSV file and checks its header. Errors are
// *Error, as from Open.
func OpenCSV(path string, opts Options) (*CSVTable, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Path: path, Reason: err.Error()}
	}
	text, err := csvText(data, opts.Encoding)
	if err != nil {
		return nil, &Error{Path: path, Reason: err.Error()}
	}
	comma := opts.Delimiter
	if comma == 0 {
		comma = csvDelimiter(text)
	}

	r := csvReader(text, comma)
	header, err := r.Read()
	if err == io.EOF {
		return nil, &Error{Path: path, Reason: "empty file: expected a header line"}
	}
	if err != nil {
		return nil, csvParseError(path, err)
	}
	headerLine, _ := r.FieldPos(0)
	fields, herr := csvHeader(header, headerLine)
	if herr != nil {
		herr.Path = path
		return nil, herr
	}
	end := int(r.InputOffset())
	return &CSVTable{
		Path: path, Fields: fields, HeaderLine: headerLine,
		text: text, comma: comma,
		rows: end, firstLine: 1 + strings.Count(text[:end], "\n"),
	}, nil
}

// MaxRows is an upper bound of the rows Rows yields: the lines after the
// header. It lets a reader size its memory once.
func (t *CSVTable) MaxRows() int {
	return strings.Count(t.text[t.rows:], "\n") + 1
}

// Rows calls fn with every row after the header, in file order: line is the
// physical line the row starts on; rec holds the header's number of fields,
// as they are. rec is reused from call to call, its strings are not: fn
// copies the slice if it keeps it. Blank lines are skipped, and so are
// rows of only empty fields at the end of the file. A malformed row (wrong
// number of fields, bad quoting) ends the read with an *Error; an error of
// fn ends it with that error.
func (t *CSVTable) Rows(fn func(line int, rec []string) error) error {
	records := t.csvRecords
	if t.plain() {
		records = t.splitLines
	}
	return t.rowsWith(records, fn)
}

// rowsWith checks the records one reader yields and passes them on.
func (t *CSVTable) rowsWith(records func(func(int, []string) error) error, fn func(line int, rec []string) error) error {
	// Rows of only empty fields wait here until a row with a value shows
	// they are not the file's tail.
	type pending struct {
		line int
		rec  []string
	}
	var empty []pending
	row := func(line int, rec []string) error {
		if len(rec) == 1 && len(t.Fields) > 1 && strings.TrimSpace(rec[0]) == "" {
			return nil // a line of only spaces
		}
		if len(rec) != len(t.Fields) {
			return &Error{Path: t.Path, Feature: line, Line: true,
				Reason: fmt.Sprintf("%d fields, the header has %d (delimiter %s)", len(rec), len(t.Fields), csvDelimiterName(t.comma))}
		}
		if blankFields(rec) {
			empty = append(empty, pending{line, slices.Clone(rec)})
			return nil
		}
		for _, p := range empty {
			if err := fn(p.line, p.rec); err != nil {
				return err
			}
		}
		empty = empty[:0]
		return fn(line, rec)
	}
	return records(row)
}

// csvRecords yields the records after the header as encoding/csv reads
// them.
func (t *CSVTable) csvRecords(row func(line int, rec []string) error) error {
	r := csvReader(t.text, t.comma)
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil { // the header, checked by OpenCSV
		return csvParseError(t.Path, err)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvParseError(t.Path, err)
		}
		line, _ := r.FieldPos(0)
		if err := row(line, rec); err != nil {
			return err
		}
	}
}

// plain reports whether the rows can be split at line breaks and
// delimiters: no quote anywhere after the header and a one-byte delimiter.
// encoding/csv then yields the same records, which splitLines finds
// without its per-record copy.
func (t *CSVTable) plain() bool {
	return t.comma < utf8.RuneSelf && !strings.Contains(t.text[t.rows:], `"`)
}

// splitLines yields the records of quote-free text as encoding/csv reads
// them: a line ends at "\n", a "\r" before it (or at the end of the text)
// is dropped, and empty lines are skipped.
func (t *CSVTable) splitLines(row func(line int, rec []string) error) error {
	comma := byte(t.comma)
	var rec []string
	rest, line := t.text[t.rows:], t.firstLine
	for ; rest != ""; line++ {
		text := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			text, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		text = strings.TrimSuffix(text, "\r")
		if text == "" {
			continue
		}
		rec = rec[:0]
		for {
			i := strings.IndexByte(text, comma)
			if i < 0 {
				rec = append(rec, text)
				break
			}
			rec = append(rec, text[:i])
			text = text[i+1:]
		}
		if err := row(line, rec); err != nil {
			return err
		}
	}
	return nil
}

func blankFields(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// csvReader reads records of text with the given delimiter, leaving the
// field count to the caller so that a ragged row gets our message.
func csvReader(text string, comma rune) *csv.Reader {
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = comma
	r.FieldsPerRecord = -1
	return r
}

// csvHeader checks and trims the header names.
func csvHeader(header []string, line int) ([]string, *Error) {
	fields := make([]string, len(header))
	column := map[string]int{}
	for i, h := range header {
		name := strings.TrimSpace(h)
		if name == "" {
			return nil, &Error{Reason: fmt.Sprintf("header (line %d): column %d has no name", line, i+1)}
		}
		if j, dup := column[name]; dup {
			return nil, &Error{Field: name, Reason: fmt.Sprintf("header (line %d): columns %d and %d have the same name", line, j+1, i+1)}
		}
		column[name] = i
		fields[i] = name
	}
	return fields, nil
}

// csvParseError locates an encoding/csv error (stray quote and the like).
func csvParseError(path string, err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return &Error{Path: path, Reason: err.Error()}
	}
	reason := fmt.Sprintf("column %d: %v", pe.Column, pe.Err)
	if pe.StartLine != pe.Line {
		reason = fmt.Sprintf("line %d, column %d: %v (in the row starting on line %d)", pe.Line, pe.Column, pe.Err, pe.StartLine)
	}
	return &Error{Path: path, Feature: pe.StartLine, Line: true, Reason: reason}
}
