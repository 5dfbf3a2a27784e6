package source

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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

	ds := &Dataset{
		Path:    path,
		Layer:   strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)),
		Fields:  fields,
		Tabular: true,
	}
	lastFilled := 0 // number of features up to the last row with a value
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvParseError(path, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && len(fields) > 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of only spaces
		}
		if len(rec) != len(fields) {
			return nil, &Error{Path: path, Feature: line, Line: true,
				Reason: fmt.Sprintf("%d fields, the header has %d (delimiter %s)", len(rec), len(fields), csvDelimiterName(comma))}
		}
		attrs := make(map[string]string, len(fields))
		empty := true
		for i, name := range fields {
			attrs[name] = rec[i]
			if strings.TrimSpace(rec[i]) != "" {
				empty = false
			}
		}
		ds.Features = append(ds.Features, Feature{Number: line, Attrs: attrs})
		if !empty {
			lastFilled = len(ds.Features)
		}
	}
	ds.Features = ds.Features[:lastFilled]
	return ds, nil
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
