package indicators

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFilterOnIndicators: CQL2 filters on /items compare the published
// values, and a withheld value satisfies neither a condition nor its
// negation.
func TestFilterOnIndicators(t *testing.T) {
	srv, _ := outputServer(t)
	for _, tt := range []struct {
		level, filter, lang, extra string
		want                       string
	}{
		{"gemeinde", "einwohner >= 1000", "", "", "010020001 010020002 010020004"},
		{"gemeinde", "einwohner >= 1000 AND name LIKE 'Kiel-%'", "", "", "010020001 010020002 010020004"},
		{"gemeinde", `{"op": ">=", "args": [{"property": "einwohner"}, 1000]}`, "cql2-json", "", "010020001 010020002 010020004"},
		// 010020003 and 010020004 have their quote withheld
		{"gemeinde", "sgb2_quote > 0", "", "", "010020001 010020002 010030001"},
		{"gemeinde", "NOT (sgb2_quote > 0)", "", "", ""},
		{"gemeinde", "sgb2_quote <= 9 OR sgb2_quote > 9", "", "", "010020001 010020002 010030001"},
		{"gemeinde", "sgb2_quote IS NULL", "", "", "010020003 010020004"},
		// the published value is 10.0 (one decimal)
		{"gemeinde", "sgb2_quote = 10", "", "", "010020001"},
		{"gemeinde", "sgb2_quote BETWEEN 4.95 AND 8.05", "", "", "010020002 010030001"},
		// 010020004's count is withheld by secondary suppression
		{"gemeinde", "sgb2 >= 0", "", "", "010020001 010020002 010030001"},
		{"gemeinde", "parent = '01002' AND einwohner < 1200", "", "", "010020001 010020003 010020004"},
		{"kreis", "einwohner > 1000", "", "&period=2018-12-31", "01002 16063"},
		{"kreis", "einwohner > 1000", "", "", "01002 16063"},
		{"gemeinde", "code IN ('010020002', '010030001')", "", "&indicators=einwohner", "010020002 010030001"},
	} {
		q := url.Values{"filter": {tt.filter}}
		if tt.lang != "" {
			q.Set("filter-lang", tt.lang)
		}
		var fc joinedCollection
		fetchJSON(t, srv.URL+"/collections/"+tt.level+"/items?"+q.Encode()+tt.extra, &fc)
		var codes []string
		for _, f := range fc.Features {
			codes = append(codes, f.ID)
		}
		if got := strings.Join(codes, " "); got != tt.want || fc.NumberMatched != len(codes) {
			t.Errorf("%s %s%s: %q (numberMatched %d), want %q", tt.level, tt.filter, tt.extra, got, fc.NumberMatched, tt.want)
		}
	}
}

// TestFilterProblems: a filter that cannot be run is a 400 saying why and
// where.
func TestFilterProblems(t *testing.T) {
	srv, _ := outputServer(t)
	for _, tt := range []struct{ query, detail string }{
		{"filter=einwohner+%3E", `query parameter filter: column 12: expected a value after ">", found end of filter`},
		{"filter=quote+%3E+1", `query parameter filter: "quote" is not a queryable of gemeinde; /collections/gemeinde/queryables lists them`},
		{"filter=name+%3E+5", `query parameter filter: property "name" is a string and cannot be compared with a number`},
		{"filter=einwohner+%3E+1&filter-lang=sql", `query parameter filter-lang: "sql" is not cql2-text or cql2-json`},
		{"filter-lang=cql2-text", "query parameter filter-lang: only with filter"},
		{"filter=einwohner+%3E+1&filter-crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F25832",
			`query parameter filter-crs: "http://www.opengis.net/def/crs/EPSG/0/25832" is not supported; filters are in http://www.opengis.net/def/crs/OGC/1.3/CRS84 (longitude, latitude)`},
		{"filter=einwohner+%3E+1&period=31.12.2022", `query parameter period: "31.12.2022" is not a date (2022-12-31)`},
	} {
		res, body := fetch(t, srv.URL+"/collections/gemeinde/items?"+tt.query, "")
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), jsonText(tt.detail)) {
			t.Errorf("%s: %s\n%s\nwant detail %s", tt.query, res.Status, body, tt.detail)
		}
	}
}

// TestQueryables lists the features' own properties and the indicators
// with values at the level, in both forms.
func TestQueryables(t *testing.T) {
	srv, _ := outputServer(t)
	var doc struct {
		Schema     string `json:"$schema"`
		Properties map[string]struct {
			Type, Format, Title string
		}
		Queryables []struct{ ID, Type string }
	}
	fetchJSON(t, srv.URL+"/collections/gemeinde/queryables", &doc)
	var ids []string
	for _, q := range doc.Queryables {
		ids = append(ids, q.ID+":"+q.Type)
	}
	want := "code:string name:string parent:string parent_level:string valid_from:date valid_to:date area_km2:number geometry:geometry " +
		"einwohner:number sgb2:number sgb2_quote:number " +
		"einwohner_change:number einwohner_parent_diff:number einwohner_parent_ratio:number einwohner_lisa:string " +
		"sgb2_change:number sgb2_parent_diff:number sgb2_parent_ratio:number sgb2_lisa:string " +
		"sgb2_quote_change:number sgb2_quote_parent_diff:number sgb2_quote_parent_ratio:number sgb2_quote_lisa:string"
	if got := strings.Join(ids, " "); got != want || doc.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("queryables %s (%s), want %s", got, doc.Schema, want)
	}
	if p := doc.Properties["sgb2_quote"]; p.Type != "number" || doc.Properties["valid_from"].Format != "date" ||
		doc.Properties["sgb2_quote_change"].Title != "SGB-II-Quote: Veränderung (Prozentpunkte)" {
		t.Errorf("properties %+v", doc.Properties)
	}
}

// jsonText is s as it appears inside a JSON string.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
