package indicators

import (
	"fmt"
	"strings"
	"testing"
	"time"
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
		Rank     *int
		Ranked   int
		Previous *struct {
			Period     string
			Value      any
			Status     string
			Suppressed *string
		}
		Change     any
		ChangeUnit string `json:"change_unit"`
	}
}

// lines writes a profile compactly: one line for the comparison areas,
// one per indicator with value, status, reason, the values of parent,
// Kreis, Land and Germany, rank/ranked, previous period and value, change
// and its unit.
func (d profileDoc) lines() string {
	var out []string
	var cmp []string
	for _, role := range []string{"parent", "kreis", "land", "staat"} {
		if a := d.Comparison[role]; a != nil {
			cmp = append(cmp, role+"="+a.Level+"/"+a.Code)
		} else {
			cmp = append(cmp, role+"=<nil>")
		}
	}
	out = append(out, strings.Join(cmp, " "))
	for _, e := range d.Indicators {
		l := fmt.Sprintf("%s %s %s %s |", e.Key, str(e.Value), e.Status, strp(e.Suppressed))
		for _, role := range []string{"parent", "kreis", "land", "staat"} {
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
		l += fmt.Sprintf(" | %s/%d |", rank, e.Ranked)
		if e.Previous != nil {
			l += fmt.Sprintf(" %s %s %s", e.Previous.Period, str(e.Previous.Value), e.Previous.Status)
		} else {
			l += " -"
		}
		l += fmt.Sprintf(" | %s %s", str(e.Change), e.ChangeUnit)
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
einwohner 50 measured <nil> | 3550 3550 4350 162350 | 4/4 | 2018-12-31 55 measured | -5 Personen
sgb2 <nil> suppressed primary | 229 229 269 9269 | -/2 | 2018-12-31 3 measured | <nil> Personen
sgb2_quote <nil> suppressed primary | 6.5 6.5 6.2 5.7 | -/2 | 2018-12-31 5.5 derived | <nil> Prozentpunkte`},
		{"/areas/gemeinde/010020001/profile", "2022-12-31", `parent=kreis/01002 kreis=kreis/01002 land=land/01 staat=staat/DE
einwohner 1000 measured <nil> | 3550 3550 4350 162350 | 2/4 | 2018-12-31 990 measured | 10 Personen
sgb2 100 measured <nil> | 229 229 269 9269 | 2/2 | 2018-12-31 90 measured | 10 Personen
sgb2_quote 10 derived <nil> | 6.5 6.5 6.2 5.7 | 1/2 | 2018-12-31 9.1 derived | 0.9 Prozentpunkte`},
		{"/areas/gemeinde/010020004/profile", "2022-12-31", `parent=kreis/01002 kreis=kreis/01002 land=land/01 staat=staat/DE
einwohner 1000 measured <nil> | 3550 3550 4350 162350 | 2/4 | 2018-12-31 1010 measured | -10 Personen
sgb2 <nil> suppressed secondary | 229 229 269 9269 | -/2 | 2018-12-31 9 measured | <nil> Personen
sgb2_quote <nil> suppressed primary | 6.5 6.5 6.2 5.7 | -/2 | 2018-12-31 0.9 derived | <nil> Prozentpunkte`},
		{"/areas/gemeinde/010020002/profile?period=2018-12-31", "2018-12-31", `parent=kreis/01002 kreis=kreis/01002 land=land/01 staat=staat/DE
einwohner 1480 measured <nil> | 3535 3535 3535 - | 1/4 | - | <nil> Personen
sgb2 130 measured <nil> | 232 232 - - | 1/4 | - | <nil> Personen
sgb2_quote 8.8 derived <nil> | 6.6 6.6 - - | 2/4 | - | <nil> Prozentpunkte`},
		// A Kreis: no Kreis above it; ranked among the Kreise of its Land.
		{"/areas/kreis/01002/profile", "2022-12-31", `parent=land/01 kreis=<nil> land=land/01 staat=staat/DE
einwohner 3550 derived <nil> | 4350 - 4350 162350 | 1/2 | 2018-12-31 3535 derived | 15 Personen
sgb2 229 derived <nil> | 269 - 269 9269 | 1/2 | 2018-12-31 232 derived | -3 Personen
sgb2_quote 6.5 derived <nil> | 6.2 - 6.2 5.7 | 1/2 | 2018-12-31 6.6 derived | -0.1 Prozentpunkte`},
		// Today's Wartburgkreis: its change since 2018 on today's
		// boundaries, from the carried-over 2018.
		{"/areas/kreis/16063/profile", "2022-12-31", `parent=land/16 kreis=<nil> land=land/16 staat=staat/DE
einwohner 158000 measured <nil> | 158000 - 158000 162350 | 1/1 | 2018-12-31 162000 derived | -4000 Personen
sgb2 9000 measured <nil> | 9000 - 9000 9269 | 1/1 | - | <nil> Personen
sgb2_quote 5.7 derived <nil> | 5.7 - 5.7 5.7 | 1/1 | - | <nil> Prozentpunkte`},
		{"/areas/kreis/16063/profile?datetime=2020-01-01", "2018-12-31", `parent=land/16 kreis=<nil> land=land/16 staat=staat/DE
einwohner 120000 measured <nil> | - - - - | 1/2 | - | <nil> Personen`},
		{"/areas/staat/DE/profile", "2022-12-31", `parent=<nil> kreis=<nil> land=<nil> staat=<nil>
einwohner 162350 derived <nil> | - - - - | 1/1 | - | <nil> Personen
sgb2 9269 derived <nil> | - - - - | 1/1 | - | <nil> Personen
sgb2_quote 5.7 derived <nil> | - - - - | 1/1 | - | <nil> Prozentpunkte`},
		// Missing values have no rank either.
		{"/areas/gemeinde/010030001/profile?period=2018-12-31", "2018-12-31", `parent=kreis/01003 kreis=kreis/01003 land=land/01 staat=staat/DE
einwohner <nil> missing <nil> | - - 3535 - | -/0 | - | <nil> Personen`},
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
		{"/areas/kreis/01002/profile?f=csv", 400, `query parameter f: "csv" is not a format of this resource; use json`},
		{"/areas/kreis/01002/profile?level=kreis", 400, `query parameter "level": unknown; this resource takes datetime, f, period`},
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
