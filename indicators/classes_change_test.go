package indicators

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestClassesOfChange classifies the change from 2018 to 2022 in the
// fixture's Gemeinden. Residents changed by −10, −5, +10 and +20 (Lübeck
// has no 2018 figure); the SGB II quota by −0.8 and +0.9 points (Kiel-Süd
// and Kiel-Ost are withheld in 2022, Lübeck has no 2018 value). Zero is
// always a break, empty classes merge into their neighbour, and falls and
// rises take two schemes by polarity.
func TestClassesOfChange(t *testing.T) {
	srv, _ := outputServer(t)
	for _, tt := range []struct {
		path        string
		key, unit   string
		scheme      string
		labels      string
		counts      string
		colours     string
		left        string
		maplibreHas string
	}{
		{"/indicators/einwohner/classes?level=gemeinde&period=2022-12-31&period2=2018-12-31&k=3",
			"einwohner_change", "Personen", "Oranges_r|Purples",
			"[-10 bis unter -5 Personen -5 bis unter 0 Personen 0 bis 20 Personen]", "[1 1 2]",
			"[#e6550d #fee6ce #bcbddc]", "0 1", `["get","einwohner_change"]`},
		{"/indicators/sgb2_quote/classes?level=gemeinde&period=2022-12-31&period2=2018-12-31&k=3",
			"sgb2_quote_change", "Prozentpunkte", "Blues_r|Reds",
			"[-0,8 bis unter 0,0 Prozentpunkte 0,0 bis 0,9 Prozentpunkte]", "[1 1]",
			"[#9ecae1 #fc9272]", "2 1", `["==",["get","sgb2_quote_change_status"],"suppressed"]`},
		// a scheme asked for keeps its colours, placed by sign: one class
		// each side of zero takes the ends of the 3-class scheme
		{"/indicators/sgb2_quote/classes?level=gemeinde&period=2022-12-31&period2=2018-12-31&k=3&scheme=PuOr",
			"sgb2_quote_change", "Prozentpunkte", "PuOr",
			"[-0,8 bis unter 0,0 Prozentpunkte 0,0 bis 0,9 Prozentpunkte]", "[1 1]",
			"[#f1a340 #998ec3]", "2 1", `"#f1a340"`},
		// manual breaks stay as given; the class across zero is the middle
		{"/indicators/einwohner/classes?level=gemeinde&period=2022-12-31&period2=2018-12-31&method=manual&breaks=-7,7",
			"einwohner_change", "Personen", "Oranges_r|Purples",
			"[unter -7 Personen -7 bis unter 7 Personen 7 Personen und mehr]", "[1 1 2]",
			"[#fdae6b #f7f7f7 #bcbddc]", "0 1", `-7`},
	} {
		t.Run(tt.path, func(t *testing.T) {
			res, body := fetch(t, srv.URL+tt.path, "")
			var doc struct {
				Indicator struct{ Key, Unit string }
				Period2   string
				Scheme    string
				Classes   []struct {
					Label, Colour string
					Count         int
				}
				Suppressed, Missing struct{ Count int }
				Property            string
				MapLibre            json.RawMessage
			}
			if err := json.Unmarshal(body, &doc); err != nil || res.StatusCode != 200 {
				t.Fatalf("%d %s: %v", res.StatusCode, body, err)
			}
			var labels, colours []string
			var counts []int
			for _, c := range doc.Classes {
				labels, colours, counts = append(labels, c.Label), append(colours, c.Colour), append(counts, c.Count)
			}
			got := fmt.Sprintf("%s %s %s %s %v %v %v %d %d", doc.Indicator.Key, doc.Indicator.Unit, doc.Period2, doc.Scheme,
				labels, counts, colours, doc.Suppressed.Count, doc.Missing.Count)
			want := fmt.Sprintf("%s %s 2018-12-31 %s %s %s %s %s", tt.key, tt.unit, tt.scheme, tt.labels, tt.counts, tt.colours, tt.left)
			if got != want || doc.Property != tt.key || !json.Valid(doc.MapLibre) || !strings.Contains(string(doc.MapLibre), tt.maplibreHas) {
				t.Errorf("got  %s\nwant %s\nproperty %s, maplibre %s", got, want, doc.Property, doc.MapLibre)
			}
		})
	}
}

// TestBreakAtZero: zero becomes a break between falls and rises, within
// the limit of classes, and leaves no class empty.
func TestBreakAtZero(t *testing.T) {
	for _, tt := range []struct {
		breaks []float64
		values []float64
		want   string
	}{
		// zero lies inside the middle class: a new break
		{[]float64{-4, -1, 2, 6}, []float64{-4, -2, -1, 1, 2, 6}, "[-4 -1 0 2 6]"},
		// all above zero: nothing to do
		{[]float64{1, 2, 3}, []float64{1, 2, 3}, "[1 2 3]"},
		// zero already a break
		{[]float64{-1, 0, 1}, []float64{-1, 1}, "[-1 0 1]"},
		// the class between zero and 5 would be empty: 5 goes
		{[]float64{-3, 5, 9}, []float64{-3, 6, 9}, "[-3 0 9]"},
		// nine classes already: zero replaces the nearer break (−0.5)
		{[]float64{-8, -4, -0.5, 3, 4, 5, 6, 7, 8, 9}, []float64{-8, -5, -1, 1, 3.5, 4.5, 5.5, 6.5, 7.5, 9}, "[-8 -4 0 3 4 5 6 7 8 9]"},
	} {
		c := plainClasses(append([]float64(nil), tt.breaks...))
		breakAtZero(&c, tt.values)
		if got := fmt.Sprint(c.breaks); got != tt.want || len(c.slots) != c.k() || c.of != c.k() {
			t.Errorf("%v: %s (slots %v of %d), want %s", tt.breaks, got, c.slots, c.of, tt.want)
		}
	}
}

// TestSignSlots: the classes below zero take one side of a diverging
// scheme, those above the other, a class across zero its middle.
func TestSignSlots(t *testing.T) {
	for _, tt := range []struct {
		breaks []float64
		want   string // slots, of
	}{
		{[]float64{-2, -1, 0, 1}, "[0 1 2] 4"},               // two below, one above: 2 per side
		{[]float64{-1, 1, 2}, "[1 2] 3"},                     // across zero, one above
		{[]float64{1, 2, 3, 4}, "[3 4 5] 6"},                 // all above: the upper half
		{[]float64{-3, -2, -1}, "[0 1] 4"},                   // all below: the lower half
		{[]float64{-1, 1, 2, 3, 4, 5, 6}, "[0 1 2 3 4 5] 6"}, // 5 above needs 11: as before
	} {
		c := plainClasses(tt.breaks)
		signSlots(&c)
		if got := fmt.Sprintf("%v %d", c.slots, c.of); got != tt.want {
			t.Errorf("%v: %s, want %s", tt.breaks, got, tt.want)
		}
	}
}
