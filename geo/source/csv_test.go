package source

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestCSV(t *testing.T) {
	tests := []struct {
		path     string
		opts     Options
		fields   []string
		features []Feature
	}{
		{
			path:   "testdata/csv/population-plr-2022-06-excerpt.csv",
			fields: []string{"Gesamt", "unter6", "6-15", "15-18", "18-27", "27-45", "45-55", "55-65", "65undmehr", "weiblich", "ausländer", "PLR-ID"},
			features: []Feature{
				{Number: 2, Attrs: row("Gesamt=3503", "unter6=169", "6-15=181", "15-18=35", "18-27=438", "27-45=1193", "45-55=377", "55-65=396", "65undmehr=714", "weiblich=1708", "ausländer=1509", "PLR-ID=01100101")},
				{Number: 3, Attrs: row("Gesamt=1996", "unter6=103", "6-15=131", "15-18=28", "18-27=196", "27-45=762", "45-55=260", "55-65=248", "65undmehr=268", "weiblich=932", "ausländer=1065", "PLR-ID=01100102")},
				{Number: 4, Attrs: row("Gesamt=5537", "unter6=262", "6-15=342", "15-18=108", "18-27=667", "27-45=1743", "45-55=629", "55-65=749", "65undmehr=1037", "weiblich=2560", "ausländer=2094", "PLR-ID=01100103")},
				{Number: 5, Attrs: row("Gesamt=–", "unter6=–", "6-15=–", "15-18=–", "18-27=–", "27-45=–", "45-55=–", "55-65=–", "65undmehr=–", "weiblich=–", "ausländer=–", "PLR-ID=03400831")},
			},
		},
		{
			path: "testdata/csv/lor-2021-hierarchy-excerpt.csv",
			fields: []string{"techn. Schlüssel (UUID)", "Planungsraum (Nummer)", "Planungsraum (Name)", "Bezirksregion (Nummer)", "Bezirksregion (Name)",
				"Prognoseraum (Nummer)", "Prognoseraum (Name)", "Bezirk", "Fläche in qm", "Stand der Daten"},
			features: []Feature{
				{Number: 2, Attrs: row("techn. Schlüssel (UUID)=94752AD5-9BE6-4520-A3C7-F593BB45C7D5", "Planungsraum (Nummer)=01100101", "Planungsraum (Name)=Stülerstraße",
					"Bezirksregion (Nummer)=011001", "Bezirksregion (Name)=Tiergarten Süd", "Prognoseraum (Nummer)=0110", "Prognoseraum (Name)=Zentrum",
					"Bezirk=Mitte", "Fläche in qm=366933.12", "Stand der Daten= 01.01.2021")},
				{Number: 3, Attrs: row("techn. Schlüssel (UUID)=37FF656B-0F82-443E-B158-2DB4875E17E4", "Planungsraum (Nummer)=01100102", "Planungsraum (Name)=Großer Tiergarten",
					"Bezirksregion (Nummer)=011001", "Bezirksregion (Name)=Tiergarten Süd", "Prognoseraum (Nummer)=0110", "Prognoseraum (Name)=Zentrum",
					"Bezirk=Mitte", "Fläche in qm=3919852.22", "Stand der Daten= 01.12.2021")},
				{Number: 4, Attrs: row("techn. Schlüssel (UUID)=58310131-28AD-417D-BE5C-8F053EDF659C", "Planungsraum (Nummer)=01100103", "Planungsraum (Name)=Lützowstraße",
					"Bezirksregion (Nummer)=011001", "Bezirksregion (Name)=Tiergarten Süd", "Prognoseraum (Nummer)=0110", "Prognoseraum (Name)=Zentrum",
					"Bezirk=Mitte", "Fläche in qm=547183.23", "Stand der Daten= 01.12.2021")},
			},
		},
		{
			// Semicolons, with commas inside unquoted names.
			path:   "testdata/csv/kreise-2018-excerpt.csv",
			fields: []string{"AGS", "type", "name", "NUTS3", "area_km2", "population", "population_male", "population_female", "population_per_km2"},
			features: []Feature{
				{Number: 2, Attrs: row("AGS=01001", "type=Kreisfreie Stadt", "name=Flensburg, Stadt", "NUTS3=DEF01", "area_km2=56.73", "population=89504", "population_male=44599", "population_female=44905", "population_per_km2=1578")},
				{Number: 3, Attrs: row("AGS=01002", "type=Kreisfreie Stadt", "name=Kiel, Landeshauptstadt", "NUTS3=DEF02", "area_km2=118.65", "population=247548", "population_male=120566", "population_female=126982", "population_per_km2=2086")},
				{Number: 4, Attrs: row("AGS=01003", "type=Kreisfreie Stadt", "name=Lübeck, Hansestadt", "NUTS3=DEF03", "area_km2=214.19", "population=217198", "population_male=104371", "population_female=112827", "population_per_km2=1014")},
				{Number: 5, Attrs: row("AGS=01004", "type=Kreisfreie Stadt", "name=Neumünster, Stadt", "NUTS3=DEF04", "area_km2=71.66", "population=79487", "population_male=39241", "population_female=40246", "population_per_km2=1109")},
			},
		},
		{
			path:   "testdata/csv/windows-1252.csv",
			fields: []string{"Schlüssel", "Name", "Übergeordnet"},
			features: []Feature{
				{Number: 2, Attrs: row("Schlüssel=09", "Name=Treptow-Köpenick", "Übergeordnet=11000000")},
				{Number: 3, Attrs: row("Schlüssel=0901", "Name=Straße am Fluß", "Übergeordnet=09")},
			},
		},
		{
			path:   "testdata/csv/windows-1252.csv",
			opts:   Options{Encoding: "ISO-8859-1"},
			fields: []string{"Schlüssel", "Name", "Übergeordnet"},
			features: []Feature{
				{Number: 2, Attrs: row("Schlüssel=09", "Name=Treptow-Köpenick", "Übergeordnet=11000000")},
				{Number: 3, Attrs: row("Schlüssel=0901", "Name=Straße am Fluß", "Übergeordnet=09")},
			},
		},
		{
			path:   "testdata/csv/quoted.csv",
			fields: []string{"code", "name", "parent"},
			features: []Feature{
				{Number: 2, Attrs: row("code=0101", "name=Zentrum, Tiergarten", "parent=01")},
				{Number: 3, Attrs: row("code=0102", "name=Moabit\nNord", "parent=01")},
				{Number: 5, Attrs: row("code=0103", `name=Der "Kiez"`, "parent=01")},
			},
		},
		{
			path:   "testdata/csv/excel-unicode.txt",
			fields: []string{"code", "name", "parent"},
			features: []Feature{
				{Number: 2, Attrs: row("code=0101", "name=Zentrum", "parent=01")},
				{Number: 3, Attrs: row("code=0102", "name=Moabit", "parent=01")},
			},
		},
	}
	for _, tt := range tests {
		ds, err := Open(tt.path, tt.opts)
		if err != nil {
			t.Errorf("%s: %v", tt.path, err)
			continue
		}
		layer := filepath.Base(tt.path)
		layer = layer[:len(layer)-len(filepath.Ext(layer))]
		want := &Dataset{Path: tt.path, Layer: layer, Tabular: true, Fields: tt.fields, Features: tt.features}
		if !reflect.DeepEqual(ds, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.path, ds, want)
		}
	}
}

func TestCSVErrors(t *testing.T) {
	tests := []struct {
		path string
		opts Options
		want Error
	}{
		{path: "testdata/csv/ragged.csv", want: Error{Feature: 4, Line: true, Reason: "2 fields, the header has 3 (delimiter semicolon)"}},
		{path: "testdata/csv/duplicate-header.csv", want: Error{Field: "name", Reason: "header (line 1): columns 2 and 4 have the same name"}},
		{path: "testdata/csv/empty-header.csv", want: Error{Reason: "header (line 1): column 2 has no name"}},
		{path: "testdata/csv/stray-quote.csv", want: Error{Feature: 2, Line: true, Reason: `column 9: bare " in non-quoted-field`}},
		{path: "testdata/csv/windows-1252.csv", opts: Options{Encoding: "UTF-8"},
			want: Error{Reason: "line 1: byte 0xFC is not valid UTF-8 (set the encoding, e.g. windows-1252)"}},
		{path: "testdata/csv/windows-1252.csv", opts: Options{Encoding: "EBCDIC"}, want: Error{Reason: `unknown encoding "EBCDIC"`}},
	}
	for _, tt := range tests {
		_, err := Open(tt.path, tt.opts)
		tt.want.Path = tt.path
		checkError(t, tt.path, err, tt.want)
	}
}

func TestCSVDelimiterAndLines(t *testing.T) {
	tests := []struct {
		name, text string
		fields     []string
		numbers    []int
		err        *Error
	}{
		{name: "single column", text: "code\n01\n02\n", fields: []string{"code"}, numbers: []int{2, 3}},
		{name: "tab", text: "code\tname, long\n01\tA, B\n", fields: []string{"code", "name, long"}, numbers: []int{2}},
		{name: "comma beats semicolon", text: "a,b,c\n1,2;3,4\n", fields: []string{"a", "b", "c"}, numbers: []int{2}},
		{name: "blank lines inside", text: "a;b\n\n1;2\n\n\n3;4\n", fields: []string{"a", "b"}, numbers: []int{3, 6}},
		{name: "header only", text: "a;b\r\n", fields: []string{"a", "b"}},
		{name: "empty row inside stays", text: "a;b\n;\n1;2\n;\n", fields: []string{"a", "b"}, numbers: []int{2, 3}},
		{name: "ragged row not hidden by one-column split", text: "a;b\n1;2\n3\n", err: &Error{Feature: 3, Line: true, Reason: "1 fields, the header has 2 (delimiter semicolon)"}},
		{name: "empty file", text: "", err: &Error{Reason: "empty file: expected a header line"}},
		{name: "unterminated quote", text: "a;b\n1;\"x\n2;3\n", err: &Error{Feature: 2, Line: true, Reason: `line 3, column 5: extraneous or missing " in quoted-field (in the row starting on line 2)`}},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		path := filepath.Join(dir, "t.csv")
		if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := Open(path, Options{})
		if tt.err != nil {
			tt.err.Path = path
			checkError(t, tt.name, err, *tt.err)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var numbers []int
		for _, f := range ds.Features {
			numbers = append(numbers, f.Number)
		}
		if !reflect.DeepEqual(ds.Fields, tt.fields) || !reflect.DeepEqual(numbers, tt.numbers) {
			t.Errorf("%s: fields %q lines %v, want %q %v", tt.name, ds.Fields, numbers, tt.fields, tt.numbers)
		}
		if ds.CRS != (CRS{}) {
			t.Errorf("%s: CRS %+v, want none", tt.name, ds.CRS)
		}
	}
}

// row builds attributes from "name=value" pairs.
func row(pairs ...string) map[string]string {
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		for i := 0; i < len(p); i++ {
			if p[i] == '=' {
				m[p[:i]] = p[i+1:]
				break
			}
		}
	}
	return m
}
