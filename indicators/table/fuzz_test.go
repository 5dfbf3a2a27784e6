package table

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadCSV reads any bytes as a long and as a wide CSV table. Whatever
// the file holds, Read must not panic, and must either report problems as
// errors or return cells that keep the package's promises: a value exactly
// when the status is measured, estimated or provisional, an area and an
// indicator, and a line below the header.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"area;indicator;period;value\n160735054001;einwohner;2022-12-31;338\n160735054006;maennlich;2022-12-31;.\n",
		"area,indicator,period,value\n01,ew,2022,\"1,234.5\"\n02,ew,2022,12 p\n03,ew,2022,–\n04,ew,2022,x\n",
		"\ufeffARS;Name;Gesamt;männlich\n01;Schleswig-Holstein;2.953.270;1.447.000e\n02;Hamburg;1 892 122;…\n",
		"ARS;Name;Gesamt;m\xe4nnlich\n01;Kiel;246.601;-9999\n",
		"area;indicator;period;value\n01;ew;31.12.2022;1,5\n01;ew;31.12.2022;2\n",
		"area\tindicator\tperiod\tvalue\n\"01\nx\";ew;2022-12-31;1\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(t.TempDir(), "table.csv")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, opts := range []Options{
			{Placeholders: []string{"-9999"}},
			{Layout: Layout{AreaColumn: "ARS", NameColumn: "Name", Period: day2022,
				Columns: map[string]string{"Gesamt": "einwohner", "männlich": "maennlich"}}},
		} {
			tab, err := Read(path, opts)
			if err != nil {
				if err.Error() == "" {
					t.Fatalf("an error without a message")
				}
				continue
			}
			if tab.Decimal != ',' && tab.Decimal != '.' {
				t.Fatalf("decimal separator %q", tab.Decimal)
			}
			for _, c := range tab.Cells {
				checkCell(t, c, tab.HeaderLine)
			}
		}
	})
}

func checkCell(t *testing.T, c Cell, header int) {
	t.Helper()
	switch c.Status {
	case Measured, Estimated, Provisional:
		if c.Value == nil {
			t.Fatalf("line %d: %s without a value", c.Line, c.Status)
		}
	case Suppressed, Missing:
		if c.Value != nil {
			t.Fatalf("line %d: %s with value %v", c.Line, c.Status, *c.Value)
		}
	default:
		t.Fatalf("line %d: status %q", c.Line, c.Status)
	}
	if c.Area == "" || c.Indicator == "" || c.Line <= header {
		t.Fatal(errors.New("a cell without area or indicator, or not below the header"))
	}
}
