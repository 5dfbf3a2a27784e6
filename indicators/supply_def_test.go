package indicators

import (
	"strings"
	"testing"
)

func TestSupplyGap(t *testing.T) {
	for _, c := range []struct {
		target, demand, scale, capacity, want float64
	}{
		{11.4, 1000, 100, 100, 14},   // 114 needed
		{11.4, 1001, 100, 100, 15},   // 114.114 needed: a whole place more
		{11.4, 1000, 100, 200, 0},    // a surplus is no negative gap
		{83.3, 300, 100, 249, 1},     // 249.9 needed
		{100.0 / 3, 300, 100, 99, 1}, // 100 needed, not 101 for rounding error
		{1, 0, 1000, 0, 0},
	} {
		if got := SupplyGap(c.target, c.demand, c.scale, c.capacity); got != c.want {
			t.Errorf("SupplyGap(%v, %v, %v, %v) = %v, want %v", c.target, c.demand, c.scale, c.capacity, got, c.want)
		}
	}
}

func TestParseSupplyFile(t *testing.T) {
	good := `supply:
  - type: kita
    period: 2022-12-31
    count: kita_einrichtungen
    capacity: kita_plaetze
    demand: {key: kita_nachfrage_u6, indicators: [ew_unter6]}
    ratio: kita_plaetze_je_100_u6
    target: {value: 83.3, source: Annahme, gap: kita_luecke}
    catchment: {key: kita_2sfca, level: prognoseraum, radius_m: 4000, scale: 100, decay: {kind: stepped, zones: [{upper_m: 2000, weight: 1}, {upper_m: 4000, weight: 0.5}]}}
    nearest: kita_entfernung
`
	f, err := ParseSupplyFile("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	d := f.Supply[0]
	if len(d.Keys()) != 6 || d.Catchment.Decay.Kind != "stepped" || d.Catchment.Decay.Zones[1].Weight != 0.5 || d.Catchment.srid() != 25832 {
		t.Errorf("parsed %+v %+v", d, d.Catchment)
	}
	for _, c := range []struct{ yaml, want string }{
		{"supply: []\n", "no definitions"},
		{"supply:\n  - type: kita\n    period: 2022-12-31\n", "count is required"},
		{"supply:\n  - type: kita\n    period: 2022-12-31\n    count: a\n    ratio: r\n", "a ratio needs capacity and demand"},
		{"supply:\n  - type: kita\n    period: 2022-12-31\n    count: a\n    nearest: n\n", "give catchment"},
		{"supply:\n  - type: kita\n    period: 2022-12-31\n    count: a\n  - type: jugend\n    period: 2022-12-31\n    count: a\n", `indicator "a" is written by supply 1 too`},
		{strings.Replace(good, "source: Annahme, ", "", 1), "its source"},
		{strings.Replace(good, "radius_m: 4000", "radius: 4000", 1), "field radius not found"},
	} {
		if _, err := ParseSupplyFile("bad.yaml", []byte(c.yaml)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.yaml, err, c.want)
		}
	}
}
