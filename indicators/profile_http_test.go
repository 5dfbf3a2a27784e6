package indicators

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

type profileDoc struct {
	Area       map[string]any
	Period     *string
	Datetime   string
	Periods    []string
	Comparison map[string]*struct{ Level, Code, Name string }
	Indicators []struct {
		Key, Title, Unit, Category, Polarity, Kind string
		Decimals                                   int
		Value                                      any
		Status                                     string
		Suppressed                                 *string
		Incomplete                                 bool
		Comparison                                 map[string]*struct {
			Value      any
			Status     string
			Suppressed *string
		}
		Rank       *int
		Ranked     int
		Percentile any
		Previous   *struct {
			Period     string
			Value      any
			Status     string
			Suppressed *string
		}
		Change     any
		ChangeUnit string `json:"change_unit"`
		// Trend is absent unless asked for, then an object or null.
		Trend json.RawMessage
	}
}

// profileTrendDoc is an entry's trend.
type profileTrendDoc struct {
	From, To     string
	Periods      int
	SlopePerYear any `json:"slope_per_year"`
	Intercept    any
	R2           any
}

// lines writes a profile compactly: one line for the comparison areas,
// one per indicator with value, status, reason, the values of parent,
// Kreis, Land and Germany (and the reference area when there is one),
// rank/ranked and percentile, previous period and value, change and its
// unit, and the trend when asked for.
func (d profileDoc) lines() string {
	var out []string
	var cmp []string
	roles := []string{"parent", "kreis", "land", "staat"}
	if _, ok := d.Comparison["reference"]; ok {
		roles = append(roles, "reference")
	}
	for _, role := range roles {
		if a := d.Comparison[role]; a != nil {
			cmp = append(cmp, role+"="+a.Level+"/"+a.Code)
		} else {
			cmp = append(cmp, role+"=<nil>")
		}
	}
	out = append(out, strings.Join(cmp, " "))
	for _, e := range d.Indicators {
		l := fmt.Sprintf("%s %s %s %s |", e.Key, str(e.Value), e.Status, strp(e.Suppressed))
		for _, role := range roles {
			if c := e.Comparison[role]; c != nil {
				l += " " + str(c.Value)
			} else {
				l += " -"
			}
		}
		rank := "-"
		if e.Rank != nil {
			rank = fmt.Sprint(*e.Rank)
		}
		l += fmt.Sprintf(" | %s/%d %s |", rank, e.Ranked, str(e.Percentile))
		if e.Previous != nil {
			l += fmt.Sprintf(" %s %s %s", e.Previous.Period, str(e.Previous.Value), e.Previous.Status)
		} else {
			l += " -"
		}
		l += fmt.Sprintf(" | %s %s", str(e.Change), e.ChangeUnit)
		switch string(e.Trend) {
		case "":
		case "null":
			l += " | trend <nil>"
		default:
			var tr profileTrendDoc
			if err := json.Unmarshal(e.Trend, &tr); err != nil {
				l += " | trend " + err.Error()
				break
			}
			l += fmt.Sprintf(" | trend %s/%s %d %s %s %s", tr.From, tr.To, tr.Periods,
				str(tr.SlopePerYear), str(tr.Intercept), str(tr.R2))
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func strp(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestProfile(t *testing.T) {
	srv, _ := outputServer(t)
	today := time.Now().Format(time.DateOnly)
	for _, tt := range []struct {
		path, period, want string
	}{
		// Ranks among Kiel's four Gemeinden: ties share a rank; withheld
		// values are not ranked, and a withheld value has no rank; changes
		// on the published figures, a quota's in percentage points.
		{"/areas/gemeinde/010020003/profile", "2022-12-31", `parent=kreis/01002 kreis=kreis/01002 land=land/01 staat=staat/DE
einwohner 50 measured <nil> | 3550 3550 4350 162350 | 4/4 0 | 2018-12-31 55 measured | -5 Personen
sgb2 <nil> suppressed primary | 229 229 269 9269 | -/2 <nil> | 2018-12-31 3 measured | <nil> Personen
sgb2_quote <nil> suppressed primary | 6.5 6.5 6.2 5.7 | -/2 <nil> | 2018-12-31 5.5 derived | <nil> Prozentpunkte`},
		{"/areas/gemeinde/010020001/profile", "2022-12-31", `parent=kreis/01002 kreis=kreis/01002 land=land/01 staat=staat/DE
einwohner 1000 measured <nil> | 3550 3550 4350 162350 | 2/4 33.3 | 2018-12-31 990 measured | 10 Personen
sgb2 100 measured <nil> | 229 229 269 9269 | 2/2 0 | 2018-12-31 90 measured | 10 Personen
sgb2_quote 10 derived <nil> | 6.5 6.5 6.2 5.7 | 1/2 100 | 2018-12-31 9.1 derived | 0.9 Prozentpunkte`},
		{"/areas/gemeinde/010020004/profile", "2022-12-31", `parent=kreis/01002 kreis=kreis/01002 land=land/01 staat=staat/DE
einwohner 1000 measured <nil> | 3550 3550 4350 162350 | 2/4 33.3 | 2018-12-31 1010 measured | -10 Personen
sgb2 <nil> suppressed secondary | 229 229 269 9269 | -/2 <nil> | 2018-12-31 9 measured | <nil> Personen
sgb2_quote <nil> suppressed primary | 6.5 6.5 6.2 5.7 | -/2 <nil> | 2018-12-31 0.9 derived | <nil> Prozentpunkte`},
		{"/areas/gemeinde/010020002/profile?period=2018-12-31", "2018-12-31", `parent=kreis/01002 kreis=kreis/01002 land=land/01 staat=staat/DE
einwohner 1480 measured <nil> | 3535 3535 3535 - | 1/4 100 | - | <nil> Personen
sgb2 130 measured <nil> | 232 232 - - | 1/4 100 | - | <nil> Personen
sgb2_quote 8.8 derived <nil> | 6.6 6.6 - - | 2/4 66.7 | - | <nil> Prozentpunkte`},
		// A Kreis: no Kreis above it; ranked among the Kreise of its Land.
		{"/areas/kreis/01002/profile", "2022-12-31", `parent=land/01 kreis=<nil> land=land/01 staat=staat/DE
einwohner 3550 derived <nil> | 4350 - 4350 162350 | 1/2 100 | 2018-12-31 3535 derived | 15 Personen
sgb2 229 derived <nil> | 269 - 269 9269 | 1/2 100 | 2018-12-31 232 derived | -3 Personen
sgb2_quote 6.5 derived <nil> | 6.2 - 6.2 5.7 | 1/2 100 | 2018-12-31 6.6 derived | -0.1 Prozentpunkte`},
		// Today's Wartburgkreis: its change since 2018 on today's
		// boundaries, from the carried-over 2018.
		{"/areas/kreis/16063/profile", "2022-12-31", `parent=land/16 kreis=<nil> land=land/16 staat=staat/DE
einwohner 158000 measured <nil> | 158000 - 158000 162350 | 1/1 <nil> | 2018-12-31 162000 derived | -4000 Personen
sgb2 9000 measured <nil> | 9000 - 9000 9269 | 1/1 <nil> | - | <nil> Personen
sgb2_quote 5.7 derived <nil> | 5.7 - 5.7 5.7 | 1/1 <nil> | - | <nil> Prozentpunkte`},
		{"/areas/kreis/16063/profile?datetime=2020-01-01", "2018-12-31", `parent=land/16 kreis=<nil> land=land/16 staat=staat/DE
einwohner 120000 measured <nil> | - - - - | 1/2 100 | - | <nil> Personen`},
		{"/areas/staat/DE/profile", "2022-12-31", `parent=<nil> kreis=<nil> land=<nil> staat=<nil>
einwohner 162350 derived <nil> | - - - - | 1/1 <nil> | - | <nil> Personen
sgb2 9269 derived <nil> | - - - - | 1/1 <nil> | - | <nil> Personen
sgb2_quote 5.7 derived <nil> | - - - - | 1/1 <nil> | - | <nil> Prozentpunkte`},
		// Missing values have no rank either.
		{"/areas/gemeinde/010030001/profile?period=2018-12-31", "2018-12-31", `parent=kreis/01003 kreis=kreis/01003 land=land/01 staat=staat/DE
einwohner <nil> missing <nil> | - - 3535 - | -/0 <nil> | - | <nil> Personen`},
	} {
		var doc profileDoc
		fetchJSON(t, srv.URL+tt.path, &doc)
		if doc.Period == nil || *doc.Period != tt.period || doc.lines() != tt.want {
			t.Errorf("%s: period %v\n%s\nwant\n%s", tt.path, strp(doc.Period), doc.lines(), tt.want)
		}
	}

	var doc profileDoc
	fetchJSON(t, srv.URL+"/areas/gemeinde/010020003/profile", &doc)
	e := doc.Indicators[2]
	if doc.Area["name"] != "Kiel-Süd" || doc.Datetime != today || strings.Join(doc.Periods, ",") != "2018-12-31,2022-12-31" ||
		doc.Comparison["parent"].Name != "Kiel" || doc.Comparison["staat"].Name != "Deutschland" ||
		e.Title != "SGB-II-Quote" || e.Unit != "%" || e.Category != "Arbeit/Armut" || e.Polarity != "higher_worse" ||
		e.Kind != "rate" || e.Decimals != 1 {
		t.Errorf("profile head %+v, entry %+v", doc, e)
	}

	// An area without any values has an empty profile.
	doc = profileDoc{}
	fetchJSON(t, srv.URL+"/areas/land/02/profile", &doc)
	if doc.Period != nil || len(doc.Indicators) != 0 || len(doc.Periods) != 0 || doc.Comparison["parent"].Code != "DE" {
		t.Errorf("empty profile %+v", doc)
	}

	for _, tt := range []struct {
		path   string
		status int
		detail string
	}{
		{"/areas/dorf/1/profile", 404, `There is no level "dorf"; /collections lists them.`},
		{"/areas/kreis/16056/profile", 404, `Level "kreis" has no area "16056" valid on ` + today + `.`},
		{"/areas/kreis/01002/profile?period=2020-12-31", 404, `Area kreis/01002 has no values for period 2020-12-31; it has values for 2018-12-31, 2022-12-31.`},
		{"/areas/kreis/01002/profile?period=31.12.2022", 400, `query parameter period: "31.12.2022" is not a date (2022-12-31)`},
		{"/areas/kreis/01002/profile?f=ods", 400, `query parameter f: "ods" is not a format of this resource; use json, csv, xlsx`},
		{"/areas/kreis/01002/profile?level=kreis", 400, `query parameter "level": unknown; this resource takes datetime, f, period, reference, series, since, trend`},
		{"/areas/kreis/01002/profile?series=1", 400, `query parameter series: "1" is neither true nor false`},
	} {
		checkProblem(t, srv.URL, tt.path, "", tt.status, tt.detail)
	}

	// The profile lives next to the area resource of OGC API Features.
	var area struct{ Area struct{ Code string } }
	fetchJSON(t, srv.URL+"/areas/kreis/01002", &area)
	if area.Area.Code != "01002" {
		t.Errorf("/areas/kreis/01002: %+v", area)
	}
}

// profileThirdPeriod adds 2020 to Kiel-Nord and Kiel-Süd: Kiel-Nord's
// count of 4 is withheld, so is its quota; Kiel-Süd's count of 5 is
// published. Cells written after publishing need their extent as well.
const profileThirdPeriod = `
INSERT INTO cell (indicator, area_id, period, value, numerator, denominator, status, incomplete, suppressed)
SELECT v.indicator, a.id, '2020-12-31', v.value, v.num, v.den, v.status, false, v.sup
FROM (VALUES
	('einwohner', '010020001', 1020::float8, NULL::float8, NULL::float8, 'measured', NULL),
	('sgb2', '010020001', 4, NULL, NULL, 'measured', 'primary'),
	('sgb2_quote', '010020001', 4.0 / 1020 * 100, 4, 1020, 'derived', 'primary'),
	('einwohner', '010020003', 60, NULL, NULL, 'measured', NULL),
	('sgb2', '010020003', 5, NULL, NULL, 'measured', NULL),
	('sgb2_quote', '010020003', 5.0 / 60 * 100, 5, 60, 'derived', NULL)
) v(indicator, code, value, num, den, status, sup)
JOIN area a ON a.level = 'gemeinde' AND a.code = v.code;
INSERT INTO cell_extent (indicator, level, period)
VALUES ('einwohner', 'gemeinde', '2020-12-31'), ('sgb2', 'gemeinde', '2020-12-31'), ('sgb2_quote', 'gemeinde', '2020-12-31')`

func TestProfileCompare(t *testing.T) {
	srv, pool := outputServer(t)
	if _, err := pool.Exec(context.Background(), profileThirdPeriod); err != nil {
		t.Fatalf("add 2020: %v", err)
	}
	today := time.Now().Format(time.DateOnly)
	// Trends by hand, x in years of 365.25 days since FROM: 2018-12-31 →
	// 0, 2020-12-31 → 731/365.25, 2022-12-31 → 1461/365.25 = 4.
	// Kiel-Nord's Einwohner 990, 1020, 1000: x̄ = 2192/1095.75 = 2.000456,
	// ȳ = 1003.333, Sxx = 8.000001, Sxy = 20.02282, Syy = 466.6667:
	// slope = Sxy/Sxx = 2.502852, intercept = ȳ − slope·x̄ = 998.3265,
	// r² = Sxy²/(Sxx·Syy) = 0.107387. Kiel-Süd's 55, 60, 50: Sxy =
	// −9.993155, Syy = 50: slope −1.249144, intercept 57.49886, r² 0.249658;
	// its quota 5.5 and 8.3 (2022 withheld): 2.8/(731/365.25) = 1.399042. Its withheld 2020 SGB II count takes no part: 90 and 100
	// four years apart give 2.5 a year from 90. Kiel-Süd's 3 and 5 (2022
	// withheld) give 2/(731/365.25) = 0.999316 a year. Kiel-Nord's quota:
	// 9.1 and 10 give 0.225 (three decimals: its one plus two). From
	// 2019-01-01 Kiel-Nord's Einwohner 1020 (730 days on) and 1000 (1460)
	// fall by 20 in 730/365.25 years: −10.0068 a year, 1040 at FROM.
	for _, tt := range []struct {
		path, want string
	}{
		{"/areas/gemeinde/010020001/profile?trend=2018-12-31/2022-12-31", `parent=kreis/01002 kreis=kreis/01002 land=land/01 staat=staat/DE
einwohner 1000 measured <nil> | 3550 3550 4350 162350 | 2/4 33.3 | 2020-12-31 1020 measured | -20 Personen | trend 2018-12-31/2022-12-31 3 2.5 998.33 0.1074
sgb2 100 measured <nil> | 229 229 269 9269 | 2/2 0 | 2020-12-31 <nil> suppressed | <nil> Personen | trend 2018-12-31/2022-12-31 2 2.5 90 1
sgb2_quote 10 derived <nil> | 6.5 6.5 6.2 5.7 | 1/2 100 | 2020-12-31 <nil> suppressed | <nil> Prozentpunkte | trend 2018-12-31/2022-12-31 2 0.225 9.1 1`},
		{"/areas/gemeinde/010020001/profile?trend=2019-01-01/2023-06-30&since=2018-12-31", `parent=kreis/01002 kreis=kreis/01002 land=land/01 staat=staat/DE
einwohner 1000 measured <nil> | 3550 3550 4350 162350 | 2/4 33.3 | 2018-12-31 990 measured | 10 Personen | trend 2019-01-01/2023-06-30 2 -10.01 1040 1
sgb2 100 measured <nil> | 229 229 269 9269 | 2/2 0 | 2018-12-31 90 measured | 10 Personen | trend <nil>
sgb2_quote 10 derived <nil> | 6.5 6.5 6.2 5.7 | 1/2 100 | 2018-12-31 9.1 derived | 0.9 Prozentpunkte | trend <nil>`},
		// Kiel-Süd's withheld 2022 count: no change, rank or percentile,
		// and a trend from the two published periods only.
		{"/areas/gemeinde/010020003/profile?trend=2018-12-31/2022-12-31&since=2020-12-31", `parent=kreis/01002 kreis=kreis/01002 land=land/01 staat=staat/DE
einwohner 50 measured <nil> | 3550 3550 4350 162350 | 4/4 0 | 2020-12-31 60 measured | -10 Personen | trend 2018-12-31/2022-12-31 3 -1.25 57.5 0.2497
sgb2 <nil> suppressed primary | 229 229 269 9269 | -/2 <nil> | 2020-12-31 5 measured | <nil> Personen | trend 2018-12-31/2022-12-31 2 1 3 1
sgb2_quote <nil> suppressed primary | 6.5 6.5 6.2 5.7 | -/2 <nil> | 2020-12-31 8.3 derived | <nil> Prozentpunkte | trend 2018-12-31/2022-12-31 2 1.399 5.5 1`},
		// A period without cells: no previous; a range with one period:
		// no trend.
		{"/areas/gemeinde/010020004/profile?since=2019-12-31&trend=2021-01-01/2022-12-31", `parent=kreis/01002 kreis=kreis/01002 land=land/01 staat=staat/DE
einwohner 1000 measured <nil> | 3550 3550 4350 162350 | 2/4 33.3 | - | <nil> Personen | trend <nil>
sgb2 <nil> suppressed secondary | 229 229 269 9269 | -/2 <nil> | - | <nil> Personen | trend <nil>
sgb2_quote <nil> suppressed primary | 6.5 6.5 6.2 5.7 | -/2 <nil> | - | <nil> Prozentpunkte | trend <nil>`},
		// The change since 2018 on today's Wartburgkreis, from the
		// carried-over 2018; compared with Kiel.
		{"/areas/kreis/16063/profile?since=2018-12-31&reference=kreis:01002", `parent=land/16 kreis=<nil> land=land/16 staat=staat/DE reference=kreis/01002
einwohner 158000 measured <nil> | 158000 - 158000 162350 3550 | 1/1 <nil> | 2018-12-31 162000 derived | -4000 Personen
sgb2 9000 measured <nil> | 9000 - 9000 9269 229 | 1/1 <nil> | - | <nil> Personen
sgb2_quote 5.7 derived <nil> | 5.7 - 5.7 5.7 6.5 | 1/1 <nil> | - | <nil> Prozentpunkte`},
		// A reference with withheld cells shows them withheld.
		{"/areas/gemeinde/010020002/profile?reference=gemeinde:010020003", `parent=kreis/01002 kreis=kreis/01002 land=land/01 staat=staat/DE reference=gemeinde/010020003
einwohner 1500 measured <nil> | 3550 3550 4350 162350 50 | 1/4 100 | 2018-12-31 1480 measured | 20 Personen
sgb2 120 measured <nil> | 229 229 269 9269 <nil> | 1/2 100 | 2018-12-31 130 measured | -10 Personen
sgb2_quote 8 derived <nil> | 6.5 6.5 6.2 5.7 <nil> | 2/2 0 | 2018-12-31 8.8 derived | -0.8 Prozentpunkte`},
		// The reference's version valid on the day of the boundaries: the
		// Wartburgkreis before Eisenach joined.
		{"/areas/kreis/01002/profile?period=2018-12-31&datetime=2020-01-01&reference=kreis:16063", `parent=land/01 kreis=<nil> land=land/01 staat=staat/DE reference=kreis/16063
einwohner 3535 derived <nil> | 3535 - 3535 - 120000 | 1/1 <nil> | - | <nil> Personen
sgb2 232 derived <nil> | - - - - - | 1/1 <nil> | - | <nil> Personen
sgb2_quote 6.6 derived <nil> | - - - - - | 1/1 <nil> | - | <nil> Prozentpunkte`},
	} {
		var doc profileDoc
		fetchJSON(t, srv.URL+tt.path, &doc)
		if got := doc.lines(); got != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.path, got, tt.want)
		}
	}

	// The reference is described like the other areas compared with, with
	// its version.
	var head struct {
		Comparison map[string]*struct {
			Level, Code, Name string
			ValidFrom         *string `json:"valid_from"`
		}
	}
	fetchJSON(t, srv.URL+"/areas/gemeinde/010020001/profile?reference=kreis:16063", &head)
	if ref := head.Comparison["reference"]; ref == nil || ref.Name != "Wartburgkreis" || strp(ref.ValidFrom) != "2021-07-01" {
		t.Errorf("reference %+v", head.Comparison)
	}
	// Without the parameter there is no reference, and no trend.
	_, body := fetch(t, srv.URL+"/areas/gemeinde/010020001/profile", "")
	if strings.Contains(string(body), "reference") || strings.Contains(string(body), "trend") {
		t.Errorf("profile without reference or trend: %s", body)
	}

	for _, tt := range []struct {
		path   string
		status int
		detail string
	}{
		{"/areas/kreis/01002/profile?reference=kreis", 400, `query parameter reference: "kreis" is not LEVEL:CODE (kreis:16063)`},
		{"/areas/kreis/01002/profile?reference=:01002", 400, `query parameter reference: ":01002" is not LEVEL:CODE (kreis:16063)`},
		{"/areas/kreis/01002/profile?reference=dorf:1", 404, `query parameter reference: there is no level "dorf"; /collections lists them`},
		{"/areas/kreis/01002/profile?reference=kreis:16056", 404, `query parameter reference: level "kreis" has no area "16056" valid on ` + today},
		{"/areas/kreis/01002/profile?since=2022-12-31", 400, `query parameter since: 2022-12-31 is not before the period 2022-12-31`},
		{"/areas/kreis/01002/profile?period=2018-12-31&since=2020-12-31", 400, `query parameter since: 2020-12-31 is not before the period 2018-12-31`},
		{"/areas/kreis/01002/profile?since=2018", 400, `query parameter since: "2018" is not a date (2022-12-31)`},
		{"/areas/kreis/01002/profile?trend=2018-12-31", 400, `query parameter trend: "2018-12-31" is not two dates FROM/TO (2010-12-31/2022-12-31)`},
		{"/areas/kreis/01002/profile?trend=2018-12-31/heute", 400, `query parameter trend: "2018-12-31/heute" is not two dates FROM/TO (2010-12-31/2022-12-31)`},
		{"/areas/kreis/01002/profile?trend=2022-12-31/2018-12-31", 400, `query parameter trend: 2022-12-31 is not before 2018-12-31`},
		{"/areas/kreis/01002/profile?trend=2022-12-31/2022-12-31", 400, `query parameter trend: 2022-12-31 is not before 2022-12-31`},
		{"/areas/kreis/01002/profile?trend=a&trend=b", 400, `query parameter trend: given 2 times; give it once`},
	} {
		checkProblem(t, srv.URL, tt.path, "", tt.status, tt.detail)
	}
}

func TestChangeUnit(t *testing.T) {
	for _, tt := range []struct {
		ind  Indicator
		want string
	}{
		{Indicator{Unit: "%", Kind: Rate, Scale: 100}, "Prozentpunkte"},
		{Indicator{Unit: "Prozent", Kind: Value}, "Prozentpunkte"},
		{Indicator{Kind: Rate, Scale: 100}, "Prozentpunkte"},
		{Indicator{Unit: "je 1.000 Einwohner", Kind: Rate, Scale: 1000}, "je 1.000 Einwohner"},
		{Indicator{Kind: Rate, Scale: 1000}, ""},
		{Indicator{Unit: "Personen", Kind: Count}, "Personen"},
	} {
		if got := changeUnit(tt.ind); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.ind, got, tt.want)
		}
	}
}

// profileClasses adds a class indicator with labelled values that Kiel-Nord
// and Kiel-Süd have in 2020 only, as an index computed for one period.
const profileClasses = `
INSERT INTO indicator (key, position, title, description, unit, category, polarity, source, licence, decimals, kind, value_labels)
VALUES ('sgb2_klasse', 3, 'SGB-II-Klasse', '', 'Klasse', 'Arbeit/Armut', 'higher_worse', '', '', 0, 'value',
	'[{"value": 1, "label": "niedrig"}, {"value": 2, "label": "hoch"}]');
INSERT INTO cell (indicator, area_id, period, value, status, incomplete)
SELECT 'sgb2_klasse', a.id, '2020-12-31', v.value, 'derived', false
FROM (VALUES ('010020001', 2::float8), ('010020003', 1)) v(code, value)
JOIN area a ON a.level = 'gemeinde' AND a.code = v.code;
INSERT INTO cell_extent (indicator, level, period) VALUES ('sgb2_klasse', 'gemeinde', '2020-12-31')`

// TestProfileSeries asks the profile for every indicator's series: all
// periods of the area version, withheld points without a value, the
// labels of class values, and indicators without a value in the period
// shown as well.
func TestProfileSeries(t *testing.T) {
	srv, pool := outputServer(t)
	if _, err := pool.Exec(context.Background(), profileThirdPeriod+";"+profileClasses); err != nil {
		t.Fatalf("add 2020: %v", err)
	}
	type point struct {
		Period     string
		Value      json.RawMessage
		Status     string
		Suppressed *string
		Incomplete bool
		Label      *string
	}
	text := func(ps []point) string {
		var l string
		for _, p := range ps {
			l += fmt.Sprintf(" %s=%s/%s/%s", p.Period, p.Value, p.Status, strp(p.Suppressed))
			if p.Incomplete {
				l += "/incomplete"
			}
			if p.Label != nil {
				l += "/" + *p.Label
			}
		}
		return l
	}
	lines := func(series map[string][]point) string {
		var out []string
		for _, key := range []string{"einwohner", "sgb2", "sgb2_quote", "sgb2_klasse"} {
			if ps, ok := series[key]; ok {
				out = append(out, key+":"+text(ps))
			}
		}
		return strings.Join(out, "\n")
	}
	for _, tt := range []struct {
		path, want string
		indicators int
	}{
		{"/areas/gemeinde/010020001/profile?series=true", `einwohner: 2018-12-31=990/measured/<nil> 2020-12-31=1020/measured/<nil> 2022-12-31=1000/measured/<nil>
sgb2: 2018-12-31=90/measured/<nil> 2020-12-31=null/suppressed/primary 2022-12-31=100/measured/<nil>
sgb2_quote: 2018-12-31=9.1/derived/<nil> 2020-12-31=null/suppressed/primary 2022-12-31=10.0/derived/<nil>
sgb2_klasse: 2020-12-31=2/derived/<nil>/hoch`, 3},
		{"/areas/gemeinde/010020003/profile?series=true&period=2020-12-31", `einwohner: 2018-12-31=55/measured/<nil> 2020-12-31=60/measured/<nil> 2022-12-31=50/measured/<nil>
sgb2: 2018-12-31=3/measured/<nil> 2020-12-31=5/measured/<nil> 2022-12-31=null/suppressed/primary
sgb2_quote: 2018-12-31=5.5/derived/<nil> 2020-12-31=8.3/derived/<nil> 2022-12-31=null/suppressed/primary
sgb2_klasse: 2020-12-31=1/derived/<nil>/niedrig`, 4},
		// A missing value is a point without a value, its status missing.
		{"/areas/gemeinde/010030001/profile?series=true", `einwohner: 2018-12-31=null/missing/<nil> 2022-12-31=800/measured/<nil>
sgb2: 2022-12-31=40/measured/<nil>
sgb2_quote: 2022-12-31=5.0/derived/<nil>`, 3},
		// Today's Wartburgkreis: 2018 carried over to its version.
		{"/areas/kreis/16063/profile?series=true", `einwohner: 2018-12-31=162000/derived/<nil> 2022-12-31=158000/measured/<nil>
sgb2: 2022-12-31=9000/measured/<nil>
sgb2_quote: 2022-12-31=5.7/derived/<nil>`, 3},
		{"/areas/land/02/profile?series=true", ``, 0},
	} {
		var doc struct {
			Indicators []struct{ Key string }
			Series     map[string][]point
		}
		fetchJSON(t, srv.URL+tt.path, &doc)
		if got := lines(doc.Series); got != tt.want || doc.Series == nil || len(doc.Indicators) != tt.indicators {
			t.Errorf("%s: %d indicators, series\n%s\nwant %d and\n%s", tt.path, len(doc.Indicators), got, tt.indicators, tt.want)
		}
	}

	// The series are the series API's, point by point.
	for _, key := range []string{"einwohner", "sgb2", "sgb2_quote"} {
		var prof struct{ Series map[string][]point }
		var api struct{ Series []point }
		fetchJSON(t, srv.URL+"/areas/gemeinde/010020001/profile?series=true", &prof)
		fetchJSON(t, srv.URL+"/indicators/"+key+"/series?level=gemeinde&code=010020001", &api)
		if text(prof.Series[key]) != text(api.Series) || len(api.Series) != 3 {
			t.Errorf("%s: profile%s, series API%s", key, text(prof.Series[key]), text(api.Series))
		}
	}

	// Without series=true (or with false) there are none.
	for _, path := range []string{"/areas/gemeinde/010020001/profile", "/areas/gemeinde/010020001/profile?series=false"} {
		if _, body := fetch(t, srv.URL+path, ""); strings.Contains(string(body), `"series"`) {
			t.Errorf("%s: %s", path, body)
		}
	}
}

// TestProfileCSV writes profiles as German CSV: withheld values empty,
// their status and reason named as in the values table; an area that is
// parent and Land at once compared with once.
func TestProfileCSV(t *testing.T) {
	srv, pool := outputServer(t)
	if _, err := pool.Exec(context.Background(), profileThirdPeriod+";"+profileClasses); err != nil {
		t.Fatalf("add 2020: %v", err)
	}
	for _, tt := range []struct {
		path, accept, file, body string
	}{
		{"/areas/gemeinde/010020003/profile?f=csv", "", "profil_gemeinde_010020003_2022-12-31.csv",
			"\uFEFFKategorie;Indikator;Einheit;Wert Kiel-Süd (gemeinde);Status;Sperrgrund;Kiel (kreis);Schleswig-Holstein (land);Deutschland (staat);Rang;Von\r\n" +
				"Demografie;Einwohnerinnen und Einwohner;Personen;50;erhoben;;3550;4350;162350;4;4\r\n" +
				"Arbeit/Armut;Personen in SGB II;Personen;;gesperrt (Geheimhaltung);primär;229;269;9269;;2\r\n" +
				"Arbeit/Armut;SGB-II-Quote;%;;gesperrt (Geheimhaltung);primär;6,5;6,2;5,7;;2\r\n"},
		// Kiel-Süd as the reference: its withheld values stay empty.
		{"/areas/gemeinde/010020002/profile?reference=gemeinde:010020003&since=2018-12-31", "text/csv", "profil_gemeinde_010020002_2022-12-31.csv",
			"\uFEFFKategorie;Indikator;Einheit;Wert Kiel-Mitte (gemeinde);Status;Sperrgrund;Kiel (kreis);Schleswig-Holstein (land);Deutschland (staat);Kiel-Süd (gemeinde);Rang;Von\r\n" +
				"Demografie;Einwohnerinnen und Einwohner;Personen;1500;erhoben;;3550;4350;162350;50;1;4\r\n" +
				"Arbeit/Armut;Personen in SGB II;Personen;120;erhoben;;229;269;9269;;1;2\r\n" +
				"Arbeit/Armut;SGB-II-Quote;%;8,0;abgeleitet;;6,5;6,2;5,7;;2;2\r\n"},
		// Kiel-Nord in 2020: its withheld count, a class with its name.
		{"/areas/gemeinde/010020001/profile?period=2020-12-31&f=csv", "", "profil_gemeinde_010020001_2020-12-31.csv",
			"\uFEFFKategorie;Indikator;Einheit;Wert Kiel-Nord (gemeinde);Bezeichnung;Status;Sperrgrund;Kiel (kreis);Schleswig-Holstein (land);Deutschland (staat);Rang;Von\r\n" +
				"Demografie;Einwohnerinnen und Einwohner;Personen;1020;;erhoben;;;;;1;2\r\n" +
				"Arbeit/Armut;Personen in SGB II;Personen;;;gesperrt (Geheimhaltung);primär;;;;;1\r\n" +
				"Arbeit/Armut;SGB-II-Quote;%;;;gesperrt (Geheimhaltung);primär;;;;;1\r\n" +
				"Arbeit/Armut;SGB-II-Klasse;Klasse;2;hoch;abgeleitet;;;;;1;2\r\n"},
		// A Kreis: its parent is its Land.
		{"/areas/kreis/16063/profile?f=csv", "", "profil_kreis_16063_2022-12-31.csv",
			"\uFEFFKategorie;Indikator;Einheit;Wert Wartburgkreis (kreis);Status;Sperrgrund;Thüringen (land);Deutschland (staat);Rang;Von\r\n" +
				"Demografie;Einwohnerinnen und Einwohner;Personen;158000;erhoben;;158000;162350;1;1\r\n" +
				"Arbeit/Armut;Personen in SGB II;Personen;9000;erhoben;;9000;9269;1;1\r\n" +
				"Arbeit/Armut;SGB-II-Quote;%;5,7;abgeleitet;;5,7;5,7;1;1\r\n"},
		// A missing value has no rank and counts for none.
		{"/areas/gemeinde/010030001/profile?period=2018-12-31&f=csv", "", "profil_gemeinde_010030001_2018-12-31.csv",
			"\uFEFFKategorie;Indikator;Einheit;Wert Lübeck-Altstadt (gemeinde);Status;Sperrgrund;Lübeck (kreis);Schleswig-Holstein (land);Deutschland (staat);Rang;Von\r\n" +
				"Demografie;Einwohnerinnen und Einwohner;Personen;;keine Angabe;;;3535;;;0\r\n"},
		// Without values: the header only, a name without a period.
		{"/areas/land/02/profile?f=csv", "", "profil_land_02.csv",
			"\uFEFFKategorie;Indikator;Einheit;Wert Hamburg (land);Status;Sperrgrund;Deutschland (staat);Rang;Von\r\n"},
	} {
		checkCSV(t, srv.URL+tt.path, tt.accept, tt.file, tt.body)
	}
}

// TestProfileXLSX writes the same table as a workbook: numbers as numbers
// in Excel's general format, whatever their decimals, and the notes below.
func TestProfileXLSX(t *testing.T) {
	srv, _ := outputServer(t)
	// "Steckbrief " and the name, cut to a sheet name's 31 characters
	sheet := "Steckbrief Kiel-Ost \"Hafen\"; Ga"
	f, got := fetchXLSX(t, srv.URL+"/areas/gemeinde/010020004/profile?f=xlsx&datetime=2025-01-01", "",
		"profil_gemeinde_010020004_2022-12-31.xlsx", sheet)
	want := []string{
		`Kategorie|Indikator|Einheit|Wert Kiel-Ost "Hafen"; Gaarden (gemeinde)|Status|Sperrgrund|Kiel (kreis)|Schleswig-Holstein (land)|Deutschland (staat)|Rang|Von`,
		"Demografie|Einwohnerinnen und Einwohner|Personen|1000|erhoben||3550|4350|162350|2|4",
		"Arbeit/Armut|Personen in SGB II|Personen||gesperrt (Geheimhaltung)|sekundär|229|269|9269||2",
		"Arbeit/Armut|SGB-II-Quote|%||gesperrt (Geheimhaltung)|primär|6.5|6.2|5.7||2",
		"",
		`Gebietssteckbrief 010020004 Kiel-Ost "Hafen"; Gaarden (gemeinde); Stichtag: 31.12.2022; Gebietsstand: 01.01.2025`,
		"Verglichen mit: 01002 Kiel (kreis), 01 Schleswig-Holstein (land), DE Deutschland (staat)",
		"Rang unter den Gebieten derselben Ebene mit demselben übergeordneten Gebiet, 1 = höchster Wert; Von: Zahl der Gebiete mit veröffentlichtem Wert.",
		"Gesperrte Werte (statistische Geheimhaltung) bleiben leer; der Status nennt den Grund.",
		"Quellen und Lizenzen der Indikatoren: /indicators",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Numbers are numbers (a cell without a type is one), and 6.5 keeps
	// its decimal in a column of counts and rates: style 0, General.
	for _, cell := range []string{"G2", "G4"} {
		typ, err := f.GetCellType(sheet, cell)
		style, err2 := f.GetCellStyle(sheet, cell)
		if err != nil || err2 != nil || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) || style != 0 {
			t.Errorf("%s: type %v, style %d, %v %v", cell, typ, style, err, err2)
		}
	}
}
