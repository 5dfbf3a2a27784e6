package indicators

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Two counts every case may refer to.
const catBase = `indicators:
  - {key: ew, title: Einwohner, category: Demografie, polarity: neutral, kind: count}
  - {key: m, title: Männlich, category: Demografie, polarity: neutral, kind: count}
`

func TestReadCatalogueErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // FILE stands for the file's path
	}{
		{"unknown kind", catBase + `  - {key: a, title: A, category: Demografie, polarity: neutral, kind: sum}`,
			[]string{`catalogue FILE: indicator "a": kind: "sum" is not count, rate, mean or value`}},
		{"missing kind", catBase + `  - {key: a, title: A, category: Demografie, polarity: neutral}`,
			[]string{`catalogue FILE: indicator "a": kind: missing (count, rate, mean or value)`}},
		{"unknown polarity", catBase + `  - {key: a, title: A, category: Demografie, polarity: good, kind: count}`,
			[]string{`catalogue FILE: indicator "a": polarity: "good" is not higher_better, higher_worse or neutral`}},
		{"missing polarity", catBase + `  - {key: a, title: A, category: Demografie, kind: count}`,
			[]string{`catalogue FILE: indicator "a": polarity: missing (higher_better, higher_worse or neutral)`}},
		{"unknown category", catBase + `  - {key: a, title: A, category: Sport, polarity: neutral, kind: count}`,
			[]string{`catalogue FILE: indicator "a": category: "Sport" is not one of Demografie, Kinder/Jugend/Familie, Bildung, Arbeit/Armut, Alter/Pflege, Teilhabe/Behinderung, Wohnen, Gesundheit, Fläche/Siedlung`}},
		{"declared categories", "categories: [Sport, Kultur]\n" + catBase,
			[]string{
				`catalogue FILE: indicator "ew": category: "Demografie" is not one of Sport, Kultur`,
				`catalogue FILE: indicator "m": category: "Demografie" is not one of Sport, Kultur`,
			}},
		{"missing title and bad key", catBase + `  - {key: Anteil, category: Demografie, polarity: neutral, kind: value}`,
			[]string{
				`catalogue FILE: indicator "Anteil": key: use lower case letters, digits and _, starting with a letter (at most 63)`,
				`catalogue FILE: indicator "Anteil": title: missing`,
			}},
		{"missing key", catBase + `  - {title: A, category: Demografie, polarity: neutral, kind: value}`,
			[]string{`catalogue FILE: indicator 3: key: missing`}},
		{"duplicate key", catBase + `  - {key: m, title: M2, category: Demografie, polarity: neutral, kind: count}`,
			[]string{`catalogue FILE: indicator "m": key: defined twice`}},
		{"decimals out of range", catBase + `  - {key: a, title: A, category: Demografie, polarity: neutral, kind: value, decimals: 7}`,
			[]string{`catalogue FILE: indicator "a": decimals: 7 is not between 0 and 6`}},
		{"negative limits", "defaults: {min_denominator: -1}\n" + catBase + `  - {key: a, title: A, category: Demografie, polarity: neutral, kind: count, min_count: -2}`,
			[]string{
				`catalogue FILE: defaults: min_denominator: -1 is negative`,
				`catalogue FILE: indicator "ew": min_denominator: -1 is negative`,
				`catalogue FILE: indicator "m": min_denominator: -1 is negative`,
				`catalogue FILE: indicator "a": min_count: -2 is negative`,
				`catalogue FILE: indicator "a": min_denominator: -1 is negative`,
			}},
		{"rate without numerator", catBase + `  - {key: r, title: R, category: Demografie, polarity: neutral, kind: rate, denominator: ew, scale: 100}`,
			[]string{`catalogue FILE: indicator "r": numerator: missing`}},
		{"rate over unknown", catBase + `  - {key: r, title: R, category: Demografie, polarity: neutral, kind: rate, numerator: frauen, denominator: ew, scale: 100}`,
			[]string{`catalogue FILE: indicator "r": numerator: "frauen" is not in the catalogue`}},
		{"rate over a rate", catBase +
			`  - {key: r, title: R, category: Demografie, polarity: neutral, kind: rate, numerator: m, denominator: ew, scale: 100}
  - {key: r2, title: R2, category: Demografie, polarity: neutral, kind: rate, numerator: m, denominator: r, scale: 100}`,
			[]string{`catalogue FILE: indicator "r2": denominator: "r" is a rate, not a count`}},
		{"rate without scale", catBase + `  - {key: r, title: R, category: Demografie, polarity: neutral, kind: rate, numerator: m, denominator: ew}`,
			[]string{`catalogue FILE: indicator "r": scale: missing (100 for a percentage, 1 for a plain ratio)`}},
		{"rate with negative scale and weight", catBase + `  - {key: r, title: R, category: Demografie, polarity: neutral, kind: rate, numerator: m, denominator: ew, scale: -1, weight: ew}`,
			[]string{
				`catalogue FILE: indicator "r": weight: only for kind mean`,
				`catalogue FILE: indicator "r": scale: -1 is not a positive number`,
			}},
		{"mean weighted by a value", catBase +
			`  - {key: v, title: V, category: Demografie, polarity: neutral, kind: value}
  - {key: x, title: X, category: Demografie, polarity: neutral, kind: mean, weight: v}`,
			[]string{`catalogue FILE: indicator "x": weight: "v" is a value, not a count`}},
		{"mean without weight", catBase + `  - {key: x, title: X, category: Demografie, polarity: neutral, kind: mean}`,
			[]string{`catalogue FILE: indicator "x": weight: missing`}},
		{"count with rate fields", catBase + `  - {key: c, title: C, category: Demografie, polarity: neutral, kind: count, numerator: m, scale: 100}`,
			[]string{
				`catalogue FILE: indicator "c": numerator: only for kind rate`,
				`catalogue FILE: indicator "c": scale: only for kind rate`,
			}},
		{"combine on a value", catBase + `  - {key: v, title: V, category: Demografie, polarity: neutral, kind: value, combine: {ew: 1}}`,
			[]string{`catalogue FILE: indicator "v": combine: only for kind count`}},
		{"combine unknown and zero", catBase + `  - {key: w, title: W, category: Demografie, polarity: neutral, kind: count, combine: {ew: 1, frauen: -1, m: 0}}`,
			[]string{
				`catalogue FILE: indicator "w": combine: "frauen" is not in the catalogue`,
				`catalogue FILE: indicator "w": combine: "m" has coefficient 0; use a finite number other than 0`,
			}},
		{"combine over a rate", catBase +
			`  - {key: r, title: R, category: Demografie, polarity: neutral, kind: rate, numerator: m, denominator: ew, scale: 100}
  - {key: w, title: W, category: Demografie, polarity: neutral, kind: count, combine: {ew: 1, r: -1}}`,
			[]string{`catalogue FILE: indicator "w": combine: "r" is a rate, not a count`}},
		{"combine itself", catBase + `  - {key: w, title: W, category: Demografie, polarity: neutral, kind: count, combine: {ew: 1, w: -1}}`,
			[]string{`catalogue FILE: indicator "w": combine: refers to itself`}},
		{"combine cycle", catBase +
			`  - {key: a, title: A, category: Demografie, polarity: neutral, kind: count, combine: {b: 1}}
  - {key: b, title: B, category: Demografie, polarity: neutral, kind: count, combine: {ew: 1, c: -1}}
  - {key: c, title: C, category: Demografie, polarity: neutral, kind: count, combine: {a: 1}}`,
			[]string{`catalogue FILE: indicator "a": combine: cycle a → b → c → a`}},
		{"group errors", catBase +
			`  - {key: r, title: R, category: Demografie, polarity: neutral, kind: rate, numerator: m, denominator: ew, scale: 100}
groups:
  - {key: g, title: G, total: r, members: [m, ew, m, x]}
  - {key: g, total: ew}`,
			[]string{
				`catalogue FILE: group "g": total: "r" is a rate, not a count`,
				`catalogue FILE: group "g": members: "m" is listed twice`,
				`catalogue FILE: group "g": members: "x" is not in the catalogue`,
				`catalogue FILE: group "g": key: defined twice`,
				`catalogue FILE: group "g": title: missing`,
				`catalogue FILE: group "g": members: missing`,
			}},
		{"group member is total", catBase + "groups:\n  - {key: g, title: G, total: ew, members: [m, ew]}",
			[]string{`catalogue FILE: group "g": members: "ew" is the group's total`}},
		{"unknown indicator field", catBase + `  - key: r
    title: R
    category: Demografie
    polarity: neutral
    kind: rate
    numerator: m
    denominatr: ew
    scale: 100`,
			[]string{`catalogue FILE: indicator "r": unknown field "denominatr" (line 10)`}},
		{"unknown top-level field", "indikatoren: []\n" + catBase,
			[]string{`catalogue FILE: unknown field "indikatoren" (line 1)`}},
		{"unknown defaults field", "defaults: {min_counts: 2}\n" + catBase,
			[]string{`catalogue FILE: defaults: unknown field "min_counts" (line 1)`}},
		{"unknown column field", catBase + `tables:
  - key: t
    format: wide
    level: gemeinde
    area_column: ARS
    period: 2022-12-31
    columns:
      - {column: EW, indikator: ew}`,
			[]string{`catalogue FILE: table "t": columns: entry 1: unknown field "indikator" (line 11)`}},
		{"type error", catBase + `  - {key: a, title: A, category: Demografie, polarity: neutral, kind: value, decimals: zwei}`,
			[]string{"catalogue FILE: line 4: cannot unmarshal !!str `zwei` into int"}},
		{"table format and basics", catBase + `tables:
  - {key: t, format: xlsx}
  - {format: wide, level: kreis, area_column: AGS, period: 2018-12-31, columns: [{column: EW, indicator: ew}]}`,
			[]string{
				`catalogue FILE: table "t": format: "xlsx" is not long, wide or gv100ad`,
				`catalogue FILE: table "t": level: missing`,
				`catalogue FILE: table "t": area_column: missing`,
				`catalogue FILE: table 2: key: missing`,
			}},
		{"wide table", catBase + `tables:
  - key: t
    format: wide
    level: kreis
    area_column: AGS
    value_column: wert
    decimal: ","
    delimiter: ","
    encoding: latin1
    columns:
      - {column: EW, indicator: ew}
      - {column: EW, indicator: m}
      - {column: M, indicator: ew, factor: -1}
      - {column: X, indicator: frauen}`,
			[]string{
				`catalogue FILE: table "t": value_column: only for long tables`,
				`catalogue FILE: table "t": period: missing`,
				`catalogue FILE: table "t": columns: "EW" is mapped twice`,
				`catalogue FILE: table "t": columns: "M": indicator "ew" comes from another column too`,
				`catalogue FILE: table "t": columns: "M": factor: -1 is not a positive number`,
				`catalogue FILE: table "t": columns: "X": indicator "frauen" is not in the catalogue`,
				`catalogue FILE: table "t": delimiter: "," is also the decimal separator`,
				`catalogue FILE: table "t": encoding: "latin1" is not utf-8, windows-1252 or auto`,
			}},
		{"long table", catBase + `tables:
  - key: t
    format: long
    level: kreis
    area_column: AGS
    indicator_column: merkmal
    period_column: jahr
    period: 2020-12-31
    decimal: ";"
    placeholders: ["-9999", " "]
    columns: [{column: EW, indicator: ew}]`,
			[]string{
				`catalogue FILE: table "t": value_column: missing`,
				`catalogue FILE: table "t": period: set together with period_column; keep one`,
				`catalogue FILE: table "t": columns: only for wide and gv100ad tables`,
				`catalogue FILE: table "t": placeholders: entry 2 is empty`,
				`catalogue FILE: table "t": decimal: ";" is not ",", "." or auto`,
			}},
		{"gv100ad table", catBase + `tables:
  - key: t
    format: gv100ad
    level: gemeinde
    area_column: name
    period: 2022-12-31
    delimiter: ";"
    columns: [{column: einwohner, indicator: ew}]`,
			[]string{
				`catalogue FILE: table "t": area_column: "name" is no area code; use ars or ags`,
				`catalogue FILE: table "t": delimiter: a fixed-width gv100ad file has none`,
				`catalogue FILE: table "t": columns: "einwohner" is not a GV100AD field (ars, ags, name, area_ha, population, male)`,
			}},
		{"no indicators", "groups: []\n", []string{`catalogue FILE: indicators: none defined`}},
		{"empty file", "# nothing yet\n", []string{`catalogue FILE: the file is empty`}},
		{"syntax error", catBase + `  - {key: a, title: A`,
			[]string{`catalogue FILE: yaml: line 3: did not find expected ',' or '}'`}},
		{"not a mapping", catBase + `  - einwohner`,
			[]string{`catalogue FILE: indicator 3: not a mapping of fields (line 4)`}},
		{"top level a list", "- einwohner\n", []string{`catalogue FILE: top level: not a mapping of fields (line 1)`}},
		{"duplicate yaml key", catBase + `  - {key: a, key: b, title: A, category: Demografie, polarity: neutral, kind: value}`,
			[]string{`catalogue FILE: line 4: mapping key "key" already defined at line 4`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "katalog.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadCatalogue(path)
			if err == nil {
				t.Fatal("no error")
			}
			got := strings.ReplaceAll(err.Error(), path, "FILE")
			if want := strings.Join(tt.want, "\n"); got != want {
				t.Errorf("error\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestReadCatalogueFixture(t *testing.T) {
	cat, err := ReadCatalogue("testdata/catalogue/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Indicator{
		{Key: "einwohner", Title: "Einwohner", Description: "Bevölkerung am Stichtag.", Unit: "Personen",
			Category: "Demografie", Polarity: Neutral, Source: "Testamt", Licence: "dl-de/by-2-0",
			Kind: Count, MinCount: 5, MinDenominator: 10, Position: 0},
		{Key: "maennlich", Title: "Einwohner, männlich", Unit: "Personen", Category: "Demografie",
			Polarity: Neutral, Kind: Count, MinCount: 5, MinDenominator: 10, Position: 1},
		{Key: "weiblich", Title: "Einwohnerinnen", Unit: "Personen", Category: "Demografie",
			Polarity: Neutral, Kind: Count, Combine: map[string]float64{"einwohner": 1, "maennlich": -1},
			MinCount: 5, MinDenominator: 10, Position: 2},
		{Key: "flaeche", Title: "Fläche", Unit: "km²", Category: "Fläche/Siedlung", Polarity: Neutral,
			Decimals: 2, Kind: Count, MinCount: 0, MinDenominator: 10, Position: 3},
		{Key: "anteil_weiblich", Title: "Frauenanteil", Unit: "%", Category: "Demografie",
			Polarity: Neutral, Decimals: 1, Kind: Rate, Numerator: "weiblich", Denominator: "einwohner",
			Scale: 100, MinCount: 5, MinDenominator: 10, Position: 4},
		{Key: "dichte", Title: "Dichte", Unit: "Einw./km²", Category: "Fläche/Siedlung", Polarity: Neutral,
			Kind: Rate, Numerator: "einwohner", Denominator: "flaeche", Scale: 1, MinCount: 5,
			MinDenominator: 0, Position: 5},
		{Key: "alter", Title: "Durchschnittsalter", Unit: "Jahre", Category: "Alter/Pflege",
			Polarity: Neutral, Decimals: 1, Kind: Mean, Weight: "einwohner", MinCount: 5,
			MinDenominator: 10, Position: 6},
		{Key: "index", Title: "Sozialindex", Category: "Arbeit/Armut", Polarity: HigherWorse, Kind: Value,
			MinCount: 5, MinDenominator: 10, Position: 7},
	}
	if !reflect.DeepEqual(cat.Indicators, want) {
		t.Errorf("indicators\n%+v\nwant\n%+v", cat.Indicators, want)
	}
	wantGroups := []Group{{Key: "geschlecht", Title: "Einwohner nach Geschlecht", Total: "einwohner",
		Members: []string{"maennlich", "weiblich"}}}
	if !reflect.DeepEqual(cat.Groups, wantGroups) {
		t.Errorf("groups %+v, want %+v", cat.Groups, wantGroups)
	}
	day := time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)
	wantTables := []TableMapping{
		{Key: "breit", Format: WideTable, Level: "gemeinde", AreaColumn: "ARS", Period: day,
			Gebietsstand: day, Placeholders: []string{"-9999"}, Delimiter: ";", Decimal: ",",
			Encoding: "auto", Columns: []ColumnMapping{
				{Column: "EW", Indicator: "einwohner", Factor: 1},
				{Column: "Fläche (ha)", Indicator: "flaeche", Factor: 0.01},
			}},
		{Key: "lang", Format: LongTable, Level: "kreis", AreaColumn: "kreis", IndicatorColumn: "merkmal",
			ValueColumn: "wert", PeriodColumn: "stichtag", Decimal: "auto", Encoding: "windows-1252"},
	}
	if !reflect.DeepEqual(cat.Tables, wantTables) {
		t.Errorf("tables\n%+v\nwant\n%+v", cat.Tables, wantTables)
	}
	if !slices.Equal(cat.Categories, DefaultCategories()) {
		t.Errorf("categories %v", cat.Categories)
	}
	if _, err := cat.Table("breit"); err != nil {
		t.Error(err)
	}
	_, err = cat.Table("quer")
	if want := `catalogue testdata/catalogue/small.yaml has no table mapping "quer" (there are: breit, lang)`; err == nil || err.Error() != want {
		t.Errorf("Table(quer): %v, want %s", err, want)
	}
}

func TestDemoCatalogue(t *testing.T) {
	const dir = "../data/demo"
	cat, err := ReadCatalogue(filepath.Join(dir, "catalogue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, ind := range cat.Indicators {
		keys = append(keys, string(ind.Kind)+":"+ind.Key)
	}
	wantKeys := []string{
		"count:einwohner", "count:einwohner_maennlich", "count:einwohner_weiblich", "rate:anteil_weiblich",
		"count:ew_unter6", "count:ew_6_15", "count:ew_15_18", "count:ew_18_27", "count:ew_27_45",
		"count:ew_45_55", "count:ew_55_65", "count:ew_65plus", "count:ew_unter18", "count:ew_18_64",
		"count:auslaender", "rate:anteil_auslaender",
		"rate:anteil_unter6", "rate:anteil_6_15", "rate:jugendquotient",
		"value:mss_s1", "value:mss_s3", "value:mss_s4", "value:mss_d1", "value:mss_d3", "value:mss_d4",
		"rate:anteil_65plus", "rate:altenquotient",
		"count:flaeche_km2", "rate:dichte",
		"count:kita_einrichtungen", "count:kita_plaetze", "count:kita_nachfrage_u6", "rate:kita_plaetze_je_100_u6",
		"count:kita_luecke", "value:kita_2sfca", "value:kita_entfernung",
		"count:pflege_einrichtungen", "count:pflege_plaetze", "count:pflege_nachfrage_65plus",
		"rate:pflege_plaetze_je_1000_65plus", "count:schule_einrichtungen",
		"count:jugend_einrichtungen", "count:jugend_plaetze", "count:jugend_nachfrage_6_27",
		"rate:jugend_plaetze_je_100_6_27", "count:jugend_luecke",
	}
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("indicators\n%v\nwant\n%v", keys, wantKeys)
	}

	rates := map[string]string{}
	for _, ind := range cat.Indicators {
		if ind.Kind == Rate {
			rates[ind.Key] = ind.Numerator + "/" + ind.Denominator + "*" + strconvFloat(ind.Scale)
		}
	}
	wantRates := map[string]string{
		"anteil_weiblich":   "einwohner_weiblich/einwohner*100",
		"anteil_auslaender": "auslaender/einwohner*100",
		"anteil_unter6":     "ew_unter6/einwohner*100",
		"anteil_6_15":       "ew_6_15/einwohner*100",
		"jugendquotient":    "ew_unter18/ew_18_64*100",
		"anteil_65plus":     "ew_65plus/einwohner*100",
		"altenquotient":     "ew_65plus/ew_18_64*100",
		"dichte":            "einwohner/flaeche_km2*1",
		// supply ratios over the population carried to the facilities' day
		"kita_plaetze_je_100_u6":        "kita_plaetze/kita_nachfrage_u6*100",
		"pflege_plaetze_je_1000_65plus": "pflege_plaetze/pflege_nachfrage_65plus*1000",
		"jugend_plaetze_je_100_6_27":    "jugend_plaetze/jugend_nachfrage_6_27*100",
	}
	if !reflect.DeepEqual(rates, wantRates) {
		t.Errorf("rates %v, want %v", rates, wantRates)
	}
	combines := map[string]map[string]float64{}
	for _, ind := range cat.Indicators {
		if ind.Combine != nil {
			combines[ind.Key] = ind.Combine
		}
	}
	wantCombines := map[string]map[string]float64{
		"einwohner_weiblich": {"einwohner": 1, "einwohner_maennlich": -1},
		"ew_unter18":         {"ew_unter6": 1, "ew_6_15": 1, "ew_15_18": 1},
		"ew_18_64":           {"ew_18_27": 1, "ew_27_45": 1, "ew_45_55": 1, "ew_55_65": 1},
	}
	if !reflect.DeepEqual(combines, wantCombines) {
		t.Errorf("combines %v, want %v", combines, wantCombines)
	}
	flaeche, _ := cat.Indicator("flaeche_km2")
	dichte, _ := cat.Indicator("dichte")
	ew, _ := cat.Indicator("einwohner")
	if flaeche.MinCount != 0 || flaeche.Decimals != 2 || dichte.MinDenominator != 0 || dichte.Unit != "Einw./km²" ||
		ew.MinCount != 3 || ew.MinDenominator != 10 {
		t.Errorf("limits: flaeche %d/%d decimals, dichte %d %q, einwohner %d/%d",
			flaeche.MinCount, flaeche.Decimals, dichte.MinDenominator, dichte.Unit, ew.MinCount, ew.MinDenominator)
	}
	for _, key := range []string{"jugendquotient", "altenquotient", "ew_18_64"} {
		ind, _ := cat.Indicator(key)
		if !strings.Contains(ind.Description, "lassen keine andere Abgrenzung zu") {
			t.Errorf("%s: the description does not say why the bands are what they are: %q", key, ind.Description)
		}
	}
	if !strings.Contains(dichte.Description, "keine Personenzahl") {
		t.Errorf("dichte: the description does not say why min_denominator is 0: %q", dichte.Description)
	}

	var groups []string
	for _, g := range cat.Groups {
		groups = append(groups, g.Key+"="+g.Total+":"+strings.Join(g.Members, "+"))
	}
	wantGroups := []string{
		"geschlecht=einwohner:einwohner_maennlich+einwohner_weiblich",
		"altersgruppen=einwohner:ew_unter6+ew_6_15+ew_15_18+ew_18_27+ew_27_45+ew_45_55+ew_55_65+ew_65plus",
		"minderjaehrige=ew_unter18:ew_unter6+ew_6_15+ew_15_18",
		"erwerbsalter=ew_18_64:ew_18_27+ew_27_45+ew_45_55+ew_55_65",
	}
	if !slices.Equal(groups, wantGroups) {
		t.Errorf("groups\n%v\nwant\n%v", groups, wantGroups)
	}

	date := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	wantTables := []struct {
		key, file         string
		format            TableFormat
		level, area       string
		period, gebstand  string
		columns           string
		source, licenceIn string
	}{
		{"destatis_gv100ad", "destatis/GV100AD_301123.txt", GV100AD, "gemeinde", "ars", "2022-12-31", "2023-11-30",
			"population→einwohner male→einwohner_maennlich area_ha→flaeche_km2×0.01",
			"Statistisches Bundesamt (Destatis)", `dl-de/by-2-0, "© Statistisches Bundesamt (Destatis), 2023"`},
		{"destatis_kreise_2018", "destatis/kreise-2018.csv", WideTable, "kreis", "AGS", "2018-12-31", "2018-12-31",
			"area_km2→flaeche_km2 population→einwohner population_male→einwohner_maennlich population_female→einwohner_weiblich",
			"landkreise-deutschland", "CC-BY-4.0"},
		{"berlin_einwohner_plr_2022", "berlin-lor/population-plr-2022-06.csv", WideTable, "planungsraum", "PLR-ID",
			"2022-06-30", "2022-06-30",
			"Gesamt→einwohner unter6→ew_unter6 6-15→ew_6_15 15-18→ew_15_18 18-27→ew_18_27 27-45→ew_27_45 " +
				"45-55→ew_45_55 55-65→ew_55_65 65undmehr→ew_65plus weiblich→einwohner_weiblich ausländer→auslaender",
			"Amt für Statistik Berlin-Brandenburg", "wie im Berliner Open-Data-Portal veröffentlicht"},
		{"berlin_mss_2021", "berlin-lor/mss-2021-index-indicators-plr.csv", WideTable, "planungsraum", "PLR_ID",
			"2020-12-31", "2021-01-01",
			"EW→einwohner S1→mss_s1 S3→mss_s3 S4→mss_s4 D1→mss_d1 D3→mss_d3 D4→mss_d4",
			"Monitoring Soziale Stadtentwicklung 2021", "wie im Berliner Open-Data-Portal veröffentlicht"},
	}
	if len(cat.Tables) != len(wantTables) {
		t.Fatalf("%d tables, want %d", len(cat.Tables), len(wantTables))
	}
	for i, w := range wantTables {
		tm := cat.Tables[i]
		var cols []string
		for _, c := range tm.Columns {
			s := c.Column + "→" + c.Indicator
			if c.Factor != 1 {
				s += "×" + strconvFloat(c.Factor)
			}
			cols = append(cols, s)
		}
		if tm.Key != w.key || tm.File != w.file || tm.Format != w.format || tm.Level != w.level ||
			tm.AreaColumn != w.area || !tm.Period.Equal(date(w.period)) || !tm.Gebietsstand.Equal(date(w.gebstand)) ||
			strings.Join(cols, " ") != w.columns || !strings.Contains(tm.Source, w.source) || tm.Licence != w.licenceIn {
			t.Errorf("table %d: %+v\nwant %+v", i, tm, w)
		}
	}

	if got := cat.TablePath(cat.Tables[0]); got != "../data/demo/destatis/GV100AD_301123.txt" {
		t.Errorf("TablePath = %q", got)
	}
	// The CSV mappings name columns the shipped files have.
	for _, tm := range cat.Tables {
		if tm.Format != WideTable {
			continue
		}
		header := csvHeader(t, cat.TablePath(tm), tm.Delimiter)
		for _, c := range append([]ColumnMapping{{Column: tm.AreaColumn}}, tm.Columns...) {
			if !slices.Contains(header, c.Column) {
				t.Errorf("table %s: %s has no column %q (header %q)", tm.Key, tm.File, c.Column, header)
			}
		}
		if tm.NameColumn != "" && !slices.Contains(header, tm.NameColumn) {
			t.Errorf("table %s: %s has no column %q", tm.Key, tm.File, tm.NameColumn)
		}
	}
}

func strconvFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// csvHeader reads a CSV file's first line (UTF-8, BOM dropped).
func csvHeader(t *testing.T, path, delimiter string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if b, _ := br.Peek(3); string(b) == "\uFEFF" {
		_, _ = br.Discard(3)
	}
	r := csv.NewReader(br)
	r.Comma = []rune(delimiter)[0]
	header, err := r.Read()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return header
}

// syncFile loads the catalogue file into the database in one transaction.
func syncFile(t *testing.T, pool *pgxpool.Pool, s *Store, cat *Catalogue) (SyncReport, error) {
	t.Helper()
	ctx := context.Background()
	var rep SyncReport
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var err error
		rep, err = s.SyncCatalogue(ctx, tx, cat)
		return err
	})
	return rep, err
}

func TestSyncCatalogue(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	s := NewStore(pool, geo.NewStore(pool))
	cat, err := ReadCatalogue("testdata/catalogue/small.yaml")
	if err != nil {
		t.Fatal(err)
	}

	rep, err := syncFile(t, pool, s, cat)
	if err != nil {
		t.Fatal(err)
	}
	want := SyncReport{
		Inserted: []string{"einwohner", "maennlich", "weiblich", "flaeche", "anteil_weiblich", "dichte", "alter", "index"},
		Updated:  []string{}, Deleted: []string{},
		GroupsAdded: []string{"geschlecht"}, GroupsChanged: []string{}, GroupsDeleted: []string{},
	}
	if !reflect.DeepEqual(rep, want) {
		t.Errorf("first sync %+v, want %+v", rep, want)
	}

	// What the database gives back is what the file said.
	got, err := s.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Indicators, cat.Indicators) {
		t.Errorf("read back\n%+v\nwant\n%+v", got.Indicators, cat.Indicators)
	}
	if !reflect.DeepEqual(got.Groups, cat.Groups) {
		t.Errorf("groups read back %+v, want %+v", got.Groups, cat.Groups)
	}
	if want := []string{"Demografie", "Fläche/Siedlung", "Alter/Pflege", "Arbeit/Armut"}; !slices.Equal(got.Categories, want) {
		t.Errorf("categories %v, want %v", got.Categories, want)
	}
	ind, err := s.Indicator(ctx, "dichte")
	if err != nil || !reflect.DeepEqual(ind, cat.Indicators[5]) {
		t.Errorf("Indicator(dichte) = %+v, %v", ind, err)
	}
	if _, err := s.Indicator(ctx, "quote"); !errors.Is(err, geo.ErrNotFound) || err.Error() != `indicator "quote": not found` {
		t.Errorf("Indicator(quote): %v, want not found", err)
	}

	// Loading the same file again changes nothing.
	rep, err = syncFile(t, pool, s, cat)
	if err != nil {
		t.Fatal(err)
	}
	want = SyncReport{Inserted: []string{}, Updated: []string{}, Deleted: []string{}, Unchanged: 8,
		GroupsAdded: []string{}, GroupsChanged: []string{}, GroupsDeleted: []string{}}
	if !reflect.DeepEqual(rep, want) || rep.Changed() {
		t.Errorf("second sync %+v, want %+v", rep, want)
	}

	// A new title, "alter" removed, "index" moved up, a new count, the
	// group's members changed.
	edited := *cat
	edited.Indicators = nil
	for _, ind := range cat.Indicators {
		switch ind.Key {
		case "alter":
			continue
		case "einwohner":
			ind.Title = "Bevölkerung"
		}
		edited.Indicators = append(edited.Indicators, ind)
	}
	idx := len(edited.Indicators) - 1
	edited.Indicators = append([]Indicator{edited.Indicators[idx]}, edited.Indicators[:idx]...)
	edited.Indicators = append(edited.Indicators, Indicator{Key: "divers", Title: "Divers", Category: "Demografie",
		Polarity: Neutral, Kind: Count, MinCount: 3, MinDenominator: 10})
	edited.Groups = []Group{{Key: "geschlecht", Title: "Einwohner nach Geschlecht", Total: "einwohner",
		Members: []string{"maennlich", "weiblich", "divers"}}}
	for i := range edited.Indicators {
		edited.Indicators[i].Position = i
	}
	rep, err = syncFile(t, pool, s, &edited)
	if err != nil {
		t.Fatal(err)
	}
	want = SyncReport{
		Inserted:    []string{"divers"},
		Updated:     []string{"index", "einwohner", "maennlich", "weiblich", "flaeche", "anteil_weiblich", "dichte"},
		Deleted:     []string{"alter"},
		GroupsAdded: []string{}, GroupsChanged: []string{"geschlecht"}, GroupsDeleted: []string{},
	}
	if !reflect.DeepEqual(rep, want) {
		t.Errorf("edited sync %+v, want %+v", rep, want)
	}
	got, err = s.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Indicators, edited.Indicators) || !reflect.DeepEqual(got.Groups, edited.Groups) {
		t.Errorf("read back after edit\n%+v\n%+v", got.Indicators, got.Groups)
	}

	// Only the members' order changed.
	edited.Groups = []Group{{Key: "geschlecht", Title: "Einwohner nach Geschlecht", Total: "einwohner",
		Members: []string{"divers", "weiblich", "maennlich"}}}
	rep, err = syncFile(t, pool, s, &edited)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.GroupsChanged, []string{"geschlecht"}) || rep.Unchanged != 8 {
		t.Errorf("reordered members: %+v", rep)
	}
	if groups, err := s.Groups(ctx); err != nil || !reflect.DeepEqual(groups, edited.Groups) {
		t.Errorf("groups after reordering %+v (%v)", groups, err)
	}

	// Back to the file: "alter" returns, "divers" goes; with the group gone
	// too, nothing refers to it.
	noGroups := *cat
	noGroups.Groups = nil
	rep, err = syncFile(t, pool, s, &noGroups)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Inserted, []string{"alter"}) || !slices.Equal(rep.Deleted, []string{"divers"}) ||
		!slices.Equal(rep.GroupsDeleted, []string{"geschlecht"}) {
		t.Errorf("sync without groups %+v", rep)
	}
	var members int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM indicator_group_member`).Scan(&members); err != nil || members != 0 {
		t.Errorf("%d group members left (%v)", members, err)
	}
}

func TestSyncCatalogueKeepsImported(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	s := NewStore(pool, geo.NewStore(pool))
	cat, err := ReadCatalogue("testdata/catalogue/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := syncFile(t, pool, s, cat); err != nil {
		t.Fatal(err)
	}
	// Two observations of "index" and a published cell of "dichte".
	_, err = pool.Exec(ctx, `
INSERT INTO area (level, code, name) VALUES ('kreis', '16063', 'Wartburgkreis'), ('kreis', '16065', 'Kyffhäuserkreis');
INSERT INTO import_batch (kind, source) VALUES ('indicators', 'index.csv');
INSERT INTO observation (indicator, area_id, period, value, status, batch_id)
SELECT 'index', id, '2022-12-31', 1.5, 'measured', 1 FROM area;
INSERT INTO observation_extent VALUES (1, 'index', '2022-12-31', 'kreis', 2);
INSERT INTO cell (indicator, area_id, period, value, status)
SELECT 'dichte', id, '2022-12-31', 90, 'derived' FROM area WHERE code = '16063'`)
	if err != nil {
		t.Fatal(err)
	}

	without := func(keys ...string) *Catalogue {
		c := *cat
		c.Indicators = nil
		for _, ind := range cat.Indicators {
			if !slices.Contains(keys, ind.Key) {
				c.Indicators = append(c.Indicators, ind)
			}
		}
		return &c
	}
	_, err = syncFile(t, pool, s, without("index", "alter"))
	want := `sync catalogue testdata/catalogue/small.yaml: indicator "index" (2 observations) no longer in the catalogue but imported; revert its imports first or keep it`
	if err == nil || err.Error() != want {
		t.Fatalf("removing an imported indicator: %v, want %s", err, want)
	}
	// The caller's transaction rolled back: nothing changed.
	inds, err := s.Indicators(ctx)
	if err != nil || len(inds) != 8 {
		t.Errorf("%d indicators after the failed sync (%v), want 8", len(inds), err)
	}

	// An indicator with published cells but no observations goes, and its
	// cells with it.
	rep, err := syncFile(t, pool, s, without("dichte"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Deleted, []string{"dichte"}) {
		t.Errorf("deleted %v", rep.Deleted)
	}
	var cells int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM published_cell`).Scan(&cells); err != nil || cells != 0 {
		t.Errorf("%d cells left (%v)", cells, err)
	}
}

func TestSyncDemoCatalogue(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := NewStore(pool, geo.NewStore(pool))
	cat, err := ReadCatalogue("../data/demo/catalogue.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := syncFile(t, pool, s, cat)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Inserted) != 46 || len(rep.GroupsAdded) != 4 {
		t.Errorf("demo sync: %+v", rep)
	}
	got, err := s.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Indicators, cat.Indicators) || !reflect.DeepEqual(got.Groups, cat.Groups) {
		t.Errorf("demo catalogue read back differs:\n%+v\n%+v", got.Indicators, got.Groups)
	}
	if want := []string{"Demografie", "Kinder/Jugend/Familie", "Arbeit/Armut", "Alter/Pflege", "Fläche/Siedlung", "Bildung"}; !slices.Equal(got.Categories, want) {
		t.Errorf("categories %v, want %v", got.Categories, want)
	}
}
