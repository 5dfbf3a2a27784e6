package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Differencing attacks on withheld values. In the demo atlas the
// Gemeinde Dierfeld (Kreis Bernkastel-Wittlich) has 2 female residents:
// a count below 3, withheld (primary), and with it, so that neither the
// Kreis's sum nor the Gemeinde's total gives it away, the female
// residents of Musweiler and the male residents of both (secondary), and
// the share of women in both. Every output is tried for a way to learn
// any of them.

const (
	period    = "2022-12-31"
	kreis     = "07231"
	dierfeld  = "072315008021"
	musweiler = "072315008091"
)

// withheld are the Gemeinden whose values of the indicators are withheld.
var withheld = []string{dierfeld, musweiler}

// disclosureIndicators are the withheld indicators of the demo.
var disclosureIndicators = []string{"einwohner_weiblich", "einwohner_maennlich", "anteil_weiblich"}

func getBody(t *testing.T, url string) []byte {
	t.Helper()
	status, body, _ := call(t, http.MethodGet, url, "", "", nil)
	if status != 200 {
		t.Fatalf("GET %s: %d %.300s", url, status, body)
	}
	return body
}

// featureCodes returns the codes of the areas a filter on the Kreis's
// Gemeinden matches, in the order given.
func featureCodes(t *testing.T, srv *httptest.Server, query url.Values) []string {
	t.Helper()
	query.Set("limit", "1000")
	var fc featureCollection
	if err := json.Unmarshal(getBody(t, srv.URL+"/collections/gemeinde/items?"+query.Encode()), &fc); err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, f := range fc.Features {
		codes = append(codes, f.ID)
	}
	return codes
}

func TestDifferencingFilters(t *testing.T) {
	srv, _ := demoServer(t)
	all := featureCodes(t, srv, url.Values{"filter": {"parent = '" + kreis + "'"}})
	if len(all) != 107 || !slices.Contains(all, dierfeld) || !slices.Contains(all, musweiler) {
		t.Fatalf("the Kreis's Gemeinden: %d", len(all))
	}
	// Each condition and its negation: a withheld value is NULL, so it
	// satisfies neither, and the value 2 (or 23, or any) cannot be
	// bracketed by trying bounds. (IS NULL matches it, and tells what
	// its status says anyway: that there is no value to show.)
	for _, cond := range []string{
		"einwohner_weiblich = 2", "einwohner_weiblich < 3", "einwohner_weiblich > 2", "einwohner_weiblich >= 3",
		"einwohner_weiblich BETWEEN 1 AND 2", "einwohner_weiblich IN (1, 2)", "einwohner_weiblich > 0",
		"einwohner_weiblich = 23", "einwohner_weiblich < 24", "einwohner_maennlich > 0", "einwohner_maennlich < 10",
		"anteil_weiblich < 50", "anteil_weiblich >= 0",
		"einwohner_weiblich_parent_diff < 0", "einwohner_weiblich_parent_ratio < 1", "anteil_weiblich_parent_diff < 0",
		"einwohner_weiblich_lisa IN ('hh', 'll', 'hl', 'lh', 'ns')",
	} {
		for _, f := range []string{cond, "NOT (" + cond + ")"} {
			got := featureCodes(t, srv, url.Values{"filter": {"parent = '" + kreis + "' AND (" + f + ")"}, "period": {period}})
			for _, code := range withheld {
				if slices.Contains(got, code) {
					t.Errorf("filter %s matches the withheld %s", f, code)
				}
			}
		}
	}
}

func TestDifferencingSortby(t *testing.T) {
	srv, _ := demoServer(t)
	// Withheld values come last in either direction, among the areas
	// without a value, ordered by code: their place says nothing.
	for _, key := range disclosureIndicators {
		var tails [][]string
		for _, dir := range []string{"", "-"} {
			got := featureCodes(t, srv, url.Values{"filter": {"parent = '" + kreis + "'"}, "sortby": {dir + key},
				"period": {period}})
			tails = append(tails, got[len(got)-2:])
		}
		for _, tail := range tails {
			if !slices.Equal(tail, withheld) {
				t.Errorf("sortby %s: the last are %v, want the withheld %v by code in either direction", key, tail, withheld)
			}
		}
	}
}

// valueRows reads /indicators/{key}/values of a level: code → value, or
// nil where none is shown, and code → status.
func valueRows(t *testing.T, srv *httptest.Server, key, level string) (map[string]*float64, map[string]string) {
	t.Helper()
	var res struct {
		Rows []struct {
			Code   string   `json:"code"`
			Value  *float64 `json:"value"`
			Status string   `json:"status"`
		} `json:"rows"`
	}
	body := getBody(t, srv.URL+"/indicators/"+key+"/values?level="+level+"&period="+period)
	if err := json.Unmarshal(body, &res); err != nil || len(res.Rows) == 0 {
		t.Fatalf("values of %s at %s: %v %.300s", key, level, err, body)
	}
	values, status := map[string]*float64{}, map[string]string{}
	for _, r := range res.Rows {
		values[r.Code], status[r.Code] = r.Value, r.Status
	}
	return values, status
}

// TestDifferencingAggregates checks, from the public values alone, every
// additive relation of the withheld counts: no Kreis has exactly one
// Gemeinde withheld (the Kreis minus the others would give it away), no
// Gemeinde has exactly one of residents, women and men withheld, and no
// share of women is shown where the women are withheld (share × residents
// would give them away).
func TestDifferencingAggregates(t *testing.T) {
	srv, _ := demoServer(t)
	total, _ := valueRows(t, srv, "einwohner", "gemeinde")
	shares, _ := valueRows(t, srv, "anteil_weiblich", "gemeinde")
	for _, key := range []string{"einwohner_weiblich", "einwohner_maennlich"} {
		gem, status := valueRows(t, srv, key, "gemeinde")
		kreise, _ := valueRows(t, srv, key, "kreis")
		hidden := map[string][]string{} // Kreis → its withheld Gemeinden
		sum := map[string]float64{}     // Kreis → the sum of its shown Gemeinden
		for code, v := range gem {
			if v == nil && status[code] == "" {
				continue // an area without data: nothing to hide
			}
			if v == nil {
				if status[code] != "suppressed" {
					t.Errorf("%s %s: no value, status %s", key, code, status[code])
				}
				hidden[code[:5]] = append(hidden[code[:5]], code)
				continue
			}
			sum[code[:5]] += *v
		}
		if got := fmt.Sprint(hidden); got != "map[07231:["+dierfeld+" "+musweiler+"]]" &&
			got != "map[07231:["+musweiler+" "+dierfeld+"]]" {
			t.Errorf("%s withheld: %s", key, got)
		}
		for k, codes := range hidden {
			if len(codes) == 1 {
				t.Errorf("%s: Kreis %s has only %s withheld: %v − %v gives it away", key, k, codes[0], *kreise[k], sum[k])
			}
			if kreise[k] == nil {
				t.Fatalf("%s: Kreis %s withheld", key, k)
			}
			// What subtraction yields is the withheld Gemeinden's sum.
			if rest := *kreise[k] - sum[k]; rest != 25 && key == "einwohner_weiblich" {
				t.Errorf("%s: Kreis %s minus its shown Gemeinden is %v, want 2 + 23", key, k, rest)
			}
		}
		for _, code := range withheld {
			if total[code] == nil {
				t.Errorf("einwohner of %s withheld too: the test's premise is gone", code)
			}
			if shares[code] != nil {
				t.Errorf("anteil_weiblich of %s is %v while %s is withheld", code, *shares[code], key)
			}
		}
	}
}

func TestDifferencingProfile(t *testing.T) {
	srv, _ := demoServer(t)
	for _, code := range withheld {
		body := getBody(t, srv.URL+"/areas/gemeinde/"+code+"/profile?period="+period+"&series=true")
		var prof struct {
			Indicators []map[string]any            `json:"indicators"`
			Series     map[string][]map[string]any `json:"series"`
		}
		if err := json.Unmarshal(body, &prof); err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, e := range prof.Indicators {
			key, _ := e["key"].(string)
			if !slices.Contains(disclosureIndicators, key) {
				continue
			}
			found++
			// No value, and nothing computed from it: rank, percentile,
			// change, difference to the comparison areas.
			for _, field := range []string{"value", "rank", "percentile", "change"} {
				if e[field] != nil {
					t.Errorf("profile of %s: %s has %s %v", code, key, field, e[field])
				}
			}
			if e["status"] != "suppressed" {
				t.Errorf("profile of %s: %s status %v", code, key, e["status"])
			}
			for _, p := range prof.Series[key] {
				if p["period"] == period && p["value"] != nil {
					t.Errorf("profile series of %s: %s has %v", code, key, p["value"])
				}
			}
		}
		if found != len(disclosureIndicators) {
			t.Errorf("profile of %s lists %d of the withheld indicators", code, found)
		}
		// The CSV and XLSX downloads of the profile leave the cells empty.
		csv := string(getBody(t, srv.URL+"/areas/gemeinde/"+code+"/profile?period="+period+"&f=csv"))
		rows := 0
		for _, line := range strings.Split(csv, "\n") {
			// Kategorie;Indikator;Einheit;Wert;Status;Sperrgrund;Kreis;Land;Deutschland;Rang;Von
			fields := strings.Split(strings.TrimRight(line, "\r"), ";")
			if len(fields) == 11 && slices.Contains([]string{"Einwohnerinnen", "Einwohner, männlich", "Frauenanteil"}, fields[1]) {
				rows++
				if fields[3] != "" || fields[4] != "gesperrt (Geheimhaltung)" || fields[9] != "" {
					t.Errorf("profile CSV of %s: %q", code, line)
				}
			}
		}
		if rows != 3 {
			t.Errorf("profile CSV of %s: %d rows of the withheld indicators:\n%s", code, rows, csv)
		}
	}
}

func TestDifferencingDownloads(t *testing.T) {
	srv, _ := demoServer(t)
	for _, key := range disclosureIndicators {
		// CSV of the values: the withheld rows have an empty value.
		csv := string(getBody(t, srv.URL+"/indicators/"+key+"/values?level=gemeinde&period="+period+"&f=csv"))
		for _, code := range withheld {
			i := strings.Index(csv, "\n"+code+";")
			if i < 0 {
				t.Fatalf("%s CSV has no row %s", key, code)
			}
			line, _, _ := strings.Cut(csv[i+1:], "\n")
			fields := strings.Split(strings.TrimRight(line, "\r"), ";")
			if len(fields) < 3 || fields[2] != "" || !strings.Contains(line, "Geheimhaltung") {
				t.Errorf("%s CSV row: %q", key, line)
			}
		}
		// The features as CSV.
		items := string(getBody(t, srv.URL+"/collections/gemeinde/items?f=csv&limit=1000&period="+period+
			"&indicators="+key+"&filter="+url.QueryEscape("parent = '"+kreis+"'")))
		for _, code := range withheld {
			i := strings.Index(items, "\n"+code+";")
			if i < 0 {
				t.Fatalf("items CSV has no row %s", code)
			}
			line, _, _ := strings.Cut(items[i+1:], "\n")
			if strings.Contains(line, ";2;") || strings.Contains(line, ";23;") {
				t.Errorf("items CSV row of %s with %s: %q", code, key, line)
			}
		}
		// XLSX of the values.
		f, err := excelize.OpenReader(bytes.NewReader(getBody(t, srv.URL+"/indicators/"+key+"/values?level=gemeinde&period="+period+"&f=xlsx")))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, r := range rows {
			if len(r) > 0 && slices.Contains(withheld, r[0]) {
				seen++
				if len(r) > 2 && r[2] != "" {
					t.Errorf("%s XLSX row %v", key, r)
				}
			}
		}
		if seen != 2 {
			t.Errorf("%s XLSX: %d rows of the withheld Gemeinden", key, seen)
		}
		f.Close()
	}
}

func TestDifferencingTiles(t *testing.T) {
	srv, _ := demoServer(t)
	pool := demoDB(t)
	for _, code := range withheld {
		var lon, lat float64
		if err := pool.QueryRow(context.Background(), `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) p
			FROM area WHERE level = 'gemeinde' AND code = $1) q`, code).Scan(&lon, &lat); err != nil {
			t.Fatal(err)
		}
		for _, z := range []int{8, 12} {
			tile := lonLatTile(lon, lat, z)
			path := fmt.Sprintf("/tiles/gemeinde/%d/%d/%d.mvt?period=%s&indicators=%s", tile.z, tile.x, tile.y, period,
				strings.Join(disclosureIndicators, ","))
			layers, err := decodeMVT(getBody(t, srv.URL+path))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			found := false
			for _, l := range layers {
				for _, props := range l {
					if props["code"] != code {
						continue
					}
					for _, key := range disclosureIndicators {
						if v, ok := props[key]; ok {
							t.Errorf("%s: %s has %s = %v", path, code, key, v)
						}
					}
					if props[layerProp] != "gemeinde" {
						continue // the labels carry no values at all
					}
					found = true
					for _, key := range disclosureIndicators {
						if props[key+"_status"] != "suppressed" {
							t.Errorf("%s: %s has %s_status %v", path, code, key, props[key+"_status"])
						}
					}
				}
			}
			if !found {
				t.Errorf("%s: no feature %s", path, code)
			}
		}
	}
}

// layerProp is the property under which decodeMVT notes a feature's layer.
const layerProp = "$layer"

// decodeMVT reads the properties of every feature of a Mapbox Vector
// Tile, layer by layer, with the layer's name as layerProp: just enough
// of vector_tile.proto (MVT 2.1) to see what a tile tells.
func decodeMVT(b []byte) ([][]map[string]any, error) {
	var layers [][]map[string]any
	err := pbFields(b, func(field int, _ uint64, msg []byte) error {
		if field != 3 { // Tile.layers
			return nil
		}
		var name string
		var keys []string
		var values []any
		var features [][]uint64
		err := pbFields(msg, func(field int, _ uint64, m []byte) error {
			switch field {
			case 1: // Layer.name
				name = string(m)
			case 2: // Layer.features
				return pbFields(m, func(field int, _ uint64, f []byte) error {
					if field == 2 { // Feature.tags, packed
						var tags []uint64
						for len(f) > 0 {
							v, n := binary.Uvarint(f)
							if n <= 0 {
								return fmt.Errorf("bad tag")
							}
							tags, f = append(tags, v), f[n:]
						}
						features = append(features, tags)
					}
					return nil
				})
			case 3: // Layer.keys
				keys = append(keys, string(m))
			case 4: // Layer.values
				return pbFields(m, func(field int, v uint64, s []byte) error {
					switch field {
					case 1:
						values = append(values, string(s))
					case 2:
						values = append(values, float64(math.Float32frombits(uint32(v))))
					case 3:
						values = append(values, math.Float64frombits(v))
					case 4, 5:
						values = append(values, float64(int64(v)))
					case 6:
						values = append(values, float64(int64(v>>1)^-int64(v&1)))
					case 7:
						values = append(values, v != 0)
					}
					return nil
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		var layer []map[string]any
		for _, tags := range features {
			props := map[string]any{layerProp: name}
			for i := 0; i+1 < len(tags); i += 2 {
				if int(tags[i]) >= len(keys) || int(tags[i+1]) >= len(values) {
					return fmt.Errorf("tag out of range")
				}
				props[keys[tags[i]]] = values[tags[i+1]]
			}
			layer = append(layer, props)
		}
		layers = append(layers, layer)
		return nil
	})
	return layers, err
}

// pbFields calls fn with each field of a protobuf message: its number and
// its varint or fixed value, or its bytes.
func pbFields(b []byte, fn func(field int, v uint64, msg []byte) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("bad key")
		}
		b = b[n:]
		var v uint64
		var msg []byte
		switch key & 7 {
		case 0:
			if v, n = binary.Uvarint(b); n <= 0 {
				return fmt.Errorf("bad varint")
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return fmt.Errorf("short fixed64")
			}
			v, b = binary.LittleEndian.Uint64(b), b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return fmt.Errorf("bad length")
			}
			msg, b = b[n:n+int(l)], b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return fmt.Errorf("short fixed32")
			}
			v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		default:
			return fmt.Errorf("wire type %d", key&7)
		}
		if err := fn(int(key>>3), v, msg); err != nil {
			return err
		}
	}
	return nil
}
