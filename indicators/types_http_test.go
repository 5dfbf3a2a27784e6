package indicators

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

type typesAnswerDoc struct {
	Level, Period, Datetime, Method string
	K                               int
	Seed                            *uint64
	NStart                          int
	Converged                       *bool
	Standardisation                 string
	Indicators                      []struct {
		Key, Title, Unit string
		Decimals         int
		Mean, SD         float64
	}
	Typed        int
	TotalSS      float64 `json:"total_ss"`
	WithinSS     float64 `json:"within_ss"`
	BetweenShare float64 `json:"between_ss_share"`
	Types        []struct {
		Type     int
		Label    string
		Size     int
		WithinSS float64 `json:"within_ss"`
		Profile  []struct {
			Indicator, Title, Unit string
			Mean, Z                float64
		}
	}
	Areas []struct {
		Code, Name string
		Type       int
		Distance   float64
	}
	Excluded []struct {
		Code, Name string
		Without    []typeGap
	}
}

// TestTypesJSON: the fixture's Gemeinden by residents and SGB II quota in
// 2022. Two quotas are withheld, so three Gemeinden are typed: Kiel-Nord
// (1000, 10.0), Kiel-Mitte (1500, 8.0) and Lübeck-Altstadt (800, 5.0).
// Standardised (means 1100 and 7.667, sample SDs sqrt(130000) and
// 2.5166) the first two are nearest each other; both methods make them
// type 1 and Lübeck-Altstadt type 2.
func TestTypesJSON(t *testing.T) {
	srv, _ := outputServer(t)
	sdE, sdQ := math.Sqrt(130000), math.Sqrt(((10-23.0/3)*(10-23.0/3)+(8-23.0/3)*(8-23.0/3)+(5-23.0/3)*(5-23.0/3))/2)
	zE := []float64{-100 / sdE, 400 / sdE, -300 / sdE}
	zQ := []float64{(10 - 23.0/3) / sdQ, (8 - 23.0/3) / sdQ, (5 - 23.0/3) / sdQ}
	// half the distance of Kiel-Nord and Kiel-Mitte
	half := math.Hypot(zE[0]-zE[1], zQ[0]-zQ[1]) / 2
	for _, tt := range []struct {
		path   string
		method string
	}{
		{"/areas/gemeinde/types?indicators=einwohner,sgb2_quote&k=2", "kmeans"},
		{"/areas/gemeinde/types?indicators=einwohner,sgb2_quote&k=2&period=2022-12-31&method=kmeans&seed=7&nstart=3", "kmeans"},
		{"/areas/gemeinde/types?indicators=einwohner,sgb2_quote&k=2&method=ward&datetime=2024-01-01", "ward"},
	} {
		var doc typesAnswerDoc
		fetchJSON(t, srv.URL+tt.path, &doc)
		if doc.Level != "gemeinde" || doc.Period != "2022-12-31" || doc.Method != tt.method || doc.K != 2 || doc.Typed != 3 ||
			!strings.Contains(doc.Standardisation, "n − 1") {
			t.Errorf("%s: %+v", tt.path, doc)
		}
		if (tt.method == "kmeans") != (doc.Seed != nil && doc.Converged != nil && *doc.Converged && doc.NStart > 0) {
			t.Errorf("%s: seed %v nstart %d converged %v", tt.path, doc.Seed, doc.NStart, doc.Converged)
		}
		if len(doc.Indicators) != 2 || doc.Indicators[0].Key != "einwohner" || doc.Indicators[0].Mean != 1100 ||
			math.Abs(doc.Indicators[0].SD-sdE) > 1e-12 || doc.Indicators[1].Key != "sgb2_quote" ||
			math.Abs(doc.Indicators[1].Mean-23.0/3) > 1e-12 || math.Abs(doc.Indicators[1].SD-sdQ) > 1e-12 ||
			doc.Indicators[1].Title != "SGB-II-Quote" || doc.Indicators[1].Unit != "%" || doc.Indicators[1].Decimals != 1 {
			t.Errorf("%s: indicators %+v", tt.path, doc.Indicators)
		}
		if len(doc.Types) != 2 || doc.Types[0].Label != "Typ 1" || doc.Types[0].Size != 2 || doc.Types[1].Label != "Typ 2" || doc.Types[1].Size != 1 {
			t.Fatalf("%s: types %+v", tt.path, doc.Types)
		}
		p1, p2 := doc.Types[0].Profile, doc.Types[1].Profile
		if p1[0].Indicator != "einwohner" || p1[0].Mean != 1250 || p1[1].Indicator != "sgb2_quote" || p1[1].Mean != 9 ||
			p1[1].Title != "SGB-II-Quote" || p1[1].Unit != "%" || p2[0].Mean != 800 || p2[1].Mean != 5 ||
			math.Abs(p1[0].Z-(zE[0]+zE[1])/2) > 1e-12 || math.Abs(p2[1].Z-zQ[2]) > 1e-12 {
			t.Errorf("%s: profiles %+v %+v", tt.path, p1, p2)
		}
		var got []string
		for _, a := range doc.Areas {
			got = append(got, a.Code+":"+a.Name+":"+string(rune('0'+a.Type)))
		}
		if strings.Join(got, " ") != "010020001:Kiel-Nord:1 010020002:Kiel-Mitte:1 010030001:Lübeck-Altstadt:2" ||
			math.Abs(doc.Areas[0].Distance-half) > 1e-12 || math.Abs(doc.Areas[1].Distance-half) > 1e-12 || doc.Areas[2].Distance != 0 {
			t.Errorf("%s: areas %+v", tt.path, doc.Areas)
		}
		// z-scores: (n − 1) per indicator in all
		if math.Abs(doc.TotalSS-4) > 1e-12 || math.Abs(doc.WithinSS-2*half*half) > 1e-12 ||
			math.Abs(doc.BetweenShare-(1-2*half*half/4)) > 1e-12 || doc.Types[1].WithinSS != 0 {
			t.Errorf("%s: sums of squares %v %v %v", tt.path, doc.TotalSS, doc.WithinSS, doc.BetweenShare)
		}
		withheld := typeGap{Indicator: "sgb2_quote", Reason: "gesperrt (Geheimhaltung)"}
		if len(doc.Excluded) != 2 || doc.Excluded[0].Code != "010020003" || doc.Excluded[1].Code != "010020004" ||
			doc.Excluded[1].Name != `Kiel-Ost "Hafen"; Gaarden` ||
			len(doc.Excluded[0].Without) != 1 || doc.Excluded[0].Without[0] != withheld ||
			len(doc.Excluded[1].Without) != 1 || doc.Excluded[1].Without[0] != withheld {
			t.Errorf("%s: excluded %+v", tt.path, doc.Excluded)
		}
	}
}

// TestTypesMissing: in 2018 Lübeck-Altstadt's residents' count is
// missing (a cell without a figure) and it has no SGB II cell at all; it
// is left out with both.
func TestTypesMissing(t *testing.T) {
	srv, _ := outputServer(t)
	var doc typesAnswerDoc
	fetchJSON(t, srv.URL+"/areas/gemeinde/types?indicators=einwohner,sgb2&k=2&period=2018-12-31&method=ward", &doc)
	if doc.Typed != 4 || len(doc.Excluded) != 1 || doc.Excluded[0].Code != "010030001" ||
		len(doc.Excluded[0].Without) != 2 || doc.Excluded[0].Without[0] != (typeGap{"einwohner", "keine Angabe"}) ||
		doc.Excluded[0].Without[1] != (typeGap{"sgb2", "keine Daten"}) {
		t.Errorf("%+v", doc)
	}
	// {Kiel-Nord, Kiel-Mitte} and {Kiel-Süd, Kiel-Ost}: two of two, so
	// the one with fewer residents is type 1
	var types []int
	for _, a := range doc.Areas {
		types = append(types, a.Type)
	}
	if doc.Types[0].Size != 2 || doc.Types[0].Profile[0].Mean != 532.5 || doc.Types[1].Profile[0].Mean != 1235 || !slices.Equal(types, []int{2, 2, 1, 1}) {
		t.Errorf("types %v, sizes %+v", types, doc.Types)
	}
}

func TestTypesCSV(t *testing.T) {
	srv, _ := outputServer(t)
	res, body := fetch(t, srv.URL+"/areas/gemeinde/types?indicators=einwohner,sgb2_quote&k=2&method=ward&f=csv", "")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8; header=present" ||
		res.Header.Get("Content-Disposition") != `attachment; filename="typen_gemeinde_2022-12-31_ward_k2.csv"` {
		t.Errorf("%d %v", res.StatusCode, res.Header)
	}
	want := "\uFEFFSchlüssel;Name;Typ;Abstand zum Typzentrum;Einwohnerinnen und Einwohner (Personen);SGB-II-Quote (%);nicht typisiert\r\n" +
		"010020001;Kiel-Nord;1;0,7992;1000;10,0;\r\n" +
		"010020002;Kiel-Mitte;1;0,7992;1500;8,0;\r\n" +
		"010020003;Kiel-Süd;;;50;;sgb2_quote: gesperrt (Geheimhaltung)\r\n" +
		"010020004;\"Kiel-Ost \"\"Hafen\"\"; Gaarden\";;;1000;;sgb2_quote: gesperrt (Geheimhaltung)\r\n" +
		"010030001;Lübeck-Altstadt;2;0,0000;800;5,0;\r\n"
	if string(body) != want {
		t.Errorf("\n%q\nwant\n%q", body, want)
	}
}

// TestTypesSeed: a seed gives the same answer every time.
func TestTypesSeed(t *testing.T) {
	srv, _ := outputServer(t)
	path := srv.URL + "/areas/gemeinde/types?indicators=einwohner,sgb2&k=3&period=2018-12-31&seed=12345&nstart=4"
	_, first := fetch(t, path, "")
	for range 3 {
		if _, again := fetch(t, path, ""); string(again) != string(first) {
			t.Fatalf("the same seed answered\n%s\nand\n%s", first, again)
		}
	}
	var doc typesAnswerDoc
	if err := json.Unmarshal(first, &doc); err != nil || doc.Seed == nil || *doc.Seed != 12345 || doc.NStart != 4 {
		t.Errorf("%v %+v", err, doc)
	}
}

func TestTypesProblems(t *testing.T) {
	srv, _ := outputServer(t)
	base := "/areas/gemeinde/types?indicators=einwohner,sgb2_quote"
	for _, tt := range []struct {
		path   string
		status int
		detail string
	}{
		{"/areas/gemeinde/types?k=2", 400, `query parameter indicators: missing`},
		{"/areas/gemeinde/types?k=2&indicators=einwohner,,sgb2", 400, `query parameter indicators: "einwohner,,sgb2" has an empty key`},
		{"/areas/gemeinde/types?k=2&indicators=einwohner,sgb2,einwohner", 400, `query parameter indicators: einwohner is named twice`},
		{"/areas/gemeinde/types?k=2&indicators=a,b,c,d,e,f,g,h,i,j,k,l,m", 400, `query parameter indicators: 13 indicators; name at most 12`},
		{"/areas/gemeinde/types?k=2&indicators=einwohner,sgb3", 400, `query parameter indicators: "sgb3" is not in the catalogue`},
		{base, 400, `query parameter k: missing; give the number of types, 2 to 20`},
		{base + "&k=1", 400, `query parameter k: "1" is not a number of types from 2 to 20`},
		{base + "&k=21", 400, `query parameter k: "21" is not a number of types`},
		{base + "&k=drei", 400, `query parameter k: "drei" is not a number of types`},
		{base + "&k=4", 400, `query parameter k: 4 types, but only 3 areas have published values of all the indicators; ask for at most 3 (level gemeinde, period 2022-12-31)`},
		{base + "&k=2&method=pam", 400, `query parameter method: "pam" is not a method; use kmeans or ward`},
		{base + "&k=2&method=ward&seed=1", 400, `query parameter seed: given with method ward`},
		{base + "&k=2&method=ward&nstart=5", 400, `query parameter nstart: given with method ward`},
		{base + "&k=2&seed=-1", 400, `query parameter seed: "-1" is not a whole number from 0 to 9007199254740991`},
		{base + "&k=2&seed=9007199254740992", 400, `query parameter seed: "9007199254740992" is not a whole number`},
		{base + "&k=2&nstart=0", 400, `query parameter nstart: "0" is not a number of starts from 1 to 100`},
		{base + "&k=2&nstart=101", 400, `query parameter nstart: "101" is not a number of starts`},
		{base + "&k=2&f=xlsx", 400, `query parameter f: "xlsx" is not a format of this resource; use json, csv`},
		{base + "&k=2&period=2022", 400, `query parameter period: "2022" is not a date`},
		{base + "&k=2&k=3", 400, `query parameter k: given 2 times`},
		{base + "&k=2&weights=einwohner", 400, `query parameter "weights": unknown`},
		// the land level in 2022: Schleswig-Holstein and Thüringen, one
		// type each at most
		{"/areas/land/types?indicators=einwohner,sgb2&k=3&period=2022-12-31", 400, `query parameter k: 3 types, but only 2 areas`},
		{"/areas/ortsteil/types?indicators=einwohner&k=2", 404, `There is no level "ortsteil"`},
		{base + "&k=2&period=2019-12-31", 404, `Indicator "einwohner" has no values for level "gemeinde" in period 2019-12-31`},
		{"/areas/land/types?indicators=einwohner,sgb2_quote&k=2&datetime=2020-01-01&period=2018-12-31", 404, `has no values for level "land"`},
		{"/areas/staat/types?indicators=einwohner,sgb2&k=2&period=2018-12-31", 404, `Indicator "einwohner" has no values for level "staat"`},
		// one Kreis with an SGB II count in 2018
		{"/areas/kreis/types?indicators=sgb2&k=2&period=2018-12-31", 400, `query parameter k: 2 types, but only 1 areas`},
	} {
		res, body := fetch(t, srv.URL+tt.path, "")
		var p struct {
			Status int
			Detail string
		}
		if err := json.Unmarshal(body, &p); err != nil || res.StatusCode != tt.status || p.Status != tt.status ||
			res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(p.Detail, tt.detail) {
			t.Errorf("%s: %d %s\nwant %d with %q", tt.path, res.StatusCode, body, tt.status, tt.detail)
		}
	}
}

// TestTypesAnswerData: data that cannot be typed as asked is a bad
// parameter: an indicator with one value everywhere, fewer distinct
// profiles than types, more areas than Ward takes.
func TestTypesAnswerData(t *testing.T) {
	inds := []Indicator{{Key: "a"}, {Key: "b"}}
	area := func(a, b float64) typeArea { return typeArea{code: "x", values: []float64{a, b}} }
	for _, tt := range []struct {
		params typesParams
		areas  []typeArea
		param  string
		reason string
	}{
		{typesParams{method: "kmeans", k: 2, nstart: 1}, []typeArea{area(1, 5), area(2, 5), area(3, 5)},
			"indicators", "b has the same value in all 3 areas"},
		{typesParams{method: "kmeans", k: 3, nstart: 1}, []typeArea{area(1, 5), area(1, 5), area(2, 6), area(2, 6)},
			"k", "3 types, but the 4 areas have fewer distinct profiles"},
		{typesParams{method: "ward", k: 2}, make([]typeArea, maxWardAreas+1), "method", "ward clusters at most 12000 areas, and 12001 have values"},
	} {
		for i := range tt.areas {
			if tt.areas[i].values == nil {
				tt.areas[i] = area(float64(i), float64(i%7))
			}
		}
		_, err := typesAnswer(inds, tt.params, tt.areas)
		var pe *outParamError
		if !errors.As(err, &pe) || pe.param != tt.param || !strings.Contains(pe.reason, tt.reason) {
			t.Errorf("%+v: %v, want %s: %s", tt.params, err, tt.param, tt.reason)
		}
	}
}
