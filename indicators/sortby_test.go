package indicators

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSortbyAndDerived: sortby ranks the features by their own properties,
// indicators and derived properties, values before areas without one
// (withheld or missing) and code after the keys; filters and sorts see
// the derived properties as published figures make them, and a withheld
// value makes none of them.
func TestSortbyAndDerived(t *testing.T) {
	srv, _ := outputServer(t)
	for _, tt := range []struct {
		level, query string
		want         string
		matched      int
	}{
		{"gemeinde", "sortby=-einwohner", "010020002 010020001 010020004 010030001 010020003", 5},
		{"gemeinde", "sortby=%2Beinwohner", "010020003 010030001 010020001 010020004 010020002", 5},
		{"gemeinde", "sortby=+einwohner", "010020003 010030001 010020001 010020004 010020002", 5},
		// the quotes of 010020003 and 010020004 are withheld: last, whichever the direction
		{"gemeinde", "sortby=sgb2_quote", "010030001 010020002 010020001 010020003 010020004", 5},
		{"gemeinde", "sortby=-sgb2_quote", "010020001 010020002 010030001 010020003 010020004", 5},
		{"gemeinde", "sortby=-code", "010030001 010020004 010020003 010020002 010020001", 5},
		{"gemeinde", "sortby=parent,-einwohner", "010020002 010020001 010020004 010020003 010030001", 5},
		{"gemeinde", "filter=einwohner+%3E%3D+800&sortby=-einwohner&limit=2&offset=1", "010020001 010020004", 4},
		{"gemeinde", "sortby=-einwohner&period=2018-12-31", "010020002 010020004 010020001 010020003 010030001", 5},
		// changes 2018 → 2022: +10, +20, −5, −10, none (2018 missing)
		{"gemeinde", "sortby=einwohner_change&period2=2018-12-31", "010020004 010020003 010020001 010020002 010030001", 5},
		{"gemeinde", "filter=einwohner_change+%3C+0&period2=2018-12-31", "010020003 010020004", 2},
		// quotes 10.0 − 9.1 and 8.0 − 8.8 percentage points; the others withheld or missing
		{"gemeinde", "filter=sgb2_quote_change+%3C+0&period2=2018-12-31", "010020002", 1},
		{"gemeinde", "filter=NOT+%28sgb2_quote_change+%3C+0%29&period2=2018-12-31", "010020001", 1},
		{"gemeinde", "filter=sgb2_quote_change+IS+NULL&period2=2018-12-31", "010020003 010020004 010030001", 3},
		// Kreis 01002: 6.5 %, 3,550 residents; Kreis 01003: 5.0 %, 800
		{"gemeinde", "filter=sgb2_quote_parent_diff+%3E+2", "010020001", 1},
		{"gemeinde", "filter=sgb2_quote_parent_diff+%3D+0", "010030001", 1},
		{"gemeinde", "filter=sgb2_quote_parent_ratio+%3E+1.2&sortby=-sgb2_quote_parent_ratio", "010020001 010020002", 2},
		{"gemeinde", "sortby=einwohner_parent_diff", "010020003 010020001 010020004 010020002 010030001", 5},
		{"kreis", "filter=einwohner_parent_ratio+%3C+0.5", "01003", 1},
	} {
		var fc joinedCollection
		fetchJSON(t, srv.URL+"/collections/"+tt.level+"/items?"+tt.query, &fc)
		var codes []string
		for _, f := range fc.Features {
			codes = append(codes, f.ID)
		}
		if got := strings.Join(codes, " "); got != tt.want || fc.NumberMatched != tt.matched {
			t.Errorf("%s %s: %q (numberMatched %d), want %q (%d)", tt.level, tt.query, got, fc.NumberMatched, tt.want, tt.matched)
		}
	}
}

// TestDerivedProperties: indicators= adds derived properties to the
// features, rounded as published, null where a side is withheld.
func TestDerivedProperties(t *testing.T) {
	srv, _ := outputServer(t)
	q := url.Values{"indicators": {"sgb2_quote,sgb2_quote_change,sgb2_quote_parent_diff,sgb2_quote_parent_ratio,einwohner_change"},
		"period2": {"2018-12-31"}}
	var fc struct {
		Features []struct {
			Properties map[string]json.RawMessage
		}
	}
	fetchJSON(t, srv.URL+"/collections/gemeinde/items?"+q.Encode(), &fc)
	var got []string
	for _, f := range fc.Features {
		var b strings.Builder
		for i, k := range []string{"sgb2_quote_change", "sgb2_quote_parent_diff", "sgb2_quote_parent_ratio", "einwohner_change"} {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:%s", k, f.Properties[k])
		}
		got = append(got, b.String())
	}
	want := []string{
		`"sgb2_quote_change":0.9,"sgb2_quote_parent_diff":3.5,"sgb2_quote_parent_ratio":1.5385,"einwohner_change":10`,
		`"sgb2_quote_change":-0.8,"sgb2_quote_parent_diff":1.5,"sgb2_quote_parent_ratio":1.2308,"einwohner_change":20`,
		`"sgb2_quote_change":null,"sgb2_quote_parent_diff":null,"sgb2_quote_parent_ratio":null,"einwohner_change":-5`,
		`"sgb2_quote_change":null,"sgb2_quote_parent_diff":null,"sgb2_quote_parent_ratio":null,"einwohner_change":-10`,
		`"sgb2_quote_change":null,"sgb2_quote_parent_diff":0.0,"sgb2_quote_parent_ratio":1.0000,"einwohner_change":null`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("derived properties\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestItemsCSV: f=csv writes the features' properties as a German table.
func TestItemsCSV(t *testing.T) {
	srv, _ := outputServer(t)
	res, body := fetch(t, srv.URL+"/collections/gemeinde/items?f=csv&indicators=sgb2_quote,einwohner_parent_ratio&sortby=-sgb2_quote&limit=3", "")
	want := "\uFEFFcode;name;parent;parent_level;valid_from;valid_to;area_km2;sgb2_quote;sgb2_quote_status;sgb2_quote_suppressed;einwohner_parent_ratio\r\n" +
		"010020001;Kiel-Nord;01002;kreis;;;;10,0;derived;;0,2817\r\n" +
		"010020002;Kiel-Mitte;01002;kreis;;;;8,0;derived;;0,4225\r\n" +
		"010030001;Lübeck-Altstadt;01003;kreis;;;;5,0;derived;;1,0000\r\n"
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=utf-8; header=present" ||
		res.Header.Get("OGC-NumberMatched") != "5" || string(body) != want {
		t.Errorf("%s %v\n%q\nwant\n%q", res.Status, res.Header, body, want)
	}
}

// TestSortbyProblems: a sort key that cannot be used is a 400 saying why.
func TestSortbyProblems(t *testing.T) {
	srv, _ := outputServer(t)
	for _, tt := range []struct{ query, detail string }{
		{"sortby=geometry", `query parameter sortby: "geometry" is not a sortable of gemeinde; /collections/gemeinde/sortables lists them`},
		{"sortby=quote", `query parameter sortby: "quote" is not a sortable of gemeinde; /collections/gemeinde/sortables lists them`},
		{"sortby=einwohner,-einwohner", `query parameter sortby: "einwohner" is named twice`},
		{"sortby=einwohner,,name", `query parameter sortby: key 2 ("") is not a property name with an optional + or -`},
		{"sortby=einwohner_change", `query parameter period2: einwohner_change compares period with period2: give period2 (e.g. 2018-12-31)`},
		{"filter=einwohner_change+%3E+0&period2=2018", `query parameter period2: "2018" is not a date (2018-12-31)`},
		{"indicators=einwohner_growth", `query parameter indicators: "einwohner_growth" is not an indicator or a derived property (KEY_change, KEY_parent_diff, KEY_parent_ratio, KEY_lisa); /indicators lists them`},
		{"f=xml", `query parameter f: "xml" is not a format of this resource; use json or csv`},
	} {
		res, body := fetch(t, srv.URL+"/collections/gemeinde/items?"+tt.query, "")
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), jsonText(tt.detail)) {
			t.Errorf("%s: %s\n%s\nwant detail %s", tt.query, res.Status, body, tt.detail)
		}
	}
}
