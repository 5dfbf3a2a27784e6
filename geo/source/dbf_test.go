package source

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func strPtr(s string) *string { return &s }

// TestDBFEncoding checks the order in which the character set is chosen:
// Options.Encoding, .cpg, language driver id, UTF-8 if valid, windows-1252.
func TestDBFEncoding(t *testing.T) {
	const (
		utf8Name   = "N\xc3\xbcrnberger Land \xe2\x82\xac Gro\xc3\x9fe"
		cp1252Name = "N\xfcrnberger Land \x80 Gro\xdfe"
		want       = "Nürnberger Land € Große"
	)
	tests := []struct {
		name     string
		ldid     byte
		cpg      *string
		encoding string
		raw      string
		want     string
	}{
		{"windows-1252 without .cpg or driver id", 0, nil, "", cp1252Name, want},
		{"UTF-8 without .cpg or driver id", 0, nil, "", utf8Name, want},
		{"driver id 0x57 (ANSI)", 0x57, nil, "", cp1252Name, want},
		{"driver id 0x03 (1252)", 0x03, nil, "", cp1252Name, want},
		{"driver id 0x01 (CP437)", 0x01, nil, "", "N\x81rnberger Land", "Nürnberger Land"},
		{".cpg UTF-8", 0, strPtr("UTF-8\n"), "", utf8Name, want},
		{".cpg 1252", 0, strPtr("1252"), "", cp1252Name, want},
		{".cpg ANSI 1252", 0, strPtr("ANSI 1252"), "", cp1252Name, want},
		{".cpg 88591", 0, strPtr("88591"), "", "N\xfcrnberger Land", "Nürnberger Land"},
		{".cpg ISO-8859-1", 0, strPtr("ISO-8859-1"), "", "N\xfcrnberger Land", "Nürnberger Land"},
		{".cpg ISO-8859-2", 0, strPtr("ISO-8859-2"), "", "\xa3\xf3d\xbc", "Łódź"},
		{".cpg before driver id", 0x57, strPtr("UTF-8"), "", utf8Name, want},
		{"empty .cpg falls back to driver id", 0x57, strPtr(" "), "", cp1252Name, want},
		{"Options.Encoding before .cpg", 0, strPtr("UTF-8"), "windows-1252", cp1252Name, want},
		{"Options.Encoding before driver id", 0x01, nil, "UTF-8", utf8Name, want},
		{"UTF-8 value cut inside its last character", 0, strPtr("UTF-8"), "", "Gr\xc3\xb6\xc3", "Grö"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testShapefile{
				shapeType: shpNull,
				ldid:      tt.ldid,
				cpg:       tt.cpg,
				fields:    []testField{{"GEN", 'C', 40, 0}},
				records:   []testRecord{{values: []string{tt.raw}}},
			}
			ds, err := Open(s.write(t, t.TempDir(), "enc"), Options{Encoding: tt.encoding})
			if err != nil {
				t.Fatal(err)
			}
			if got := ds.Features[0].Attrs["GEN"]; got != tt.want {
				t.Errorf("GEN = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDBFEncodingErrors(t *testing.T) {
	tests := []struct {
		name     string
		cpg      *string
		encoding string
		wantFile string // base name of the file the error names
		feature  int
		field    string
		reason   string
	}{
		{"not UTF-8 though the .cpg says so", strPtr("UTF-8"), "", "enc.dbf", 1, "GEN", errNotUTF8.Error()},
		{"unknown .cpg", strPtr("EBCDIC-XYZ"), "", "enc.cpg", 0, "", `unknown code page "EBCDIC-XYZ"; set the encoding explicitly`},
		{"unknown Options.Encoding", nil, "klingon", "enc.dbf", 0, "", `unknown encoding "klingon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := testShapefile{
				shapeType: shpNull,
				cpg:       tt.cpg,
				fields:    []testField{{"GEN", 'C', 40, 0}},
				records:   []testRecord{{values: []string{"N\xfcrnberger Land"}}},
			}
			_, err := Open(s.write(t, dir, "enc"), Options{Encoding: tt.encoding})
			want := &Error{Path: filepath.Join(dir, tt.wantFile), Feature: tt.feature, Field: tt.field, Reason: tt.reason}
			var e *Error
			if !errors.As(err, &e) || *e != *want {
				t.Errorf("error %v, want %v", err, want)
			}
		})
	}
}

func TestDBFValues(t *testing.T) {
	fields := []testField{
		{"NAME", 'C', 10, 0},
		{"AMOUNT", 'N', 10, 2},
		{"RATE", 'F', 12, 3},
		{"SINCE", 'D', 8, 0},
		{"MEMO", 'M', 10, 0},
		{"OPEN", 'L', 1, 0},
	}
	tests := []struct {
		name   string
		values []string
		want   map[string]string
	}{
		{"all set", []string{"  Kita 1 ", "12.50", "-0.125", "20210101", "0000000012", "T"},
			map[string]string{"NAME": "Kita 1", "AMOUNT": "12.50", "RATE": "-0.125", "SINCE": "2021-01-01", "OPEN": "true"}},
		{"blank values", []string{"", "", "", "", "", ""},
			map[string]string{"NAME": "", "AMOUNT": "", "RATE": "", "SINCE": "", "OPEN": ""}},
		{"dBase null markers", []string{"\x00\x00", "**********", "***", "00000000", "", "?"},
			map[string]string{"NAME": "", "AMOUNT": "", "RATE": "", "SINCE": "", "OPEN": ""}},
		{"logical spellings", []string{"x", "0", "1e3", "19991231", "", "n"},
			map[string]string{"NAME": "x", "AMOUNT": "0", "RATE": "1e3", "SINCE": "1999-12-31", "OPEN": "false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testShapefile{shapeType: shpNull, fields: fields, records: []testRecord{{values: tt.values}}}
			ds, err := Open(s.write(t, t.TempDir(), "values"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"NAME", "AMOUNT", "RATE", "SINCE", "OPEN"}; !reflect.DeepEqual(ds.Fields, want) {
				t.Errorf("fields %v, want %v (memo fields are not read)", ds.Fields, want)
			}
			if got := ds.Features[0].Attrs; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("attrs %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDBFValueErrors(t *testing.T) {
	tests := []struct {
		name   string
		field  testField
		value  string
		reason string
	}{
		{"date not YYYYMMDD", testField{"SINCE", 'D', 8, 0}, "1.1.2021", `invalid date "1.1.2021" (expected YYYYMMDD)`},
		{"logical neither true nor false", testField{"OPEN", 'L', 1, 0}, "X", `invalid logical value "X"`},
		{"number with non-ASCII bytes", testField{"AMOUNT", 'N', 6, 0}, "1\xb72", `invalid number "1\xb72"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := testShapefile{shapeType: shpNull, fields: []testField{tt.field}, records: []testRecord{
				{values: []string{""}}, {values: []string{tt.value}},
			}}
			_, err := Open(s.write(t, dir, "bad"), Options{})
			want := &Error{Path: filepath.Join(dir, "bad.dbf"), Feature: 2, Field: tt.field.name, Reason: tt.reason}
			var e *Error
			if !errors.As(err, &e) || *e != *want {
				t.Errorf("error %v, want %v", err, want)
			}
		})
	}
}

func TestDBFStructureErrors(t *testing.T) {
	base := testShapefile{shapeType: shpNull, fields: []testField{{"ID", 'C', 4, 0}}, records: []testRecord{
		{values: []string{"a"}}, {values: []string{"b"}}, {values: []string{"c"}},
	}}
	tests := []struct {
		name    string
		damage  func(dbf []byte) []byte
		feature int
		field   string
		reason  string
	}{
		{"data ends within the last record", func(b []byte) []byte { return b[:len(b)-4] }, 3, "",
			"file is truncated: the header announces 3 records, the file ends within record 3"},
		{"invalid deletion flag", func(b []byte) []byte { b[dbfHeaderSize+dbfDescriptorSize+1+5] = '#'; return b }, 2, "",
			"invalid deletion flag 0x23 (expected ' ' or '*')"},
		{"unsupported field type", func(b []byte) []byte { b[dbfHeaderSize+11] = 'T'; return b }, 0, "ID",
			`unsupported dBase field type 'T'`},
		{"record length disagreeing with the fields", func(b []byte) []byte { b[10] = 9; return b }, 0, "",
			"record length 9 in the header, but the fields add up to 5"},
		{"header only", func(b []byte) []byte { return b[:20] }, 0, "", "too short for a dBase table (20 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			shp := base.write(t, dir, "t")
			dbf := filepath.Join(dir, "t.dbf")
			data, err := os.ReadFile(dbf)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dbf, tt.damage(data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = Open(shp, Options{})
			want := &Error{Path: dbf, Feature: tt.feature, Field: tt.field, Reason: tt.reason}
			var e *Error
			if !errors.As(err, &e) || *e != *want {
				t.Errorf("error %v, want %v", err, want)
			}
		})
	}
}

func TestParseCharsetName(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"UTF-8", "UTF-8"}, {"utf8", "UTF-8"}, {"65001", "UTF-8"},
		{"1252", "windows-1252"}, {"CP1252", "windows-1252"}, {"windows-1252", "windows-1252"},
		{"ANSI 1252", "windows-1252"}, {"ISO-8859-1", "windows-1252"}, {"88591", "windows-1252"},
		{"8859_1", "windows-1252"}, {"latin1", "windows-1252"}, {"ISO 8859-15", "ISO-8859-15"},
		{"437", "CP437"}, {"OEM 850", "CP850"}, {"IBM852", "CP852"}, {"1250", "windows-1250"},
		{"KOI8-R", "KOI8-R"},
		{"EBCDIC", ""}, {"", ""}, {"8859-12", ""}, {"1200", ""},
	}
	for _, tt := range tests {
		cs, ok := parseCharsetName(tt.in)
		if got := cs.name; got != tt.want || ok != (tt.want != "") {
			t.Errorf("parseCharsetName(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestDuplicateFieldName(t *testing.T) {
	dir := t.TempDir()
	s := testShapefile{shapeType: shpNull, fields: []testField{{"ARS", 'C', 5, 0}, {"ARS", 'C', 5, 0}},
		records: []testRecord{{values: []string{"1", "2"}}}}
	_, err := Open(s.write(t, dir, "dup"), Options{})
	if err == nil || !strings.HasSuffix(err.Error(), `dup.dbf: field "ARS": field name occurs twice`) {
		t.Errorf("error %v", err)
	}
}
