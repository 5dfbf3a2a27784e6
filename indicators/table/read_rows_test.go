package table

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"unsafe"
)

// The long table of the benchmark, for its first 300 areas: every cell as
// written.
func TestReadGeneratedLongTable(t *testing.T) {
	const areas = 300
	path := writeLongTable(t, t.TempDir(), areas)
	tab, err := Read(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := areas * longIndicators * longPeriods; len(tab.Cells) != n {
		t.Fatalf("%d cells, want %d", len(tab.Cells), n)
	}
	if tab.Decimal != ',' {
		t.Fatalf("decimal %q, want ',' (the points group thousands)", tab.Decimal)
	}
	i := 0
	for a := range areas {
		for ind := range longIndicators {
			for per := range longPeriods {
				c := tab.Cells[i]
				i++
				want := Cell{Line: i + 1, Ref: "value", Column: "value", Area: longArea(a), Indicator: longIndicator(ind),
					Period: longPeriod(per), Status: Measured}
				if c.Value == nil || *c.Value != float64(longValue(a, ind, per)) {
					t.Fatalf("line %d: value %v, want %d", i+1, c.Value, longValue(a, ind, per))
				}
				c.Value = nil
				if c != want {
					t.Fatalf("line %d: %+v, want %+v", i+1, c, want)
				}
			}
		}
	}
	// Repeated areas and indicators share one string.
	if unsafe.StringData(tab.Cells[0].Area) != unsafe.StringData(tab.Cells[99].Area) ||
		unsafe.StringData(tab.Cells[0].Indicator) != unsafe.StringData(tab.Cells[100].Indicator) {
		t.Error("repeated codes are not shared")
	}
}

// Errors of the file itself come first, as when the whole file was read
// before the layout was looked at.
func TestReadFileErrorsBeforeLayoutErrors(t *testing.T) {
	ragged := "area;indicator;period;value\n01;a;2022;5\n02;a;2022\n03;a;2022;x\n"
	tests := []struct {
		name, file, csv string
		opts            Options
		want            string
	}{
		{"ragged row before a cell problem", "t.csv", ragged, Options{},
			`line 3: 3 fields, the header has 4 (delimiter semicolon)`},
		{"ragged row with the decimal given", "t.csv", ragged, Options{Decimal: ','},
			`line 3: 3 fields, the header has 4 (delimiter semicolon)`},
		{"ragged row before a missing column", "t.csv", ragged, Options{Layout: Layout{ValueColumn: "Wert"}},
			`line 3: 3 fields, the header has 4 (delimiter semicolon)`},
		{"ragged row before a wide table without period", "t.csv", ragged,
			Options{Layout: Layout{AreaColumn: "area", Columns: map[string]string{"value": "v"}}},
			`line 3: 3 fields, the header has 4 (delimiter semicolon)`},
		{"stray quote before mixed decimals", "t.csv", "area;indicator;period;value\n01;a;2022;1,5\n02;a;2022;2.5\n03;a;2022;7\"\n", Options{},
			`line 4: column 12: bare " in non-quoted-field`},
		{"mixed decimals", "t.csv", "area;indicator;period;value\n01;a;2022;1,5\n02;a;2022;2.5\n", Options{},
			`the values mix decimal conventions: line 2, column "value" has "1,5" and line 3, column "value" has "2.5"; set the decimal separator`},
		{"not a CSV name", "t.dat", "area;indicator;period;value\n01;a;2022;5\n", Options{},
			`unknown file type: expected .geojson, .json, .shp, .zip, .gpkg or .csv`},
		{"empty row inside", "t.csv", "area;indicator;period;value\n01;a;2022;5\n;;;\n02;a;2022;6\n", Options{},
			`line 3, column "area": empty area code`},
		{"the same bad period twice", "t.csv", "area;indicator;period;value\n01;a;2022-13-31;5\n02;a;2022-13-31;6\n", Options{},
			`line 2, column "period": not a date: "2022-13-31" (use YYYY-MM-DD, DD.MM.YYYY or a year)` + "\n" +
				`line 3, column "period": not a date: "2022-13-31" (use YYYY-MM-DD, DD.MM.YYYY or a year)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.file, tc.csv)
			_, err := Read(p, tc.opts)
			var want []string
			for _, w := range strings.Split(tc.want, "\n") {
				want = append(want, p+": "+w)
			}
			if err == nil || err.Error() != strings.Join(want, "\n") {
				t.Fatalf("err = %v\nwant %s", err, strings.Join(want, "\n"))
			}
		})
	}
}

// Quoted files, files ending in empty rows, CRLF line ends and a period
// given for the table read as before.
func TestReadCSVShapes(t *testing.T) {
	tests := []struct {
		name, csv string
		opts      Options
		want      []string
	}{
		{"quoted values", "area;indicator;period;value\n\"01\";\"a\";\"2022\";\"1.234,5\"\n02;b;31.12.2021;\"7\"\n", Options{},
			[]string{"2 value 01  2022-12-31 a=1234.5 measured", "3 value 02  2021-12-31 b=7 measured"}},
		{"empty rows at the end", "area;indicator;period;value\r\n01;a;2022;5\r\n;;;\r\n ; ; ; \r\n", Options{},
			[]string{"2 value 01  2022-12-31 a=5 measured"}},
		{"blank lines", "area;indicator;period;value\n\n01;a;2022;5\n\n02;a;2022;.\n", Options{},
			[]string{"3 value 01  2022-12-31 a=5 measured", "5 value 02  2022-12-31 a=NULL suppressed"}},
		{"decimal given", "area;indicator;period;value\n01;a;2022;1,5 p\n02;a;2021;–\n", Options{Decimal: ','},
			[]string{"2 value 01  2022-12-31 a=1.5 provisional", "3 value 02  2021-12-31 a=0 measured"}},
		{"header only", "area;indicator;period;value\n", Options{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := Read(writeFile(t, "t.csv", tc.csv), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			equalLines(t, brief(tab.Cells), tc.want)
		})
	}
}

// The plain path of number gives what the general one gives, bit for bit,
// for every text of up to six characters of digits, separators and signs,
// and of up to nine characters of digits and separators.
func TestPlainNumberMatchesAnyNumber(t *testing.T) {
	var texts []string
	var gen func(alphabet, prefix string, n int)
	gen = func(alphabet, prefix string, n int) {
		texts = append(texts, prefix)
		if n == 0 {
			return
		}
		for i := range len(alphabet) {
			gen(alphabet, prefix+alphabet[i:i+1], n-1)
		}
	}
	gen("0159.,-+", "", 6)
	gen("19.,", "", 9)
	texts = append(texts, "123456789012345", "1234567890123456", "1.234.567.890.123,45", "0,000000000000001",
		"999.999.999.999.999", "12345678901234567890", "-0", "+0,0", "0.123.456")
	for _, decimal := range []byte{',', '.'} {
		v := newValueReader(decimal, nil)
		for _, s := range texts {
			want, wantOK := v.anyNumber(s)
			got, ok := v.number(s)
			if ok != wantOK || math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("decimal %q: number(%q) = %v, %v; want %v, %v", decimal, s, got, ok, want, wantOK)
			}
		}
	}
}

// Period texts are parsed once; a typed period is not cached by its text.
func TestPeriodCache(t *testing.T) {
	c := newPeriodCache()
	for i := range 3 {
		for _, text := range []string{"31.12.2022", "2021", " 2020-06-30 ", "", "2022-13-31"} {
			got, gotErr := c.parse(text, false)
			want, wantErr := parsePeriod(text, false)
			if !got.Equal(want) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("round %d: parse(%q) = %v, %v; want %v, %v", i, text, got, gotErr, want, wantErr)
			}
		}
	}
	if len(c.seen) != 5 {
		t.Fatalf("%d texts cached, want 5", len(c.seen))
	}
	if p, err := c.parse("44926", true); err != nil || !p.Equal(day2022) || len(c.seen) != 5 {
		t.Fatalf("typed serial day: %v, %v, %d cached", p, err, len(c.seen))
	}
}
