package source

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// records lists what a reader yields as "line: field|field".
func records(t *testing.T, read func(func(int, []string) error) error) []string {
	t.Helper()
	var got []string
	err := read(func(line int, rec []string) error {
		got = append(got, fmt.Sprintf("%d: %s", line, strings.Join(rec, "|")))
		return nil
	})
	if err != nil {
		got = append(got, "error: "+err.Error())
	}
	return got
}

// Quote-free text is split without encoding/csv; it must yield the same
// records, line numbers and errors.
func TestCSVSplitLinesMatchesEncodingCSV(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"plain", "a;b\n1;2\n3;4\n", []string{"2: 1|2", "3: 3|4"}},
		{"no final line break", "a;b\n1;2\n3;4", []string{"2: 1|2", "3: 3|4"}},
		{"CRLF", "a;b\r\n1;2\r\n3;4\r\n", []string{"2: 1|2", "3: 3|4"}},
		{"CR at the end of the text", "a;b\r\n1;2\r", []string{"2: 1|2"}},
		{"CR inside a field", "a;b\n1\r2;3\n", []string{"2: 1\r2|3"}},
		{"two CRs before LF", "a;b\n1;2\r\r\n", []string{"2: 1|2\r"}},
		{"blank lines", "a;b\n\n\r\n1;2\n\n3;4\n\n", []string{"4: 1|2", "6: 3|4"}},
		{"blank lines before the header", "\n\na;b\n1;2\n", []string{"4: 1|2"}},
		{"empty fields", "a;b;c\n;;\n1;;\n;;\n", []string{"2: ||", "3: 1||"}},
		{"spaces only", "a;b\n   \n1;2\n", []string{"3: 1|2"}},
		{"spaces only, one column", "a\n  \n1\n", []string{"2:   ", "3: 1"}},
		{"ragged", "a;b\n1;2\n1;2;3\n", []string{"2: 1|2", "error: t.csv: line 3: 3 fields, the header has 2 (delimiter semicolon)"}},
		{"trailing empty rows", "a;b\n1;2\n;\n ; \n", []string{"2: 1|2"}},
		{"empty rows inside", "a;b\n;\n1;2\n", []string{"2: |", "3: 1|2"}},
		{"quoted header spanning lines", "\"a\nb\";c\n1;2\n", []string{"3: 1|2"}},
		{"tab", "a\tb\n1\t2\n", []string{"2: 1|2"}},
		{"header only", "a;b\n", nil},
		{"header only without line break", "a;b", nil},
		{"unicode text", "Schlüssel;Name\n09;Köpenick\n", []string{"2: 09|Köpenick"}},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		path := filepath.Join(dir, "t.csv")
		if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		tab, err := OpenCSV(path, Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !tab.plain() {
			t.Errorf("%s: not read as plain text", tc.name)
		}
		// The same rows, once through each reader.
		split := records(t, tab.Rows)
		viaCSV := records(t, func(fn func(int, []string) error) error {
			return tab.rowsWith(tab.csvRecords, fn)
		})
		want := slices.Clone(tc.want)
		for i := range want {
			want[i] = strings.Replace(want[i], "t.csv", path, 1)
		}
		if !reflect.DeepEqual(split, want) || !reflect.DeepEqual(viaCSV, want) {
			t.Errorf("%s:\n split %q\n   csv %q\n  want %q", tc.name, split, viaCSV, want)
		}
		if n := tab.MaxRows(); n < len(tc.want) {
			t.Errorf("%s: MaxRows %d < %d rows", tc.name, n, len(tc.want))
		}
	}
}

// Quotes and delimiters of more than one byte go through encoding/csv.
func TestCSVRowsQuotedAndWideDelimiter(t *testing.T) {
	tests := []struct {
		name, text string
		delimiter  rune
		want       []string
	}{
		{"quoted", "a;b\n\"1;x\";2\n\"3\n4\";5\n6;7\n", 0, []string{"2: 1;x|2", "3: 3\n4|5", "5: 6|7"}},
		{"section sign", "a§b\n1§2\n", '§', []string{"2: 1|2"}},
		{"stray quote", "a;b\n1;2\n3;x\"y\n", 0, []string{"2: 1|2", `error: t.csv: line 3: column 4: bare " in non-quoted-field`}},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		path := filepath.Join(dir, "t.csv")
		if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		tab, err := OpenCSV(path, Options{Delimiter: tc.delimiter})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tab.plain() {
			t.Errorf("%s: read as plain text", tc.name)
		}
		want := slices.Clone(tc.want)
		for i := range want {
			want[i] = strings.Replace(want[i], "t.csv", path, 1)
		}
		if got := records(t, tab.Rows); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, want)
		}
	}
}

// Rows can be read twice and stops at the caller's error.
func TestCSVRowsAgainAndStop(t *testing.T) {
	tab, err := OpenCSV("testdata/csv/kreise-2018-excerpt.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, second := records(t, tab.Rows), records(t, tab.Rows)
	if len(first) != 4 || !reflect.DeepEqual(first, second) {
		t.Fatalf("first %q\nsecond %q", first, second)
	}
	stop := fmt.Errorf("enough")
	n := 0
	err = tab.Rows(func(int, []string) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("err %v after %d rows, want %v after 1", err, n, stop)
	}
	if tab.HeaderLine != 1 || tab.Fields[0] != "AGS" {
		t.Fatalf("header line %d fields %q", tab.HeaderLine, tab.Fields)
	}
}
