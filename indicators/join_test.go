package indicators

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

type joinedCollection struct {
	NumberMatched int
	Features      []struct {
		ID         string
		Properties map[string]any
	}
}

// joined writes the listed properties of every feature: "code a b c|…".
func (fc joinedCollection) joined(props ...string) string {
	var out []string
	for _, f := range fc.Features {
		l := []string{f.ID}
		for _, p := range props {
			l = append(l, str(f.Properties[p]))
		}
		out = append(out, strings.Join(l, " "))
	}
	return strings.Join(out, "|")
}

func TestJoinGeoJSON(t *testing.T) {
	srv, pool := outputServer(t)

	var fc joinedCollection
	body := fetchJSON(t, srv.URL+"/collections/gemeinde/items?indicators=einwohner,sgb2_quote&period=2022-12-31", &fc)
	want := "010020001 1000 measured <nil> 10 derived <nil>|" +
		"010020002 1500 measured <nil> 8 derived <nil>|" +
		"010020003 50 measured <nil> <nil> suppressed primary|" +
		"010020004 1000 measured <nil> <nil> suppressed primary|" +
		"010030001 800 measured <nil> 5 derived <nil>"
	if got := fc.joined("einwohner", "einwohner_status", "einwohner_suppressed", "sgb2_quote", "sgb2_quote_status", "sgb2_quote_suppressed"); got != want {
		t.Errorf("joined:\n%s\nwant\n%s", got, want)
	}
	// Every feature has every property, in order, a quota always with its
	// decimal, a count as an integer: clients see the same types throughout.
	for _, f := range fc.Features {
		if len(f.Properties) != 13 {
			t.Errorf("%s: %d properties: %v", f.ID, len(f.Properties), f.Properties)
		}
	}
	for _, s := range []string{
		`"area_km2":null,"einwohner":1000,"einwohner_status":"measured","einwohner_suppressed":null,"sgb2_quote":10.0,"sgb2_quote_status":"derived","sgb2_quote_suppressed":null}`,
		`"einwohner":50,"einwohner_status":"measured","einwohner_suppressed":null,"sgb2_quote":null,"sgb2_quote_status":"suppressed","sgb2_quote_suppressed":"primary"}`,
		`"sgb2_quote":5.0,`,
	} {
		if !strings.Contains(string(body), s) {
			t.Errorf("body lacks %s:\n%s", s, body)
		}
	}

	for _, tt := range []struct {
		path, props, want string
	}{
		// each indicator's latest period at the level
		{"/collections/kreis/items?indicators=einwohner,sgb2", "einwohner sgb2 sgb2_status",
			"01002 3550 229 derived|01003 800 40 derived|16063 158000 9000 measured"},
		{"/collections/kreis/items?indicators=einwohner&period=2018-12-31", "einwohner einwohner_status",
			"01002 3535 derived|01003 <nil> <nil>|16063 162000 derived"},
		{"/collections/kreis/items?indicators=einwohner&period=2018-12-31&datetime=2020-01-01", "einwohner einwohner_status",
			"01002 3535 derived|01003 <nil> <nil>|16056 42000 measured|16063 120000 measured"},
		{"/collections/land/items?indicators=einwohner&period=2018-12-31", "einwohner einwohner_status",
			"01 3535 derived|02 <nil> <nil>|16 <nil> <nil>"},
		{"/collections/gemeinde/items?indicators=sgb2&limit=2&offset=2", "sgb2 sgb2_status sgb2_suppressed",
			"010020003 <nil> suppressed primary|010020004 <nil> suppressed secondary"},
		{"/collections/gemeinde/items/010020004?indicators=sgb2_quote,sgb2", "sgb2 sgb2_suppressed sgb2_quote_suppressed",
			"010020004 <nil> secondary primary"},
		{"/collections/kreis/items/16063?indicators=einwohner&datetime=2020-01-01", "einwohner", "16063 120000"},
		{"/collections/gemeinde/items?indicators=sgb2,%20einwohner&limit=1", "sgb2 einwohner", "010020001 100 1000"},
	} {
		var fc joinedCollection
		var one struct {
			ID         string
			Properties map[string]any
		}
		if strings.Contains(tt.path, "/items/") {
			fetchJSON(t, srv.URL+tt.path, &one)
			fc.Features = append(fc.Features, one)
		} else {
			fetchJSON(t, srv.URL+tt.path, &fc)
		}
		if got := fc.joined(strings.Fields(tt.props)...); got != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.path, got, tt.want)
		}
	}

	if _, err := pool.Exec(context.Background(), `INSERT INTO indicator (key, position, title, category, polarity, kind)
		VALUES ('name', 9, 'Name', 'Demografie', 'neutral', 'value'), ('einwohner_status', 10, 'Status', 'Demografie', 'neutral', 'value')`); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path, detail string
	}{
		{"/collections/gemeinde/items?indicators=nope", `query parameter indicators: "nope" is not an indicator or a derived property (KEY_change, KEY_parent_diff, KEY_parent_ratio, KEY_lisa); /indicators lists them`},
		{"/collections/gemeinde/items?indicators=einwohner,,sgb2", `query parameter indicators: "" is not an indicator or a derived property (KEY_change, KEY_parent_diff, KEY_parent_ratio, KEY_lisa); /indicators lists them`},
		{"/collections/gemeinde/items?indicators=einwohner,einwohner", `query parameter indicators: "einwohner" is named twice`},
		{"/collections/gemeinde/items?indicators=name", `query parameter indicators: "name" would add the property "name", which the features have already`},
		{"/collections/gemeinde/items?indicators=einwohner,einwohner_status", `query parameter indicators: "einwohner_status" would add the property "einwohner_status", which the features have already`},
		{"/collections/gemeinde/items?period=2022-12-31", `query parameter period: only with indicators, filter or sortby: name the indicators to join`},
		{"/collections/gemeinde/items?indicators=einwohner&period=2022", `query parameter period: "2022" is not a date (2022-12-31)`},
		{"/collections/gemeinde/items/010020001?indicators=nope", `query parameter indicators: "nope" is not an indicator or a derived property (KEY_change, KEY_parent_diff, KEY_parent_ratio, KEY_lisa); /indicators lists them`},
	} {
		checkProblem(t, srv.URL, tt.path, "", 400, tt.detail)
	}

	// The OpenAPI document offers both parameters on the items paths.
	var api struct {
		Paths      map[string]map[string]struct{ Parameters []map[string]any }
		Components struct{ Parameters map[string]map[string]any }
	}
	fetchJSON(t, srv.URL+"/api", &api)
	var refs []string
	for _, p := range api.Paths["/collections/gemeinde/items"]["get"].Parameters {
		refs = append(refs, str(p["$ref"]))
	}
	if !slices.Contains(refs, "#/components/parameters/indicators") || !slices.Contains(refs, "#/components/parameters/period") ||
		api.Components.Parameters["period"]["schema"].(map[string]any)["format"] != "date" {
		t.Errorf("items parameters %v, components %v", refs, api.Components.Parameters)
	}
}

// ogrField matches a field line of ogrinfo's feature dump.
var ogrField = regexp.MustCompile(`^\s+(\S+) \((\w+)\) = (.*)$`)

// TestJoinGDAL reads the joined layer with GDAL's OAPIF driver, which
// repeats the query of the layer URL on every request and pages with the
// next links, and derives the schema from the first page.
func TestJoinGDAL(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Skip("ogrinfo (GDAL) not installed")
	}
	srv, _ := outputServer(t)
	layer := "OAPIF:" + srv.URL + "/collections/gemeinde?indicators=einwohner,sgb2_quote&period=2022-12-31"
	out, err := exec.Command(ogrinfo, "-ro", "-al", "--config", "GDAL_HTTP_TIMEOUT", "20",
		"-oo", "PAGE_SIZE=2", layer).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	types := map[string]string{}
	var features []string
	var cur map[string]string
	flush := func() {
		if cur != nil {
			features = append(features, fmt.Sprintf("%s %s %s %s %s", cur["code"], cur["einwohner"],
				cur["sgb2_quote"], cur["sgb2_quote_status"], cur["sgb2_quote_suppressed"]))
		}
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "OGRFeature(") {
			flush()
			cur = map[string]string{}
			continue
		}
		if m := ogrField.FindStringSubmatch(line); m != nil && cur != nil {
			types[m[1]] = m[2]
			cur[m[1]] = m[3]
		}
	}
	flush()
	want := []string{
		"010020001 1000 10 derived (null)",
		"010020002 1500 8 derived (null)",
		"010020003 50 (null) suppressed primary",
		"010020004 1000 (null) suppressed primary",
		"010030001 800 5 derived (null)",
	}
	if !slices.Equal(features, want) {
		t.Errorf("features:\n%s\nwant\n%s\nogrinfo said:\n%s", strings.Join(features, "\n"), strings.Join(want, "\n"), out)
	}
	for field, typ := range map[string]string{"einwohner": "Integer", "sgb2_quote": "Real", "sgb2_quote_status": "String",
		"einwohner_status": "String", "sgb2_quote_suppressed": "String"} {
		if types[field] != typ {
			t.Errorf("field %s is %s, want %s (%v)", field, types[field], typ, types)
		}
	}
	if t.Failed() {
		return
	}
	// The query carried through: without it the layer has no indicator fields.
	plain, err := exec.Command(ogrinfo, "-ro", "-al", "-so", "OAPIF:"+srv.URL+"/collections/gemeinde").CombinedOutput()
	if err != nil || strings.Contains(string(plain), "einwohner") || !strings.Contains(string(plain), "Feature Count: 5") {
		t.Errorf("plain layer: %v\n%s", err, plain)
	}
}
